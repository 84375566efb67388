#!/usr/bin/env bash
# Refresh the committed baseline, reports/baseline/, that `python -m conformance compare` and the
# report gate on. It shows what changes (old baseline -> new results) before replacing it;
# review that list, then commit reports/baseline/ yourself.
#
#   scripts/update_baseline.sh                  # run the checks now in .venv (torch 2.13.0 + chainer
#                                               # 7.8.1 on CPU) and make that the baseline
#   scripts/update_baseline.sh reports/results  # adopt existing result files (e.g. after `tox -p`)
#
# With no argument it runs `verify-semantics` on torch and chainer and, once it exists,
# `conformance run --profile ci` for refimpl, torch and chainer on CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
export SETUPTOOLS_USE_DISTUTILS=stdlib
BASELINE=reports/baseline
NEW="$(mktemp -d)"
trap 'rm -rf "$NEW"' EXIT

if [ $# -gt 0 ]; then
    SOURCE="$1"
    if [ ! -e "$SOURCE" ]; then
        echo "update_baseline: RESULTS $SOURCE does not exist" >&2
        exit 2
    fi
    PYTHON="${PYTHON:-python3}"
    [ -x .venv/bin/python ] && PYTHON=.venv/bin/python
    if [ -d "$SOURCE" ]; then
        # only complete runs: an interrupted (*.incomplete.jsonl) or killed (*.partial.jsonl)
        # run is never adopted as the baseline
        find "$SOURCE" -name '*.jsonl' ! -name '*.incomplete.jsonl' ! -name '*.partial.jsonl' \
            -type f -print0 | while IFS= read -r -d '' file; do
            cp "$file" "$NEW/$(echo "${file#"$SOURCE"/}" | tr '/' '_')"
        done
    else
        case "$SOURCE" in
            *.incomplete.jsonl|*.partial.jsonl)
                echo "update_baseline: $SOURCE is an incomplete run; refusing to adopt it" >&2
                exit 3 ;;
        esac
        cp "$SOURCE" "$NEW/"
    fi
else
    scripts/bootstrap.sh
    PYTHON=.venv/bin/python
    # verify-semantics exits 1 when a cell fails: the baseline records it all the same.
    "$PYTHON" -m conformance verify-semantics --frameworks torch,chainer -q \
        --out "$NEW/semantics.jsonl" || [ $? -eq 1 ]
    if "$PYTHON" -c "import conformance.runner" 2>/dev/null; then
        "$PYTHON" -m conformance run --frameworks refimpl,torch,chainer --device cpu --profile ci \
            --out "$NEW" || [ $? -eq 1 ]
    fi
fi

if ! ls "$NEW"/*.jsonl >/dev/null 2>&1; then
    echo "update_baseline: no result files to adopt" >&2
    exit 2
fi
if ls "$BASELINE"/*.jsonl >/dev/null 2>&1; then
    echo "== changes from the current baseline =="
    "$PYTHON" -m conformance compare "$BASELINE" "$NEW" --limit 0 || status=$?
    if [ "${status:-0}" -eq 3 ]; then
        echo "update_baseline: the new results are incomplete (exit 3); baseline unchanged" >&2
        exit 3
    elif [ "${status:-0}" -eq 1 ]; then
        echo "update_baseline: WARNING: the new baseline accepts the regressions listed above" >&2
    elif [ "${status:-0}" -ne 0 ]; then
        exit "$status"
    fi
fi
mkdir -p "$BASELINE"
rm -f "$BASELINE"/*.jsonl
cp "$NEW"/*.jsonl "$BASELINE"/
echo "baseline updated: $(ls "$BASELINE"/*.jsonl | tr '\n' ' ')"
echo "review, then: git add $BASELINE && git commit -m 'baseline: ...' -- $BASELINE"
