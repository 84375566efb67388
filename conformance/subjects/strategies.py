"""All hypothesis strategies of the property harness, in one module.

Conventions (after array-api-tests' ``hypothesis_helpers``): keyword-only arguments, every
``draw`` labelled (so a falsifying example reads as a list of named choices), ``st.shared``
where two draws must agree (the shapes of a broadcastable pair).

A *sample* is one call of an op: ``Sample(inputs, kwargs)``. ``inputs`` maps the op's
parameter names to the arrays that are differentiated (a list of arrays for ops taking a
sequence, such as ``concat(xs)``); ``kwargs`` holds every other argument. Arrays are drawn in
float64 inside the op's ``Domain``; the property rounds them to the cell's dtype.

Shapes, axes and other arguments are hypothesis choices; an array's elements are not: each
array is one drawn seed, from which ``Domain.sample`` makes the elements (Python's
``random.Random``), keeping what hypothesis' element-by-element arrays gave (special values
such as 0, 1 and tiny numbers, the bounds, ties) at a fraction of the cost (issue 19). Seed 0
is the domain's simplest array, so hypothesis' first example and its shrink target stay
simple.

Samples keep away from the op's kinks (``KINK_MARGIN``) and from ties (``distinct_arrays``):
random inputs dodge the non-differentiable points; the exact behaviour there is tested by
``conformance/behaviours.py`` and ``tests/refimpl/test_ops_exact.py``.
"""
import dataclasses
import functools
import itertools
import math
import random

import numpy
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

KINK_MARGIN = 0.05  # far more than the central-difference step (1e-6) and float16 rounding
MAX_SIZE = 12  # elements per drawn array: keeps central differences cheap
SEEDS = st.integers(0, 2 ** 32 - 1)  # the seed of a drawn array's (or direction's) generator
# Magnitudes that hypothesis' floats favour (its "nasty floats" within [-3, 3]): where edge
# cases live. 0 and 1; tiny normal numbers, which underflow when multiplied; the float32 and
# float64 epsilons and smallest normals; values just inside 1 and just beyond 2. Each element
# of an array is one of them (either sign), or a bound of its domain, with probability
# SPECIAL_RATE, where the domain allows it.
NASTY = (0.0, 0.5, 1.0, 1.5, 1.1, 1.9, 1 / 3, 0.99999, 2.00001, 1e-5, 1e-6, 2.0 ** -23,
         2.0 ** -52, 2.0 ** -126, 2.0 ** -1022)
SPECIAL_RATE = 0.125
TIE_RATE = 0.5  # the share of arrays in which about half the elements share one value


def _reused(build):
    """``build`` memoised on its arguments: a strategy is built and validated once per
    distinct set of arguments instead of once per example (the samplers are called once per
    example, and hypothesis validates and analyses a fresh strategy on its first draw; that
    costs more than drawing from it). Drawing from the same strategy object or from a fresh,
    equal one draws the same values from the same choices. Unhashable arguments (a list
    shape) are built afresh; ``typed``: ``1`` and ``True`` do not share an entry.
    ``__wrapped__`` is the unmemoised builder (tests compare the two)."""
    cached = functools.lru_cache(maxsize=None, typed=True)(build)

    @functools.wraps(build)
    def reused(*args, **kwargs):
        try:
            return cached(*args, **kwargs)
        except TypeError:  # an unhashable argument
            return build(*args, **kwargs)
    return reused


def composite(function):
    """``st.composite``, memoised (``_reused``)."""
    return _reused(st.composite(function))


