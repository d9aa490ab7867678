"""Screenshots of the main pages for the README, taken from a running demo (`make demo`) in the system Chromium.

    .venv/bin/python scripts/screenshots.py [--url http://127.0.0.1:8000] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
PASSWORD = "Demo@2026!"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 860}, locale="zh-CN")

        def shot(name: str) -> None:
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / f"{name}.png"), full_page=False)

        page.goto(args.url + "/")
        shot("portal-home")
        page.goto(args.url + "/accounts/login/")
        shot("login")
        page.fill("#id_username", "nanjing_xinyong")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.goto(args.url + "/console/agencies/?q=财政")
        shot("agency-search")
        page.click("#results table a")
        shot("agency-detail")
        page.context.clear_cookies()
        page.goto(args.url + "/accounts/login/")
        page.fill("#id_username", "sheng_xinyong")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        shot("console-home")
        page.goto(args.url + "/console/records/")
        shot("records")
        page.click("table.data tbody tr a >> nth=0")
        shot("record-detail")
        page.goto(args.url + "/console/records/coverage/")
        shot("coverage")
        page.goto(args.url + "/console/records/rules/")
        shot("rules")
        page.context.clear_cookies()
        page.goto(args.url + "/accounts/login/")
        page.fill("#id_username", "shenji")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.goto(args.url + "/console/audit/")
        shot("audit-log")
        page.click("text=校验哈希链与签名检查点")
        page.wait_for_selector(".job-succeeded, .job-failed", timeout=60_000)
        shot("job-progress")
        browser.close()


if __name__ == "__main__":
    main()
