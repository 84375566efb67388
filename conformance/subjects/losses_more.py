"""Loss records of the issue-17 breadth, with the sample strategies only they use.

Shared subjects (one function in both frameworks, called with the arguments both take, so
each framework's default is observed; refimpl's default is a policy field):
``huber_loss`` (``huber_loss_reduction``), ``l1_loss`` (torch ``F.l1_loss``, chainer
``F.absolute_error``: ``l1_loss_reduction``), ``squared_error``, ``gaussian_nll`` (log-variance
in, torch's binding passes ``exp(ln_var)``: ``gaussian_nll_reduction``,
``gaussian_nll_full``) and ``triplet`` (``triplet_distance``, ``triplet_margin``).

One framework's own losses (the other binds ``Absent`` with its reason, so its cells are
skips): torch ``smooth_l1_loss``, ``nll_loss``, ``gaussian_nll_loss``, ``kl_div``,
``triplet_margin_loss``; chainer ``gaussian_kl_divergence``, ``contrastive``, ``hinge``,
``cross_covariance``, ``decov``.

Values are on the layer grid (multiples of 1/32, exact in every dtype); kinks are kept away:
Huber's delta and the margins are off the grid, absolute differences and hinge scores never
reach 0, contrastive pairs never coincide. ``DOUBLE_BACKWARD``: the subjects with a
``loss.double_backward`` cell (``properties/test_losses_more.py``).
"""
import numpy
from hypothesis import assume
from hypothesis import strategies as st

import conformance.subjects.layer_strategies as L

from .core import register
from .layers import Functional
from .strategies import KINK_MARGIN, Sample, composite

GRID = L.GRID
REDUCTIONS = L.REDUCTIONS  # torch's reduction=
DELTAS = (0.55, 0.8, 1.3)  # off the grid: |x - t| never equals delta
MARGINS = (0.3, 0.7, 1.3)  # off the grid (and off 1/1024: squared distances)


def _shape(draw, *, min_dims=1, max_dims=3):
    return tuple(draw(st.lists(st.integers(1, 3), min_size=min_dims, max_size=max_dims),
                      label="shape"))


def _apart(draw, *, base, label):
    """``base`` plus nonzero grid offsets in [-1.5, 1.5] (no element of the difference is 0)."""
    magnitude = draw(L.grid_values(shape=base.shape, label=f"{label} |offset|", low=1 / GRID,
                                   high=1.5), label=f"{label} |offset|")
    signs = numpy.where(L._generator(draw, f"{label} signs").random(base.shape) < 0.5, -1.0, 1.0)
    return base + magnitude * signs


@composite
def huber_samples(draw):
    """``huber_loss(x, t, delta)``: x, t of 2+ dimensions (chainer sums over axis 1)."""
    shape = _shape(draw, min_dims=2)
    return Sample({"x": draw(L.grid_values(shape=shape, label="x")),
                   "t": draw(L.grid_values(shape=shape, label="t"))},
                  {"delta": draw(st.sampled_from(DELTAS), label="delta")})


@composite
def smooth_l1_samples(draw):
    """``smooth_l1_loss(x, t, reduction, beta)``; beta 0 (the L1 loss) with x != t."""
    shape = _shape(draw, min_dims=0)
    x = draw(L.grid_values(shape=shape, label="x"))
    return Sample({"x": x, "t": _apart(draw, base=x, label="t")},
                  {"reduction": draw(st.sampled_from(REDUCTIONS), label="reduction"),
                   "beta": draw(st.sampled_from((0.0,) + DELTAS), label="beta")})


@composite
def pair_samples(draw, *, apart):
    """``f(x, t)`` of one shape; ``apart``: no element of x - t is 0 (|x - t|'s kink)."""
    shape = _shape(draw, min_dims=0)
    x = draw(L.grid_values(shape=shape, label="x"))
    t = _apart(draw, base=x, label="t") if apart else draw(L.grid_values(shape=shape,
                                                                         label="t"))
    return Sample({"x": x, "t": t}, {})


@composite
def nll_samples(draw):
    """``nll_loss(x, t, weight, ignore_index, reduction)``: x (N, C[, d]) of log-probability
    values (any floats: nll_loss does not check), int64 labels, some ignored."""
    classes = draw(st.integers(2, 4), label="classes")
    batch = draw(st.integers(1, 3), label="batch")
    spatial = tuple(draw(st.lists(st.integers(1, 2), max_size=1), label="spatial"))
    generator = L._generator(draw, "labels")
    labels = generator.integers(0, classes, size=(batch,) + spatial)
    if draw(st.booleans(), label="some labels ignored"):
        labels = numpy.where(generator.random(labels.shape) < 0.3, -100, labels)
        labels.flat[0] = max(labels.flat[0], 0)  # at least one counted label (else 0/0)
    kwargs = {"t": labels.astype(numpy.int64), "ignore_index": -100,
              "reduction": draw(st.sampled_from(REDUCTIONS), label="reduction")}
    if draw(st.booleans(), label="class weights given"):
        kwargs["weight"] = draw(L.grid_values(shape=(classes,), label="weight", low=1 / GRID,
                                              high=2))
    return Sample({"x": draw(L.grid_values(shape=(batch, classes) + spatial, label="x",
                                           low=-3, high=0))}, kwargs)


