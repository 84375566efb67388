"""The real frameworks for the tests that compare refimpl with them: the imported module, or
the test skips with the reason (not installed, or chainer without numpy<2 and
SETUPTOOLS_USE_DISTUTILS=stdlib)."""
import warnings

import pytest


def import_torch():
    try:
        import torch
    except Exception as error:  # pragma: no cover - depends on the environment
        pytest.skip(f"torch is not importable: {error!r}")
    return torch


def import_chainer():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import chainer
            import chainer.functions
            import chainer.links  # noqa: F401
    except Exception as error:  # pragma: no cover - depends on the environment
        pytest.skip(f"chainer is not importable (it needs numpy<2 and "
                    f"SETUPTOOLS_USE_DISTUTILS=stdlib): {error!r}")
    return chainer
