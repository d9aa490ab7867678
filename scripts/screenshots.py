"""Screenshots of the main pages for the README, taken from a running demo (`make demo`) in the system Chromium.

.venv/bin/python scripts/screenshots.py [--url http://127.0.0.1:8000] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
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

        def login(username: str) -> None:
            page.context.clear_cookies()
            page.goto(args.url + "/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")

        page.goto(args.url + "/")
        shot("portal-home")
        # The public portal: search, a body's page (published records only), statistics, rankings.
        page.goto(args.url + "/records/")
        page.click("table a[href^='/bodies/'] >> nth=0")
        shot("portal-body")
        page.goto(args.url + "/statistics/")
        shot("portal-statistics")
        page.goto(args.url + "/rankings/")
        shot("portal-rankings")
        page.goto(args.url + "/verify/")
        shot("portal-verify")
        page.goto(args.url + "/accounts/login/")
        shot("login")
        login("nanjing_xinyong")
        page.goto(args.url + "/console/agencies/?q=财政")
        shot("agency-search")
        page.click("#results table a")
        shot("agency-detail")
        login("sheng_xinyong")
        shot("console-home")
        page.goto(args.url + "/console/records/")
        shot("records")
        page.click("table.data tbody tr a >> nth=0")
        shot("record-detail")
        page.goto(args.url + "/console/records/coverage/")
        shot("coverage")
        page.goto(args.url + "/console/records/rules/")
        shot("rules")
        page.goto(args.url + "/console/sanctions/")
        shot("sanctions-cases")
        page.click("table.data tbody tr a >> nth=0")
        shot("sanction-case")
        page.goto(args.url + "/console/sanctions/dashboard/")
        shot("sanctions-dashboard")
        page.goto(args.url + "/console/remedies/dashboard/")
        shot("remedies-dashboard")
        page.goto(args.url + "/console/evaluation/")
        shot("evaluation-overview")
        page.goto(args.url + "/console/evaluation/runs/")
        page.click("table.data tbody tr a >> nth=0")
        shot("evaluation-run")
        login("jiangning_caizheng")
        page.goto(args.url + "/console/remedies/records/")
        shot("remedies-my-records")
        login("nanjing_renshe")
        page.goto(args.url + "/console/personnel-queries/")
        shot("personnel-queries")
        login("shenji")
        page.goto(args.url + "/console/audit/")
        shot("audit-log")
        page.click("text=校验哈希链与签名检查点")
        page.wait_for_selector(".job-succeeded, .job-failed", timeout=60_000)
        shot("job-progress")
        browser.close()


if __name__ == "__main__":
    main()