@dataclasses.dataclass(frozen=True)
class Domain:
    """Where inputs are drawn: ``[low, high]`` minus ``KINK_MARGIN`` around each of ``kinks``
    and minus the open interval ``(-min_magnitude, min_magnitude)``."""

    low: float
    high: float
    kinks: tuple = ()
    min_magnitude: float = 0.0

    def __post_init__(self):
        if not self.low < self.high:
            raise ValueError(f"Domain needs low < high, got low={self.low}, high={self.high}")
        if not 0.0 <= self.min_magnitude < max(abs(self.low), abs(self.high)):
            raise ValueError(f"Domain needs 0 <= min_magnitude < max(|low|, |high|), got "
                             f"min_magnitude={self.min_magnitude}, low={self.low}, "
                             f"high={self.high}")

    def allows(self, value):
        return (self.low <= value <= self.high and abs(value) >= self.min_magnitude
                and all(abs(value - kink) >= KINK_MARGIN for kink in self.kinks))

    @functools.cached_property
    def _pieces(self):
        """[(start, width)]: the closed intervals the domain is made of, in order."""
        holes = sorted([(k - KINK_MARGIN, k + KINK_MARGIN) for k in self.kinks]
                       + ([(-self.min_magnitude, self.min_magnitude)] if self.min_magnitude else []))
        pieces, start = [], self.low
        for hole_start, hole_end in holes:
            if hole_start > start:
                pieces.append((start, min(hole_start, self.high) - start))
            start = max(start, hole_end)
        if start < self.high:
            pieces.append((start, self.high - start))
        return pieces

    @functools.cached_property
    def _specials(self):
        """(values, cumulative weights): the special values the domain allows; 0 and then 1
        and -1 weigh more (hypothesis' floats draw 0, its simplest float, far more often than
        any other)."""
        candidates = {self.low, self.high} | {sign * v for v in NASTY for sign in (1.0, -1.0)}
        values = sorted(v for v in candidates if self.allows(v))
        weights = [8.0 if v == 0.0 else 3.0 if abs(v) == 1.0 else 1.0 for v in values]
        return values, list(itertools.accumulate(weights))

    @functools.cached_property
    def simplest(self):
        """The value of seed 0's array: the first of 0, 1, -1, 0.5, -0.5, 2, -2 the domain
        allows, else its low bound (hypothesis tries the simplest example first, where
        floats are 0, and shrinks towards it)."""
        return next((v for v in (0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0) if self.allows(v)),
                    self.low)

    def array(self, seed, shape, zero_rate=0.0):
        """The array of ``seed``: ``simplest`` everywhere for seed 0, else ``sample``, with
        each element then 0 with probability ``zero_rate`` (products)."""
        if seed == 0:
            return numpy.full(shape, self.simplest)
        rng = random.Random(seed)
        values = self.sample(rng, math.prod(shape))
        if zero_rate:
            values = [0.0 if rng.random() < zero_rate else v for v in values]
        return numpy.array(values).reshape(shape)

    def sample(self, rng, size):
        """``size`` floats in the domain, drawn by ``rng`` (a ``random.Random``) the way
        hypothesis draws arrays of floats: uniform over the domain; each a special value
        (``NASTY`` or a bound) with probability ``SPECIAL_RATE``; and for a share
        ``TIE_RATE`` of the draws of two or more, about half of them equal to the first
        (ties, as hypothesis' fill value makes). Python's generator, not NumPy's: for the
        dozen elements drawn here it is several times faster."""
        specials, weights = self._specials
        values = []
        for _ in range(size):
            if specials and rng.random() < SPECIAL_RATE:
                values.append(rng.choices(specials, cum_weights=weights)[0])
                continue
            offset = rng.random() * self._total
            for start, width in self._pieces:
                if offset <= width:
                    break
                offset -= width
            values.append(start + min(offset, width))
        if size > 1 and rng.random() < TIE_RATE:
            values = [values[0] if rng.random() < 0.5 else v for v in values]
        return values

    @functools.cached_property
    def _total(self):
        return sum(width for _, width in self._pieces)

    def elements(self):
        """The strategy of one element, a Python float (built once per domain: ``_reused``)."""
        return _elements(domain=self)

    def build_elements(self):
        values = st.floats(self.low, self.high, allow_nan=False, allow_infinity=False,
                           allow_subnormal=False)
        if self.kinks:
            kinks = self.kinks
            values = values.filter(lambda v: all(abs(v - k) >= KINK_MARGIN for k in kinks))
        if self.min_magnitude:
            smallest = self.min_magnitude
            values = values.filter(lambda v: abs(v) >= smallest)
        return values


