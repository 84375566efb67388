"""refimpl keeps data on the device it was created on.

Two parts:

(a) **A fake device, on any machine.** ``DeviceArray`` is a marked NumPy subclass and
    ``FakeCupy`` NumPy's namespace as CuPy would be: its functions return DeviceArrays and
    reject host arrays. ``refimpl._backend.cupy`` is replaced by a FakeCupy, so the real
    ``get_array_module`` picks it for DeviceArray data exactly as it picks CuPy for
    ``cupy.ndarray``. A host copy then shows up as

    1. an output or gradient that is a plain ``numpy.ndarray`` (``numpy.asarray(x)`` and
       ``numpy.array(x)`` strip the mark, as they would copy a CuPy array to the host);
    2. a ``HostArrayError`` where a host array meets a device array in one operation, or is
       handed to the fake CuPy (CuPy raises TypeError there too): host index arrays,
       masks, constants, ``numpy.random`` draws, ``numpy.full`` seeds;
    3. a ``HostArrayError`` for ``numpy.<function>`` called on device data (through
       ``__array_function__``): refimpl must ask ``get_array_module`` instead (NumPy
       *ufuncs* on device data stay allowed: CuPy implements ``__array_ufunc__``, so
       ``numpy.exp(cupy_array)`` runs on the GPU too);
    4. a recorded *sync*: ``float()``, ``int()``, ``bool()``, ``.item()``, ``.tolist()`` of
       a device array (a device-to-host transfer), with the refimpl line that did it.

    Every case runs twice, on host arrays and on DeviceArrays, and must give bitwise the
    same values (the fake computes with NumPy underneath), DeviceArrays everywhere, and no
    sync beyond the ones the case declares (with the reason). ``test_detector_*`` plant a
    host copy of each kind in refimpl and show that the check turns red.

(b) **Real CuPy**, only where ``cupy`` imports and sees a GPU (skipped with the reason
    otherwise): the same cases on ``cupy`` arrays agree with NumPy within the dtype's
    tolerance, and mixing devices raises ``refimpl.DeviceMismatchError``.
"""
import dataclasses
import importlib
import os
import traceback
import types
from typing import Callable

import numpy
import pytest

import refimpl
import refimpl.functions as F
from refimpl import _backend
from refimpl.functions import rnn as R

REFIMPL_DIR = os.path.dirname(os.path.abspath(refimpl.__file__))


# ======================================================================================
# The fake device
# ======================================================================================

class HostArrayError(TypeError):
    """A host (NumPy) array met device data, or NumPy was called on device data."""


SYNCS = []  # (what, refimpl file:line) of each device-to-host transfer seen


def _refimpl_line():
    """'refimpl/...py:LINE' of the innermost refimpl frame on the stack, or '?'."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if frame.filename.startswith(REFIMPL_DIR):
            return f"refimpl{frame.filename[len(REFIMPL_DIR):]}:{frame.lineno}"
    return "?"


def _record_sync(what):
    SYNCS.append((what, _refimpl_line()))


def _flatten(values):
    for value in values:
        if isinstance(value, (tuple, list)):
            yield from _flatten(value)
        else:
            yield value


def _is_host_array(value):
    return isinstance(value, numpy.ndarray) and not isinstance(value, DeviceArray)


def _unwrap(value):
    """DeviceArrays as plain views (so NumPy computes), recursively through sequences."""
    if isinstance(value, DeviceArray):
        return value.view(numpy.ndarray)
    if isinstance(value, tuple):
        return tuple(_unwrap(v) for v in value)
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _wrap(value):
    """Results on the device: arrays and NumPy scalars become DeviceArrays (CuPy returns
    0-d arrays where NumPy returns scalars)."""
    if isinstance(value, numpy.ndarray):
        return value.view(DeviceArray)
    if isinstance(value, numpy.generic):
        return numpy.asarray(value).view(DeviceArray)
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _reject_host_arrays(where, values):
    hosts = [v for v in _flatten(values) if _is_host_array(v)]
    if hosts:
        shapes = ", ".join(f"numpy.ndarray{h.shape} {h.dtype}" for h in hosts)
        raise HostArrayError(f"host array(s) {shapes} given to {where} with device data "
                             f"[{_refimpl_line()}]")


class DeviceArray(numpy.ndarray):
    """A NumPy array that stands for an array on the (fake) GPU."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        where = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        checked = list(inputs)
        if method == "at":  # the index may be host arrays (CuPy accepts NumPy index arrays)
            checked = [inputs[0]] + list(inputs[2:])
        out = kwargs.get("out") or ()
        _reject_host_arrays(where, checked + list(out) + [kwargs.get("where")])
        args = _unwrap(inputs)
        if out:
            kwargs["out"] = _unwrap(tuple(out))
        if isinstance(kwargs.get("where"), numpy.ndarray):
            kwargs["where"] = _unwrap(kwargs["where"])
        result = getattr(ufunc, method)(*args, **kwargs)
        if method == "at":
            return None
        if out:
            return out[0] if len(out) == 1 else tuple(out)
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        raise HostArrayError(f"numpy.{func.__name__} called on device data; refimpl must use "
                             f"the array module from get_array_module [{_refimpl_line()}]")

    # NumPy's ``a ** b`` converts a 0-d exponent with float() to look for a fast path; CuPy
    # does not, so the fake computes the power as CuPy does (no transfer).
    def __pow__(self, other):
        return numpy.power(self, other)

    def __rpow__(self, other):
        return numpy.power(other, self)

    # device-to-host transfers: recorded, then done
    def get(self):
        return numpy.array(self.view(numpy.ndarray))

    def item(self, *args):
        _record_sync("item()")
        return self.view(numpy.ndarray).item(*args)

    def tolist(self):
        _record_sync("tolist()")
        return self.view(numpy.ndarray).tolist()

    def __float__(self):
        _record_sync("float()")
        return float(self.view(numpy.ndarray))

    def __int__(self):
        _record_sync("int()")
        return int(self.view(numpy.ndarray))

    def __index__(self):
        _record_sync("__index__")
        return self.view(numpy.ndarray).__index__()

    def __bool__(self):
        _record_sync("bool()")
        return bool(self.view(numpy.ndarray))


