"""Every refimpl op on random inputs: forward values against NumPy, first-order gradients
and second-order gradients against central differences (``refimpl.gradient_check``).

Which ops are checked comes from the one op registry, ``conformance.subjects.entries("op")``;
``CASES_BY_SUBJECT`` gives the cases of each registered subject as data (OpInfo style): the
refimpl call, a direct NumPy reference, a strategy of samples (inputs that dodge the op's
kinks, plus the op's keyword arguments), and the semantics policy it runs under. The three
tests at the bottom are parameterised over ``CASES`` (the registry's order). The kinks
themselves are tested exactly in ``test_ops_exact.py``.
"""
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import refimpl
import refimpl.functions as F
from conformance import subjects
from refimpl.gradient_check import check_backward, check_double_backward, numerical_grad
from tests.refimpl.ops_math_cases import cases as _ops_math_cases
from tests.refimpl.shape_ops2_cases import cases as _shape_ops2_cases

# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------

KINK_MARGIN = 0.05  # inputs stay this far from a kink: far more than the step eps=1e-6


@dataclass(frozen=True)
class Domain:
    """Where an op's inputs are drawn: ``[low, high]`` minus ``KINK_MARGIN`` around ``kinks``."""
    low: float
    high: float
    kinks: tuple = ()

    def elements(self):
        values = st.floats(self.low, self.high, allow_nan=False, allow_infinity=False,
                           allow_subnormal=False)
        if self.kinks:
            kinks = self.kinks
            values = values.filter(lambda v: all(abs(v - k) >= KINK_MARGIN for k in kinks))
        return values


REALS = Domain(-3.0, 3.0)
POSITIVE = Domain(0.2, 3.0)  # log, sqrt, pow base
NONZERO = Domain(-3.0, 3.0, kinks=(0.0,))  # relu, leaky_relu, abs
DENOMINATOR = Domain(-3.0, 3.0, kinks=(-0.45, 0.0, 0.45))  # |b| >= 0.5: div stays tame
EXPONENT = Domain(-2.0, 2.0)

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3).filter(
    lambda shape: math.prod(shape) <= 12)
NONSCALAR_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3).filter(
    lambda shape: math.prod(shape) <= 12)


def arrays(shape, domain=REALS):
    return hnp.arrays(np.float64, shape, elements=domain.elements())


@st.composite
def distinct_arrays(draw, shape):
    """Arrays whose elements differ pairwise by at least 0.1: no ties for max/min/topk."""
    size = math.prod(shape)
    values = draw(st.lists(st.integers(-30, 30), min_size=size, max_size=size, unique=True),
                  label="distinct")
    return (np.asarray(values, dtype=np.float64) / 10).reshape(shape)


def scalars(domain):
    return domain.elements()


@dataclass(frozen=True)
class Sample:
    """Inputs of one call (float64 arrays, differentiated) and its other arguments."""
    arrays: tuple
    kwargs: dict = field(default_factory=dict)


@st.composite
def unary_samples(draw, domain=REALS, shapes=SHAPES, **kwargs):
    shape = draw(shapes, label="shape")
    return Sample((draw(arrays(shape, domain), label="x"),),
                  {k: draw(v, label=k) for k, v in kwargs.items()})


