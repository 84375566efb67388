#!/usr/bin/env bash
# Bring here (a machine with network) everything scripts/gpu_run.sh installs on the GPU machine
# (python3 3.12 with torch and CuPy preinstalled, no network), as wheels in wheels/:
#   - the test tools: hypothesis, pytest, pytest-xdist and their dependencies (pure Python);
#   - jsonschema and its dependencies (the report validates results against the schema;
#     the GPU machine's image has no jsonschema);
#   - setuptools>=77.0.3,<81 (chainer imports pkg_resources, which setuptools 81 dropped);
#   - chainer 7.8.1 (source-only on PyPI: built here into a wheel; it is pure Python,
#     py3-none-any, so the one wheel installs on 3.12) and its dependencies filelock, six,
#     protobuf, typing_extensions;
#   - numpy 1.26.4 for CPython 3.12 (manylinux x86_64): only for the fallback of
#     gpu_run.sh where the machine's numpy is 2.x, which chainer 7.8.1 cannot import.
# NumPy, torch and CuPy themselves are never replaced in the machine's own environment.
# wheels/ is not committed; hand it to the GPU machine with the working tree (the `run`
# tool's `carry`, 64 MiB at most: this comes to about 25 MiB).
# Usage: scripts/prepare_gpu_wheels.sh [WHEELS_DIR]   (default: wheels)
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS="${1:-wheels}"
PYTHON="${PYTHON:-python3}"
TARGET=(--python-version 3.12 --implementation cp --abi cp312 --abi abi3 --abi none
        --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64
        --platform manylinux_2_28_x86_64 --platform any --only-binary=:all:)
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$WHEELS"

# chainer 7.8.1: build the wheel from the sdist, in a throwaway venv with a setuptools that
# still has pkg_resources (chainer's setup.py imports it); --no-build-isolation uses it.
BUILD="$(mktemp -d)"
trap 'rm -rf "$BUILD"' EXIT
"$PYTHON" -m venv "$BUILD/venv"
"$BUILD/venv/bin/python" -m pip install -q "setuptools>=77.0.3,<81" wheel
SETUPTOOLS_USE_DISTUTILS=stdlib "$BUILD/venv/bin/python" -m pip wheel -q --no-deps \
    --no-build-isolation --no-cache-dir "chainer==7.8.1" -w "$WHEELS"
"$BUILD/venv/bin/python" - "$WHEELS" <<'PY'
import glob, sys, zipfile
(path,) = glob.glob(f"{sys.argv[1]}/chainer-7.8.1-*.whl")
names = zipfile.ZipFile(path).namelist()
binary = [n for n in names if n.endswith((".so", ".pyd", ".dylib"))]
tag = path.rsplit("-", 3)[-3:]
if binary or not path.endswith("-py3-none-any.whl"):
    sys.exit(f"chainer wheel {path} is not pure Python ({tag}; compiled files: {binary[:3]})")
print(f"chainer wheel: {path} (pure Python, {len(names)} files)")
PY

# Everything else as ready-made wheels for CPython 3.12 on x86_64 Linux, with dependencies.
"$PYTHON" -m pip download -q -d "$WHEELS" "${TARGET[@]}" \
    "hypothesis>=6.100" "pytest>=8" "pytest-xdist>=3" "setuptools>=77.0.3,<81" \
    "jsonschema>=4.18" filelock six "protobuf>=3.0.0" typing_extensions
"$PYTHON" -m pip download -q -d "$WHEELS" "${TARGET[@]}" --no-deps "numpy==1.26.4"

ls -1 "$WHEELS"
du -sh "$WHEELS"