# Functions of the fake CuPy that take host data on purpose: the explicit host-to-device copy.
TRANSFERS = {"asarray", "array", "asanyarray"}


def _device_function(function, name):
    def call(*args, **kwargs):
        if function.__name__ not in TRANSFERS:
            _reject_host_arrays(f"cupy.{name}", list(args) + list(kwargs.values()))
        return _wrap(function(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}))
    call.__name__ = function.__name__
    return call


class _DeviceUfunc:
    """A NumPy ufunc as CuPy's: host array operands raise."""

    def __init__(self, ufunc):
        self._ufunc = ufunc

    def __call__(self, *args, **kwargs):
        _reject_host_arrays(f"cupy.{self._ufunc.__name__}", list(args) + list(kwargs.values()))
        return _wrap(self._ufunc(*args, **kwargs))

    def at(self, a, indices, b=None):
        _reject_host_arrays(f"cupy.{self._ufunc.__name__}.at", [a, b])
        return self._ufunc.at(a, indices, b)

    def __getattr__(self, name):
        method = getattr(self._ufunc, name)
        return _device_function(method, f"{self._ufunc.__name__}.{name}") if callable(method) \
            else method


class FakeCupy:
    """NumPy's namespace (or one of its submodules) as the fake CuPy."""

    def __init__(self, module=numpy):
        self._module = module

    ndarray = DeviceArray

    def __getattr__(self, name):
        value = getattr(self._module, name)
        if isinstance(value, types.ModuleType):
            return FakeCupy(value)
        if isinstance(value, numpy.ufunc):
            return _DeviceUfunc(value)
        if isinstance(value, type) or not callable(value):
            return value  # dtypes, classes, constants
        return _device_function(value, name)

    @staticmethod
    def asnumpy(array):
        return array.get() if isinstance(array, DeviceArray) else numpy.asarray(array)


@dataclasses.dataclass(frozen=True)
class Device:
    """Where a case runs: ``put`` copies a host array there, ``holds`` tells its arrays."""

    name: str
    put: Callable
    holds: Callable


HOST = Device("host", lambda a: numpy.array(a), lambda a: type(a) is numpy.ndarray)


@pytest.fixture
def fake_device(monkeypatch):
    """The fake GPU: refimpl sees DeviceArrays as CuPy arrays while the test runs."""
    monkeypatch.setattr(_backend, "cupy", FakeCupy())
    SYNCS.clear()
    yield Device("fake", lambda a: numpy.array(a).view(DeviceArray),
                 lambda a: type(a) is DeviceArray)
    SYNCS.clear()


# ======================================================================================
# Cases: one call of refimpl on a few arrays, run on the host and on a device
# ======================================================================================

def values(*shape, low=-2.0, high=2.0, dtype="float64", seed=0, avoid_zero=False):
    """Random host array; ``avoid_zero`` keeps |v| >= 0.1 (kinks of abs, relu)."""
    rng = numpy.random.default_rng(seed)
    array = rng.uniform(low, high, shape)
    if avoid_zero:
        array = numpy.where(numpy.abs(array) < 0.1, 0.1 + numpy.abs(array), array)
    return array.astype(dtype)


def positive(*shape, **kwargs):
    return values(*shape, low=0.5, high=2.0, **kwargs)


@dataclasses.dataclass(frozen=True)
class Case:
    """``call(*variables, *constants)`` with a Variable (requires_grad) per ``arrays`` entry;
    ``constants`` that are arrays (labels, masks, indices, weights) go to the same device.
    ``syncs``: why this call may copy a few values to the host ('': it must not)."""

    name: str
    call: Callable
    arrays: tuple
    constants: tuple = ()
    policy: str = "torch"
    syncs: str = ""


def _as_tuple(value):
    """Outputs as a flat tuple (nested tuples such as ``(output, (h_n, c_n))`` flattened)."""
    if isinstance(value, (tuple, list)):
        return tuple(y for item in value for y in _as_tuple(item))
    return (value,)


def run_case(case, device):
    """(output arrays, gradient arrays) of ``case`` on ``device``: the forward pass, then the
    vector-Jacobian product of every differentiable output with fixed output gradients."""
    with refimpl.semantics(case.policy):
        xs = [refimpl.Variable(device.put(a), requires_grad=True) for a in case.arrays]
        constants = [device.put(c) if isinstance(c, numpy.ndarray) else c
                     for c in case.constants]
        outputs = _as_tuple(case.call(*xs, *constants))
        differentiable = [y for y in outputs if y.requires_grad and y.dtype.kind == "f"]
        seeds = [refimpl.Variable(device.put(values(*y.shape, dtype=y.dtype, seed=10 + i)))
                 for i, y in enumerate(differentiable)]
        grads = refimpl.grad(differentiable, xs, seeds, allow_unused=True) if differentiable \
            else [None] * len(xs)
    return [y.data for y in outputs], [None if g is None else g.data for g in grads]


def same_values(actual, expected):
    """Same dtype and shape, values equal to 8 ulp (the fake computes with NumPy underneath,
    but NumPy's ``a ** b`` takes a fast path for some scalar exponents that it, as CuPy,
    does not), NaN where NaN."""
    if actual.dtype != expected.dtype or actual.shape != expected.shape:
        return False
    if actual.dtype.kind not in "fc":
        return numpy.array_equal(actual, expected)
    eps = numpy.finfo(actual.dtype).eps
    scale = float(numpy.nanmax(numpy.abs(expected), initial=1.0))
    return numpy.allclose(actual, expected, rtol=8 * eps, atol=8 * eps * scale, equal_nan=True)


