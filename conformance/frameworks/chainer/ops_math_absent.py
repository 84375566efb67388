"""The op subjects of the maths and activation breadth (``conformance/subjects/ops_math.py``)
that chainer 7.8.1 lacks, with the reason: part of the plugin's ``ops_absent``.

chainer computes erfinv, lgamma and digamma on the CPU with SciPy (``scipy.special``); where
SciPy is not installed, ``F.lgamma(x)`` raises ImportError('SciPy is not available. Forward
computation of lgamma can not be done.'), so those are absent here with that reason.
"""
import importlib.util

_NO_SCIPY = ("chainer 7.8.1 computes {name} on the CPU with scipy.special, and SciPy is not "
             "installed here: F.{name}(x) raises ImportError('SciPy is not available. Forward "
             "computation of {name} ...')")

ABSENT = {
    "reciprocal": "chainer 7.8.1 has no reciprocal function (1 / x is the subject div-scalar)",
    "arcsinh": "chainer 7.8.1 has no arcsinh (chainer.functions has arcsin, arctan, arctanh)",
    "arccosh": "chainer 7.8.1 has no arccosh (chainer.functions has arccos, arctanh)",
    "celu": "chainer 7.8.1 has no celu (chainer.functions has elu and selu)",
    "hardtanh": "chainer 7.8.1 has no hardtanh (F.clip is the subject clip; F.clipped_relu "
                "clips to [0, z])",
    "log_sigmoid": "chainer 7.8.1 has no log_sigmoid (-F.softplus(-x) computes it)",
    "softsign": "chainer 7.8.1 has no softsign",
    "tanhshrink": "chainer 7.8.1 has no tanhshrink",
    # torch's own activations
    "gelu": "chainer 7.8.1 has no gelu",
    "mish": "chainer 7.8.1 has no mish",
    "hardswish": "chainer 7.8.1 has no hardswish (F.hard_sigmoid is the subject hard_sigmoid)",
    "hardshrink": "chainer 7.8.1 has no hardshrink",
    "softshrink": "chainer 7.8.1 has no softshrink",
    "softmin": "chainer 7.8.1 has no softmin (F.softmax(-x) computes it)",
    "glu": "chainer 7.8.1 has no glu (gated linear unit)",
}

if importlib.util.find_spec("scipy") is None:
    ABSENT.update({name: _NO_SCIPY.format(name=name) for name in ("erfinv", "lgamma", "digamma", "polygamma")})
