"""Op records of the maths and activation breadth (issue 17): more elementwise maths,
binary maximum/minimum/fmod/arctan2/lerp, prod and the running sums/products, shape ops,
tensordot/einsum/bmm, and activations; with the sample strategies only they use.

Each record is framework-neutral (``ops.OpEntry``); each framework binds the op in its
plugin's ``ops_module`` or lists it in ``ops_absent`` with the reason. Where chainer and torch
differ, a refimpl policy field models it (``binary_extremum_tie_gradient``,
``hard_sigmoid_slope``, ``softplus_threshold``), or the binding passes the argument whose
default differs (clipped_relu's z). Samples keep away from kinks and ties; what happens
exactly there is a behaviour case.
"""
from hypothesis import strategies as st

import conformance.subjects.strategies as S

from .core import register
from .ops import OpEntry, unary

Domain, Sample = S.Domain, S.Sample


def _fixed(strategy):
    return lambda api: strategy


# --- domains --------------------------------------------------------------------------------

LOG1P = Domain(-0.8, 3.0)
UNIT_OPEN = Domain(-0.9, 0.9)  # arcsin, arccos, arctanh, erfinv
TAN = Domain(-1.2, 1.2)
ABOVE_ONE = Domain(1.2, 3.0)  # arccosh
INTEGER_KINKS = Domain(-3.0, 3.0, kinks=tuple(float(k) for k in range(-3, 4)))  # floor, ceil
PRODUCT = Domain(-1.5, 1.5)  # products of up to 12 factors stay inside float16's range
# hard_sigmoid is flat outside [-3, 3] (torch, slope 1/6) or [-2.5, 2.5] (chainer, slope 0.2)
HARD_SIGMOID = Domain(-4.0, 4.0, kinks=(-3.0, -2.5, 2.5, 3.0))
# polygamma(n, x) from x = 1: the central-difference oracle's truncation error h^2 f'''/6
# grows like x^-(n+4) (psi_4(0.5) = 771), and at x = 0.5, n = 1 it exceeded the oracle's
# tolerance (1.1e-4 relative) while refimpl and torch agreed to float64 rounding (ci run,
# grad.first_order, 2026-12-04)
POLYGAMMA = Domain(1.0, 3.0)
RELU6 = Domain(-2.0, 8.0, kinks=(0.0, 6.0))
HARDSWISH = Domain(-4.0, 4.0, kinks=(-3.0, 3.0))
SHRINK = Domain(-2.5, 2.5, kinks=(-1.0, -0.5, -0.25, 0.25, 0.5, 1.0))


# --- strategies -----------------------------------------------------------------------------

@S.composite
def optional_kwargs_samples(draw, *, domain=S.REALS, min_dims=0, **optional):
    """``f(x, **kwargs)`` where each of ``optional`` (name -> strategy) is passed or left to
    the framework's default, independently."""
    shape = draw(S.shapes(min_dims=min_dims), label="shape")
    x = draw(S.arrays(shape=shape, domain=domain), label="x")
    kwargs = {}
    for name, strategy in optional.items():
        if draw(st.booleans(), label=f"pass {name}"):
            kwargs[name] = draw(strategy, label=name)
    return Sample({"x": x}, kwargs)


