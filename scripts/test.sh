#!/usr/bin/env bash
# The test command: set up .venv, run the unit tests (extra arguments go to pytest), then a
# conformance run of the default pair (refimpl + torch 2.13.0 + chainer 7.8.1) on CPU, the
# report, and the regression gate against the committed baseline (reports/baseline/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
. scripts/env.sh
.venv/bin/python -m pytest -n 2 -q "$@"
results=reports/results-ci
rm -rf "$results"
status=0
.venv/bin/python -m conformance run --frameworks refimpl,torch,chainer --device cpu \
    --profile ci --jobs 2 --out "$results" || status=$?
.venv/bin/python -m conformance report --results "$results" --out "$results/index.html" \
    --json "$results/summary.json" --junit "$results/junit.xml" --ctrf "$results/ctrf.json" \
    || status=$?
.venv/bin/python -m conformance compare reports/baseline "$results" || status=$?
exit "$status"
