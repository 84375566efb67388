#!/usr/bin/env bash
# The GPU run, on the GPU machine: one NVIDIA GPU, python3 3.12 with torch and CuPy
# preinstalled, no network. Bring wheels/ first (scripts/prepare_gpu_wheels.sh, on a machine
# with network). Results go to reports/gpu/ (commit them); where the device tool sets $OUT,
# they are also copied to $OUT/gpu/ so that they come back.
#
#   scripts/gpu_run.sh [STAGE ...] [-- CONFORMANCE_RUN_ARGS]
#
# Stages (default: all of them, in this order):
#   env     GPU model, driver, CUDA, Python and package versions -> reports/gpu/environment.txt
#   probe   what of chainer 7.8.1 runs here, and how -> reports/gpu/chainer_probe.txt
#   test    the device tests: tests/refimpl/test_device.py, tests/conformance/test_cross_device.py
#   run     python3 -m conformance run --frameworks $FRAMEWORKS --device $DEVICE --profile $PROFILE
#   report  reports/gpu/index.html (+ summary.json, junit.xml, ctrf.json) from reports/gpu/*.jsonl
#   bench   scripts/benchmark_gpu.py -> reports/gpu/benchmark.txt and benchmark.json
# Every stage installs the carried wheels first when they are missing (idempotent, offline).
#
# Variables: FRAMEWORKS (refimpl,torch,chainer), DEVICE (all), PROFILE (ci), JOBS (8),
# PYTHON (python3), WHEELS (wheels), GPU_RESULTS (reports/gpu).
# One command of the device tool may last 10 minutes: run the stages in several calls, e.g.
#   scripts/gpu_run.sh env probe test
#   FRAMEWORKS=refimpl scripts/gpu_run.sh run      (then torch, then chainer: one file each)
#   scripts/gpu_run.sh report bench
# A run cut short keeps every finished cell (one JSON line each, flushed as it finishes).
#
# Nothing in the machine's own environment is replaced: the wheels (test tools, setuptools<81,
# chainer) go to .venv-gpu-site/ (PYTHONPATH), without NumPy. chainer 7.8.1 cannot be imported
# as is on Python 3.12 (it imports numpy.distutils, which NumPy no longer ships there) nor on
# NumPy 2 (np.sctypes): `probe` tries, in order, (A) as is, (B) with a stub for
# numpy.distutils.system_info (chainer uses it only to look for macOS's Accelerate BLAS),
# (C) B plus the carried numpy 1.26.4 in a separate directory; the first that imports chainer
# is used for chainer's cells (C in a run of its own), and the probe file says which.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
WHEELS="${WHEELS:-wheels}"
RESULTS="${GPU_RESULTS:-reports/gpu}"
FRAMEWORKS="${FRAMEWORKS:-refimpl,torch,chainer}"
DEVICE="${DEVICE:-all}"
PROFILE="${PROFILE:-ci}"
JOBS="${JOBS:-8}"
SITE=.venv-gpu-site/tools          # test tools, setuptools<81, chainer (no numpy)
STUB=.venv-gpu-site/stub           # sitecustomize: the numpy.distutils stub (B)
NUMPY1=.venv-gpu-site/numpy1       # numpy 1.26.4 for chainer (C)
# Python 3.12 has no stdlib distutils: setuptools must use its own copy.
export SETUPTOOLS_USE_DISTUTILS=local PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONWARNINGS=ignore
mkdir -p "$RESULTS"

log() { echo "== gpu_run: $*"; }

copy_out() {  # the device tool returns what is under $OUT
    if [ -n "${OUT:-}" ]; then
        mkdir -p "$OUT/gpu" && cp -r "$RESULTS"/. "$OUT/gpu/"
    fi
}

