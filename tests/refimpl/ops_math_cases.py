"""Gradcheck cases (``test_ops_gradcheck.py``) of the maths and activation breadth
(``conformance/subjects/ops_math.py``): each op against a NumPy reference written here,
independently of refimpl (special functions from Python's ``math`` module), on the
registry's own samples; gradients against central differences there."""
import math

import numpy as np

import refimpl.functions as F
from conformance import subjects

_vectorize = np.vectorize


def _erfinv(y):
    """Bisection on math.erf (to the last bit)."""
    low, high = -6.0, 6.0
    for _ in range(200):
        middle = (low + high) / 2
        if math.erf(middle) < y:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _digamma(x):
    """psi(x) = psi(x + n) - sum_k<n 1 / (x + k); psi(z) for z >= 20 from its asymptotic
    series log z - 1/(2z) - sum B_2k / (2k z^2k)."""
    total = 0.0
    while x < 20.0:
        total -= 1.0 / x
        x += 1.0
    bernoulli = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
    series = math.log(x) - 0.5 / x - sum(b / (2 * k) / x ** (2 * k)
                                          for k, b in enumerate(bernoulli, start=1))
    return total + series


def _polygamma(x, n):
    """psi^(n)(x) = (-1)^(n+1) n! sum_k 1 / (x + k)^(n+1) for n >= 1: the sum to 2000 terms
    plus its tail by Euler-Maclaurin (integral, half the last term, one derivative term)."""
    if n == 0:
        return np.vectorize(_digamma, otypes=[float])(x)
    k = np.arange(2000.0)
    z = x[..., None] + k
    last = x + 2000.0
    tail = (1 / (n * last ** n) + 0.5 / last ** (n + 1) + (n + 1) / (12 * last ** (n + 2)))
    total = np.sum(1 / z ** (n + 1), axis=-1) + tail
    return (-1) ** (n + 1) * math.factorial(n) * total


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x, beta=1.0, threshold=20.0):
    y = np.logaddexp(0.0, beta * x) / beta
    return y if threshold is None else np.where(beta * x > threshold, x, y)


def _clip_strict(low, high):
    return lambda x: np.clip(x, low, high)


def _prod(x, axis=None, keepdims=False):
    return np.asarray(np.prod(x, axis=axis, keepdims=keepdims))


def _moveaxis(x, source, destination):
    return np.moveaxis(x, source, destination)


def _lerp(start, end, weight):
    return start + weight * (end - start)


def _cumsum(x, axis):
    return np.cumsum(x, axis=axis)


def _cumprod(x, axis):
    return np.cumprod(x, axis=axis)


