#!/usr/bin/env bash
# Run duban locally:  scripts/run.sh [args for `duban run`...]
# Creates .venv (if missing), installs the project into it (editable) and runs
# `duban run`, after fetching the dashboard's chart library (scripts/fetch_assets.py). See
# scripts/test.sh for the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! .venv/bin/python -c 'import sys' >/dev/null 2>&1; then
    rm -rf .venv
    echo "run.sh: creating .venv" >&2
    "$PYTHON" -m venv .venv
fi
# Reinstall only when pyproject.toml changed (editable install: code changes
# need nothing).
stamp=".venv/.duban-run-install"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "run.sh: installing the project into .venv" >&2
    .venv/bin/pip install -q --disable-pip-version-check -e .
    echo "$want" >"$stamp"
fi
# The dashboard's charts (Apache ECharts, from the npm registry) into var/assets; offline,
# the pages still work and say that charts are unavailable.
.venv/bin/python scripts/fetch_assets.py ||
    echo "run.sh: could not fetch the chart library; the dashboard shows tables only" >&2
exec .venv/bin/duban run "$@"
