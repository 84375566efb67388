"""A behaviour case never turns NotSupported into a recorded value: an adapter that lacks an
op or an engine feature raises NotSupported, and the case must let it through so the cell is
a skip with the reason, never a red or green verdict (MyGrad found two cases that caught it)."""
import json

import numpy
import pytest

from conformance import behaviours
from conformance.checks.observations import observe
from conformance.frameworks.base import NotSupported


class RefusingAdapter:
    """Makes tensors (NumPy arrays); every other call raises NotSupported."""

    name, version, semantics, plugin = "refusing", "0", "torch", None
    features = capabilities = frozenset()

    def tensor(self, array, requires_grad=False, dtype=None, device="cpu"):
        return numpy.array(array, dtype=dtype)

    def to_numpy(self, value):
        return numpy.asarray(value)

    def __getattr__(self, name):
        def refuse(*args, **kwargs):
            raise NotSupported(f"the refusing adapter has no {name}")
        return refuse


@pytest.mark.parametrize("case", behaviours.CASES, ids=[case.name for case in behaviours.CASES])
def test_not_supported_is_never_recorded(case):
    try:
        observation = observe(case.run, RefusingAdapter())
    except NotSupported:
        return
    text = json.dumps(observation.to_json(), default=str)
    assert "NotSupported" not in text, f"{case.name} recorded NotSupported: {text[:300]}"
