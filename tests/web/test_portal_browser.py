"""The portal in a real browser (Debian chromium via Playwright): map markers, colours, chart, labels."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from web_portal_data import portal_db  # noqa: F401  (fixture)

from ecomon.standards.aqi_tables import LEVELS
from ecomon.web.pages.assets import NODE_MODULES
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


@pytest.fixture(scope="module")
def base_url(portal_db: str) -> Iterator[str]:  # noqa: F811
    with live_server(portal_db) as url:
        yield url


@pytest.fixture(scope="module")
def page(base_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        yield tab
        browser.close()


def test_map_has_one_marker_per_station_in_level_colours(page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    markers = page.locator("path.aqi-marker")
    markers.first.wait_for()
    assert markers.count() == 12
    allowed = {level.hex.lower() for level in LEVELS}
    for index in range(12):
        assert (markers.nth(index).get_attribute("fill") or "").lower() in allowed


def test_every_shown_aqi_is_labelled_preliminary_or_released(page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    rows = page.locator("table.ranking tbody tr")
    assert rows.count() == 12
    for index in range(rows.count()):
        text = rows.nth(index).inner_text()
        assert "预发布" in text, text  # the slice is all real-time data: nothing is released yet
    labels = page.locator(".aqi-label")
    assert all("预发布" in labels.nth(i).inner_text() for i in range(labels.count()))


def test_station_chart_renders(page, base_url: str) -> None:
    page.goto(f"{base_url}/station/Dongsi")
    chart = page.locator("#station-chart[data-rendered=true] canvas")
    chart.wait_for()
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 200


def test_each_marker_has_the_hj633_colour_of_its_stations_aqi(page, base_url: str) -> None:
    from ecomon.standards import aqi

    page.goto(f"{base_url}/?lang=zh")
    page.locator("path.aqi-marker").first.wait_for()
    for index in range(page.locator("table.ranking tbody tr").count()):
        row = page.locator("table.ranking tbody tr").nth(index)
        code = row.get_attribute("data-station")
        value = int(row.locator(".aqi-badge").inner_text())
        level = aqi.level_info(int(aqi.level_of(np.array([float(value)]))[0]), "HJ633-2012")
        fill = page.locator(f'path.aqi-marker[data-station="{code}"]').get_attribute("fill")
        assert (fill or "").upper() == level.hex, (code, value, fill)


def test_language_switch_changes_page_and_is_remembered(page, base_url: str) -> None:
    page.goto(f"{base_url}/?lang=zh")
    assert page.locator("h1").inner_text() == "实时空气质量"
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**lang=en")
    assert page.locator("h1").inner_text() == "Real-time air quality"
    assert "Dongsi" in page.locator("table.ranking").inner_text()
    page.get_by_role("link", name="Open data").click()  # the choice is remembered on the next page
    assert page.locator("h1").inner_text() == "Open data"
    assert "CC BY 4.0" in page.locator("table.catalogue").inner_text()
    page.get_by_role("link", name="中文").click()
    page.wait_for_url("**lang=zh")
    assert page.locator("h1").inner_text() == "开放数据"
