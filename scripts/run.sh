#!/usr/bin/env bash
# The main job: set up .venv, run the conformance properties for refimpl, torch 2.13.0 and
# chainer 7.8.1 on CPU (hypothesis profile ci), and build the HTML report reports/index.html
# (plus summary.json, junit.xml, ctrf.json). Extra arguments go to `conformance run`
# (e.g. --profile dev, -k conv). Exits non-zero when a cell fails (the report is built anyway).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
. scripts/env.sh
mkdir -p reports/results
status=0
.venv/bin/python -m conformance run --frameworks refimpl,torch,chainer --device cpu \
    --profile ci --jobs 2 --out reports/results "$@" || status=$?
.venv/bin/python -m conformance report --results reports/results --out reports/index.html \
    || status=$?
echo "report: reports/index.html"
exit "$status"