@_reused
def _elements(*, domain):
    return domain.build_elements()


REALS = Domain(-3.0, 3.0)
POSITIVE = Domain(0.2, 3.0)  # log, sqrt, the base of pow
NONZERO = Domain(-3.0, 3.0, kinks=(0.0,))  # relu, leaky_relu, abs
# |b| >= 0.2 (was 0.5): small divisors make the gradients' terms g a / b**2 large (up to
# 150) and let them cancel, which only a conditioned tolerance judges fairly (issue 15:
# checks/tolerances.py); 0.2 keeps float16's second-order terms 2 g a w / b**3 (<= 3000) far
# below its largest value (65504), so no correct float16 result overflows.
DENOMINATOR = Domain(-3.0, 3.0, min_magnitude=0.2)
EXPONENT = Domain(-2.0, 2.0)
SOFTMAX = Domain(-4.0, 4.0)
SIGMOID = Domain(-5.0, 5.0)
GRAD_OUTPUTS = Domain(-2.0, 2.0)


@dataclasses.dataclass(frozen=True)
class Sample:
    """One call: ``inputs`` (name -> float64 array, or a list of them) and ``kwargs``."""

    inputs: dict
    kwargs: dict = dataclasses.field(default_factory=dict)

    def leaves(self):
        """The differentiated arrays, flattened in order."""
        arrays = []
        for value in self.inputs.values():
            arrays.extend(value if isinstance(value, list) else [value])
        return arrays

    def with_leaves(self, leaves):
        """The same call with the differentiated arrays replaced by ``leaves`` (any type)."""
        leaves = list(leaves)
        inputs = {}
        for name, value in self.inputs.items():
            if isinstance(value, list):
                inputs[name] = [leaves.pop(0) for _ in value]
            else:
                inputs[name] = leaves.pop(0)
        return Sample(inputs, dict(self.kwargs))


# --- shapes and arrays ------------------------------------------------------------------

@_reused
def shapes(*, min_dims=0, max_dims=3, min_side=1, max_side=3, max_size=MAX_SIZE):
    """Array shapes with at most ``max_size`` elements: the number of dimensions, then one
    of the shapes with that many (two choices, as hypothesis' ``array_shapes`` draws ndim
    first; each list smallest first, where shrinking goes)."""
    by_ndim = []
    for ndim in range(min_dims, max_dims + 1):
        listed = sorted((shape for shape in itertools.product(range(min_side, max_side + 1),
                                                              repeat=ndim)
                         if math.prod(shape) <= max_size), key=lambda shape: (math.prod(shape), shape))
        if listed:
            by_ndim.append(st.sampled_from(listed))
    return _one_of_lists(lists=tuple(by_ndim))


@composite
def _one_of_lists(draw, *, lists):
    return draw(lists[draw(st.integers(0, len(lists) - 1), label="ndim")], label="sides")


@_reused
def arrays(*, shape, domain=REALS):
    """float64 arrays of ``shape`` with elements in ``domain`` (``Domain.sample``), from one
    drawn seed: one hypothesis choice per array instead of one or more per element, which
    made drawing most of an example's time (issue 19). Seed 0, hypothesis' first example and
    where a failing one shrinks to, is the domain's simplest array (``Domain.array``)."""
    return _seeded_arrays(shape=tuple(shape), domain=domain)


@composite
def _seeded_arrays(draw, *, shape, domain):
    return domain.array(draw(SEEDS, label="seed"), shape)