@st.composite
def broadcast_pair_samples(draw, domain_a, domain_b):
    """Two arrays of mutually broadcastable shapes (either side may be the smaller)."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                    max_side=3), label="shapes")
    a_shape, b_shape = shapes.input_shapes
    return Sample((draw(arrays(a_shape, domain_a), label="a"),
                   draw(arrays(b_shape, domain_b), label="b")))


@st.composite
def scalar_operand_samples(draw, array_domain, scalar_domain):
    shape = draw(SHAPES, label="shape")
    return Sample((draw(arrays(shape, array_domain), label="x"),),
                  {"scalar": draw(scalars(scalar_domain), label="scalar")})


def axis_strategy(kind, ndim):
    """Axes of a reduction: 'any' (None, int or tuple), 'int', 'int_or_none', 'tuple_or_none'."""
    options = []
    if kind in ("any", "int_or_none", "tuple_or_none"):
        options.append(st.none())
    if kind in ("any", "tuple_or_none"):
        options.append(hnp.valid_tuple_axes(ndim))
    if kind in ("any", "int", "int_or_none") and ndim:
        options.append(st.integers(-ndim, ndim - 1))
    return st.one_of(options)


@st.composite
def reduction_samples(draw, axes="any", distinct=False):
    """x (values at least 0.1 apart when ``distinct``), an axis of kind ``axes``, keepdims."""
    shape = draw(NONSCALAR_SHAPES if axes == "int" else SHAPES, label="shape")
    x = draw(distinct_arrays(shape) if distinct else arrays(shape), label="x")
    axis = draw(axis_strategy(axes, len(shape)), label="axis")
    return Sample((x,), {"axis": axis, "keepdims": draw(st.booleans(), label="keepdims")})


@st.composite
def matmul_samples(draw, kind):
    n, k, m = (draw(st.integers(1, 3), label=name) for name in "nkm")
    if kind == "1d@1d":
        shapes = (k,), (k,)
    elif kind == "2d@1d":
        shapes = (n, k), (k,)
    elif kind == "1d@2d":
        shapes = (k,), (k, m)
    elif kind == "2d@2d":
        shapes = (n, k), (k, m)
    else:  # batched, with broadcasting batch dimensions on either side
        batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2,
                                                       max_side=2), label="batch")
        a_batch, b_batch = batch.input_shapes
        shapes = a_batch + (n, k), b_batch + (k, m)
    return Sample(tuple(draw(arrays(s), label="operand") for s in shapes))


@st.composite
def reshape_samples(draw):
    shape = draw(SHAPES, label="shape")
    size = math.prod(shape)
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    d = draw(st.sampled_from(divisors), label="d")
    target = draw(st.sampled_from([(size,), (-1,), (d, size // d), (d, -1), (1, d, size // d),
                                   ()] if size == 1 else
                                  [(size,), (-1,), (d, size // d), (d, -1), (1, d, size // d)]),
                  label="target")
    return Sample((draw(arrays(shape), label="x"),), {"shape": target})


@st.composite
def transpose_samples(draw):
    shape = draw(SHAPES, label="shape")
    axes = draw(st.none() | st.permutations(range(len(shape))).map(tuple), label="axes")
    return Sample((draw(arrays(shape), label="x"),), {"axes": axes})


@st.composite
def permute_samples(draw):
    shape = draw(NONSCALAR_SHAPES, label="shape")
    dims = draw(st.permutations(range(len(shape))).map(tuple), label="dims")
    # torch also accepts negative dims
    dims = tuple(d - len(shape) if draw(st.booleans()) else d for d in dims)
    return Sample((draw(arrays(shape), label="x"),), {"dims": dims})


@st.composite
def swapaxes_samples(draw):
    shape = draw(NONSCALAR_SHAPES, label="shape")
    ndim = len(shape)
    axis1, axis2 = (draw(st.integers(-ndim, ndim - 1), label=name) for name in ("axis1", "axis2"))
    return Sample((draw(arrays(shape), label="x"),), {"axis1": axis1, "axis2": axis2})


@st.composite
def smaller_shape(draw, shape):
    """A shape that broadcasts to ``shape``: a suffix of it with some sides set to 1."""
    keep = draw(st.integers(0, len(shape)), label="kept dims")
    suffix = shape[len(shape) - keep:]
    return tuple(1 if draw(st.booleans()) else n for n in suffix)


@st.composite
def broadcast_to_samples(draw):
    target = draw(SHAPES, label="target")
    shape = draw(smaller_shape(target), label="shape")
    return Sample((draw(arrays(shape), label="x"),), {"shape": target})


@st.composite
def sum_to_samples(draw):
    shape = draw(SHAPES, label="shape")
    target = draw(smaller_shape(shape), label="target")
    return Sample((draw(arrays(shape), label="x"),), {"shape": target})


@st.composite
def squeeze_samples(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=2), label="shape")
    ones = [i for i, n in enumerate(shape) if n == 1]
    options = [st.none()]
    if ones:
        options.append(st.sampled_from(ones + [i - len(shape) for i in ones]))
    return Sample((draw(arrays(shape), label="x"),), {"axis": draw(st.one_of(options))})


@st.composite
def expand_dims_samples(draw):
    shape = draw(SHAPES, label="shape")
    axis = draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    return Sample((draw(arrays(shape), label="x"),), {"axis": axis})


@st.composite
def concat_samples(draw, axis=None, min_dims=1):
    """1-3 arrays whose shapes agree except along ``axis`` (drawn when None)."""
    shape = list(draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=3),
                      label="shape"))
    drawn_axis = draw(st.integers(-len(shape), len(shape) - 1), label="axis") \
        if axis is None else axis
    count = draw(st.integers(1, 3), label="count")
    xs = []
    for _ in range(count):
        shape[drawn_axis] = draw(st.integers(1, 2), label="side")
        xs.append(draw(arrays(tuple(shape)), label="x"))
    return Sample(tuple(xs), {} if axis is not None else {"axis": drawn_axis})


@st.composite
def stack_samples(draw):
    shape = draw(SHAPES, label="shape")
    count = draw(st.integers(1, 3), label="count")
    xs = tuple(draw(arrays(shape), label="x") for _ in range(count))
    axis = draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    return Sample(xs, {"axis": axis})


@st.composite
def split_samples(draw, semantics):
    shape = draw(NONSCALAR_SHAPES, label="shape")
    axis = draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    length = shape[axis]
    if semantics == "sizes":  # torch.split: an int piece size or a list of sizes (0 allowed)
        cuts = sorted(draw(st.lists(st.integers(0, length), max_size=2), label="cuts"))
        sizes = list(np.diff([0] + cuts + [length]).tolist())
        spec = draw(st.integers(1, length + 1) | st.just(sizes), label="sizes")
    else:  # chainer F.split_axis / numpy.split
        divisors = [d for d in range(1, length + 1) if length % d == 0]
        spec = draw(st.sampled_from(divisors)
                    | st.lists(st.integers(-length - 1, length + 1), max_size=3), label="indices")
    return Sample((draw(arrays(shape), label="x"),), {"spec": spec, "axis": axis})


@st.composite
def getitem_samples(draw, kind):
    shape = draw(NONSCALAR_SHAPES if kind != "basic" else SHAPES, label="shape")
    x = draw(arrays(shape), label="x")
    if kind == "basic":
        key = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True), label="key")
    elif kind == "int_array":  # integer arrays, repeated indices likely
        key = draw(hnp.integer_array_indices(
            shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)), label="key")
    elif kind == "bool_mask":
        mask_dims = draw(st.integers(1, len(shape)), label="mask dims")
        key = draw(hnp.arrays(np.bool_, shape[:mask_dims]), label="mask")
    else:  # mixed: integer arrays (repeats likely) with slices, separated or not
        def indices(axis, size=None):
            n = shape[axis]
            return np.asarray(draw(st.lists(st.integers(-n, n - 1), min_size=size or 1,
                                            max_size=size or 4), label=f"indices{axis}"))
        layout = draw(st.sampled_from(["array,slice", "slice,array", "array,slice,array"]
                                      [:len(shape)]), label="layout")
        if len(shape) == 1:
            key = (indices(0), Ellipsis)
        elif layout == "array,slice":
            key = (indices(0), draw(st.slices(shape[1]), label="slice"))
        elif layout == "slice,array":
            key = (draw(st.slices(shape[0]), label="slice"), indices(1))
        else:  # advanced indices around a slice: their axis moves to the front
            first = indices(0)
            key = (first, draw(st.slices(shape[1]), label="slice"), indices(2, len(first)))
    return Sample((x,), {"key": key})


@st.composite
def where_samples(draw, scalar_y=False):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3,
                                                    max_side=3), label="shapes")
    condition_shape, x_shape, y_shape = shapes.input_shapes
    condition = draw(hnp.arrays(np.bool_, condition_shape), label="condition")
    if scalar_y:
        return Sample((draw(arrays(x_shape), label="x"),),
                      {"condition": condition, "y": draw(scalars(REALS), label="y")})
    return Sample((draw(arrays(x_shape), label="x"), draw(arrays(y_shape), label="y")),
                  {"condition": condition})


@st.composite
def softmax_samples(draw, explicit_axis=True):
    shape = draw(hnp.array_shapes(min_dims=1 if explicit_axis else 2, max_dims=3, min_side=1,
                                  max_side=3).filter(lambda s: math.prod(s) <= 12), label="shape")
    kwargs = {}
    if explicit_axis:
        kwargs["axis"] = draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    return Sample((draw(arrays(shape, Domain(-4.0, 4.0)), label="x"),), kwargs)


@st.composite
def topk_samples(draw):
    shape = draw(NONSCALAR_SHAPES, label="shape")
    axis = draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    k = draw(st.integers(0, shape[axis]), label="k")
    return Sample((draw(distinct_arrays(shape), label="x"),),
                  {"k": k, "axis": axis, "largest": draw(st.booleans(), label="largest")})


@st.composite
def clip_samples(draw):
    x_min = draw(st.none() | st.floats(-2.0, 1.0), label="x_min")
    x_max = draw(st.floats(-1.0, 2.0) if x_min is None
                 else st.none() | st.floats(x_min + 0.2, x_min + 3.0), label="x_max")
    bounds = tuple(b for b in (x_min, x_max) if b is not None)
    shape = draw(SHAPES, label="shape")
    x = draw(arrays(shape, Domain(-3.0, 3.0, kinks=bounds)), label="x")
    return Sample((x,), {"x_min": x_min, "x_max": x_max})


# --------------------------------------------------------------------------------------
# NumPy references (written directly, independent of refimpl)
# --------------------------------------------------------------------------------------

def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_logsumexp(x, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


def np_softmax(x, axis):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def np_extreme_with_index(largest):
    def reference(x, axis, keepdims):
        value = (np.max if largest else np.min)(x, axis=axis, keepdims=keepdims)
        index = (np.argmax if largest else np.argmin)(x, axis=axis)
        if keepdims:
            index = np.expand_dims(index, axis)
        return value, index.astype(np.int64)
    return reference


def np_topk(x, k, axis, largest):
    order = np.argsort(-x if largest else x, axis=axis)
    indices = np.moveaxis(np.moveaxis(order, axis, -1)[..., :k], -1, axis)
    return np.take_along_axis(x, indices, axis), indices.astype(np.int64)


def np_split_sizes(x, spec, axis):
    length = x.shape[axis]
    sizes = [spec] * (length // spec) + ([length % spec] if length % spec else []) \
        if isinstance(spec, int) else spec
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


def np_leaky_relu(x, negative_slope):
    return np.where(x > 0, x, negative_slope * x)


# --------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OpCase:
    """One op (or one way of calling it) under one semantics policy.

    ``op(*variables, **sample.kwargs)`` is the refimpl call; ``reference(*arrays,
    **sample.kwargs)`` its NumPy value. ``differentiable=False`` marks forward-only ops
    (integer outputs). ``eps``/``atol``/``rtol`` override the gradient check's defaults only
    with a ``reason``.
    """
    name: str
    op: Callable
    reference: Callable
    samples: st.SearchStrategy
    policy: str = "torch"
    differentiable: bool = True
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-4
    reason: str = ""

    def __post_init__(self):
        if (self.eps, self.atol, self.rtol) != (1e-6, 1e-5, 1e-4) and not self.reason:
            raise ValueError(f"case {self.name}: a tolerance override needs a reason")


def binary_cases(name, function, operator, np_function, domain_a, domain_b):
    """Cases of subjects ``name`` and ``name-scalar``: ``F.<name>(a, b)`` and the Python
    operator, broadcasting both ways; the operator with a Python scalar on the right
    (``x op s``) and on the left (``s op x``, the reflected method); the function with a
    scalar first."""
    return {
        name: [
            OpCase(f"{name}-broadcast", function, np_function,
                   broadcast_pair_samples(domain_a, domain_b)),
            OpCase(f"{name}-operator", operator, np_function,
                   broadcast_pair_samples(domain_a, domain_b))],
        f"{name}-scalar": [
            OpCase(f"{name}-scalar_right", lambda x, scalar: operator(x, scalar),
                   lambda x, scalar: np_function(x, scalar),
                   scalar_operand_samples(domain_a, domain_b)),
            OpCase(f"{name}-scalar_left", lambda x, scalar: operator(scalar, x),
                   lambda x, scalar: np_function(scalar, x),
                   scalar_operand_samples(domain_b, domain_a)),
            OpCase(f"{name}-function_scalar_left", lambda x, scalar: function(scalar, x),
                   lambda x, scalar: np_function(scalar, x),
                   scalar_operand_samples(domain_b, domain_a))],
    }


def unary_case(name, function, np_function, domain=REALS, **kwargs):
    return OpCase(name, function, np_function, unary_samples(domain), **kwargs)


#: The cases of each op subject of the conformance registry (``conformance.subjects``):
#: which ops are checked comes from the registry (``CASES`` follows its order), and
#: ``test_every_registry_op_has_cases`` fails for a registered op without cases here.
CASES_BY_SUBJECT = {
    # arithmetic, as functions with broadcasting, and with Python scalars
    **binary_cases("add", F.add, lambda a, b: a + b, np.add, REALS, REALS),
    **binary_cases("sub", F.sub, lambda a, b: a - b, np.subtract, REALS, REALS),
    **binary_cases("mul", F.mul, lambda a, b: a * b, np.multiply, REALS, REALS),
    **binary_cases("div", F.div, lambda a, b: a / b, np.divide, REALS, DENOMINATOR),
    **binary_cases("pow", F.pow, lambda a, b: a ** b, np.power, POSITIVE, EXPONENT),
    "pow-int_exponent": [
        OpCase("pow-int_exponent", lambda x, n: x ** n, lambda x, n: x ** float(n),
               unary_samples(REALS, n=st.integers(0, 3)))],  # any sign of base, 0 included
    "neg": [unary_case("neg", F.neg, np.negative),
            unary_case("neg-operator", lambda x: -x, np.negative)],
    # elementwise math
    "exp": [unary_case("exp", F.exp, np.exp)],
    "log": [unary_case("log", F.log, np.log, POSITIVE)],
    "sqrt": [unary_case("sqrt", F.sqrt, np.sqrt, POSITIVE)],
    "sin": [unary_case("sin", F.sin, np.sin)],
    "cos": [unary_case("cos", F.cos, np.cos)],
    "tanh": [unary_case("tanh", F.tanh, np.tanh)],
    "sigmoid": [unary_case("sigmoid", F.sigmoid, np_sigmoid, Domain(-5.0, 5.0))],
    "abs": [unary_case("abs", F.abs, np.abs, NONZERO)],
    "relu": [unary_case("relu", F.relu, lambda x: np.maximum(x, 0), NONZERO)],
    "leaky_relu": [
        unary_case("leaky_relu-default", F.leaky_relu, lambda x: np_leaky_relu(x, 0.01),
                   NONZERO),
        unary_case("leaky_relu-default", F.leaky_relu, lambda x: np_leaky_relu(x, 0.2),
                   NONZERO, policy="chainer"),
        OpCase("leaky_relu-slope", F.leaky_relu, np_leaky_relu,
               unary_samples(NONZERO, negative_slope=st.floats(-1.0, 2.0)))],
    "clip": [OpCase("clip", F.clip, lambda x, x_min, x_max: np.clip(x, x_min, x_max),
                    clip_samples())],
    # cast: float32 rounds the result to ~1e-7 relative, so central differences need a
    # step far above that; the function is linear, so a large step costs no accuracy.
    "cast": [
        OpCase("cast-float32", lambda x: F.cast(x, "float32"), lambda x: x.astype(np.float32),
               unary_samples(), eps=1e-2, atol=1e-5, rtol=1e-5,
               reason="float32 output: step 1e-2 on a linear function, rounding ~1e-7/1e-2"),
        unary_case("cast-float64", lambda x: F.cast(F.cast(x, "float32"), "float64"),
                   lambda x: x.astype(np.float32).astype(np.float64), eps=1e-2, atol=1e-5,
                   rtol=1e-5, reason="float32 round trip: step 1e-2 on a linear function"),
        OpCase("cast-int64", lambda x: F.cast(x, "int64"), lambda x: x.astype(np.int64),
               unary_samples(), differentiable=False)],
    # matrix products
    "matmul": [*[OpCase(f"matmul-{kind}", F.matmul, np.matmul, matmul_samples(kind))
                 for kind in ("1d@1d", "2d@1d", "1d@2d", "2d@2d", "batched")],
               OpCase("operator@", lambda a, b: a @ b, np.matmul, matmul_samples("batched"))],
    "dot": [OpCase("dot", F.dot, np.dot, matmul_samples("1d@1d"))],
    # reductions
    "sum": [OpCase("sum", F.sum, np.sum, reduction_samples())],
    "mean": [OpCase("mean", F.mean, np.mean, reduction_samples())],
    "logsumexp": [OpCase("logsumexp", F.logsumexp, np_logsumexp, reduction_samples())],
    **{name: [OpCase(f"{name}-all_or_tuple", function, np_function,
                     reduction_samples("tuple_or_none", distinct=True), policy=policy)
              for policy in ("torch", "chainer")]
       for name, function, np_function in (("max", F.max, np.max), ("min", F.min, np.min))},
    "max-axis": [OpCase("max-int_axis", F.max, np_extreme_with_index(True),
                        reduction_samples("int", distinct=True)),
                 OpCase("max-int_axis", F.max, np.max, reduction_samples("int", distinct=True),
                        policy="chainer")],
    "min-axis": [OpCase("min-int_axis", F.min, np_extreme_with_index(False),
                        reduction_samples("int", distinct=True)),
                 OpCase("min-int_axis", F.min, np.min, reduction_samples("int", distinct=True),
                        policy="chainer")],
    "argmax": [OpCase("argmax", F.argmax,
                      lambda x, axis, keepdims: np.argmax(x, axis, keepdims=keepdims),
                      reduction_samples("int_or_none"), differentiable=False)],
    "argmin": [OpCase("argmin", F.argmin,
                      lambda x, axis, keepdims: np.argmin(x, axis, keepdims=keepdims),
                      reduction_samples("int_or_none"), differentiable=False)],
    "topk": [OpCase("topk", F.topk, np_topk, topk_samples())],
    # shapes
    "reshape": [
        OpCase("reshape", lambda x, shape: F.reshape(x, shape), lambda x, shape: x.reshape(shape),
               reshape_samples()),
        OpCase("reshape-varargs", lambda x, shape: F.reshape(x, *shape),
               lambda x, shape: x.reshape(shape), reshape_samples())],
    "transpose": [OpCase("transpose", F.transpose, np.transpose, transpose_samples())],
    "permute": [OpCase("permute", lambda x, dims: F.permute(x, *dims),
                       lambda x, dims: np.transpose(x, dims), permute_samples())],
    "swapaxes": [OpCase("swapaxes", F.swapaxes, np.swapaxes, swapaxes_samples())],
    "broadcast_to": [OpCase("broadcast_to", F.broadcast_to, np.broadcast_to,
                            broadcast_to_samples())],
    "sum_to": [OpCase("sum_to", F.sum_to,
                      lambda x, shape: np.sum(x, axis=tuple(
                          i for i in range(x.ndim) if i < x.ndim - len(shape)
                          or shape[i - x.ndim + len(shape)] == 1), keepdims=True).reshape(shape),
                      sum_to_samples())],
    "squeeze": [OpCase("squeeze", F.squeeze, np.squeeze, squeeze_samples())],
    "expand_dims": [OpCase("expand_dims", F.expand_dims, np.expand_dims, expand_dims_samples())],
    "unsqueeze": [OpCase("unsqueeze", F.unsqueeze, np.expand_dims, expand_dims_samples())],
    "concat": [
        OpCase("concat", lambda *xs, axis: F.concat(xs, axis=axis),
               lambda *xs, axis: np.concatenate(xs, axis), concat_samples()),
        OpCase("concat-default_axis", lambda *xs: F.concat(xs), lambda *xs: np.concatenate(xs, 1),
               concat_samples(axis=1, min_dims=2), policy="chainer")],
    "cat": [OpCase("cat-default_axis", lambda *xs: F.cat(xs), lambda *xs: np.concatenate(xs, 0),
                   concat_samples(axis=0))],
    "stack": [OpCase("stack", lambda *xs, axis: F.stack(xs, axis=axis),
                     lambda *xs, axis: np.stack(xs, axis), stack_samples())],
    "split": [
        OpCase("split-sizes", lambda x, spec, axis: F.split(x, spec, axis), np_split_sizes,
               split_samples("sizes")),
        OpCase("split-indices", lambda x, spec, axis: F.split(x, spec, axis),
               lambda x, spec, axis: tuple(np.split(x, spec, axis)), split_samples("indices"),
               policy="chainer")],
    # indexing
    "getitem": [OpCase("getitem-basic", F.getitem, lambda x, key: x[key],
                       getitem_samples("basic"))],
    "getitem-advanced": [
        *[OpCase(f"getitem-{kind}", F.getitem, lambda x, key: x[key], getitem_samples(kind))
          for kind in ("int_array", "bool_mask", "mixed")],
        OpCase("operator[]", lambda x, key: x[key], lambda x, key: x[key],
               getitem_samples("mixed"))],
    "where": [OpCase("where", lambda x, y, condition: F.where(condition, x, y),
                     lambda x, y, condition: np.where(condition, x, y), where_samples())],
    "where-scalar": [OpCase("where-scalar", lambda x, condition, y: F.where(condition, x, y),
                            lambda x, condition, y: np.where(condition, x, y),
                            where_samples(scalar_y=True))],
    # softmax family
    "softmax": [
        OpCase("softmax", F.softmax, np_softmax, softmax_samples()),
        OpCase("softmax-default_axis", F.softmax, lambda x: np_softmax(x, 1),
               softmax_samples(explicit_axis=False), policy="chainer")],
    "log_softmax": [
        OpCase("log_softmax", F.log_softmax, lambda x, axis: np.log(np_softmax(x, axis)),
               softmax_samples()),
        OpCase("log_softmax-default_axis", F.log_softmax, lambda x: np.log(np_softmax(x, 1)),
               softmax_samples(explicit_axis=False), policy="chainer")],
}

# the maths and activation breadth (issue 17): cases on the registry's own samples
CASES_BY_SUBJECT.update(_ops_math_cases(OpCase, Sample))
CASES_BY_SUBJECT.update(_shape_ops2_cases(OpCase, Sample))  # shape/maths ops (issue 17)

#: The op subjects of the conformance registry, in its order: the ops checked here.
REGISTRY_OPS = [entry.subject for entry in subjects.entries("op")]
CASES = [case for subject in REGISTRY_OPS for case in CASES_BY_SUBJECT.get(subject, ())]

DIFFERENTIABLE = [case for case in CASES if case.differentiable]


def case_id(case):
    return f"{case.name}[{case.policy}]"


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------

def as_tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def float_outputs(case, sample):
    """The op as a function of Variables, keeping only its float outputs (not indices)."""
    def function(*xs):
        outputs = as_tuple(case.op(*xs, **sample.kwargs))
        return tuple(y for y in outputs if y.dtype.kind == "f")
    return function


def call_repr(case, sample):
    """A copy-pasteable description of the failing call."""
    arrays = ", ".join(f"np.array({a.tolist()!r})" for a in sample.arrays)
    kwargs = ", ".join(f"{k}={v!r}" for k, v in sample.kwargs.items())
    return f"[refimpl {refimpl.__version__}, policy={case.policy}] {case.name}({arrays}; {kwargs})"


def draw_like(data, shapes, label):
    return [data.draw(arrays(shape, Domain(-2.0, 2.0)), label=f"{label}[{i}]")
            for i, shape in enumerate(shapes)]


def output_shapes(case, sample):
    variables = [refimpl.Variable(a, requires_grad=True) for a in sample.arrays]
    return [y.shape for y in float_outputs(case, sample)(*variables)]


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.filter_too_much])


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=case_id)
@settings(**SETTINGS)
@given(data=st.data())
def test_forward_matches_numpy(case, data):
    sample = data.draw(case.samples, label="sample")
    variables = [refimpl.Variable(a, requires_grad=True) for a in sample.arrays]
    with refimpl.semantics(case.policy):
        actual = as_tuple(case.op(*variables, **sample.kwargs))
    expected = tuple(np.asarray(e) for e in as_tuple(case.reference(*sample.arrays,
                                                                      **sample.kwargs)))
    where = call_repr(case, sample)
    assert len(actual) == len(expected), f"number of outputs: {len(actual)} vs {len(expected)} {where}"
    for index, (y, e) in enumerate(zip(actual, expected)):
        assert isinstance(y, refimpl.Variable), f"output {index}: {type(y).__name__} {where}"
        assert y.shape == e.shape, f"output {index} shape: {y.shape} vs {e.shape} {where}"
        assert y.dtype == e.dtype, f"output {index} dtype: {y.dtype} vs {e.dtype} {where}"
        if e.dtype.kind == "f":
            np.testing.assert_allclose(y.data, e, rtol=1e-10, atol=1e-12,
                                       err_msg=f"output {index} value {where}")
        else:
            np.testing.assert_array_equal(y.data, e, err_msg=f"output {index} value {where}")
        assert y.requires_grad == (e.dtype.kind == "f"), \
            f"output {index} requires_grad: {y.requires_grad} {where}"


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=case_id)
@settings(**SETTINGS)
@given(data=st.data())
def test_first_order_gradient(case, data):
    sample = data.draw(case.samples, label="sample")
    with refimpl.semantics(case.policy):
        grad_outputs = draw_like(data, output_shapes(case, sample), "grad_outputs")
        try:
            check_backward(float_outputs(case, sample), sample.arrays, grad_outputs,
                           eps=case.eps, atol=case.atol, rtol=case.rtol)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{call_repr(case, sample)}") from None


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=case_id)
@settings(**SETTINGS)
@given(data=st.data())
def test_second_order_gradient(case, data):
    sample = data.draw(case.samples, label="sample")
    with refimpl.semantics(case.policy):
        grad_outputs = draw_like(data, output_shapes(case, sample), "grad_outputs")
        grad_grad_inputs = draw_like(data, [a.shape for a in sample.arrays], "grad_grad_inputs")
        try:
            check_double_backward(float_outputs(case, sample), sample.arrays, grad_outputs,
                                  grad_grad_inputs, eps=case.eps, atol=case.atol, rtol=case.rtol)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{call_repr(case, sample)}") from None


def test_every_registry_op_has_cases():
    """Every op subject of the conformance registry has cases here, and every case belongs
    to a registered subject (none is left out of ``CASES``)."""
    missing = [subject for subject in REGISTRY_OPS if not CASES_BY_SUBJECT.get(subject)]
    assert not missing, f"registry ops without a gradcheck case: {missing}"
    unknown = sorted(set(CASES_BY_SUBJECT) - set(REGISTRY_OPS))
    assert not unknown, f"cases of subjects the registry does not have: {unknown}"
    assert len(CASES) == sum(map(len, CASES_BY_SUBJECT.values()))


def test_registry_covers_every_op():
    """Every public op of refimpl.functions is exercised by the cases of some subject."""
    names = {case.name.split("-")[0] for case in CASES}
    missing = sorted(set(F.OPS) - names)
    assert not missing, f"ops without a gradcheck case: {missing}"


# --------------------------------------------------------------------------------------
# The oracle itself: it must fail on wrong gradients and reject bad arguments
# --------------------------------------------------------------------------------------

class WrongSin(refimpl.Function):
    """sin with a wrong first derivative (sin instead of cos)."""

    def forward(self, x):
        return np.sin(x)

    def backward(self, gy):
        return gy * F.sin(self.inputs[0])


class FrozenSquare(refimpl.Function):
    """x ** 2 whose gradient 2x is built from a constant: right once, wrong twice."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        return gy * (2 * self.inputs[0].data)


