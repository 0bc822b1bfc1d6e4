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
