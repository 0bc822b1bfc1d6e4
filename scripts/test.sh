#!/usr/bin/env bash
# The one test command, for newcomers and CI:
#
#   scripts/test.sh [pytest args...]      e.g. scripts/test.sh -k outbox -x
#
# Creates .venv (if missing) and installs the project with its `test` extra,
# starts PostgreSQL and Kafka with scripts/infra.sh, runs pytest against them
# and stops them again, whatever happens. Exits with pytest's exit code.
#
#   DUBAN_KEEP_INFRA=1   leave PostgreSQL/Kafka running afterwards (faster
#                        re-runs; stop them with scripts/infra.sh stop)
#   PYTHON=python3.11    interpreter used to create .venv
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"

# --- virtualenv -------------------------------------------------------------
if ! .venv/bin/python -c 'import sys' >/dev/null 2>&1; then
    rm -rf .venv
    if ! "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1; then
        # Debian/Ubuntu ship venv's pip bootstrap separately.
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "test.sh: installing python3-venv" >&2
            DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >&2
        else
            echo "test.sh: '$PYTHON -m venv' needs ensurepip: install python3-venv" >&2
            exit 1
        fi
    fi
    echo "test.sh: creating .venv" >&2
    "$PYTHON" -m venv .venv
fi
# Reinstall only when pyproject.toml changed (the install is editable, so code
# changes need nothing).
stamp=".venv/.duban-test-install"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "test.sh: installing the project into .venv" >&2
    .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
    echo "$want" >"$stamp"
fi

# --- the browser test's tools -------------------------------------------------
# tests/web drives Debian's Chromium (Selenium's own browser downloads do not work here)
# with CJK fonts; the documents are checked with LibreOffice and poppler. Installed with
# apt when missing and we are root; nothing is done when all are present.
debs=(chromium chromium-driver fonts-noto-cjk libreoffice-writer-nogui libreoffice-calc-nogui
    poppler-utils)
missing=()
for deb in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$deb")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: installing ${missing[*]}" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${missing[@]}" >&2
    else
        echo "test.sh: missing Debian packages ${missing[*]} (the tests that need them skip)" >&2
    fi
fi
# The dashboard's chart library, from the npm registry, into var/assets (git-ignored).
.venv/bin/python scripts/fetch_assets.py

# --- infrastructure -----------------------------------------------------------
# shellcheck disable=SC2317  # only called from the trap
stop_infra() {
    if [ "${DUBAN_KEEP_INFRA:-}" = 1 ]; then
        echo "test.sh: DUBAN_KEEP_INFRA=1, leaving PostgreSQL/Kafka running" >&2
    else
        bash scripts/infra.sh stop || true
    fi
}
# Installed before start, so a half-started infra is stopped too. INT/TERM
# turn into a normal exit, which runs the EXIT trap.
trap stop_infra EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash scripts/infra.sh start >/dev/null
eval "$(bash scripts/infra.sh env)" # exports DUBAN_TEST_PG_URL, DUBAN_TEST_KAFKA_BOOTSTRAP

# --- tests --------------------------------------------------------------------
rc=0
.venv/bin/python -m pytest -q "$@" || rc=$?
exit "$rc"