def device_problems(case, device, agree=same_values):
    """What went wrong when ``case`` ran on ``device`` instead of the host (empty: nothing)."""
    host_outputs, host_grads = run_case(case, HOST)
    SYNCS.clear()
    outputs, grads = run_case(case, device)
    problems = []
    for kind, expected, actual in (("output", host_outputs, outputs),
                                   ("gradient", host_grads, grads)):
        for index, (e, a) in enumerate(zip(expected, actual)):
            if e is None and a is None:
                continue
            if e is None or a is None:
                problems.append(f"{kind} {index}: {a!r} on {device.name} vs {e!r} on the host")
            elif not device.holds(a):
                problems.append(f"{kind} {index} is a {type(a).__module__}.{type(a).__name__} "
                                f"(left the device)")
            elif not agree(_backend.to_numpy(a) if not isinstance(a, DeviceArray) else a.get(), e):
                problems.append(f"{kind} {index} differs from the host's")
    if SYNCS and not case.syncs:
        problems.append(f"device-to-host transfers: {SYNCS}")
    return problems


X34 = values(3, 4, seed=1)
X34_NONZERO = values(3, 4, seed=1, avoid_zero=True)
DISTINCT = (numpy.arange(12.0).reshape(3, 4) * 0.37 % 1.9 - 0.9)  # no ties
TIES = numpy.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 2.0], [0.5, 0.5, 0.5, 0.5]])


def _elementwise_cases():
    cases = [Case(name, getattr(F, name), (X34_NONZERO,))
             for name in ("abs", "cos", "exp", "sigmoid", "sin", "tanh", "neg", "relu")]
    cases += [
        Case("log", F.log, (positive(3, 4),)),
        Case("sqrt", F.sqrt, (positive(3, 4),)),
        Case("leaky_relu", lambda x: F.leaky_relu(x, 0.1), (X34_NONZERO,)),
        Case("leaky_relu-chainer default", F.leaky_relu, (X34_NONZERO,), policy="chainer"),
        Case("clip", lambda x: F.clip(x, -0.5, 0.7), (X34_NONZERO,)),
        Case("cast", lambda x: F.cast(x, "float32"), (X34,)),
    ]
    return cases


def _arithmetic_cases():
    b4 = values(4, seed=2, avoid_zero=True)
    return [
        Case("add-broadcast", F.add, (X34, b4)),
        Case("sub-broadcast", F.sub, (X34, b4)),
        Case("mul-broadcast", F.mul, (X34, b4)),
        Case("div-broadcast", F.div, (X34, b4)),
        Case("pow", F.pow, (positive(3, 4), values(3, 4, seed=3, low=-1, high=2))),
        Case("python scalars", lambda x: (2.5 * x + 1.0) / 3.0 - x ** 3, (X34,)),
        Case("reciprocal", lambda x: 2.0 / x, (X34_NONZERO,)),
        Case("float32 with a python scalar", lambda x: x * 0.5, (X34.astype("float32"),)),
        Case("chainer integer-free scalars", lambda x: x / 4 + 1, (X34,), policy="chainer"),
        Case("matmul-batched", F.matmul, (values(2, 3, 4), values(4, 5, seed=4))),
        Case("dot", F.dot, (values(4), values(4, seed=5))),
    ]


def _reduction_cases():
    return [
        Case("sum-axis-keepdims", lambda x: F.sum(x, 1, keepdims=True), (X34,)),
        Case("mean", F.mean, (X34,)),
        Case("max-all", F.max, (DISTINCT,)),
        Case("max-axis (values, indices)", lambda x: F.max(x, 1), (DISTINCT,)),
        Case("min-axes", lambda x: F.min(x, (0, 1)), (DISTINCT,)),
        Case("max ties torch", lambda x: F.max(x, 1), (TIES,)),
        Case("max ties chainer", lambda x: F.max(x, 1), (TIES,), policy="chainer"),
        Case("max ties no axis chainer", F.max, (TIES,), policy="chainer"),
        Case("logsumexp", lambda x: F.logsumexp(x, 0), (X34,)),
        Case("argmax", lambda x: F.argmax(x, 1), (DISTINCT,)),
        Case("argmin-all", F.argmin, (DISTINCT,)),
        Case("argmax chainer", lambda x: F.argmax(x, 1), (DISTINCT,), policy="chainer"),
        Case("topk", lambda x: F.topk(x, 2, axis=1), (DISTINCT,)),
        Case("topk-smallest", lambda x: F.topk(x, 2, axis=0, largest=False), (DISTINCT,)),
    ]


def _shape_cases():
    x3 = values(2, 3, 4, seed=6)
    return [
        Case("reshape", lambda x: F.reshape(x, (4, 3)), (X34,)),
        Case("transpose", F.transpose, (x3,)),
        Case("permute", lambda x: F.permute(x, (2, 0, 1)), (x3,)),
        Case("swapaxes", lambda x: F.swapaxes(x, 0, 2), (x3,)),
        Case("broadcast_to", lambda x: F.broadcast_to(x, (2, 3, 4)), (values(3, 1),)),
        Case("sum_to", lambda x: F.sum_to(x, (1, 4)), (X34,)),
        Case("squeeze", lambda x: F.squeeze(x, 1), (values(3, 1, 4),)),
        Case("expand_dims", lambda x: F.expand_dims(x, 1), (X34,)),
        Case("unsqueeze", lambda x: F.unsqueeze(x, -1), (X34,)),
        Case("concat", lambda a, b: F.concat([a, b], axis=1), (X34, values(3, 2, seed=7))),
        Case("concat-chainer default axis", lambda a, b: F.concat([a, b]),
             (X34, values(3, 2, seed=7)), policy="chainer"),
        Case("stack", lambda a, b: F.stack([a, b], axis=1), (X34, values(3, 4, seed=8))),
        Case("split-sizes", lambda x: F.split(x, [1, 3], axis=1), (X34,)),
        Case("split-points chainer", lambda x: F.split(x, [1, 3], axis=1), (X34,),
             policy="chainer"),
    ]


