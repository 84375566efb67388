"""The op registry, as data: one entry per subject of the property suites.

An ``OpEntry`` describes one op (or one way of calling it, e.g. ``add-scalar``): the refimpl
op it exercises (each framework binds it under that name in its plugin's ``ops_module``),
how its samples are drawn (input domain, kinks avoided) and tolerance overrides (each with a
written reason). It names no framework: a framework that lacks the subject, a dtype of it or
double backprop through it says so in its plugin (``Plugin.ops_absent``, ``dtypes_absent``,
``gradgrad_absent``), with the reason. Properties are parameterised from ``entries()``.

Other kinds of entries (layers such as linear, conv2d, pooling, rnn and lstm; losses;
optimizers) are meant to be added as further ``Entry`` subclasses with their own ``kind``
(for example ``LayerEntry(kind="layer", subject="conv2d", ...)`` with the layer's
constructor arguments per framework and a sample strategy for configurations) and
registered with ``register``; ``entries(kind)`` then parameterises their property modules.
Nothing else in the harness needs to change: cells are keyed by (property, subject,
framework, ...), whatever the kind.

>>> entries("op")[0].subject
'abs'
>>> get("topk").op
'topk'
"""
import dataclasses
from typing import Callable

# an absolute import: ``from . import strategies`` would import the package back from its record
import conformance.subjects.strategies as S

from ..checks.tolerances import CENTRAL_DIFFERENCE_EPS, Override
from .core import Absent, Api, Entry, entries, get, register  # noqa: F401 (re-exported)

DTYPES = ("float32", "float64", "float16")
FAMILIES = ("elementwise", "arithmetic", "reduction", "shape", "indexing", "matmul", "softmax")


@dataclasses.dataclass(frozen=True)
class OpEntry(Entry):
    """One op as data.

    - ``op``: the ``refimpl.functions`` name it exercises (and the name of each framework's
      binding in its plugin's ``ops_module``).
    - ``family``: one of ``FAMILIES`` (engine properties draw ops family by family).
    - ``samples``: ``Api -> strategy`` of ``strategies.Sample`` (inputs, kwargs): it may
      depend on the API features of the framework called and on its refimpl policy.
    - ``arity``: number of differentiated inputs (``"n"``: a sequence).
    - ``domain``/``kinks``: where inputs are drawn and which points are avoided (also
      encoded in ``samples``; kept here as documentation and for the report).
    - ``differentiable``: False for ops with integer outputs only (argmax); or the name of a
      boolean refimpl policy field that says it for each framework (``cast``:
      'cast_differentiable'): gradient checks skip it where that field is False
      (``differentiable_under``).
    - ``tolerances``: ``tolerances.Override`` entries, each with its reason.
    - ``central_difference_eps``: the numerical oracle's step (an override needs
      ``central_difference_reason``).
    - ``saves_tensors``: torch frees the saved tensors of this op after backward, so a second
      backward raises (``retain_graph`` properties); refimpl's ``Function.saves_tensors``.
    """

    op: str = ""
    family: str = ""
    samples: Callable = None
    arity: object = 1
    domain: object = S.REALS
    kinks: tuple = ()
    differentiable: object = True
    tolerances: tuple = ()
    saves_tensors: bool = True
    central_difference_eps: float = CENTRAL_DIFFERENCE_EPS
    central_difference_reason: str = ""
    doc: str = ""
    kind: str = dataclasses.field(default="op", init=False)

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"{self.subject}: family={self.family!r} is not one of {FAMILIES}")
        if self.central_difference_eps != CENTRAL_DIFFERENCE_EPS and not self.central_difference_reason:
            raise ValueError(f"{self.subject}: a central-difference step override needs a reason")
        for override in self.tolerances:
            if not isinstance(override, Override):
                raise TypeError(f"{self.subject}: tolerances must be Override entries")

    def strategy(self, api):
        return self.samples(api)

    def differentiable_under(self, policy):
        """Whether the op has a gradient under ``policy`` (the reference's Policy object)."""
        if isinstance(self.differentiable, str):
            return bool(getattr(policy, self.differentiable))
        return self.differentiable


# --- helpers that build entries ------------------------------------------------------------

def _fixed(strategy):
    return lambda api: strategy


def unary(name, domain=S.REALS, kinks=(), family="elementwise", **extra):
    return register(OpEntry(name, op=name, family=family, domain=domain, kinks=kinks,
                            samples=_fixed(S.unary_samples(domain=domain)), **extra))


def binary(name, domain_a=S.REALS, domain_b=S.REALS, **extra):
    """``name`` on two broadcastable arrays, and ``name-scalar`` with a Python float on
    either side."""
    register(OpEntry(name, op=name, family="arithmetic", arity=2, domain=(domain_a, domain_b),
                     samples=_fixed(S.binary_samples(domain_a=domain_a, domain_b=domain_b)),
                     **extra))
    register(OpEntry(f"{name}-scalar", op=name, family="arithmetic",
                     domain=(domain_a, domain_b),
                     samples=_fixed(S.scalar_operand_samples(domain_a=domain_a,
                                                             domain_b=domain_b)),
                     doc=f"{name}(x, 2.5) and {name}(2.5, x): Python scalars keep the "
                         f"array's dtype", **extra))