install() {
    if PYTHONPATH="$SITE" "$PYTHON" -c "import hypothesis, pytest, xdist, pkg_resources" \
            >/dev/null 2>&1 && [ -d "$SITE/chainer" ]; then
        return 0
    fi
    if ! ls "$WHEELS"/chainer-7.8.1-*.whl >/dev/null 2>&1; then
        log "no $WHEELS/ with the wheels: run scripts/prepare_gpu_wheels.sh where there is a" \
            "network and bring $WHEELS/ along"
        return 1
    fi
    log "installing the carried wheels into $SITE (offline, no numpy)"
    local tools=()
    for wheel in "$WHEELS"/*.whl; do
        case "$(basename "$wheel")" in numpy-*) ;; *) tools+=("$wheel") ;; esac
    done
    "$PYTHON" -m pip install -q --no-index --no-deps --upgrade --target "$SITE" "${tools[@]}" \
        || return 1
    if ls "$WHEELS"/numpy-1.26.4-*.whl >/dev/null 2>&1 && [ ! -d "$NUMPY1/numpy" ]; then
        "$PYTHON" -m pip install -q --no-index --no-deps --target "$NUMPY1" \
            "$WHEELS"/numpy-1.26.4-*.whl || log "numpy 1.26.4 did not install (fallback C off)"
    fi
    mkdir -p "$STUB"
    cat > "$STUB/sitecustomize.py" <<'PY'
"""Written by scripts/gpu_run.sh. chainer 7.8.1 imports numpy.distutils.system_info, which
NumPy does not ship for Python >= 3.12, only to look for macOS's Accelerate BLAS
(chainer/_environment_check.py): where it is missing, this stub answers "no BLAS info"."""
import sys
import types

try:
    import numpy.distutils.system_info  # noqa: F401
except ImportError:
    _system_info = types.ModuleType("numpy.distutils.system_info")
    _system_info.get_info = lambda name, notfound_action=0: {}
    _distutils = types.ModuleType("numpy.distutils")
    _distutils.system_info = _system_info
    sys.modules["numpy.distutils"] = _distutils
    sys.modules["numpy.distutils.system_info"] = _system_info
PY
}

with_path() {  # with_path EXTRA_PYTHONPATH command...: run with the tools (and EXTRA) first
    local extra="$1"; shift
    PYTHONPATH="${extra:+$extra:}$SITE${PYTHONPATH:+:$PYTHONPATH}" "$@"
}

stage_env() {
    {
        echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "harness commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
        if command -v nvidia-smi >/dev/null; then
            nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
            nvidia-smi | head -4 | tail -2
        else
            echo "nvidia-smi: not found"
        fi
        with_path "" "$PYTHON" - <<'PY'
import platform
print(f"python {platform.python_version()} on {platform.platform()}")
for name in ("numpy", "torch", "cupy", "chainer", "hypothesis", "pytest", "setuptools"):
    try:
        module = __import__(name)
        print(f"{name} {getattr(module, '__version__', '?')}")
    except Exception as error:  # noqa: BLE001
        print(f"{name}: cannot be imported: {type(error).__name__}: {error}")
try:
    import torch
    print(f"torch CUDA {torch.version.cuda}, available: {torch.cuda.is_available()}, "
          f"device: {torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}")
except Exception as error:  # noqa: BLE001
    print(f"torch CUDA: {type(error).__name__}: {error}")
try:
    import cupy
    runtime = cupy.cuda.runtime
    print(f"cupy CUDA runtime {runtime.runtimeGetVersion()}, driver API "
          f"{runtime.driverGetVersion()}, devices: {runtime.getDeviceCount()}")
except Exception as error:  # noqa: BLE001
    print(f"cupy CUDA: {type(error).__name__}: {error}")
PY
    } > "$RESULTS/environment.txt" 2>&1
    cat "$RESULTS/environment.txt"
}

probe_chainer() {  # probe_chainer EXTRA_PYTHONPATH: import chainer, then tanh on the GPU
    with_path "$1" "$PYTHON" -W ignore - <<'PY'
import numpy
try:
    import chainer
    import chainer.functions as F
except Exception as error:  # noqa: BLE001
    print(f"import chainer: FAILED: {type(error).__name__}: {error}")
    raise SystemExit(1)
cuda = chainer.backends.cuda
print(f"import chainer: ok (chainer {chainer.__version__}, numpy {numpy.__version__})")
x = chainer.Variable(numpy.array([0.5, -1.0]))
F.sum(F.tanh(x)).backward()
print(f"CPU tanh backward: {x.grad.tolist()}")
error = getattr(cuda, "_resolution_error", None)
print(f"chainer.backends.cuda.available: {cuda.available}"
      + (f" ({type(error).__name__}: {error})" if error is not None else ""))
if cuda.available:
    print(f"cupy {cuda.cupy.__version__} (chainer 7.8.1 asks for cupy 7.x), cudnn enabled: "
          f"{cuda.cudnn_enabled}")
    try:
        x = chainer.Variable(cuda.to_gpu(numpy.array([0.5, -1.0], numpy.float32)))
        y = F.sum(F.tanh(x) * x)
        y.backward()
        print(f"GPU tanh backward: {cuda.to_cpu(x.grad).tolist()} (ok)")
    except Exception as error:  # noqa: BLE001
        print(f"GPU tanh backward: FAILED: {type(error).__name__}: {error}")
PY
}

CHAINER_PATH=""      # the PYTHONPATH addition chainer imports with ("" = as is)
CHAINER_SEPARATE=""  # non-empty: chainer needs numpy 1.26.4, so its cells run on their own

stage_probe() {
    rm -f .venv-gpu-site/chainer_path
    {
        echo "# chainer 7.8.1 here: (A) as is, (B) numpy.distutils stub, (C) B + numpy 1.26.4"
        for attempt in A B C; do
            case "$attempt" in
                A) path="" ;;
                B) path="$STUB" ;;
                C) path="$STUB:$NUMPY1" ;;
            esac
            if [ "$attempt" = C ] && [ ! -d "$NUMPY1/numpy" ]; then
                echo "## (C) not tried: no numpy 1.26.4 wheel was carried"
                break
            fi
            echo "## ($attempt) PYTHONPATH additions: ${path:-none}"
            if probe_chainer "$path"; then
                echo "=> chainer's cells use ($attempt)"
                printf '%s\n%s\n' "$path" "$([ "$attempt" = C ] && echo separate)" \
                    > .venv-gpu-site/chainer_path
                break
            fi
        done
        [ -f .venv-gpu-site/chainer_path ] || echo "=> chainer does not import here: its" \
            "cells are skips with the import error as the reason"
    } > "$RESULTS/chainer_probe.txt" 2>&1
    touch .venv-gpu-site/probed  # on this machine (reports/gpu/ may come from another)
    cat "$RESULTS/chainer_probe.txt"
}

load_chainer_path() {
    if [ ! -f .venv-gpu-site/probed ]; then
        stage_probe >/dev/null
    fi
    CHAINER_PATH="$(sed -n 1p .venv-gpu-site/chainer_path 2>/dev/null)"
    CHAINER_SEPARATE="$(sed -n 2p .venv-gpu-site/chainer_path 2>/dev/null)"
}

stage_test() {
    load_chainer_path
    local path="$CHAINER_PATH"
    [ -n "$CHAINER_SEPARATE" ] && path="$STUB"
    with_path "$path" "$PYTHON" -m pytest -q -p no:cacheprovider -rs \
        tests/refimpl/test_device.py tests/conformance/test_cross_device.py \
        2>&1 | tee "$RESULTS/device_tests.txt"
    return "${PIPESTATUS[0]}"
}

stage_run() {
    load_chainer_path
    local status=0 frameworks="$FRAMEWORKS" path="$CHAINER_PATH"
    if [ -n "$CHAINER_SEPARATE" ]; then
        # the machine's numpy for refimpl and torch; chainer in a run of its own (below)
        path="$STUB"
        frameworks="$(echo ",$FRAMEWORKS," | sed 's/,chainer,/,/; s/^,//; s/,$//')"
    fi
    if [ -n "$frameworks" ]; then
        log "conformance run --frameworks $frameworks --device $DEVICE --profile $PROFILE"
        with_path "$path" "$PYTHON" -m conformance run --frameworks "$frameworks" \
            --device "$DEVICE" --profile "$PROFILE" --jobs "$JOBS" --out "$RESULTS" "$@" \
            || status=$?
    fi
    if [ -n "$CHAINER_SEPARATE" ] && [[ ",$FRAMEWORKS," == *",chainer,"* ]]; then
        log "chainer on numpy 1.26.4 (C): conformance run --frameworks chainer"
        with_path "$CHAINER_PATH" "$PYTHON" -m conformance run --frameworks chainer \
            --device "$DEVICE" --profile "$PROFILE" --jobs "$JOBS" --out "$RESULTS" "$@" \
            || status=$?
    fi
    return "$status"
}

stage_report() {
    with_path "" "$PYTHON" -m conformance report --results "$RESULTS" \
        --out "$RESULTS/index.html" --json "$RESULTS/summary.json" \
        --junit "$RESULTS/junit.xml" --ctrf "$RESULTS/ctrf.json" --no-baseline \
        --title "autograd conformance on a GPU"
}

stage_bench() {
    with_path "" "$PYTHON" scripts/benchmark_gpu.py --json "$RESULTS/benchmark.json" \
        2>&1 | tee "$RESULTS/benchmark.txt"
    return "${PIPESTATUS[0]}"
}

stages=()
run_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --) shift; run_args=("$@"); break ;;
        env|probe|test|run|report|bench) stages+=("$1") ;;
        *) echo "unknown stage $1 (env, probe, test, run, report, bench;" \
                "-- then run's arguments)" >&2
           exit 2 ;;
    esac
    shift
done
[ ${#stages[@]} -eq 0 ] && stages=(env probe test run report bench)

install || { copy_out; exit 1; }
status=0
for stage in "${stages[@]}"; do
    log "stage $stage"
    case "$stage" in
        run) stage_run "${run_args[@]}" || status=$? ;;
        *) "stage_$stage" || status=$? ;;
    esac
    copy_out
done
log "done (status $status); results in $RESULTS/"
exit "$status"
