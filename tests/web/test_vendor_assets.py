"""Vendor libraries are served from node_modules only for allow-listed files."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ecomon.web.pages import assets


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(assets.router)
    return TestClient(app)


@pytest.mark.skipif(not assets.NODE_MODULES.is_dir(), reason="front-end assets not installed (make assets)")
@pytest.mark.parametrize("path", sorted(assets.VENDOR_FILES))
def test_allow_listed_vendor_file_is_served(client: TestClient, path: str) -> None:
    assert client.get(f"/static/vendor/{path}").status_code == 200


@pytest.mark.parametrize("path", ["../package.json", "echarts/package.json", "leaflet/dist/leaflet.js",
                                  "..%2F..%2Fpyproject.toml"])
def test_other_paths_are_refused(client: TestClient, path: str) -> None:
    assert client.get(f"/static/vendor/{path}").status_code == 404
