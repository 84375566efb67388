"""One adapter per framework behind one protocol (``base.Adapter``).

``load(name)`` returns an adapter, or raises ``AdapterUnavailable`` with the reason
(framework not installed, import failure), which callers turn into skip cells.
"""
from .base import (Adapter, AdapterUnavailable, NotSupported, Observation, Raised, attempt,
                   compare, observe)

FRAMEWORKS = ("torch", "chainer")


def load(name, semantics=None):
    """The adapter for ``name`` ('refimpl', 'torch', 'chainer').

    ``semantics`` only applies to refimpl: the policy it runs under ('torch', 'chainer',
    'chainer5', or a ``refimpl.Policy``).
    """
    if name == "refimpl":
        from .refimpl_adapter import RefimplAdapter
        return RefimplAdapter(semantics or "torch")
    if name == "torch":
        from .torch_adapter import TorchAdapter
        return TorchAdapter()
    if name == "chainer":
        from .chainer_adapter import ChainerAdapter
        return ChainerAdapter()
    raise ValueError(f"unknown framework {name!r}; known: refimpl, torch, chainer")


__all__ = ["Adapter", "AdapterUnavailable", "FRAMEWORKS", "NotSupported", "Observation", "Raised",
           "attempt", "compare", "load", "observe"]
