"""Gradients from non-finite output gradients (``grad.nonfinite_seed``).

The other gradient properties draw finite output gradients, so they cannot see how a
backward spreads an infinite or NaN one, and there the frameworks differ from each other and
from a composite's chain rule: a kernel that multiplies the output gradient once by a local
derivative gives inf where the product rule of a composite adds ``gy a + gy b`` (inf - inf =
NaN); a kernel that selects (``where(mask, gy, 0)``) gives 0 where another multiplies by the
mask (0 * NaN = NaN); a kernel that sums the output gradient per channel first spreads it
through other terms than one that centres it. ``scripts/probe_nonfinite_seeds.py`` found 24
such subject-framework pairs between refimpl and torch 2.13 or chainer 7.8.1, and this
property pow on torch; all but ctc_loss's two are modelled now (a policy field where the two
frameworks differ), each with a behaviour case or a policy test.

Each example takes the subject's drawn inputs and output gradients (as ``grad.first_order``
draws them) and puts NaN, +inf or -inf at one to three drawn positions of the output
gradients. The framework's gradient is compared with refimpl's in float64 under the
framework's policy: NaN, +inf and -inf at the same places, the finite entries within the
'grad' tolerance. Cells: every differentiable registry op and layer-level function on each
framework, in float64 only (the pattern is the formula's; float64 keeps overflow and float32
rounding out of it); none for refimpl itself (it would be compared with itself), nor for the
random subjects (dropout, rrelu: their masks are drawn per call). A subject whose frameworks'
behaviour refimpl does not model yet skips with the evidence (``NOT_MODELLED``).
"""
import numpy
from hypothesis import strategies as st

from ..harness import run_examples
from .calls import CALLS, framework_gradient, reference_gradient
from .common import cells as subject_cells
from .common import compare_arrays, prepare, skip
from .layers import functional_subjects
from .. import subjects

PROPERTY = "grad.nonfinite_seed"
NONFINITE = (numpy.nan, numpy.inf, -numpy.inf)
#: the layer-level families whose subjects are deterministic functions of their inputs
FAMILIES = ("loss", "normalization", "conv", "conv_nd", "pooling", "linear", "layer_function")


#: subjects whose frameworks' backward refimpl does not model for non-finite output gradients
#: yet, with the evidence: their cells skip with the reason (they run in grad.first_order)
NOT_MODELLED = {
    "ctc_loss": "the reference's ctc_loss is a composite of logsumexp recursions, and the "
                "frameworks' CTC backward kernels compute the gradient from the alpha-beta "
                "products in one pass, which spreads an infinite or NaN output gradient "
                "otherwise (T=1, one label, seed inf: a framework [nan, nan, nan], the "
                "reference [inf, inf, nan]; scripts/probe_nonfinite_seeds.py --only "
                "ctc_loss): not modelled yet",
}


def cells(session):
    names = [entry.subject for entry in subjects.entries("op") if entry.differentiable]
    names += [name for family in FAMILIES for name in functional_subjects(family)]
    return subject_cells(session, PROPERTY, names, dtypes=("float64",), reference_dtypes=())


def with_nonfinite(data, grad_outputs):
    """``grad_outputs`` with NaN, +inf or -inf at one to three drawn positions (over all of
    them, flattened in order)."""
    seeds = [numpy.array(g, dtype=numpy.float64) for g in grad_outputs]
    total = sum(g.size for g in seeds)
    if not total:
        return seeds
    count = data.draw(st.integers(1, min(3, total)), label="non-finite count")
    positions = data.draw(st.lists(st.integers(0, total - 1), min_size=count, max_size=count,
                                   unique=True), label="non-finite positions")
    values = data.draw(st.lists(st.sampled_from(NONFINITE), min_size=count, max_size=count),
                       label="non-finite values")
    flat = numpy.concatenate([g.reshape(-1) for g in seeds])
    flat[positions] = values
    offsets = numpy.cumsum([0] + [g.size for g in seeds])
    return [flat[start:end].reshape(g.shape) for start, end, g in zip(offsets, offsets[1:], seeds)]


def check_cell(session, cell, stats):
    ctx = prepare(session, cell, stats, gradient=True)
    if cell.subject in NOT_MODELLED:
        skip(NOT_MODELLED[cell.subject])
    kind = CALLS[ctx.entry.kind]
    tolerance = stats.tolerance = ctx.tolerance("grad")

    def check(data, sample, stats):
        stats.begin_example()
        sample, high = kind.rounded(sample, cell.dtype)
        where = ctx.describe(sample)
        seeds = with_nonfinite(data, kind.draw_grad_outputs(data, ctx, sample, where))
        with numpy.errstate(all="ignore"):  # inf - inf, 0 * inf: the values under test
            expected = reference_gradient(ctx, high, seeds, where)
            actual = framework_gradient(ctx, stats, sample, seeds)
        if actual is not None:
            compare_arrays(stats, "gradient of input", actual, expected, tolerance,
                           ctx.float64_oracle)
        stats.end_example(lambda: f"{where}, grad_outputs={[g.tolist() for g in seeds]}",
                          lambda: ctx.repro("grad", sample, expected, tolerance,
                                            grad_outputs=seeds))

    run_examples(stats, ctx.strategy(), check)


def test_grad_nonfinite_seed(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