@composite
def distinct_arrays(draw, *, shape):
    """float64 arrays whose elements differ pairwise by at least 0.1 (no ties for max/topk)."""
    size = math.prod(shape)
    seed = draw(SEEDS, label="distinct values (seed)")
    if seed == 0:  # the simplest: 0, 0.1, -0.1, 0.2, ... (hypothesis' first, shrink target)
        tenths = numpy.arange(1, size + 1) // 2 * (-1) ** numpy.arange(size)
    else:  # distinct tenths in [-3, 3]
        tenths = numpy.random.default_rng(seed).choice(numpy.arange(-30, 31), size, replace=False)
    return (tenths / 10).astype(numpy.float64).reshape(shape)


@_reused
def broadcastable_shapes(*, key, num_shapes=2, min_dims=0, max_dims=3, max_side=3):
    """Shapes that broadcast together, shared under ``key`` across draws of one example."""
    return st.shared(hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, max_side=max_side),
        key=key)


def float_dtypes(*, allow_float16=False):
    names = ["float32", "float64"] + (["float16"] if allow_float16 else [])
    return st.sampled_from(names)


def grad_outputs(*, shapes_of_outputs):
    """One output gradient per output shape, elements in [-2, 2]."""
    return _grad_outputs(shapes_of_outputs=tuple(shapes_of_outputs))


@_reused
def _grad_outputs(*, shapes_of_outputs):
    return st.tuples(*[arrays(shape=shape, domain=GRAD_OUTPUTS) for shape in shapes_of_outputs])


# --- samples, one function per kind of op -------------------------------------------------

@composite
def unary_samples(draw, *, domain=REALS, min_dims=0, **kwargs):
    """``f(x, **kwargs)``; ``kwargs`` maps names to strategies."""
    shape = draw(shapes(min_dims=min_dims), label="shape")
    x = draw(arrays(shape=shape, domain=domain), label="x")
    return Sample({"x": x}, {name: draw(value, label=name) for name, value in kwargs.items()})


@composite
def binary_samples(draw, *, domain_a=REALS, domain_b=REALS, names=("a", "b")):
    """Two arrays of mutually broadcastable shapes (either may be the smaller)."""
    pair = broadcastable_shapes(key="binary")
    a_shape = draw(pair, label="shapes").input_shapes[0]
    b_shape = draw(pair, label="shapes").input_shapes[1]
    return Sample({names[0]: draw(arrays(shape=a_shape, domain=domain_a), label=names[0]),
                   names[1]: draw(arrays(shape=b_shape, domain=domain_b), label=names[1])})


@composite
def scalar_operand_samples(draw, *, domain_a=REALS, domain_b=REALS):
    """An array and a Python float, the scalar on either side: ``f(a=2.5, b=x)`` or
    ``f(a=x, b=2.5)``; each operand comes from its own parameter's domain."""
    scalar_side = draw(st.sampled_from(["a", "b"]), label="scalar side")
    array_side = "b" if scalar_side == "a" else "a"
    domains = {"a": domain_a, "b": domain_b}
    shape = draw(shapes(), label="shape")
    x = draw(arrays(shape=shape, domain=domains[array_side]), label=array_side)
    scalar = draw(domains[scalar_side].elements(), label=scalar_side)
    return Sample({array_side: x}, {scalar_side: scalar})


@composite
def int_exponent_samples(draw):
    """``pow(a=x, b=n)`` for a small integer n: any sign of base, 0 included."""
    shape = draw(shapes(), label="shape")
    return Sample({"a": draw(arrays(shape=shape), label="a")},
                  {"b": draw(st.integers(0, 3), label="n")})


@_reused
def axis_strategy(*, kind, ndim):
    """Axes of a reduction: kind 'any' (None, int or tuple), 'int', 'int_or_none',
    'tuple_or_none', 'none'."""
    options = []
    if kind in ("any", "int_or_none", "tuple_or_none", "none"):
        options.append(st.none())
    if kind in ("any", "tuple_or_none") and ndim:
        options.append(hnp.valid_tuple_axes(ndim, min_size=1))
    if kind in ("any", "int", "int_or_none") and ndim:
        options.append(st.integers(-ndim, ndim - 1))
    return st.one_of(options)


