"""Every service's /docs works with no internet: the page and every script, stylesheet and
icon it names come from the service itself (through `duban run`, HTTP only)."""

from __future__ import annotations

import re
from pathlib import Path

from helpers import duban_run

SERVICES = ("intake", "tasks", "notify", "reporting")


def test_each_docs_page_loads_only_what_its_service_serves(tmp_path: Path) -> None:
    with duban_run(tmp_path / "var") as http:
        for service in SERVICES:
            page = http.get(f"/{service}/docs")
            assert page.status_code == 200, service
            assert "swagger-ui" in page.text
            assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
            assert len(assets) == 3, assets
            assert not re.search(r"https?://", page.text), f"{service}: a page from elsewhere"
            for asset in assets:
                assert asset.startswith(f"/{service}/"), asset
                assert http.get(asset).status_code == 200, asset
            (spec,) = re.findall(r"url: '([^']+)'", page.text)
            assert http.get(spec).json()["info"]["title"].startswith("duban")
