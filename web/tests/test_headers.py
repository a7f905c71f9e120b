"""Every response carries a Content-Security-Policy that allows the portal's own origin only,
and no template needs more: no inline script, event-handler attribute or inline style."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

TEMPLATE_DIRS = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]] + [
    Path(settings.BASE_DIR) / app / "templates" for app in ("portal", "users", "devices", "endpoints", "bulk")
]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|<[^>]*\sstyle\s*=", re.IGNORECASE)


def templates() -> list[Path]:
    found = [p for d in TEMPLATE_DIRS if d.is_dir() for p in d.rglob("*.html")]
    assert found
    return found


@pytest.mark.parametrize("url", ["/login/", "/extensions/", "/config/", "/admin/", "/bulk/export/"])
def test_pages_allow_only_the_portals_own_origin(administrator_client, url):
    policy = administrator_client.get(url)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy and "*" not in policy


def test_the_headers_already_set_stay(administrator_client):
    response = administrator_client.get("/extensions/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_an_inline_script_a_handler_or_an_inline_style():
    problems = []
    for path in templates():
        text = path.read_text(encoding="utf-8")
        for name, pattern in (
            ("inline script", INLINE_SCRIPT),
            ("on…= handler", HANDLER),
            ("style", INLINE_STYLE),
        ):
            problems += [f"{path.name}: {name}: {m.group(0)[:60]}" for m in pattern.finditer(text)]
    assert not problems, "\n".join(problems)


def test_the_check_would_find_them():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/pbxadmin.js"></script>')
    assert HANDLER.search('<button type="button" onclick="go()">')
    assert INLINE_STYLE.search('<div class="x" style="width: 5%">')
