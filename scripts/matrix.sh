#!/usr/bin/env bash
# The whole CPU version matrix in one command: every tox env labelled `matrix` (torch 2.15.0,
# 2.14.1, 2.13.0, 2.9.1; chainer 7.8.1, 6.7.0, 5.4.0), MATRIX_PARALLEL envs at a time (default
# 2, each run with CONFORMANCE_JOBS=1 pytest worker: two cores busy), each writing its result
# file into OUT (default reports/matrix/), then `tox -e report`: one merged report
# (reports/index.html, summary.json, junit.xml, ctrf.json) and the regression gate against
# reports/baseline/. Prints each env's time and disk use. Exit status: 0 when every env and the
# report passed, else the first failure's.
#
#   scripts/matrix.sh                         # everything, into reports/matrix/
#   scripts/matrix.sh -e torch2130,chainer781 # some envs only (extra arguments go to tox)
#   MATRIX_PARALLEL=1 CONFORMANCE_JOBS=2 scripts/matrix.sh   # one env at a time
#
# On several machines: run `CONFORMANCE_OUT=results tox -e ENV` on each, copy the result files
# back, then `python -m conformance report --results DIR1 DIR2 'more/*.jsonl'` (README
# "Version matrix").
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export CONFORMANCE_OUT="${CONFORMANCE_OUT:-reports/matrix}"
export CONFORMANCE_JOBS="${CONFORMANCE_JOBS:-1}"
PARALLEL="${MATRIX_PARALLEL:-2}"
TOX="${TOX:-tox}"
if ! command -v "$TOX" >/dev/null 2>&1; then
    echo "error: tox not found (TOX=$TOX): python3 -m pip install tox" >&2
    exit 2
fi
mkdir -p "$CONFORMANCE_OUT"
if [ "$#" -gt 0 ]; then selection=("$@"); else selection=(-m matrix); fi
started=$(date +%s)
status=0
"$TOX" "${selection[@]}" -p "$PARALLEL" --parallel-no-spinner || status=$?
finished=$(date +%s)
report=0
"$TOX" -e report || report=$?
echo
echo "matrix: $((finished - started)) s for the envs (${PARALLEL} at a time, ${CONFORMANCE_JOBS} job(s) each), report exit $report"
echo "results in $CONFORMANCE_OUT/:"
ls -1 "$CONFORMANCE_OUT"/*.jsonl 2>/dev/null | sed 's/^/  /' || true
echo "disk per env:"
for env in $("$TOX" "${selection[@]}" -qq --listenvs 2>/dev/null || true); do
    [ -d ".tox/$env" ] && du -sh ".tox/$env" | sed 's/^/  /'
done
[ "$status" -ne 0 ] && exit "$status"
exit "$report"
