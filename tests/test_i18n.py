"""The interface is Chinese by default and English on request (the language switch sets a cookie)."""

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_the_portal_is_chinese_by_default_and_english_after_switching(client):
    assert "政务诚信信息公开" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "政务诚信信息公开" not in page


@pytest.mark.django_db
def test_the_login_page_is_translated(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/accounts/login/").content.decode()
    assert "登录" not in page.split("<footer")[0]


@pytest.mark.django_db
def test_an_english_browser_still_gets_chinese_until_the_user_switches(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in page


def _po_entries(path):  # type: ignore[no-untyped-def]
    """(msgctxt, msgid, msgstr or plural forms, fuzzy) from a .po file; obsolete (#~) entries skipped."""
    import ast

    entries, current, field, fuzzy = [], None, None, False

    def flush():  # type: ignore[no-untyped-def]
        if current and current.get("msgid"):
            entries.append((current.get("msgctxt"), current["msgid"], current.get("msgstr", ""), fuzzy))

    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            flush()
            current, field, fuzzy = {}, None, "fuzzy" in line
            continue
        if line.startswith(("msgctxt", "msgid ", "msgid_plural", "msgstr")):
            key, _, value = line.partition(" ")
            if key in ("msgctxt", "msgid") and current is not None and "msgstr" in current:
                flush()
                current, fuzzy = {}, False
            current = {} if current is None else current
            field = "msgstr" if key.startswith("msgstr") else key
            if key.startswith("msgstr["):
                current["msgstr"] = current.get("msgstr", "") + ast.literal_eval(value)
            else:
                current[field] = ast.literal_eval(value)
        elif line.startswith('"') and current is not None and field:
            current[field] = current.get(field, "") + ast.literal_eval(line)
    flush()
    return entries


def test_the_english_catalogue_is_complete_and_compiled():
    import gettext
    from pathlib import Path

    po = Path(settings.BASE_DIR) / "locale/en/LC_MESSAGES/django.po"
    mo = po.with_suffix(".mo")
    entries = _po_entries(po)
    assert len(entries) > 400
    missing = [msgid for _ctx, msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert missing == [], f"untranslated or fuzzy: {missing[:10]}"
    catalogue = gettext.GNUTranslations(mo.open("rb"))
    stale = [
        msgid
        for ctx, msgid, _msgstr, _fuzzy in entries
        if (catalogue.pgettext(ctx, msgid) if ctx else catalogue.gettext(msgid)) == msgid and "%" not in msgid
    ]
    assert stale == [], f"in the .po but not in the compiled .mo (run msgfmt): {stale[:10]}"
