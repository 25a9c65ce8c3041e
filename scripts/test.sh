#!/usr/bin/env bash
# Sets up a virtualenv with the test extras and runs the whole suite: on SQLite, and on PostgreSQL
# too when TEST_DATABASE_URL is set (each database test runs once per backend).
#
# The tests run in parallel processes (pytest-xdist): TEST_WORKERS of them (default 4: on two cores
# the tests wait on sockets, subprocesses and PostgreSQL a good part of the time). Each worker has
# its own databases (tests/conftest.py) and free ports; the browser tests share one worker and one
# Chromium. `bash scripts/test.sh -n 0` runs everything in this process, in file order.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
# The browser tests drive Debian's Chromium through Playwright (no browser download).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || echo "warning: could not install chromium; browser tests will fail" >&2
fi
# QR cards and station sheets print Chinese names: they need a CJK font (bot/people/qr_cards.py).
if [ -z "$(fc-list :lang=zh 2>/dev/null || true)" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei) >/dev/null 2>&1 \
    || echo "warning: could not install fonts-wqy-microhei; QR card tests will fail" >&2
fi
# Every worker and every bot process the reliability tests start imports the project afresh: with
# bytecode caching off, each one compiles it (and pytest rewrites the tests) again, seconds of CPU.
unset PYTHONDONTWRITEBYTECODE
exec .venv/bin/python -m pytest -q -p no:cacheprovider -n "${TEST_WORKERS:-4}" --dist loadgroup "$@"