# --- the ops -------------------------------------------------------------------------------

# Elementwise maths and activations.
unary("abs", domain=S.NONZERO, kinks=(0.0,))
unary("neg", saves_tensors=False)
unary("exp")
unary("log", domain=S.POSITIVE)
unary("sqrt", domain=S.POSITIVE)
unary("sin")
unary("cos")
unary("tanh")
unary("sigmoid", domain=S.SIGMOID)
unary("relu", domain=S.NONZERO, kinks=(0.0,))
_LEAKY_RELU_SAMPLES = {
    True: S.unary_samples(domain=S.NONZERO,
                          negative_slope=S.st.none() | S.st.floats(-1.0, 2.0)),
    False: S.unary_samples(domain=S.NONZERO, negative_slope=S.st.floats(-1.0, 2.0)),
}
register(OpEntry("leaky_relu", op="leaky_relu", family="elementwise", domain=S.NONZERO,
                 kinks=(0.0,), samples=lambda api: _LEAKY_RELU_SAMPLES[
                     api.policy.leaky_relu_default_slope is not None],
                 # defaults: torch 0.01, chainer 0.2 (policy leaky_relu_default_slope); an
                 # API without a default slope is never called without one
                 doc="negative_slope drawn or left to the framework's default"))
register(OpEntry("clip", op="clip", family="elementwise", kinks=("x_min", "x_max"),
                 samples=lambda api: S.clip_samples(
                     one_sided=api.policy.clip_none_bound == "unbounded"),
                 doc="a None bound drawn only where the policy makes it no bound "
                     "(clip_none_bound)"))
register(OpEntry("cast", op="cast", family="elementwise", samples=_fixed(S.cast_samples()),
                 saves_tensors=False, differentiable="cast_differentiable",
                 central_difference_eps=1e-2,
                 central_difference_reason=(
                     "a float32 output rounds to ~1e-7 relative, which a 1e-6 step turns into "
                     "~0.1 error; cast is linear, so a 1e-2 step costs no accuracy"),
                 doc="to float32 or float64; the gradient is cast back to the input's dtype"))

# Arithmetic with broadcasting and Python scalars.
binary("add", saves_tensors=False)
binary("sub", saves_tensors=False)
binary("mul")
binary("div", domain_b=S.DENOMINATOR)
binary("pow", domain_a=S.POSITIVE, domain_b=S.EXPONENT)
register(OpEntry("pow-int_exponent", op="pow", family="arithmetic",
                 samples=_fixed(S.int_exponent_samples()),
                 doc="x ** n for n in 0..3 and any sign of x (0 ** 0 included)"))

# Matrix products.
register(OpEntry("matmul", op="matmul", family="matmul", arity=2,
                 samples=_fixed(S.matmul_samples())))
# chainer has no vector dot: its binding is F.matmul of two 1-D arrays.
register(OpEntry("dot", op="dot", family="matmul", arity=2,
                 samples=_fixed(S.matmul_samples(kinds=("1d@1d",))),
                 doc="the inner product of two vectors"))

# Reductions.
register(OpEntry("sum", op="sum", family="reduction", saves_tensors=False,
                 samples=lambda api: S.reduction_samples(axes="any")))
register(OpEntry("mean", op="mean", family="reduction", saves_tensors=False,
                 samples=lambda api: S.reduction_samples(axes="any")))
# chainer F.logsumexp has no keepdims (its plugin lacks 'reduction_keepdims_everywhere').
register(OpEntry("logsumexp", op="logsumexp", family="reduction",
                 samples=lambda api: S.reduction_samples(
                     axes="any", keepdims="reduction_keepdims_everywhere" in api.features),
                 doc="keepdims drawn only for an API that has it (feature "
                     "reduction_keepdims_everywhere)"))
# torch binds max over a tuple of axes to torch.amax (torch.max takes one dim); along one
# int axis torch returns (values, indices), chainer values only.
for _name in ("max", "min"):
    register(OpEntry(_name, op=_name, family="reduction",
                     samples=lambda api: S.reduction_samples(axes="tuple_or_none", distinct=True),
                     doc=f"{_name} over all axes or a tuple of axes; values 0.1 apart, so no "
                         f"ties"))
    register(OpEntry(f"{_name}-axis", op=_name, family="reduction",
                     samples=lambda api: S.reduction_samples(axes="int", distinct=True),
                     doc=f"{_name} along one int axis: values, and indices where the policy "
                         f"says so (max_returns_indices)"))
# Index dtype int64 (torch) / int32 (chainer); chainer F.argmax has no keepdims.
for _name in ("argmax", "argmin"):
    register(OpEntry(_name, op=_name, family="reduction", differentiable=False,
                     samples=lambda api: S.reduction_samples(
                         axes="int_or_none",
                         keepdims="reduction_keepdims_everywhere" in api.features),
                     doc="integer output; its dtype: policy index_dtype; keepdims drawn only "
                         "for an API that has it"))
