#!/usr/bin/env bash
# The test command: set up .venv (scripts/bootstrap.sh), then run the whole test suite.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
. scripts/env.sh
exec .venv/bin/python -m pytest -n 2 -q "$@"