X = np.array([[0.3, -1.2, 2.0], [0.5, 1.5, -0.7]])
ONES = np.ones_like(X)


def test_check_backward_detects_a_wrong_first_derivative():
    with pytest.raises(AssertionError, match=r"input 0 \(shape \(2, 3\)\): max abs error "
                                             r"[0-9.e+-]+ at \(\d, \d\) exceeds .*atol=1e-05"):
        check_backward(lambda x: WrongSin()(x), [X], [ONES])


def test_check_backward_names_the_wrong_input():
    with pytest.raises(AssertionError, match="gradient of input 1 "):
        check_backward(lambda a, b: a * WrongSin()(b), [X, X + 1], [ONES])


def test_check_double_backward_detects_a_non_differentiable_gradient():
    check_backward(lambda x: FrozenSquare()(x), [X], [ONES])  # first order is right
    with pytest.raises(AssertionError, match="check_double_backward.*gradient of input 0 "):
        check_double_backward(lambda x: FrozenSquare()(x), [X], [ONES], [ONES])


def test_numerical_grad_of_a_known_function():
    gy = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    (numerical,) = numerical_grad(lambda x: x * x * x, [X], [gy])
    np.testing.assert_allclose(numerical, 3 * X ** 2 * gy, rtol=1e-8, atol=1e-9)