@composite
def reduction_samples(draw, *, axes="any", distinct=False, keepdims=True, min_dims=0):
    """``f(x, axis=..., keepdims=...)``; ``distinct`` keeps elements 0.1 apart (no ties).
    ``keepdims=False`` leaves the argument out (frameworks without it)."""
    shape = draw(shapes(min_dims=1 if axes == "int" else min_dims), label="shape")
    x = draw(distinct_arrays(shape=shape) if distinct else arrays(shape=shape), label="x")
    kwargs = {"axis": draw(axis_strategy(kind=axes, ndim=len(shape)), label="axis")}
    if keepdims:
        kwargs["keepdims"] = draw(st.booleans(), label="keepdims")
    return Sample({"x": x}, kwargs)


@composite
def matmul_samples(draw, *, kinds=("1d@1d", "2d@1d", "1d@2d", "2d@2d", "batched")):
    kind = draw(st.sampled_from(kinds), label="kind")
    n, k, m = (draw(st.integers(1, 3), label=name) for name in "nkm")
    if kind == "1d@1d":
        a_shape, b_shape = (k,), (k,)
    elif kind == "2d@1d":
        a_shape, b_shape = (n, k), (k,)
    elif kind == "1d@2d":
        a_shape, b_shape = (k,), (k, m)
    elif kind == "2d@2d":
        a_shape, b_shape = (n, k), (k, m)
    else:  # batch dimensions that broadcast, on either side
        batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2,
                                                       max_side=2), label="batch shapes")
        a_shape, b_shape = batch.input_shapes[0] + (n, k), batch.input_shapes[1] + (k, m)
    return Sample({"a": draw(arrays(shape=a_shape), label="a"),
                   "b": draw(arrays(shape=b_shape), label="b")})


@composite
def reshape_samples(draw):
    shape = draw(shapes(), label="shape")
    size = math.prod(shape)
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    d = draw(st.sampled_from(divisors), label="d")
    targets = [(size,), (-1,), (d, size // d), (d, -1), (1, d, size // d)]
    if size == 1:
        targets.append(())
    return Sample({"x": draw(arrays(shape=shape), label="x")},
                  {"shape": draw(st.sampled_from(targets), label="target shape")})


@composite
def transpose_samples(draw):
    shape = draw(shapes(), label="shape")
    axes = draw(st.none() | st.permutations(range(len(shape))).map(tuple), label="axes")
    return Sample({"x": draw(arrays(shape=shape), label="x")}, {"axes": axes})


@composite
def permute_samples(draw):
    shape = draw(shapes(min_dims=1), label="shape")
    dims = draw(st.permutations(range(len(shape))).map(tuple), label="dims")
    negative = draw(st.lists(st.booleans(), min_size=len(dims), max_size=len(dims)),
                    label="negative dims")
    dims = tuple(d - len(shape) if flip else d for d, flip in zip(dims, negative))
    return Sample({"x": draw(arrays(shape=shape), label="x")}, {"dims": dims})


@composite
def swapaxes_samples(draw):
    shape = draw(shapes(min_dims=1), label="shape")
    ndim = len(shape)
    axis1, axis2 = (draw(st.integers(-ndim, ndim - 1), label=name) for name in ("axis1", "axis2"))
    return Sample({"x": draw(arrays(shape=shape), label="x")}, {"axis1": axis1, "axis2": axis2})


@composite
def smaller_shape(draw, *, shape):
    """A shape that broadcasts to ``shape``: a suffix of it with some sides set to 1."""
    keep = draw(st.integers(0, len(shape)), label="kept dims")
    suffix = shape[len(shape) - keep:]
    ones = draw(st.lists(st.booleans(), min_size=len(suffix), max_size=len(suffix)),
                label="sides set to 1")
    return tuple(1 if one else n for n, one in zip(suffix, ones))


@composite
def broadcast_to_samples(draw):
    target = draw(shapes(), label="target shape")
    shape = draw(smaller_shape(shape=target), label="shape")
    return Sample({"x": draw(arrays(shape=shape), label="x")}, {"shape": target})


@composite
def sum_to_samples(draw):
    shape = draw(shapes(), label="shape")
    target = draw(smaller_shape(shape=shape), label="target shape")
    return Sample({"x": draw(arrays(shape=shape), label="x")}, {"shape": target})


@composite
def squeeze_samples(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=2), label="shape")
    ones = [i for i, n in enumerate(shape) if n == 1]
    options = [st.none()]
    if ones:
        options.append(st.sampled_from(ones + [i - len(shape) for i in ones]))
    return Sample({"x": draw(arrays(shape=shape), label="x")},
                  {"axis": draw(st.one_of(options), label="axis")})


@composite
def expand_dims_samples(draw):
    shape = draw(shapes(), label="shape")
    axis = draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    return Sample({"x": draw(arrays(shape=shape), label="x")}, {"axis": axis})


@composite
def concat_samples(draw, *, default_axis=None):
    """1-3 arrays whose shapes agree except along the join axis. ``axis`` is drawn, or left
    to the framework's default (``None``) when ``default_axis`` (the framework's default) is
    valid for the drawn shape."""
    shape = list(draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
                      label="shape"))
    axis = draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    if default_axis is not None and default_axis < len(shape) and draw(
            st.booleans(), label="use the default axis"):
        axis_argument, axis = None, default_axis
    else:
        axis_argument = axis
    xs = []
    for index in range(draw(st.integers(1, 3), label="count")):
        shape[axis] = draw(st.integers(1, 2), label="side along axis")
        xs.append(draw(arrays(shape=tuple(shape)), label=f"xs[{index}]"))
    return Sample({"xs": xs}, {"axis": axis_argument})