def _indexing_cases():
    mask = numpy.array([[True, False, True, True], [False, False, True, False],
                        [True, True, False, False]])
    return [
        Case("getitem-basic", lambda x: x[1:, ::-2, None], (X34,)),
        Case("getitem-int", lambda x: x[-1], (X34,)),
        Case("getitem-device index array", lambda x, i: x[i], (X34,),
             (numpy.array([2, 0, 2, 1]),)),
        Case("getitem-device index array and slice", lambda x, i: x[:, i], (X34,),
             (numpy.array([[3, 0], [3, 3]]),)),
        Case("getitem-list index", lambda x: x[[0, 2, 0]], (X34,)),
        Case("getitem-device mask", lambda x, m: x[m], (X34,), (mask,)),
        Case("where-device condition", lambda x, y, c: F.where(c, x, y),
             (X34, values(4, seed=9)), (mask,)),
        Case("where-scalar", lambda x, c: F.where(c, x, 0.5), (X34,), (mask,)),
    ]


def _softmax_cases():
    return [
        Case("softmax", lambda x: F.softmax(x, 1), (X34,)),
        Case("log_softmax", lambda x: F.log_softmax(x, 0), (X34,)),
        Case("softmax-chainer default axis", F.softmax, (X34,), policy="chainer"),
    ]


OP_CASES = (_elementwise_cases() + _arithmetic_cases() + _reduction_cases() + _shape_cases()
            + _indexing_cases() + _softmax_cases())


def _conv_cases():
    f32 = dict(dtype="float32")
    x = values(2, 4, 5, 5, **f32)
    W = values(6, 2, 3, 3, seed=2, **f32)
    b = values(6, seed=3, **f32)
    return [
        Case("conv2d stride pad groups bias", lambda x, W, b: F.conv2d(x, W, b, 2, 1, groups=2),
             (x, W, b)),
        Case("conv2d dilation pad='same'",
             lambda x, W: F.conv2d(x, W, None, 1, "same", dilation=2, groups=2), (x, W)),
        Case("convolution_2d cover_all chainer",
             lambda x, W, b: F.convolution_2d(x, W, b, 2, 0, cover_all=True, groups=2),
             (x, W, b), policy="chainer"),
        Case("conv2d float64 unbatched", lambda x, W: F.conv2d(x, W, pad=1),
             (values(4, 5, 5), values(3, 4, 3, 3, seed=4))),
        Case("conv_transpose2d output_padding",
             lambda x, W, b: F.conv_transpose2d(x, W, b, 2, 1, output_padding=1),
             (values(2, 4, 3, 3, **f32), values(4, 3, 3, 3, seed=5, **f32),
              values(3, seed=6, **f32))),
        Case("deconvolution_2d outsize chainer",
             lambda x, W: F.deconvolution_2d(x, W, None, 2, 1, outsize=(6, 6)),
             (values(2, 4, 3, 3, **f32), values(4, 3, 3, 3, seed=5, **f32)), policy="chainer"),
    ]


def _pooling_cases():
    x = values(2, 3, 5, 5, dtype="float32", seed=11)
    nan_x = x.copy()
    nan_x[0, 0, 1, 1] = numpy.nan
    return [
        Case("max_pool2d ceil_mode pad", lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
             (x,)),
        Case("max_pooling_2d cover_all chainer", lambda x: F.max_pooling_2d(x, 2),
             (x,), policy="chainer"),
        Case("max_pool2d with NaN", lambda x: F.max_pool2d(x, 2, 1), (nan_x,)),
        Case("avg_pool2d count_include_pad=False",
             lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), (x,)),
        Case("average_pooling_2d chainer", lambda x: F.average_pooling_2d(x, 2, 1, 1), (x,),
             policy="chainer"),
    ]


def _linear_cases():
    f32 = dict(dtype="float32")
    return [
        Case("linear bias", F.linear, (values(4, 3, **f32), values(5, 3, seed=2, **f32),
                                       values(5, seed=3, **f32))),
        Case("linear 3-D torch layout", F.linear,
             (values(2, 4, 3), values(5, 3, seed=2), values(5, seed=3))),
        Case("linear flatten chainer", F.linear,
             (values(2, 3, 2), values(5, 6, seed=2), values(5, seed=3)), policy="chainer"),
    ]


def _loss_cases():
    x = values(4, 3, seed=12)
    t = values(4, 3, seed=13)
    labels = numpy.array([2, 0, -100, 1])
    return [
        Case("mse_loss", F.mse_loss, (x, t)),
        Case("mse_loss weight sum", lambda x, t, w: F.mse_loss(x, t, "sum", w), (x, t),
             (positive(4, 3, seed=14),)),
        Case("mean_squared_error chainer", F.mean_squared_error, (x, t), policy="chainer"),
        Case("binary_cross_entropy_with_logits weights",
             lambda x, t, w, p: F.binary_cross_entropy_with_logits(x, t, "mean", p, w),
             (x, values(4, 3, low=0, high=1, seed=15)),
             (positive(4, 3, seed=16), positive(3, seed=17))),
        Case("softmax_cross_entropy weight smoothing",
             lambda x, t, w: F.softmax_cross_entropy(x, t, w, label_smoothing=0.1), (x,),
             (labels, positive(3, seed=18)), syncs="label range check (IndexError, as torch)"),
        Case("softmax_cross_entropy sum", lambda x, t: F.softmax_cross_entropy(
            x, t, reduction="sum"), (x,), (labels,),
            syncs="label range check (IndexError, as torch)"),
        Case("softmax_cross_entropy soft targets",
             lambda x, q: F.softmax_cross_entropy(x, q), (x,),
             (values(4, 3, low=0, high=1, seed=19),)),
        Case("chainer_softmax_cross_entropy class_weight",
             lambda x, t, w: F.chainer_softmax_cross_entropy(x, t, class_weight=w,
                                                             enable_double_backprop=True),
             (x,), (numpy.array([2, 0, -1, 1], dtype=numpy.int32), positive(3, seed=20)),
             policy="chainer", syncs="label range check (ValueError, as chainer's debug mode)"),
        Case("sigmoid_cross_entropy", F.sigmoid_cross_entropy, (x,),
             (numpy.array([[1, 0, -1], [0, 0, 1], [1, 1, 1], [-1, 0, 0]], dtype=numpy.int32),),
             policy="chainer"),
    ]


