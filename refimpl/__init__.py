"""refimpl: a small, exact reference autograd engine on NumPy (CPU) and CuPy (GPU).

It is the executable specification the conformance harness compares PyTorch and Chainer
with. Where the two frameworks differ, the active semantics policy decides::

    import refimpl
    import refimpl.functions as F

    x = refimpl.Variable([1.0, 2.0, 3.0], requires_grad=True)
    with refimpl.semantics("torch"):
        y = F.sum(x * x)
        y.backward()
    x.grad  # array([2., 4., 6.])
"""
from . import functions, initializers, nn, optimizers, serializers
from . import schedules  # learning-rate schedules (issue 17)
from ._backend import DeviceMismatchError, get_array_module
from ._mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                    no_grad, set_grad_enabled)
from .engine import grad
from .errors import InvalidType
from .function import Function
from .policies import (POLICIES, Policy, current as current_semantics, register as register_policy,
                       semantics, set_semantics)
from .variable import Variable

__version__ = "0.1.0"

__all__ = [
    "DeviceMismatchError", "Function", "InvalidType", "POLICIES", "Policy", "Variable",
    "current_semantics", "enable_grad", "functions", "get_array_module", "grad",
    "inference_mode", "is_inference_mode_enabled",
    "initializers", "is_grad_enabled", "nn", "no_grad", "optimizers", "register_policy",
    "schedules", "semantics", "serializers", "set_grad_enabled", "set_semantics",
]