@composite
def gaussian_nll_samples(draw):
    """``gaussian_nll(x, mean, ln_var)``: log-variances in [-2, 2]."""
    shape = _shape(draw, min_dims=1)
    return Sample({"x": draw(L.grid_values(shape=shape, label="x")),
                   "mean": draw(L.grid_values(shape=shape, label="mean")),
                   "ln_var": draw(L.grid_values(shape=shape, label="ln_var"))}, {})


@composite
def gaussian_nll_loss_samples(draw):
    """``gaussian_nll_loss(input, target, var, full, eps, reduction)``: variances in [1/32, 2],
    above every drawn eps (torch clamps under no_grad: where it clamps, its gradient is the
    unclamped formula's, which central differences do not give)."""
    shape = _shape(draw, min_dims=1)
    kwargs = {"full": draw(st.booleans(), label="full"),
              "reduction": draw(st.sampled_from(REDUCTIONS), label="reduction")}
    eps = draw(st.sampled_from([None, 1e-6, 0.01]), label="eps")
    if eps is not None:
        kwargs["eps"] = eps
    return Sample({"input": draw(L.grid_values(shape=shape, label="input")),
                   "target": draw(L.grid_values(shape=shape, label="target")),
                   "var": draw(L.grid_values(shape=shape, label="var", low=1 / GRID, high=2))},
                  kwargs)


@composite
def kl_div_samples(draw):
    """``kl_div(input, target, reduction, log_target)``: input log-probability values,
    target probabilities in (0, 1] or log-probabilities in [-3, 0]."""
    shape = _shape(draw, min_dims=1)
    log_target = draw(st.booleans(), label="log_target")
    target = draw(L.grid_values(shape=shape, label="target", low=-3, high=0)) if log_target \
        else draw(L.grid_values(shape=shape, label="target", low=1 / GRID, high=1))
    return Sample({"input": draw(L.grid_values(shape=shape, label="input", low=-3, high=0)),
                   "target": target},
                  {"reduction": draw(st.sampled_from(REDUCTIONS + ("batchmean",)),
                                     label="reduction"),
                   "log_target": log_target})


@composite
def gaussian_kl_samples(draw):
    """``gaussian_kl_divergence(mean, ln_var, reduce)``, reduce 'sum' or 'no' ('mean' came in
    chainer 6: 5.4.0 raises ValueError for it)."""
    shape = _shape(draw, min_dims=1)
    return Sample({"mean": draw(L.grid_values(shape=shape, label="mean")),
                   "ln_var": draw(L.grid_values(shape=shape, label="ln_var"))},
                  {"reduce": draw(st.sampled_from(["sum", "no"]), label="reduce")})


def _triplet_inputs(draw):
    """anchor, positive, negative (N, D); no element of positive or negative equals the
    anchor's (a distance of 0 is a kink of the norm, ``||a - p + eps||``)."""
    n, d = draw(st.integers(1, 3), label="N"), draw(st.integers(1, 4), label="D")
    anchor = draw(L.grid_values(shape=(n, d), label="anchor"))
    return {"anchor": anchor, "positive": _apart(draw, base=anchor, label="positive"),
            "negative": _apart(draw, base=anchor, label="negative")}


# the frameworks' default margins (policy triplet_margin: torch 1.0, chainer 0.2)
DEFAULT_TRIPLET_MARGINS = (1.0, 0.2)