def _rnn_cases():
    x, h, c = values(3, 2, seed=21), values(3, 4, seed=22), values(3, 4, seed=23)
    return [
        Case("rnn_tanh_cell", F.rnn_tanh_cell,
             (x, h, values(4, 2, seed=24), values(4, 4, seed=25), values(4, seed=26),
              values(4, seed=27))),
        Case("lstm_cell", lambda x, h, c, *w: F.lstm_cell(x, (h, c), *w),
             (x, h, c, values(16, 2, seed=24), values(16, 4, seed=25), values(16, seed=26),
              values(16, seed=27))),
        Case("lstm_cell no state", lambda x, *w: F.lstm_cell(x, None, *w),
             (x, values(16, 2, seed=24), values(16, 4, seed=25))),
        Case("chainer_lstm smaller batch", F.chainer_lstm,
             (values(4, 3, seed=28), values(2, 12, seed=29)), policy="chainer"),
        Case("lstm sequence bidirectional",
             lambda x, a, b, c, d: R.lstm(x, [(a, b), (c, d)], bidirectional=True),
             (values(5, 2, 3, seed=30), values(8, 3, seed=31), values(8, 2, seed=32),
              values(8, 3, seed=33), values(8, 2, seed=34))),
        Case("rnn sequence relu batch_first",
             lambda x, a, b: R.rnn(x, [(a, b)], nonlinearity="relu", batch_first=True),
             (values(2, 5, 3, seed=35), values(4, 3, seed=36), values(4, 4, seed=37))),
    ]


LAYER_FUNCTION_CASES = (_conv_cases() + _pooling_cases() + _linear_cases() + _loss_cases()
                        + _rnn_cases())


def _double_backward(function):
    """``x -> d<f(x), 1>/dx`` kept differentiable (so run_case differentiates it again)."""
    def first_order(*args):
        xs = [a for a in args if isinstance(a, refimpl.Variable)]
        y = function(*args)
        grads = refimpl.grad([F.sum(y)], xs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)
    return first_order


DOUBLE_BACKWARD_CASES = [
    Case("double backward tanh*exp", _double_backward(lambda x: F.tanh(x) * F.exp(x)), (X34,)),
    Case("double backward conv2d", _double_backward(lambda x, W: F.tanh(F.conv2d(x, W, pad=1))),
         (values(1, 2, 4, 4), values(3, 2, 3, 3, seed=2))),
    Case("double backward max_pool2d", _double_backward(lambda x: F.sin(F.max_pool2d(x, 2))),
         (values(1, 2, 4, 4, seed=3),)),
    Case("double backward logsumexp getitem", _double_backward(
        lambda x: F.logsumexp(x[[0, 2]] * x[1:], 1)), (X34,)),
    Case("double backward softmax_cross_entropy", _double_backward(
        lambda x, t: F.softmax_cross_entropy(x, t)), (values(4, 3),),
        (numpy.array([2, 0, 1, 1]),), syncs="label range check (IndexError, as torch)"),
]

ALL_CASES = OP_CASES + LAYER_FUNCTION_CASES + DOUBLE_BACKWARD_CASES

# Known device-safety defects in files owned elsewhere, each reported with its fix. strict:
# the case fails the suite again once the defect is fixed, so the entry gets removed.
KNOWN_DEFECTS = {}  # host copies found by this test and not yet fixed: name -> reason


def _params(cases):
    return [pytest.param(case, id=case.name, marks=[pytest.mark.xfail(
        strict=True, reason=KNOWN_DEFECTS[case.name])] if case.name in KNOWN_DEFECTS else [])
            for case in cases]


@pytest.mark.parametrize("case", _params(ALL_CASES))
def test_stays_on_device(case, fake_device):
    problems = device_problems(case, fake_device)
    assert not problems, f"{case.name}: " + "; ".join(problems)


# ======================================================================================
# The detector turns red on a planted host copy of each kind
# ======================================================================================

linear_module = importlib.import_module("refimpl.functions.linear")  # (F.linear is the function)
loss_module = importlib.import_module("refimpl.functions.loss")

LINEAR = next(c for c in ALL_CASES if c.name == "linear bias")
SOFTPLUS = Case("softplus", loss_module.softplus, (X34,))


def problems_or_error(case, device):
    """``device_problems``, or the HostArrayError the run raised, as a list of strings."""
    try:
        return device_problems(case, device)
    except HostArrayError as error:
        return [f"HostArrayError: {error}"]


def _plant(monkeypatch, cls, make_forward):
    original = cls.forward
    monkeypatch.setattr(cls, "forward", make_forward(original))


def test_detector_sees_numpy_asarray_of_an_output(fake_device, monkeypatch):
    _plant(monkeypatch, linear_module.LinearFunction, lambda original: (
        lambda self, *arrays: numpy.asarray(original(self, *arrays))))
    assert not problems_or_error(LINEAR, HOST)  # still right on the host
    problems = problems_or_error(LINEAR, fake_device)
    assert any("left the device" in p for p in problems), problems


def test_detector_sees_a_host_constant_mixed_with_device_data(fake_device, monkeypatch):
    _plant(monkeypatch, loss_module.Softplus, lambda original: (
        lambda self, x: original(self, x) + numpy.zeros(x.shape, x.dtype)))
    assert not problems_or_error(SOFTPLUS, HOST)
    problems = problems_or_error(SOFTPLUS, fake_device)
    assert any("HostArrayError" in p and "numpy.add" in p for p in problems), problems


def test_detector_sees_a_numpy_random_draw(fake_device, monkeypatch):
    _plant(monkeypatch, loss_module.Softplus, lambda original: (
        lambda self, x: original(self, x) + 0 * numpy.random.default_rng(0).normal(size=x.shape)))
    assert not problems_or_error(SOFTPLUS, HOST)
    assert any("HostArrayError" in p for p in problems_or_error(SOFTPLUS, fake_device))


