#!/usr/bin/env bash
# Create (or reuse) .venv with the default framework pair: torch 2.13.0 (CPU) and
# chainer 7.8.1, on numpy 1.26.4 (Chainer breaks on numpy 2), plus the test tools.
# Idempotent: a second run only checks. Usage: scripts/bootstrap.sh [VENV_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv}"
PYTHON="${PYTHON:-python3}"
export SETUPTOOLS_USE_DISTUTILS=stdlib   # chainer imports distutils; see README "Environment"
export PIP_DISABLE_PIP_VERSION_CHECK=1
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip install -q"
if ! "$VENV/bin/python" -c "import torch, chainer, hypothesis, pytest, xdist, jsonschema, check_jsonschema" >/dev/null 2>&1; then
    # setuptools>=77.0.3 satisfies torch 2.13; <81 still ships pkg_resources, which
    # chainer needs both to build (source-only sdist) and to import.
    $PIP "setuptools>=77.0.3,<81" wheel "numpy==1.26.4"
    $PIP "torch==2.13.0"
    $PIP --no-build-isolation "chainer==7.8.1"
    # check-jsonschema: the CI workflow's linter (GitHub's workflow schema; tests/conformance/test_workflow.py)
    $PIP "hypothesis>=6.100" "pytest>=8" "pytest-xdist>=3" "jsonschema>=4.18" "check-jsonschema>=0.29"
fi
# This repository itself, editable: registers the built-in framework plugins (entry points
# of the group conformance.frameworks), exactly as a third-party plugin registers.
if ! "$VENV/bin/python" -c "import importlib.metadata as m; m.distribution('autograd-conformance')" >/dev/null 2>&1; then
    $PIP --no-deps --no-build-isolation -e .
fi
"$VENV/bin/python" - <<'PY'
import numpy, torch, chainer
print(f"bootstrap: numpy {numpy.__version__}, torch {torch.__version__}, chainer {chainer.__version__}")
PY