# chainer 7.8.1 has no topk (its plugin's ops_absent).
register(OpEntry("topk", op="topk", family="reduction", samples=_fixed(S.topk_samples()),
                 doc="the k largest (or smallest) values along an axis, and their indices"))

# Shapes.
register(OpEntry("reshape", op="reshape", family="shape", saves_tensors=False,
                 samples=_fixed(S.reshape_samples())))
# Bindings: transpose is torch.permute in torch (torch.transpose swaps two dims); permute is
# F.transpose in chainer; sum_to is Tensor.sum_to_size in torch; cat is F.concat in chainer.
register(OpEntry("transpose", op="transpose", family="shape", saves_tensors=False,
                 samples=_fixed(S.transpose_samples()),
                 doc="NumPy's transpose: axes reversed, or permuted as given"))
register(OpEntry("permute", op="permute", family="shape", saves_tensors=False,
                 samples=_fixed(S.permute_samples()), doc="dims permuted as given"))
register(OpEntry("swapaxes", op="swapaxes", family="shape", saves_tensors=False,
                 samples=_fixed(S.swapaxes_samples())))
register(OpEntry("broadcast_to", op="broadcast_to", family="shape", saves_tensors=False,
                 samples=_fixed(S.broadcast_to_samples())))
register(OpEntry("sum_to", op="sum_to", family="shape", saves_tensors=False,
                 samples=_fixed(S.sum_to_samples()),
                 doc="sums broadcast axes away down to a given shape"))
register(OpEntry("squeeze", op="squeeze", family="shape", saves_tensors=False,
                 samples=_fixed(S.squeeze_samples())))
register(OpEntry("expand_dims", op="expand_dims", family="shape", saves_tensors=False,
                 samples=_fixed(S.expand_dims_samples())))
register(OpEntry("unsqueeze", op="unsqueeze", family="shape", saves_tensors=False,
                 samples=_fixed(S.expand_dims_samples())))
register(OpEntry("concat", op="concat", family="shape", arity="n", saves_tensors=False,
                 samples=lambda api: S.concat_samples(default_axis=api.policy.concat_default_axis),
                 # default axis: torch 0, chainer 1
                 doc="axis drawn, or the framework's default (policy concat_default_axis)"))
register(OpEntry("cat", op="cat", family="shape", arity="n", saves_tensors=False,
                 samples=lambda api: S.concat_samples(default_axis=api.policy.concat_default_axis),
                 doc="another name for concat"))
register(OpEntry("stack", op="stack", family="shape", arity="n", saves_tensors=False,
                 samples=_fixed(S.stack_samples())))
register(OpEntry("split", op="split", family="shape", saves_tensors=False,
                 samples=lambda api: S.split_samples(semantics=api.policy.split_semantics),
                 # sizes: torch.split; split points: chainer F.split_axis
                 doc="integers are sizes or split points: policy split_semantics"))

# Indexing.
register(OpEntry("getitem", op="getitem", family="indexing", saves_tensors=False,
                 samples=lambda api: S.getitem_samples(
                     kind="basic", negative_steps="negative_slice_steps" in api.features),
                 # torch rejects negative slice steps (its plugin lacks 'negative_slice_steps')
                 doc="ints, slices, None, Ellipsis; negative slice steps only for an API that "
                     "has them (feature negative_slice_steps)"))
register(OpEntry("getitem-advanced", op="getitem", family="indexing", saves_tensors=False,
                 samples=lambda api: S.getitem_samples(
                     kind="advanced", negative_steps="negative_slice_steps" in api.features),
                 doc="integer arrays (repeated indices add up), boolean masks, arrays with "
                     "slices"))
register(OpEntry("where", op="where", family="indexing", arity=2,
                 samples=_fixed(S.where_samples())))
register(OpEntry("where-scalar", op="where", family="indexing",
                 samples=_fixed(S.where_samples(scalar_y=True)),
                 # chainer F.where takes arrays only (its plugin's ops_absent)
                 doc="where(condition, x, y) with a Python scalar y"))

# Softmax family.
LOG_SOFTMAX_FLOAT16 = Override(
    rtol=1e-2, atol=8e-3, dtypes=("float16",), quantities=("value",),
    reason="log_softmax = x - max(x) - log(sum(exp(x - max(x)))): with inputs in [-4, 4] the "
           "intermediates reach |8|, where float16 values are 2**-7 = 0.0078 apart, and a "
           "result near 0 keeps that absolute error (a framework that computes it in "
           "float16; seen: 0.0032 on a result of -0.008)")  # seen on chainer 7.8.1
for _name in ("softmax", "log_softmax"):
    register(OpEntry(_name, op=_name, family="softmax", domain=S.SOFTMAX,
                     tolerances=(LOG_SOFTMAX_FLOAT16,) if _name == "log_softmax" else (),
                     samples=lambda api: S.softmax_samples(default_axis_ok=True),
                     # default axis: torch an implicit rule with a warning, chainer 1
                     doc="axis drawn, or the default for inputs of 2+ dims (policy "
                         "softmax_default_axis)"))


def covered_ops():
    """The refimpl op names that have at least one entry."""
    return {entry.op for entry in entries("op")}