def test_detector_sees_numpy_functions_called_on_device_data(fake_device, monkeypatch):
    monkeypatch.setattr(linear_module.LinearFunction, "forward",
                        lambda self, x, W, b=None: numpy.dot(x, W.T) + b)
    assert not problems_or_error(LINEAR, HOST)
    problems = problems_or_error(LINEAR, fake_device)
    assert any("numpy.dot called on device data" in p for p in problems), problems


def test_detector_sees_a_sync_in_a_hot_path(fake_device, monkeypatch):
    _plant(monkeypatch, linear_module.LinearFunction, lambda original: (
        lambda self, x, W, b=None: original(self, x, W, b) * (float(x.sum()) * 0 + 1)))
    assert not problems_or_error(LINEAR, HOST)
    problems = problems_or_error(LINEAR, fake_device)
    assert any("device-to-host transfers: [('float()'" in p for p in problems), problems


def test_fake_device_is_picked_from_the_data(fake_device):
    device_array = fake_device.put(X34)
    assert _backend.get_array_module(device_array) is _backend.cupy
    assert _backend.get_array_module(X34) is numpy
    with pytest.raises(refimpl.DeviceMismatchError):
        _backend.get_array_module(device_array, X34)


# ======================================================================================
# Devices do not mix: a clear DeviceMismatchError, never a silent copy
# ======================================================================================

MIXED_CALLS = {
    "add": lambda on, off: F.add(on(X34), off(X34)),
    "matmul": lambda on, off: F.matmul(on(X34), off(X34.T)),
    "where condition": lambda on, off: F.where(off(numpy.ones((3, 4), bool)) > 0, on(X34), on(X34)),
    "linear bias": lambda on, off: F.linear(on(X34), on(values(2, 4)), off(values(2))),
    "conv2d bias": lambda on, off: F.conv2d(on(values(1, 2, 3, 3)), on(values(2, 2, 1, 1)),
                                            off(values(2))),
    "mse_loss weight": lambda on, off: F.mse_loss(on(X34), on(X34), weight=off(X34)),
    "bce pos_weight": lambda on, off: F.binary_cross_entropy_with_logits(
        on(X34), on(X34), pos_weight=off(values(4))),
    "cross entropy labels": lambda on, off: F.softmax_cross_entropy(
        on(X34), off(numpy.array([0, 1, 2]))),
    "cross entropy soft targets": lambda on, off: F.softmax_cross_entropy(on(X34), off(X34)),
    "chainer cross entropy class_weight": lambda on, off: F.chainer_softmax_cross_entropy(
        on(X34), on(numpy.array([0, 1, 2], numpy.int32)), class_weight=positive(4)),
    "sigmoid_cross_entropy labels": lambda on, off: F.sigmoid_cross_entropy(
        on(X34), off(numpy.zeros((3, 4), numpy.int32))),
}


MIXING_DEFECTS = {}  # device mixes that do not raise yet: name -> reason


@pytest.mark.parametrize("name", [pytest.param(name, marks=[pytest.mark.xfail(
    strict=True, raises=HostArrayError, reason=MIXING_DEFECTS[name])] if name in MIXING_DEFECTS
    else []) for name in sorted(MIXED_CALLS)])
def test_mixing_devices_raises(name, fake_device):
    def on(array):
        return refimpl.Variable(fake_device.put(array)) if array.dtype.kind == "f" \
            else fake_device.put(array)

    def off(array):
        return refimpl.Variable(numpy.array(array)) if array.dtype.kind == "f" \
            else numpy.array(array)

    with pytest.raises(refimpl.DeviceMismatchError):
        MIXED_CALLS[name](on, off)


def test_gradient_check_runs_on_the_device_and_rejects_mixing(fake_device):
    from refimpl.gradient_check import check_backward, numerical_grad
    x = fake_device.put(values(3))
    check_backward(F.tanh, [x])
    grads = numerical_grad(F.sin, [x], [fake_device.put(numpy.ones(3))])
    assert fake_device.holds(grads[0])
    with pytest.raises(refimpl.DeviceMismatchError):
        numerical_grad(F.sin, [x], [numpy.ones(3)])


# ======================================================================================
# Layers, optimizers and serialization on the device
# ======================================================================================

def _layers():
    from refimpl import nn
    return {
        "Linear": (lambda: nn.Linear(3, 5, rng=0), values(4, 3, dtype="float32")),
        "Linear lazy": (lambda: nn.Linear(None, 5, rng=0), values(4, 3, dtype="float32")),
        "Conv2d": (lambda: nn.Conv2d(4, 6, 3, padding=1, groups=2, rng=0),
                   values(2, 4, 5, 5, dtype="float32")),
        "Sequential": (lambda: nn.Sequential(nn.Linear(3, 4, rng=1), F.tanh,
                                             nn.Linear(4, 2, rng=2)),
                       values(4, 3, dtype="float32")),
        "LSTM": (lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, rng=0),
                 values(5, 2, 3, dtype="float32")),
        "RNN": (lambda: nn.RNN(3, 4, nonlinearity="relu", rng=0), values(5, 2, 3, dtype="float32")),
    }


def _run_layer(make, x, device, policy, steps=2):
    """Outputs and parameter grads of ``steps`` calls (the layer moved to ``device``)."""
    with refimpl.semantics(policy):
        layer = make()
        if device is not HOST:
            layer.to_device("cuda")
        results = []
        for step in range(steps):
            y = layer(refimpl.Variable(device.put(x * (step + 1))))
            y = _as_tuple(y)[0]
            F.sum(y * y).backward()
            results.append(y.data)
        results += [p.grad for p in layer.parameters()] + [p.data for p in layer.parameters()]
        return layer, results


