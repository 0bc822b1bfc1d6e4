"""Where the pages' files are: this package's ``static/`` (our scripts and styles), and the
third-party ones fetched from the npm registry at install time (scripts/fetch_assets.py) into
``DUBAN_WEB_ASSETS_DIR`` (default ``var/assets``, git-ignored). A missing vendored file is not
an error: the pages then show their tables and say that charts are unavailable."""

from __future__ import annotations

import os
import re
from pathlib import Path

STATIC = Path(__file__).parent / "static"
NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*\.(js|css)$")


def assets_dir() -> Path:
    return Path(os.environ.get("DUBAN_WEB_ASSETS_DIR") or "var/assets")


def vendored(name: str) -> Path | None:
    path = assets_dir() / name
    return path if NAME.match(name) and path.is_file() else None


def find(name: str) -> Path | None:
    if not NAME.match(name):
        return None
    own = STATIC / name
    return own if own.is_file() else vendored(name)
