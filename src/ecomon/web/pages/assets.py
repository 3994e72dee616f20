"""Static files: our own CSS/JS, and an allow-list of vendor library files from node_modules (npm, not committed)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC_DIR: Final = Path(__file__).resolve().parents[1] / "static"
NODE_MODULES: Final = Path(__file__).resolve().parents[4] / "node_modules"

# URL path under /static/vendor/ -> file under node_modules (package.json pins the versions).
VENDOR_FILES: Final[dict[str, str]] = {
    "echarts/echarts.min.js": "echarts/dist/echarts.min.js",
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet/images/marker-icon.png": "leaflet/dist/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png": "leaflet/dist/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png": "leaflet/dist/images/marker-shadow.png",
    "leaflet/images/layers.png": "leaflet/dist/images/layers.png",
    "htmx/htmx.min.js": "htmx.org/dist/htmx.min.js",
}

router = APIRouter(include_in_schema=False)


@router.get("/static/vendor/{path:path}")
async def vendor_file(path: str) -> FileResponse:
    """Serve one allow-listed library file; a missing install says how to fix it."""
    relative = VENDOR_FILES.get(path)
    if relative is None:
        raise HTTPException(404, f"no vendor file {path!r}")
    target = NODE_MODULES / relative
    if not target.is_file():
        raise HTTPException(404, f"{relative} is not installed: run `make assets` (npm install)")
    return FileResponse(target, headers={"Cache-Control": "public, max-age=86400"})