@composite
def stack_samples(draw):
    shape = draw(shapes(), label="shape")
    count = draw(st.integers(1, 3), label="count")
    xs = [draw(arrays(shape=shape), label=f"xs[{index}]") for index in range(count)]
    return Sample({"xs": xs}, {"axis": draw(st.integers(-len(shape) - 1, len(shape)), label="axis")})


@composite
def split_samples(draw, *, semantics):
    """``split(x, spec, axis)``: 'sizes' (torch.split: an int piece size or a list of sizes) or
    'indices' (chainer F.split_axis: an int number of sections or a list of split points)."""
    shape = draw(shapes(min_dims=1), label="shape")
    axis = draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    length = shape[axis]
    if semantics == "sizes":
        cuts = sorted(draw(st.lists(st.integers(0, length), max_size=2), label="cuts"))
        sizes = [int(s) for s in numpy.diff([0] + cuts + [length])]
        spec = draw(st.integers(1, length + 1) | st.just(sizes), label="sizes")
    else:
        divisors = [d for d in range(1, length + 1) if length % d == 0]
        spec = draw(st.sampled_from(divisors)
                    | st.lists(st.integers(0, length), max_size=3).map(sorted), label="indices")
    return Sample({"x": draw(arrays(shape=shape), label="x")},
                  {"indices_or_sections": spec, "axis": axis})


@_reused
def _basic_keys(*, shape, negative_steps):
    """Basic indices of ``shape`` (ints, slices, None, Ellipsis); without negative slice steps
    unless ``negative_steps``."""
    return hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True).filter(
        lambda k: negative_steps or all(s.step is None or s.step > 0 for s in
                                        (k if isinstance(k, tuple) else (k,))
                                        if isinstance(s, slice)))


@_reused
def bool_arrays(*, shape):
    """Boolean arrays of ``shape`` (masks, conditions), element by element: shrinking a mask
    towards all False matters more than the speed of these few draws."""
    return hnp.arrays(numpy.bool_, shape)


def _positive_step_slices(size):
    return st.slices(size).filter(lambda s: s.step is None or s.step > 0)