def _off_the_hinge(inputs, margins, p=2, eps=1e-6, swap=False, squared=True):
    """Whether every sample's hinge argument keeps ``KINK_MARGIN`` from 0 for each of
    ``margins`` under both definitions: torch's ``||a - p + eps||_p - ||a - n + eps||_p +
    margin`` (with ``swap``, ``min(d(a, n), d(p, n))``: kept off its tie, and d(p, n) off 0)
    and, with ``squared``, chainer's squared distances. At 0 the gradient is a one-sided choice and central differences see a kink:
    torch's default margin 1.0 lies on the grid, so pairwise distances that differ by exactly 1
    were drawn (the thorough profile at seed 3: anchor 1.40625, positive 1.46875, negative
    2.46875)."""
    anchor, positive, negative = (numpy.asarray(inputs[k], dtype=numpy.float64)
                                  for k in ("anchor", "positive", "negative"))

    def distance(u, v):
        return numpy.sum(numpy.abs(u - v + eps) ** p, axis=1) ** (1.0 / p)

    to_positive, to_negative = distance(anchor, positive), distance(anchor, negative)
    if swap:  # d(p, n) joins in: off its own kink at p == n, and off its tie with d(a, n)
        other = distance(positive, negative)
        if numpy.any(other < KINK_MARGIN) or numpy.any(numpy.abs(to_negative - other) < KINK_MARGIN):
            return False
        to_negative = numpy.minimum(to_negative, other)
    differences = [to_positive - to_negative]
    if squared:
        differences.append(numpy.sum((anchor - positive) ** 2, axis=1)
                           - numpy.sum((anchor - negative) ** 2, axis=1))
    return all(numpy.all(numpy.abs(difference + margin) >= KINK_MARGIN)
               for margin in margins for difference in differences)


@composite
def triplet_samples(draw):
    """``triplet(anchor, positive, negative, margin)``: margin drawn or each framework's
    default (policy triplet_margin); off the hinge's kink (``_off_the_hinge``)."""
    inputs = _triplet_inputs(draw)
    margin = draw(st.sampled_from((None,) + MARGINS), label="margin")
    assume(_off_the_hinge(inputs, DEFAULT_TRIPLET_MARGINS if margin is None else (margin,)))
    return Sample(inputs, {} if margin is None else {"margin": margin})


@composite
def triplet_margin_samples(draw):
    """``triplet_margin_loss``: p 2 or 3 (p = 1 has kinks at the grid), eps, swap, margin and
    reduction drawn."""
    inputs = _triplet_inputs(draw)
    kwargs = {"margin": draw(st.sampled_from(MARGINS), label="margin"),
              "p": draw(st.sampled_from([2, 3]), label="p"),
              "swap": draw(st.booleans(), label="swap"),
              "reduction": draw(st.sampled_from(REDUCTIONS), label="reduction")}
    eps = draw(st.sampled_from([None, 1e-6, 0.01]), label="eps")
    if eps is not None:
        kwargs["eps"] = eps
    assume(_off_the_hinge(inputs, (kwargs["margin"],), kwargs["p"], 1e-6 if eps is None else eps,
                          kwargs["swap"], squared=False))  # torch's only
    return Sample(inputs, kwargs)


@composite
def contrastive_samples(draw):
    """``contrastive(x0, x1, y, margin, reduce)``: pairs never equal (the distance's gradient
    is infinite at 0), labels in {0, 1}."""
    n, k = draw(st.integers(1, 3), label="N"), draw(st.integers(1, 3), label="K")
    x0 = draw(L.grid_values(shape=(n, k), label="x0"))
    labels = L._generator(draw, "y").integers(0, 2, size=n).astype(numpy.int32)
    kwargs = {"y": labels, "reduce": draw(st.sampled_from(["mean", "no"]), label="reduce")}
    margin = draw(st.sampled_from((None,) + MARGINS), label="margin")
    if margin is not None:
        kwargs["margin"] = margin
    return Sample({"x0": x0, "x1": _apart(draw, base=x0, label="x1")}, kwargs)


@composite
def hinge_samples(draw):
    """``hinge(x, t, norm, reduce)``: scores half a grid step off the grid (1 +- x is never 0)."""
    n, k = draw(st.integers(1, 3), label="N"), draw(st.integers(2, 4), label="K")
    x = draw(L.grid_values(shape=(n, k), label="x")) + 1 / (2 * GRID)
    labels = L._generator(draw, "t").integers(0, k, size=n).astype(numpy.int32)
    return Sample({"x": x}, {"t": labels, "norm": draw(st.sampled_from(["L1", "L2"]),
                                                       label="norm"),
                             "reduce": draw(st.sampled_from(["mean", "no"]), label="reduce")})


@composite
def multi_margin_samples(draw):
    """``multi_margin_loss(x, t, p, margin, weight, reduction)``: grid scores and a margin off
    the grid (margin - x_t + x_i is never 0), class weights drawn or not."""
    n, k = draw(st.integers(1, 3), label="N"), draw(st.integers(2, 4), label="C")
    labels = L._generator(draw, "t").integers(0, k, size=n).astype(numpy.int64)
    kwargs = {"t": labels, "p": draw(st.sampled_from([1, 2]), label="p"),
              "margin": draw(st.sampled_from(MARGINS), label="margin"),
              "reduction": draw(st.sampled_from(REDUCTIONS), label="reduction")}
    if draw(st.booleans(), label="class weights given"):
        kwargs["weight"] = draw(L.grid_values(shape=(k,), label="weight", low=1 / GRID, high=2))
    return Sample({"x": draw(L.grid_values(shape=(n, k), label="x"))}, kwargs)