@pytest.mark.parametrize("policy", ["torch", "chainer"])
@pytest.mark.parametrize("name", sorted(_layers()))
def test_layer_on_the_device(name, policy, fake_device):
    make, x = _layers()[name]
    _, expected = _run_layer(make, x, HOST, policy)
    SYNCS.clear()
    layer, actual = _run_layer(make, x, fake_device, policy)
    for index, (a, e) in enumerate(zip(actual, expected)):
        assert fake_device.holds(a), f"result {index} is a {type(a).__name__}"
        assert same_values(a.get(), e), f"result {index} differs from the host's"
    assert not SYNCS, SYNCS
    assert layer.device == "cuda"
    layer.to_device("cpu")
    assert all(HOST.holds(p.data) and HOST.holds(p.grad) for p in layer.parameters())
    with pytest.raises(refimpl.DeviceMismatchError):  # a module does not move its inputs
        with refimpl.semantics(policy):
            layer.to_device("cuda")(refimpl.Variable(x))


def test_chainer_lstm_moves_its_state(fake_device):
    from refimpl.nn import ChainerLSTM
    with refimpl.semantics("chainer"):
        layer = ChainerLSTM(3, 4, rng=0)
        layer(refimpl.Variable(values(2, 3, dtype="float32")))
        layer.to_device("cuda")
        assert fake_device.holds(layer.c.data) and fake_device.holds(layer.h.data)
        y = layer(refimpl.Variable(fake_device.put(values(2, 3, dtype="float32", seed=1))))
        assert fake_device.holds(y.data)


def _torch_optimizers():
    from refimpl.optimizers import torch_style as T
    return {
        "torch SGD nesterov": lambda p: T.SGD(p, lr=0.1, momentum=0.9, nesterov=True,
                                              weight_decay=0.01),
        "torch Adam amsgrad": lambda p: T.Adam(p, lr=0.1, amsgrad=True, weight_decay=0.01),
        "torch AdamW": lambda p: T.AdamW(p, lr=0.1),
        "torch RMSprop centered": lambda p: T.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
        "torch Adagrad": lambda p: T.Adagrad(p, lr=0.1, lr_decay=0.01),
    }


def _chainer_optimizers():
    from refimpl.optimizers import chainer_style as C
    return {
        "chainer SGD": lambda: C.SGD(lr=0.1),
        "chainer MomentumSGD": lambda: C.MomentumSGD(lr=0.1),
        "chainer NesterovAG": lambda: C.NesterovAG(lr=0.1),
        "chainer Adam": lambda: C.Adam(alpha=0.1, weight_decay_rate=0.01),
        "chainer AMSBound": lambda: C.AMSBound(alpha=0.1),
        "chainer RMSprop": lambda: C.RMSprop(lr=0.01),
        "chainer RMSpropGraves": lambda: C.RMSpropGraves(lr=0.01),
        "chainer AdaGrad": lambda: C.AdaGrad(lr=0.1),
    }


def _train(optimizer_name, device, steps=3):
    """Parameters and optimizer state after ``steps`` steps of a small model on ``device``."""
    from refimpl import nn
    from refimpl.optimizers import clip_grad_norm_, clip_grad_value_, hooks
    torch_style = optimizer_name.startswith("torch")
    with refimpl.semantics("torch" if torch_style else "chainer"):
        model = nn.Sequential(nn.Linear(3, 4, rng=0), F.tanh, nn.Linear(4, 2, rng=1))
        if device is not HOST:
            model.to_device("cuda")
        if torch_style:
            optimizer = _torch_optimizers()[optimizer_name](list(model.parameters()))
        else:
            optimizer = _chainer_optimizers()[optimizer_name]()
            optimizer.setup(model)
            optimizer.add_hook(hooks.WeightDecay(0.01))
            optimizer.add_hook(hooks.GradientHardClipping(-0.5, 0.5))
        x = refimpl.Variable(device.put(values(5, 3, dtype="float32")))
        for _ in range(steps):
            model.cleargrads()
            y = model(x)
            F.sum(y * y).backward()
            if torch_style:
                clip_grad_norm_(list(model.parameters()), 1.0)
                clip_grad_value_(list(model.parameters()), 0.4)
                optimizer.step()
            else:
                optimizer.update()
        params = [p.data for p in model.parameters()]
        if torch_style:
            state = [v for s in optimizer.state.values() for v in s.values()
                     if hasattr(v, "shape")]
        else:
            state = [v for p in model.params() for v in (p.update_rule.state or {}).values()]
        return params + state


@pytest.mark.parametrize("name", sorted(_torch_optimizers()) + sorted(_chainer_optimizers()))
def test_optimizer_steps_on_the_device(name, fake_device):
    expected = _train(name, HOST)
    SYNCS.clear()
    actual = _train(name, fake_device)
    assert len(actual) == len(expected)
    for index, (a, e) in enumerate(zip(actual, expected)):
        assert fake_device.holds(a), f"{name}: array {index} is a {type(a).__name__}"
        assert same_values(a.get(), e), f"{name}: array {index} differs from the host's"
    assert not SYNCS, SYNCS


def test_optimizer_rejects_a_grad_on_another_device(fake_device):
    from refimpl.optimizers import chainer_style as C, torch_style as T
    from refimpl import nn
    layer = nn.Linear(3, 2, rng=0).to_device("cuda")
    layer.weight.grad = numpy.ones((2, 3), numpy.float32)
    with pytest.raises(refimpl.DeviceMismatchError):
        T.SGD([layer.weight], lr=0.1).step()
    with refimpl.semantics("chainer"):
        optimizer = C.SGD()
        optimizer.setup(layer)
        layer.bias.grad = fake_device.put(numpy.ones(2, numpy.float32))
        with pytest.raises(refimpl.DeviceMismatchError):
            optimizer.update()


