"""The console in a real browser (Debian chromium via Playwright): log in, switch language, open a site and see
its chart and live values, import a file with a reject and download the reject report."""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ecomon.web.pages.assets import NODE_MODULES
from tests.console.console_world import PASSWORD
from tests.live_server import live_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

# Under CI a missing browser or asset install is a set-up defect: fail, never skip silently.
_MISSING = (None if CHROMIUM.exists() else "needs Debian's chromium (make install installs it)") or (
    None if NODE_MODULES.is_dir() else "front-end assets not installed (make assets)")
if _MISSING and os.environ.get("CI"):
    raise RuntimeError(f"browser tests cannot run under CI: {_MISSING}")

pytestmark = [pytest.mark.engines, pytest.mark.skipif(bool(_MISSING), reason=_MISSING or "")]

UPLOAD = ("site,parameter,t,value\n"
          "Aotizhongxin,PM10,2016-03-01T02:00:00,77\n"
          "Aotizhongxin,PM10,2016-03-01T03:00:00,n/a-value\n")


@pytest.fixture(scope="module")
def base_url(console_url: str) -> Iterator[str]:
    with live_server(console_url) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _tab(browser):  # type: ignore[no-untyped-def]
    return browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True).new_page()


@pytest.fixture(scope="module")
def page(browser, base_url: str):  # type: ignore[no-untyped-def]
    """A tab logged in as the national administrator through the login form."""
    tab = _tab(browser)
    tab.goto(f"{base_url}/console/login")
    tab.fill("input[name=username]", "admin")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{base_url}/console")
    yield tab
    tab.context.close()


def test_login_redirects_back_and_wrong_password_is_refused(browser, base_url: str) -> None:
    page = _tab(browser)
    page.goto(f"{base_url}/console/ranking")
    assert "/console/login" in page.url
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong-password-123")
    page.click("button[type=submit]")
    page.locator(".form-error").wait_for()
    assert "用户名或密码错误" in page.locator(".form-error").inner_text()
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/console/ranking")
    assert page.locator("table[data-testid=ranking] tbody tr").count() == 12
    page.click("[data-logout]")
    page.wait_for_url(f"{base_url}/console/login")
    page.goto(f"{base_url}/console")
    assert "/console/login" in page.url  # the session ended server-side
    page.context.close()


def test_overview_map_and_language_switch(page, base_url: str) -> None:
    page.goto(f"{base_url}/console")
    page.locator("path.site-marker").first.wait_for()
    assert page.locator("path.site-marker").count() == 12
    assert "监测点位总览" in page.locator("h1").inner_text()
    page.click("[data-testid=lang-switch]")
    page.wait_for_url("**lang=en")
    assert page.locator("h1").inner_text() == "Monitoring sites overview"
    page.goto(f"{base_url}/console/ranking")
    assert "Air station ranking" in page.locator("h1").inner_text()   # the choice is remembered
    page.goto(f"{base_url}/console?lang=zh")
    assert "监测点位总览" in page.locator("h1").inner_text()


def test_site_page_shows_a_chart_and_connects_live_values(page, base_url: str) -> None:
    page.goto(f"{base_url}/console/sites/Dongsi")
    chart = page.locator("#series-chart")
    page.wait_for_function("document.getElementById('series-chart').getAttribute('data-rendered') > 0")
    assert int(chart.get_attribute("data-rendered") or 0) >= 24
    assert chart.locator("canvas").count() >= 1
    page.wait_for_function("document.getElementById('live-values').getAttribute('data-events') >= 1")
    assert page.locator("#live-status").get_attribute("data-state") == "open"
    page.select_option("select[name=interval]", "raw")
    page.wait_for_function("document.getElementById('series-chart').getAttribute('data-rendered') === '0'")


def test_import_with_progress_and_reject_report(page, base_url: str, tmp_path: Path) -> None:
    page.goto(f"{base_url}/console/data/import")
    upload = tmp_path / "browser-upload.csv"
    upload.write_text(UPLOAD, encoding="utf-8")
    page.set_input_files("input[name=file]", str(upload))
    page.click("[data-testid=import-form] button[type=submit]")
    page.wait_for_url("**/console/data/import?job=*")
    page.locator("#import-progress[data-status=done]").wait_for(timeout=30_000)
    assert page.locator("[data-testid=accepted]").inner_text() == "1"
    assert page.locator("[data-testid=rejected]").inner_text() == "1"
    with page.expect_download() as info:
        page.click("[data-testid=reject-report]")
    report = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(report)))
    assert [(r["row_no"], r["column_name"], r["value"]) for r in rows] == [("2", "value", "n/a-value")]


def test_register_and_retire_a_site_through_the_forms(page, base_url: str, console_url: str) -> None:
    page.goto(f"{base_url}/console/registry/site")
    page.click("details.panel summary")
    form = page.locator("[data-testid=add-form]")
    form.locator("input[name=code]").fill("BROWSER-1")
    form.locator("input[name=name_zh]").fill("浏览器测试站")
    form.locator("select[name=element]").select_option("air")
    form.locator("select[name=site_type]").select_option("urban")
    form.locator("select[name=control_level]").select_option("city")
    form.locator("select[name=region_code]").select_option("110105")
    form.locator("input[name=lon]").fill("116.5")
    form.locator("input[name=lat]").fill("39.95")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/console/registry/site/*")
    assert "BROWSER-1" in page.locator("h1").inner_text()
    state = page.locator("[data-testid=state-form]")
    state.locator("select[name=state]").select_option("suspended")
    state.locator("input[name=valid_from]").fill("2026-01-15")
    state.locator("input[name=reason]").fill("维护停运")
    state.locator("button[type=submit]").click()
    page.locator("[data-testid=history] td", has_text="维护停运").wait_for()
    assert "2026-01-15" in page.locator("[data-testid=history]").inner_text()
    # A refused change is explained on the form, not lost.
    edit = page.locator("[data-testid=edit-form]")
    edit.locator("input[name=lat]").fill("95")
    edit.locator("button[type=submit]").click()
    edit.locator(".form-error").wait_for()
    assert "lat" in edit.locator(".form-error").inner_text()
    edit.locator("input[name=lat]").fill("39.96")
    edit.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.wait_for_function("!document.querySelector('[data-testid=edit-form] .form-error') || "
                           "document.querySelector('[data-testid=edit-form] .form-error').hidden")
    with psycopg.connect(console_url) as conn:
        detail = conn.execute("SELECT detail FROM audit_event WHERE action = 'registry.site.edit' "
                              "AND target = (SELECT 'site:' || id FROM site WHERE code = 'BROWSER-1') "
                              "ORDER BY id DESC LIMIT 1").fetchone()
    assert detail is not None and detail[0] == {"lat": 39.96}  # only what the user changed


def test_open_live_streams_do_not_hold_database_connections(base_url: str) -> None:
    """More open site pages than the pool has connections (10): every stream gets its values, pages still load."""
    import httpx

    with httpx.Client(base_url=base_url, timeout=15) as client:
        assert client.post("/api/v1/auth/login", json={"username": "viewer", "password": PASSWORD}).status_code == 200
        streams = [client.stream("GET", "/console/sites/Dongsi/live") for _ in range(12)]
        try:
            for stream in streams:
                response = stream.__enter__()
                assert response.headers["content-type"].startswith("text/event-stream")
                lines = response.iter_lines()
                assert any(line == "event: values" for line, _ in zip(lines, range(10), strict=False))
            started = time.monotonic()
            assert client.get("/console").status_code == 200
            assert time.monotonic() - started < 5
        finally:
            for stream in streams:
                stream.__exit__(None, None, None)