#: subject -> [(case name, refimpl call on positional arrays, NumPy reference, policy)]
REFERENCES = {
    "log1p": [("log1p", F.log1p, np.log1p)],
    "expm1": [("expm1", F.expm1, np.expm1)],
    "log2": [("log2", F.log2, np.log2)],
    "log10": [("log10", F.log10, np.log10)],
    "square": [("square", F.square, np.square)],
    "rsqrt": [("rsqrt", F.rsqrt, lambda x: 1 / np.sqrt(x))],
    "reciprocal": [("reciprocal", F.reciprocal, lambda x: 1 / x)],
    "tan": [("tan", F.tan, np.tan)],
    "arcsin": [("arcsin", F.arcsin, np.arcsin)],
    "arccos": [("arccos", F.arccos, np.arccos)],
    "arctan": [("arctan", F.arctan, np.arctan)],
    "sinh": [("sinh", F.sinh, np.sinh)],
    "cosh": [("cosh", F.cosh, np.cosh)],
    "arcsinh": [("arcsinh", F.arcsinh, np.arcsinh)],
    "arccosh": [("arccosh", F.arccosh, np.arccosh)],
    "arctanh": [("arctanh", F.arctanh, np.arctanh)],
    "erf": [("erf", F.erf, _vectorize(math.erf, otypes=[float]))],
    "erfc": [("erfc", F.erfc, _vectorize(math.erfc, otypes=[float]))],
    "erfinv": [("erfinv", F.erfinv, _vectorize(_erfinv, otypes=[float]))],
    "lgamma": [("lgamma", F.lgamma, _vectorize(math.lgamma, otypes=[float]))],
    "digamma": [("digamma", F.digamma, _vectorize(_digamma, otypes=[float]))],
    "polygamma": [("polygamma", lambda x, n: F.polygamma(n, x), _polygamma)],
    "floor": [("floor", F.floor, np.floor)],
    "ceil": [("ceil", F.ceil, np.ceil)],
    "sign": [("sign", F.sign, np.sign)],
    "maximum": [("maximum", F.maximum, np.maximum),
                ("maximum", F.maximum, np.maximum, "chainer")],
    "minimum": [("minimum", F.minimum, np.minimum),
                ("minimum", F.minimum, np.minimum, "chainer")],
    "fmod": [("fmod", F.fmod, np.fmod)],
    "arctan2": [("arctan2", F.arctan2, np.arctan2)],
    "lerp": [("lerp", F.lerp, _lerp)],
    "prod": [("prod", F.prod, _prod)],
    "cumsum": [("cumsum", F.cumsum, _cumsum)],
    "cumprod": [("cumprod", F.cumprod, _cumprod)],
    "flip": [("flip", F.flip, lambda x, axis: np.flip(x, axis))],
    "tile": [("tile", F.tile, np.tile)],
    "repeat": [("repeat", F.repeat, lambda x, repeats, axis: np.repeat(x, repeats, axis))],
    "flatten": [("flatten", F.flatten, lambda x: x.reshape(-1))],
    "moveaxis": [("moveaxis", F.moveaxis, _moveaxis)],
    "tensordot": [("tensordot", F.tensordot, lambda a, b, axes: np.tensordot(a, b, axes))],
    "einsum": [("einsum", lambda *xs, subscripts: F.einsum(subscripts, *xs),
                lambda *xs, subscripts: np.asarray(np.einsum(subscripts, *xs)))],
    "bmm": [("bmm", F.bmm, np.matmul)],
    "elu": [("elu", F.elu, lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(x)))],
    "selu": [("selu", F.selu, lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * np.expm1(x)))],
    "celu": [("celu", F.celu, lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(x / alpha)))],
    "softplus": [("softplus", F.softplus, _softplus),
                 ("softplus", F.softplus, lambda x, beta=1.0: _softplus(x, beta, None), "chainer")],
    "hard_sigmoid": [("hard_sigmoid", F.hard_sigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
                     ("hard_sigmoid", F.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1),
                      "chainer")],
    "silu": [("silu", F.silu, lambda x: x * _sigmoid(x))],
    "relu6": [("relu6", F.relu6, _clip_strict(0.0, 6.0))],
    "clipped_relu": [("clipped_relu", F.clipped_relu, lambda x, z=20.0: np.clip(x, 0, z))],
    "hardtanh": [("hardtanh", F.hardtanh,
                  lambda x, min_val=-1.0, max_val=1.0: np.clip(x, min_val, max_val))],
    "log_sigmoid": [("log_sigmoid", F.log_sigmoid, lambda x: -np.logaddexp(0.0, -x))],
    "softsign": [("softsign", F.softsign, lambda x: x / (1 + np.abs(x)))],
    "tanhshrink": [("tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x))],
    "rrelu": [("rrelu", F.rrelu, lambda x, lower=0.125, upper=1 / 3:
               np.where(x > 0, x, (lower + upper) / 2 * x))],
    "gelu": [("gelu", F.gelu, lambda x, approximate="none": (
        0.5 * x * (1 + _vectorize(math.erf, otypes=[float])(x / math.sqrt(2)))
        if approximate == "none" else
        0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))))],
    "mish": [("mish", F.mish, lambda x: x * np.tanh(np.logaddexp(0.0, x)))],
    "hardswish": [("hardswish", F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6)],
    "hardshrink": [("hardshrink", F.hardshrink,
                    lambda x, lambd=0.5: np.where(np.abs(x) > lambd, x, 0.0))],
    "softshrink": [("softshrink", F.softshrink, lambda x, lambd=0.5: np.where(
        x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0.0)))],
    "softmin": [("softmin", F.softmin, lambda x, axis: np.exp(-x - np.max(-x, axis, keepdims=True))
                 / np.sum(np.exp(-x - np.max(-x, axis, keepdims=True)), axis, keepdims=True))],
    "glu": [("glu", F.glu, lambda x, axis=-1: np.split(x, 2, axis)[0]
             / (1 + np.exp(-np.split(x, 2, axis)[1])))],
    "crelu": [("crelu", F.crelu, lambda x, axis=1:
               np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)], axis))],
}


def cases(op_case, sample):
    """{subject: [OpCase]} built with the test module's ``OpCase`` and ``Sample`` classes, on
    the registry's samples (the API of the policy's framework)."""
    import refimpl

    result = {}
    for subject, rows in REFERENCES.items():
        entry = subjects.get(subject)
        result[subject] = []
        for row in rows:
            name, function, reference = row[:3]
            policy = row[3] if len(row) > 3 else "torch"
            api = subjects.Api(_features(policy), refimpl.POLICIES[policy])
            strategy = entry.strategy(api).map(
                lambda s: sample(tuple(np.asarray(a, dtype=np.float64) for a in s.leaves()),
                                 dict(s.kwargs)))
            result[subject].append(op_case(name, function, reference, strategy, policy=policy,
                                           differentiable=entry.differentiable_under(
                                               refimpl.POLICIES[policy])))
    return result


def _features(policy):
    from conformance import frameworks
    return frozenset(frameworks.features_of_policy(policy))
