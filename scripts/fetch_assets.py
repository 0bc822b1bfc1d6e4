"""Fetch the dashboard's third-party browser assets from the npm registry, at install time.

Nothing third-party is kept in the repository: each asset is a file inside an npm package's
tarball, pinned by version and checked against the registry's own sha512 integrity, then
extracted into a git-ignored directory (``var/assets`` by default; the reporting service
reads ``DUBAN_WEB_ASSETS_DIR``). The service then serves it from there, so the pages need
no internet and no CDN. Run by scripts/run.sh and scripts/test.sh; does nothing when the
files are already there.

    python scripts/fetch_assets.py [--dir var/assets] [--force]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

REGISTRY = os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org").rstrip("/")
# (package, version, path inside the tarball, name served)
ASSETS = (("echarts", "6.1.0", "package/dist/echarts.min.js", "echarts.min.js"),)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def fetch(package: str, version: str, member: str, target: Path) -> None:
    meta = json.loads(_get(f"{REGISTRY}/{package}/{version}"))
    tarball = _get(meta["dist"]["tarball"])
    algorithm, _, expected = meta["dist"]["integrity"].partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if digest != expected:
        raise SystemExit(f"fetch_assets: {package}@{version}: integrity mismatch")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        data = archive.extractfile(member)
        if data is None:
            raise SystemExit(f"fetch_assets: {member} not in {package}@{version}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(data.read())
        partial.replace(target)
    print(f"fetch_assets: {package}@{version} → {target}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=os.environ.get("DUBAN_WEB_ASSETS_DIR", "var/assets"))
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    for package, version, member, name in ASSETS:
        target = Path(args.dir) / name
        stamp = target.with_name(name + ".version")
        fresh = target.exists() and stamp.exists()
        if fresh and not args.force and stamp.read_text().strip() == f"{package}@{version}":
            continue
        fetch(package, version, member, target)
        stamp.write_text(f"{package}@{version}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