def test_serialization_round_trip_through_the_host(fake_device, tmp_path):
    from refimpl import nn, serializers
    from refimpl.optimizers import torch_style as T
    layer = nn.Linear(3, 2, rng=0).to_device("cuda")
    optimizer = T.Adam(list(layer.parameters()), lr=0.1)
    F.sum(layer(refimpl.Variable(fake_device.put(values(4, 3, dtype="float32"))))).backward()
    optimizer.step()
    serializers.save_npz(tmp_path / "layer.npz", layer)  # the file holds host arrays
    serializers.save_npz(tmp_path / "adam.npz", optimizer)
    for layout in ("torch", "chainer"):
        fresh = nn.Linear(3, 2, rng=5).to_device("cuda")
        serializers.save_npz(tmp_path / f"layer-{layout}.npz", layer, layout)
        serializers.load_npz(tmp_path / f"layer-{layout}.npz", fresh, layout)
        for loaded, saved in zip(fresh.parameters(), layer.parameters()):
            assert fake_device.holds(loaded.data)
            assert numpy.array_equal(loaded.data.get(), saved.data.get())
    host = nn.Linear(3, 2, rng=5)  # loading device arrays into a host module copies them
    host.load_state_dict(layer.state_dict())
    assert HOST.holds(host.weight.data)
    fresh_optimizer = T.Adam(list(layer.parameters()), lr=0.1)
    serializers.load_npz(tmp_path / "adam.npz", fresh_optimizer)
    assert all(fake_device.holds(v) for s in fresh_optimizer.state.values()
               for v in s.values() if hasattr(v, "shape"))


# ======================================================================================
# (b) Real CuPy on a GPU
# ======================================================================================

def _gpu_reason():
    """Why the real-CuPy tests cannot run here, or None."""
    cupy = _backend.cupy
    if cupy is None:
        return "cupy is not importable here (refimpl's GPU path runs on CuPy)"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # noqa: BLE001 - no driver, no device: a reason to skip
        return f"cupy sees no GPU: {type(error).__name__}: {error}"
    return None if count else "cupy sees no GPU (device count 0)"


GPU_REASON = _gpu_reason()
requires_gpu = pytest.mark.skipif(GPU_REASON is not None, reason=str(GPU_REASON))

# GPU vs CPU: other summation orders and cuBLAS/cuDNN-free kernels, so a tolerance per dtype
# (a few hundred ulp of the result for float64; float32 as conformance's 'grad' tolerance).
GPU_TOLERANCE = {"float64": (1e-9, 1e-12), "float32": (1e-4, 1e-5), "float16": (3e-2, 1e-2)}


def within_gpu_tolerance(actual, expected):
    if actual.dtype != expected.dtype or actual.shape != expected.shape:
        return False
    if actual.dtype.kind not in "fc":
        return numpy.array_equal(actual, expected)
    rtol, atol = GPU_TOLERANCE[str(actual.dtype)]
    return numpy.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)


@pytest.fixture
def gpu():
    cupy = _backend.cupy
    return Device("cuda", cupy.asarray, lambda a: isinstance(a, cupy.ndarray))


@requires_gpu
@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_gpu_agrees_with_cpu(case, gpu):
    problems = device_problems(case, gpu, agree=within_gpu_tolerance)
    assert not problems, f"{case.name}: " + "; ".join(problems)


@requires_gpu
@pytest.mark.parametrize("name", sorted(MIXED_CALLS))
def test_gpu_mixing_raises_device_mismatch(name, gpu):
    if name in MIXING_DEFECTS:
        pytest.xfail(MIXING_DEFECTS[name])

    def on(array):
        return refimpl.Variable(gpu.put(array)) if array.dtype.kind == "f" else gpu.put(array)

    def off(array):
        return refimpl.Variable(numpy.array(array)) if array.dtype.kind == "f" \
            else numpy.array(array)

    with pytest.raises(refimpl.DeviceMismatchError):
        MIXED_CALLS[name](on, off)


@requires_gpu
def test_gpu_layer_and_optimizer(gpu):
    from refimpl import nn
    from refimpl.optimizers import torch_style as T
    layer = nn.Conv2d(4, 6, 3, padding=1, rng=0)
    host_y = layer(refimpl.Variable(values(2, 4, 5, 5, dtype="float32"))).data
    layer.to_device("cuda")
    optimizer = T.Adam(list(layer.parameters()), lr=0.1)
    y = layer(refimpl.Variable(gpu.put(values(2, 4, 5, 5, dtype="float32"))))
    assert gpu.holds(y.data) and within_gpu_tolerance(y.data.get(), host_y)
    F.sum(y * y).backward()
    optimizer.step()
    assert all(gpu.holds(p.data) and gpu.holds(p.grad) for p in layer.parameters())


@requires_gpu
def test_gpu_getitem_rejects_an_out_of_range_index_array(gpu):
    """CuPy wraps an out-of-range integer-array index around; refimpl raises NumPy's
    IndexError on the GPU as on the CPU (the spec does not depend on the device)."""
    x = refimpl.Variable(gpu.put(values(3, dtype="float32")))
    for key in (gpu.put(numpy.array([0, 3])), numpy.array([0, 3]), gpu.put(numpy.array([-4]))):
        with pytest.raises(IndexError, match="out of bounds"):
            F.getitem(x, key)
    assert F.getitem(x, gpu.put(numpy.array([2, -3]))).data.get().tolist() == \
        values(3, dtype="float32")[[2, -3]].tolist()


def test_writeable_reads_numpy_flags_and_cupy_strides():
    """CuPy arrays have no 'writeable' flag (the GPU run's AttributeError in every in-place
    gradient accumulation): a broadcast view (a zero stride over a longer axis) counts as
    read-only there, as NumPy flags it."""
    assert _backend.writeable(numpy.zeros(3))
    assert not _backend.writeable(numpy.broadcast_to(numpy.zeros(1), (3,)))

    class Flagless:  # CuPy's flags: c_contiguous, f_contiguous, owndata only
        def __init__(self, shape, strides):
            self.flags, self.shape, self.strides = object(), shape, strides

    assert _backend.writeable(Flagless((3, 1), (8, 0)))  # zero stride on a length-1 axis
    assert not _backend.writeable(Flagless((3, 2), (8, 0)))


@requires_gpu
def test_gpu_leaf_gradients_accumulate_in_place(gpu):
    x = refimpl.Variable(gpu.put(values(3, dtype="float32")), requires_grad=True)
    for _ in range(2):
        F.sum(x * 2.0).backward()
    assert gpu.holds(x.grad) and x.grad.get().tolist() == [4.0, 4.0, 4.0]
    x.zerograd()
    assert x.grad.get().tolist() == [0.0, 0.0, 0.0]