@composite
def getitem_samples(draw, *, kind, negative_steps=True):
    """``x[key]``: kind 'basic' (ints, slices, None, Ellipsis) or 'advanced' (integer arrays
    with repeats, boolean masks, integer arrays mixed with slices). ``negative_steps=False``
    for an API without the feature ``negative_slice_steps`` (torch rejects such slices)."""
    shape = draw(shapes(min_dims=1 if kind != "basic" else 0), label="shape")
    x = draw(arrays(shape=shape), label="x")
    if kind == "basic":
        key = draw(_basic_keys(shape=shape, negative_steps=negative_steps), label="key")
        return Sample({"x": x}, {"key": key})
    slices = st.slices if negative_steps else _positive_step_slices
    form = draw(st.sampled_from(["int_array", "bool_mask", "mixed"]), label="form")
    if form == "int_array":
        key = draw(hnp.integer_array_indices(
            shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)), label="key")
    elif form == "bool_mask":
        mask_dims = draw(st.integers(1, len(shape)), label="mask dims")
        key = draw(bool_arrays(shape=shape[:mask_dims]), label="mask")
    else:
        def indices(axis):
            n = shape[axis]
            return numpy.asarray(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4),
                                      label=f"indices along {axis}"))
        if len(shape) == 1:
            key = (indices(0), Ellipsis)
        elif draw(st.booleans(), label="array first"):
            key = (indices(0), draw(slices(shape[1]), label="slice"))
        else:
            key = (draw(slices(shape[0]), label="slice"), indices(1))
    return Sample({"x": x}, {"key": key})


@composite
def where_samples(draw, *, scalar_y=False):
    triple = broadcastable_shapes(key="where", num_shapes=3)
    condition_shape, x_shape, y_shape = draw(triple, label="shapes").input_shapes
    condition = draw(bool_arrays(shape=condition_shape), label="condition")
    x = draw(arrays(shape=x_shape), label="x")
    if scalar_y:
        return Sample({"x": x}, {"condition": condition, "y": draw(REALS.elements(), label="y")})
    return Sample({"x": x, "y": draw(arrays(shape=y_shape), label="y")}, {"condition": condition})


@composite
def softmax_samples(draw, *, default_axis_ok=False):
    """``softmax(x, axis)``; ``axis=None`` (the framework's default) only when
    ``default_axis_ok`` and x has at least 2 dimensions."""
    shape = draw(shapes(min_dims=1), label="shape")
    axis = draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    if default_axis_ok and len(shape) >= 2 and draw(st.booleans(), label="default axis"):
        axis = None
    return Sample({"x": draw(arrays(shape=shape, domain=SOFTMAX), label="x")}, {"axis": axis})


@composite
def topk_samples(draw):
    shape = draw(shapes(min_dims=1), label="shape")
    axis = draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    return Sample({"x": draw(distinct_arrays(shape=shape), label="x")},
                  {"k": draw(st.integers(0, shape[axis]), label="k"), "axis": axis,
                   "largest": draw(st.booleans(), label="largest")})


@composite
def clip_samples(draw, one_sided=True):
    """``one_sided=False``: both bounds always (an API where a None bound raises)."""
    none = st.none() if one_sided else st.nothing()
    x_min = draw(none | st.floats(-2.0, 1.0), label="x_min")
    x_max = draw(st.floats(-1.0, 2.0) if x_min is None
                 else none | st.floats(x_min + 0.2, x_min + 3.0), label="x_max")
    bounds = tuple(b for b in (x_min, x_max) if b is not None)
    shape = draw(shapes(), label="shape")
    x = draw(arrays(shape=shape, domain=Domain(-3.0, 3.0, kinks=bounds)), label="x")
    return Sample({"x": x}, {"x_min": x_min, "x_max": x_max})


@composite
def cast_samples(draw):
    shape = draw(shapes(), label="shape")
    return Sample({"x": draw(arrays(shape=shape), label="x")},
                  {"dtype": draw(float_dtypes(), label="target dtype")})