@composite
def covariance_samples(draw, *, names):
    n = draw(st.integers(1, 4), label="N")
    return Sample({name: draw(L.grid_values(shape=(n, draw(st.integers(1, 3),
                                                             label=f"columns of {name}")),
                                            label=name)) for name in names},
                  {"reduce": draw(st.sampled_from(["half_squared_sum", "no"]), label="reduce")})


@composite
def ctc_samples(draw):
    """``ctc_loss(x, t, input_length, label_length, blank)``: activations (T, B, C) on the
    grid, padded int32 labels (B, L) of non-blank classes, lengths that leave every alignment
    possible (input_length >= label length + repeated neighbours), blank 0 or C - 1."""
    batch, classes = draw(st.integers(1, 2), label="B"), draw(st.integers(3, 4), label="C")
    blank = draw(st.sampled_from([0, classes - 1]), label="blank")
    symbols = [c for c in range(classes) if c != blank]
    width = draw(st.integers(1, 2), label="L")
    generator = L._generator(draw, "labels")
    labels = generator.choice(symbols, size=(batch, width)).astype(numpy.int32)
    label_length = generator.integers(0, width + 1, size=batch).astype(numpy.int32)
    needed = [max(1, int(n) + int(numpy.sum(row[1:n] == row[:n - 1])))
              for row, n in zip(labels, label_length)]
    steps = draw(st.integers(max(needed), 4), label="T")
    input_length = numpy.array([generator.integers(n, steps + 1) for n in needed], numpy.int32)
    input_length[generator.integers(0, batch)] = steps  # one sample uses every frame
    return Sample({"x": draw(L.grid_values(shape=(steps, batch, classes), label="x"))},
                  {"t": labels, "input_length": input_length, "label_length": label_length,
                   "blank": blank})


def _fixed(strategy):
    return lambda features: strategy


_RECORDS = [
    ("huber_loss", huber_samples(), "Huber loss; default reduction: policy huber_loss_reduction"),
    ("smooth_l1_loss", smooth_l1_samples(), "huber_loss(delta=beta) / beta"),
    ("l1_loss", pair_samples(apart=True),
     "|x - t| (absolute_error); default reduction: policy l1_loss_reduction"),
    ("squared_error", pair_samples(apart=False),
     "(x - t)^2 elementwise (mse_loss(reduction='none'))"),
    ("nll_loss", nll_samples(), "NLL of log-probabilities; its port: -select_item(log_p, t)"),
    ("gaussian_nll", gaussian_nll_samples(),
     "log-variance in; policy gaussian_nll_reduction, gaussian_nll_full"),
    ("gaussian_nll_loss", gaussian_nll_loss_samples(), "variance in, full, eps"),
    ("kl_div", kl_div_samples(), "log-probabilities in, batchmean, log_target"),
    ("gaussian_kl_divergence", gaussian_kl_samples(), "KL(N(mean, var) || N(0, 1))"),
    ("triplet", triplet_samples(), "policy triplet_distance, triplet_margin"),
    ("triplet_margin_loss", triplet_margin_samples(), "p-norm distances, eps, swap"),
    ("contrastive", contrastive_samples(), "pairs with similar/dissimilar labels"),
    ("hinge", hinge_samples(), "one-vs-all hinge (multi_margin_loss is another formula)"),
    ("cross_covariance", covariance_samples(names=("y", "z")), "0.5 ||cov(y, z)||^2"),
    ("decov", covariance_samples(names=("h",)), "0.5 ||off-diagonal cov(h)||^2"),
    ("ctc_loss", ctc_samples(), "CTC of activations; 'mean': policy ctc_mean_normalisation"),
    ("multi_margin_loss", multi_margin_samples(), "margin between the true and each other class"),
]

SUBJECTS = tuple(subject for subject, _, _ in _RECORDS)
#: Subjects with a loss.double_backward cell: every one but ctc_loss, which neither framework
#: differentiates twice (torch 2.13: derivative for _ctc_loss_backward is not implemented;
#: chainer 7.8.1: an old-style Function); a framework without double backprop through another
#: says so in its plugin's ``gradgrad_absent``.
DOUBLE_BACKWARD = tuple(subject for subject in SUBJECTS if subject != "ctc_loss")

for _subject, _strategy, _doc in _RECORDS:
    register(Functional(_subject, family="loss", samples=_fixed(_strategy), doc=_doc))
del _subject, _strategy, _doc