@S.composite
def glu_samples(draw):
    """``glu(x, axis)``: x of 1 to 3 dimensions whose ``axis`` has an even length."""
    shape = list(draw(S.shapes(min_dims=1, max_size=S.MAX_SIZE // 2), label="shape"))
    axis = draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    shape[axis] *= 2
    x = draw(S.arrays(shape=tuple(shape)), label="x")
    return Sample({"x": x}, {"axis": axis} if draw(st.booleans(), label="pass axis") or axis
                  not in (-1, len(shape) - 1) else {})


@S.composite
def separated_pair_samples(draw, *, gap=S.KINK_MARGIN):
    """``f(a, b)`` on two arrays of one shape whose elements differ by at least ``gap``
    (maximum/minimum: no ties; the tie is a behaviour case)."""
    shape = draw(S.shapes(), label="shape")
    a = draw(S.arrays(shape=shape), label="a")
    offset = draw(S.arrays(shape=shape, domain=Domain(-2.0, 2.0, kinks=(0.0,))), label="b - a")
    assert gap <= S.KINK_MARGIN
    return Sample({"a": a, "b": a + offset})


@S.composite
def fmod_samples(draw):
    """``fmod(a, b)`` with |b| >= 0.5 and a / b at least 0.05 from an integer (fmod jumps
    where a / b is one): a = q * b for such a quotient q."""
    shape = draw(S.shapes(), label="shape")
    b = draw(S.arrays(shape=shape, domain=S.DENOMINATOR), label="b")
    quotients = Domain(-3.5, 3.5, kinks=tuple(float(k) for k in range(-3, 4)))
    q = draw(S.arrays(shape=shape, domain=quotients), label="a / b")
    return Sample({"a": q * b, "b": b})


@S.composite
def same_shape_samples(draw, **domains):
    """``f(**inputs)`` on arrays of one shape, each input in its domain."""
    shape = draw(S.shapes(), label="shape")
    return Sample({name: draw(S.arrays(shape=shape, domain=domain), label=name)
                   for name, domain in domains.items()})


@S.composite
def arrays_with_zeros(draw, *, shape, domain):
    """float64 arrays of ``shape`` in ``domain``, about a third of the elements exactly 0
    (products); seed 0 gives the domain's simplest array, as ``S.arrays``."""
    return domain.array(draw(S.SEEDS, label="seed"), shape, zero_rate=1 / 3)


@S.composite
def prod_samples(draw):
    """``prod(x, axis, keepdims)``: axis None or one int (torch.prod takes one dim)."""
    shape = draw(S.shapes(), label="shape")
    x = draw(arrays_with_zeros(shape=shape, domain=PRODUCT), label="x")
    axis = draw(S.axis_strategy(kind="int_or_none", ndim=len(shape)), label="axis")
    return Sample({"x": x}, {"axis": axis, "keepdims": draw(st.booleans(), label="keepdims")})


@S.composite
def running_samples(draw, *, zeros=False):
    """``f(x, axis)`` along one int axis (torch's cumsum/cumprod need one)."""
    shape = draw(S.shapes(min_dims=1), label="shape")
    x = draw(arrays_with_zeros(shape=shape, domain=PRODUCT) if zeros
             else S.arrays(shape=shape), label="x")
    return Sample({"x": x}, {"axis": draw(st.integers(-len(shape), len(shape) - 1),
                                          label="axis")})


@S.composite
def tile_samples(draw):
    shape = draw(S.shapes(max_size=6), label="shape")
    reps = draw(st.lists(st.integers(1, 2), min_size=1, max_size=3).map(tuple), label="reps")
    if len(reps) == 1 and draw(st.booleans(), label="reps as an int"):
        reps = reps[0]
    return Sample({"x": draw(S.arrays(shape=shape), label="x")}, {"reps": reps})


@S.composite
def repeat_samples(draw):
    shape = draw(S.shapes(max_size=6), label="shape")
    options = [st.none()] + ([st.integers(-len(shape), len(shape) - 1)] if shape else [])
    return Sample({"x": draw(S.arrays(shape=shape), label="x")},
                  {"repeats": draw(st.integers(1, 3), label="repeats"),
                   "axis": draw(st.one_of(options), label="axis")})


@S.composite
def moveaxis_samples(draw):
    shape = draw(S.shapes(min_dims=1), label="shape")
    ndim = len(shape)
    count = draw(st.integers(1, ndim), label="axes moved")
    source = draw(st.permutations(range(ndim)), label="source")[:count]
    destination = draw(st.permutations(range(ndim)), label="destination")[:count]
    if count == 1 and draw(st.booleans(), label="ints"):
        source, destination = source[0], destination[0]
    else:
        source, destination = tuple(source), tuple(destination)
    return Sample({"x": draw(S.arrays(shape=shape), label="x")},
                  {"source": source, "destination": destination})


@S.composite
def tensordot_samples(draw):
    """``tensordot(a, b, axes)``: an int (a's last with b's first axes) or two lists of axes
    in any order."""
    side = st.integers(1, 3)
    contracted = draw(st.lists(side, max_size=2), label="contracted sides")
    a_free = draw(st.lists(side, max_size=2), label="a's free sides")
    b_free = draw(st.lists(side, max_size=2), label="b's free sides")
    a_shape, b_shape = tuple(a_free + contracted), tuple(contracted + b_free)
    if draw(st.booleans(), label="axes as an int"):
        axes = len(contracted)
    else:
        a_order = draw(st.permutations(range(len(a_shape))), label="a's axis order")
        b_order = draw(st.permutations(range(len(b_shape))), label="b's axis order")
        a_shape = tuple(a_shape[i] for i in a_order)
        b_shape = tuple(b_shape[i] for i in b_order)
        k = len(contracted)
        axes = ([a_order.index(len(a_free) + i) for i in range(k)],
                [b_order.index(i) for i in range(k)])
    return Sample({"a": draw(S.arrays(shape=a_shape), label="a"),
                   "b": draw(S.arrays(shape=b_shape), label="b")}, {"axes": axes})


EINSUM_EQUATIONS = ("ij,jk->ik", "ij->ji", "ij->", "i,i->", "bij,bjk->bik", "ij,ij->ij",
                    "i,j->ij", "ij->j", "ijk,ik->j", "ij,jk", "ij,kj->ik", "i->i")


@S.composite
def einsum_samples(draw):
    equation = draw(st.sampled_from(EINSUM_EQUATIONS), label="subscripts")
    terms = equation.split("->")[0].split(",")
    sizes = {letter: draw(st.integers(1, 3), label=f"size of {letter}")
             for letter in sorted(set("".join(terms)))}
    operands = [draw(S.arrays(shape=tuple(sizes[c] for c in term)), label=f"operands[{i}]")
                for i, term in enumerate(terms)]
    return Sample({"operands": operands}, {"subscripts": equation})


@S.composite
def bmm_samples(draw):
    batch, n, k, m = (draw(st.integers(1, 3), label=name) for name in ("batch", "n", "k", "m"))
    return Sample({"a": draw(S.arrays(shape=(batch, n, k)), label="a"),
                   "b": draw(S.arrays(shape=(batch, k, m)), label="b")})


@S.composite
def softplus_samples(draw, *, threshold):
    """``softplus(x, beta, threshold)``; ``threshold`` (drawn only for an API that has it)
    low enough to be crossed, with beta * x kept 0.05 away from it (softplus jumps by
    log(1 + exp(-t)) / beta there)."""
    beta = draw(st.none() | st.floats(0.5, 3.0), label="beta")
    limit = draw(st.none() | st.floats(1.0, 6.0), label="threshold") if threshold else None
    scale = 1.0 if beta is None else beta
    kinks = () if limit is None else (limit / scale,)
    shape = draw(S.shapes(), label="shape")
    x = draw(S.arrays(shape=shape, domain=Domain(-3.0, 3.0, kinks=kinks)), label="x")
    kwargs = {}
    if beta is not None:
        kwargs["beta"] = beta
    if limit is not None:
        kwargs["threshold"] = limit
    return Sample({"x": x}, kwargs)


@S.composite
def clipped_samples(draw, *, low=None, high_name="z", low_name=None):
    """clipped_relu(x, z) (low 0) or hardtanh(x, min_val, max_val): bounds drawn or left to
    the default, x kept away from them."""
    kwargs = {}
    lower = 0.0 if low_name is None else -1.0
    upper = 20.0 if low_name is None else 1.0
    if low_name is not None and draw(st.booleans(), label=f"pass {low_name}"):
        lower = kwargs[low_name] = draw(st.floats(-2.0, 0.5), label=low_name)
    if draw(st.booleans(), label=f"pass {high_name}"):
        upper = kwargs[high_name] = draw(st.floats(max(lower, 0.0) + 0.5, 3.0), label=high_name)
    shape = draw(S.shapes(), label="shape")
    domain = Domain(-3.0, 4.0, kinks=(lower, upper))
    return Sample({"x": draw(S.arrays(shape=shape, domain=domain), label="x")}, kwargs)


# --- the records ----------------------------------------------------------------------------

# Logarithms, exponentials and powers.
unary("log1p", domain=LOG1P)
unary("expm1")
unary("log2", domain=S.POSITIVE)
unary("log10", domain=S.POSITIVE)
unary("square")
unary("rsqrt", domain=S.POSITIVE)
unary("reciprocal", domain=S.DENOMINATOR, kinks=(0.0,))

# Trigonometric and hyperbolic functions and their inverses.
unary("tan", domain=TAN)
unary("arcsin", domain=UNIT_OPEN)
unary("arccos", domain=UNIT_OPEN)
unary("arctan")
unary("sinh")
unary("cosh")
unary("arcsinh")
unary("arccosh", domain=ABOVE_ONE)
unary("arctanh", domain=UNIT_OPEN)

# Special functions.
unary("erf")
unary("erfc")
unary("erfinv", domain=UNIT_OPEN)
unary("lgamma", domain=S.POSITIVE)
# torch's float64 trigamma, the first derivative that digamma's and polygamma(0, x)'s double
# backward checks differentiate numerically, is accurate to only ~3e-10 relative (4.934802202073678
# at 0.5, exactly 4.934802200544679); a 1e-6 step turns that into up to 9.1e-5 relative error,
# at the central-difference tolerance (thorough seed 1 drew digamma(0.5): 24.4829 vs 24.4799).
# A 1e-4 step: at most 8.3e-7 over [0.2, 3], truncation included (torch 2.13.0 vs mpmath).
TRIGAMMA_STEP = dict(central_difference_eps=1e-4, central_difference_reason=(
    "a float64 trigamma accurate to ~3e-10 relative (one framework's is) becomes ~1e-4 error "
    "in the second-order check with a 1e-6 step; a 1e-4 step keeps central differences within "
    "1e-6"))
unary("digamma", domain=S.POSITIVE, **TRIGAMMA_STEP)
# x >= 0.5: psi^(n+2)(x) ~ (n+1)! / x^(n+2) stays inside float16's range (its gradgrad)
register(OpEntry("polygamma", op="polygamma", family="elementwise", domain=POLYGAMMA,
                 samples=_fixed(S.unary_samples(domain=POLYGAMMA, n=st.integers(0, 3))),
                 **TRIGAMMA_STEP, doc="the n-th derivative of digamma, n in 0..3"))

# Steps: derivative 0 where it exists; outside the graph where the policy's
# step_functions_in_graph is False (chainer: F.floor/ceil/sign record no node).
for _name, _domain in (("floor", INTEGER_KINKS), ("ceil", INTEGER_KINKS), ("sign", S.NONZERO)):
    unary(_name, domain=_domain, kinks=_domain.kinks, differentiable="step_functions_in_graph")

# Binary maths (ties and kinks kept apart; the tie gradient is a behaviour case).
for _name in ("maximum", "minimum"):
    register(OpEntry(_name, op=_name, family="arithmetic", arity=2,
                     samples=_fixed(separated_pair_samples()), kinks=("a == b",),
                     doc=f"elementwise {_name} of two arrays of one shape, 0.05 apart: at a tie "
                         f"the gradient follows policy binary_extremum_tie_gradient"))
register(OpEntry("fmod", op="fmod", family="arithmetic", arity=2,
                 samples=_fixed(fmod_samples()), kinks=("a / b integer",),
                 doc="C's fmod (the sign of a); d/db = -trunc(a / b)"))
# chainer's F.arctan2 broadcasts forward but returns gradients of the broadcast shape
# (chainer raises 'Shape of data and grad mismatch'): operands of one shape.
register(OpEntry("arctan2", op="arctan2", family="arithmetic", arity=2,
                 domain=(S.NONZERO, S.DENOMINATOR), samples=_fixed(same_shape_samples(
                     a=S.NONZERO, b=S.DENOMINATOR)),
                 doc="atan2(a, b) of one shape; away from the origin and the branch cut"))
register(OpEntry("lerp", op="lerp", family="arithmetic", arity=3,
                 samples=_fixed(same_shape_samples(start=S.REALS, end=S.REALS,
                                                   weight=Domain(-0.5, 1.5))),
                 doc="start + weight (end - start)"))  # chainer: linear_interpolate(w, end, start)

# Products and running sums/products (exact zeros drawn: gradients must stay exact).
register(OpEntry("prod", op="prod", family="reduction", samples=_fixed(prod_samples()),
                 domain=PRODUCT, doc="over everything or one axis; zeros drawn"))
register(OpEntry("cumsum", op="cumsum", family="reduction", saves_tensors=False,
                 samples=_fixed(running_samples())))
register(OpEntry("cumprod", op="cumprod", family="reduction", domain=PRODUCT,
                 samples=_fixed(running_samples(zeros=True)), doc="zeros drawn"))

# Shapes.
register(OpEntry("flip", op="flip", family="shape", saves_tensors=False,
                 samples=_fixed(running_samples()), doc="along one int axis"))  # chainer's F.flip
register(OpEntry("tile", op="tile", family="shape", saves_tensors=False,
                 samples=_fixed(tile_samples())))
register(OpEntry("repeat", op="repeat", family="shape", saves_tensors=False,
                 samples=_fixed(repeat_samples()),
                 doc="numpy.repeat with an int count"))  # torch.repeat_interleave
register(OpEntry("flatten", op="flatten", family="shape", saves_tensors=False,
                 samples=_fixed(S.unary_samples()),
                 doc="to 1-D; a 1-D input is returned itself (policy identity_ops_return_input)"))
register(OpEntry("moveaxis", op="moveaxis", family="shape", saves_tensors=False,
                 samples=_fixed(moveaxis_samples())))

# Products of arrays.
register(OpEntry("tensordot", op="tensordot", family="matmul", arity=2,
                 samples=_fixed(tensordot_samples())))
register(OpEntry("einsum", op="einsum", family="matmul", arity="n",
                 samples=_fixed(einsum_samples()),
                 doc=f"one of {len(EINSUM_EQUATIONS)} equations (no ellipsis, no diagonal)"))
register(OpEntry("bmm", op="bmm", family="matmul", arity=2, samples=_fixed(bmm_samples()),
                 doc="(B, n, k) @ (B, k, m)"))  # chainer: F.batch_matmul

# Activations.
register(OpEntry("elu", op="elu", family="elementwise", domain=S.NONZERO, kinks=(0.0,),
                 samples=_fixed(optional_kwargs_samples(domain=S.NONZERO,
                                                        alpha=st.floats(0.1, 2.0))),
                 doc="alpha drawn or left to the default (1 in both)"))
unary("selu", domain=S.NONZERO, kinks=(0.0,))
register(OpEntry("celu", op="celu", family="elementwise", domain=S.NONZERO, kinks=(0.0,),
                 samples=_fixed(optional_kwargs_samples(domain=S.NONZERO,
                                                        alpha=st.floats(0.2, 2.0)))))
register(OpEntry("softplus", op="softplus", family="elementwise",
                 samples=lambda api: softplus_samples(
                     threshold="softplus_threshold" in api.features),
                 doc="beta drawn or default; threshold drawn only for an API that has it "
                     "(feature softplus_threshold); default: policy softplus_threshold"))
unary("hard_sigmoid", domain=HARD_SIGMOID, kinks=HARD_SIGMOID.kinks,
      doc="slope: policy hard_sigmoid_slope")  # torch 1/6, chainer 0.2
register(OpEntry("silu", op="silu", family="elementwise",
                 samples=_fixed(S.unary_samples(min_dims=1)),
                 doc="x sigmoid(x), x of 1+ dimensions"))  # chainer: F.swish, beta 1
unary("relu6", domain=RELU6, kinks=RELU6.kinks)
register(OpEntry("clipped_relu", op="clipped_relu", family="elementwise",
                 kinks=("0", "z"), samples=_fixed(clipped_samples()),
                 # chainer's default z 20, bound explicitly in torch's hardtanh(x, 0, z)
                 doc="clip(x, 0, z), z drawn or the default"))
register(OpEntry("hardtanh", op="hardtanh", family="elementwise", kinks=("min_val", "max_val"),
                 samples=_fixed(clipped_samples(low_name="min_val", high_name="max_val"))))
unary("log_sigmoid", domain=S.SIGMOID)
register(OpEntry("rrelu", op="rrelu", family="elementwise", kinks=(0.0,),
                 samples=_fixed(optional_kwargs_samples(domain=S.NONZERO,
                                                        lower=st.floats(0.05, 0.2),
                                                        upper=st.floats(0.25, 0.5))),
                 doc="evaluation mode: the mean slope (lower + upper) / 2; lower and upper "
                     "drawn or the defaults (1/8, 1/3 in both)"))
# torch's own activations (chainer 7.8.1 has none: absent there with the reason)
register(OpEntry("gelu", op="gelu", family="elementwise",
                 samples=_fixed(optional_kwargs_samples(
                     approximate=st.sampled_from(["none", "tanh"]))),
                 doc="x Phi(x), or the tanh approximation; approximate drawn or the default"))
unary("mish")
unary("hardswish", domain=HARDSWISH, kinks=HARDSWISH.kinks)
for _shrink in ("hardshrink", "softshrink"):
    register(OpEntry(_shrink, op=_shrink, family="elementwise", kinks=SHRINK.kinks,
                     samples=_fixed(optional_kwargs_samples(
                         domain=SHRINK, lambd=st.sampled_from([0.25, 0.5, 1.0]))),
                     doc="lambd drawn from {0.25, 0.5, 1} (the domain keeps away from "
                         "+-lambd) or the default 0.5"))
register(OpEntry("softmin", op="softmin", family="softmax", domain=S.SOFTMAX,
                 samples=lambda api: S.softmax_samples(), doc="softmax(-x, axis)"))
register(OpEntry("glu", op="glu", family="elementwise", samples=_fixed(glu_samples()),
                 doc="a * sigmoid(b) for the halves of an even axis"))
register(OpEntry("crelu", op="crelu", family="elementwise", kinks=(0.0,),
                 samples=_fixed(optional_kwargs_samples(domain=S.NONZERO, min_dims=2,
                                                        axis=st.sampled_from([0, 1, -1]))),
                 doc="concat([relu(x), relu(-x)], axis), axis drawn or the default 1"))
unary("softsign", domain=S.NONZERO, kinks=(0.0,))
unary("tanhshrink")
