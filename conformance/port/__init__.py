"""Port checker: does a model ported from one framework to another (Chainer to PyTorch) compute
what the original computed, layer by layer, in its gradients and after an optimizer step; and
where it does not, which layer diverges first, by how much against the tolerance, which
semantics policy fields of the reference explain it, and the one-line fix.

>>> from conformance.port import check                                    # doctest: +SKIP
>>> result = check(chainer_model, torch_model, x, train_step={            # doctest: +SKIP
...     "source": {"name": "MomentumSGD", "lr": 0.01, "momentum": 0.9},
...     "target": {"name": "SGD", "lr": 0.01, "momentum": 0.9}})
>>> result["verdict"], result["diagnosis"]["fix"]                        # doctest: +SKIP
('diverges', 'construct BatchNorm2d with eps=2e-5 ...')

``python -m conformance port SPEC`` runs a check described by a TOML or JSON file
(``conformance.port.spec``).
"""
from .check import SCHEMA, check
from .sides import PortError

__all__ = ["PortError", "SCHEMA", "check"]
