#!/usr/bin/env bash
# The main job: set up .venv, then verify every refimpl semantics policy against the real
# frameworks on CPU, writing reports/results/semantics.jsonl. Extra arguments go to the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
. scripts/env.sh
mkdir -p reports/results
exec .venv/bin/python -m conformance verify-semantics --frameworks torch,chainer \
    --out reports/results/semantics.jsonl "$@"