class SlightlyOff(refimpl.Function):
    """The identity with a gradient 1e-6 (relative) too large."""

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy * (1 + 1e-6)


def test_tolerance_decides():
    check_backward(lambda x: SlightlyOff()(x), [X], [ONES], atol=0, rtol=1e-5)
    with pytest.raises(AssertionError, match="atol=0 \\+ rtol=1e-07"):
        check_backward(lambda x: SlightlyOff()(x), [X], [ONES], atol=0, rtol=1e-7)


@pytest.mark.parametrize("call, message", [
    (lambda: check_backward(F.sin, [X], eps=0), "eps=0"),
    (lambda: check_backward(F.sin, [X], eps=float("nan")), "eps=nan"),
    (lambda: check_backward(F.sin, [X], atol=-1.0), "atol=-1.0"),
    (lambda: check_backward(F.sin, [X], rtol="big"), "rtol='big'"),
    (lambda: check_backward(F.sin, [X.astype(np.float32)]), r"inputs\[0\].dtype=float32"),
    (lambda: check_backward(F.sin, []), "inputs"),
    (lambda: check_backward(F.sin, [X], [ONES, ONES]), "grad_outputs has 2 entries"),
    (lambda: check_backward(F.sin, [X], [np.ones(3)]), r"grad_outputs\[0\].shape=\(3,\)"),
    (lambda: numerical_grad(F.sin, [X], [ONES], eps=-1e-6), "eps=-1e-06"),
    (lambda: check_double_backward(F.sin, [X], None, [ONES]), "grad_outputs"),
    (lambda: check_double_backward(F.sin, [X], [ONES], []), "grad_grad_inputs has 0 entries"),
    (lambda: check_double_backward(F.sin, [X], [ONES], [np.ones(2)]),
     r"grad_grad_inputs\[0\].shape=\(2,\)"),
])
def test_gradient_check_rejects_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
