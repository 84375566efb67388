"""Dropout (issue 17): torch ``F.dropout(x, p, training)``, chainer ``F.dropout(x, ratio)``
under ``chainer.using_config('train', ...)``, refimpl ``dropout(x, ratio, train)``.

``dropout.statistics``: the mask is random, so each example checks what any correct
inverted dropout must do, on one forward pass and its backward (``vjp`` of the same graph):

- in training, every output element is 0 or ``x / (1 - ratio)`` (within the dtype's 'value'
  tolerance); the number kept ``K`` of the ``n`` elements lies in the two-sided binomial
  acceptance interval of ``Binomial(n, 1 - ratio)`` at false-alarm rate ``ALPHA`` (exact
  tail sums, ``binomial_interval``); the gradient is ``gy / (1 - ratio)`` on the kept
  elements and 0 on the dropped ones;
- out of training, the output is ``x`` and the gradient ``gy``, exactly.

With ``ALPHA`` = 1e-6 per example and 25 examples a cell, a correct framework fails a ci cell
with probability below 2.5e-5; with n = 2000 elements, a keep probability off by 0.1 at any
drawn ratio lands outside the interval with probability above 0.99 (the interval's half-width
is at most 4.9 sigma = 4.9 sqrt(n / 4) = 110 kept elements; a shift of 0.1 n = 200 exceeds it
by more than 2.33 sigma).
"""
import functools
import math

import numpy

from ..checks import tolerances
from ..harness import run_examples
from ..subjects import layer_strategies
from .common import cells as subject_cells
from .common import framework_call, prepare, reference_name, value_and_gradient
from .layers import functional_subjects

SUBJECTS = functional_subjects("dropout")
PROPERTIES = ("dropout.statistics",)
ALPHA = 1e-6  # two-sided false-alarm rate of the keep count, per example


def cells(session):
    return subject_cells(session, "dropout.statistics", SUBJECTS)


@functools.lru_cache(maxsize=64)
def binomial_interval(n, q, alpha=ALPHA):
    """The smallest ``[low, high]`` with ``P(K < low) <= alpha / 2`` and ``P(K > high) <=
    alpha / 2`` for ``K ~ Binomial(n, q)``, from the exact probabilities (log-space)."""
    if q <= 0 or q >= 1:
        return (0, 0) if q <= 0 else (n, n)
    k = numpy.arange(n + 1)
    log_choose = numpy.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                              for i in range(n + 1)])
    pmf = numpy.exp(log_choose + k * math.log(q) + (n - k) * math.log1p(-q))
    lower_tail = numpy.cumsum(pmf)  # P(K <= k)
    upper_tail = numpy.cumsum(pmf[::-1])[::-1]  # P(K >= k)
    low = int(numpy.argmax(lower_tail > alpha / 2))  # first k with P(K <= k) > alpha / 2
    high = int(n - numpy.argmax(upper_tail[::-1] > alpha / 2))
    return low, high


def check_cell(session, cell, stats):
    ctx = prepare(session, cell, stats)
    tolerance = stats.tolerance = tolerances.tolerance(cell.dtype, "value")
    adapter = ctx.adapter

    def check(data, sample, stats):
        stats.begin_example()
        ratio, train = sample.kwargs["ratio"], sample.kwargs["train"]
        x_array = sample.inputs["x"].astype(cell.dtype)
        gy = data.draw(layer_strategies.grid_values(shape=x_array.shape, label="gy"), label="gy")
        where = (f"{cell.framework} {ctx.version}, {cell.device}, {cell.dtype}: dropout(x of "
                 f"shape {x_array.shape}, ratio={ratio}, train={train})")

        result = framework_call(stats, f"{cell.framework} dropout", lambda: value_and_gradient(
            adapter, cell, ctx.function, x_array, gy, ratio=ratio, train=train))
        if result is not None:
            y, gx = result
            x = x_array.astype(numpy.float64)
            if not train:
                exact = numpy.array_equal(y, x) and numpy.array_equal(gx, gy)
                stats.oracle("identity out of training", exact)
                if not exact:
                    stats.problem("out of training the output is not x or the gradient not gy")
            else:
                check_training(stats, x, y, gx, gy, ratio, tolerance)
        stats.end_example(lambda: where)

    run_examples(stats, ctx.strategy(), check)


def check_training(stats, x, y, gx, gy, ratio, tolerance):
    """The output, keep count and gradient of one training-mode dropout (see the module)."""
    kept = y != 0
    scale = 1.0 / (1.0 - ratio)
    values_ok = tolerance.allclose(numpy.where(kept, y, 0.0), numpy.where(kept, x * scale, 0.0))
    stats.oracle("kept values x / (1 - ratio)", values_ok)
    if not values_ok:
        error = float(numpy.max(numpy.abs(numpy.where(kept, y - x * scale, 0.0))))
        stats.problem(f"a kept element is not x / (1 - ratio) = x * {scale:g} (max abs err "
                      f"{error:.3g}, rtol={tolerance.rtol:g}, atol={tolerance.atol:g})")
    count, size = int(kept.sum()), kept.size
    low, high = binomial_interval(size, 1.0 - ratio)
    inside = low <= count <= high
    stats.oracle(f"binomial keep count (alpha={ALPHA:g})", inside)
    if not inside:
        stats.problem(f"kept {count} of {size} elements at ratio {ratio}: outside the "
                      f"Binomial({size}, {1 - ratio:g}) interval [{low}, {high}] (two-sided "
                      f"false-alarm rate {ALPHA:g})")
    expected = numpy.where(kept, gy * scale, 0.0)
    grad_ok = tolerance.allclose(gx, expected)
    stats.oracle("gradient through the kept elements", grad_ok)
    if not grad_ok:
        stats.problem(f"the gradient is not gy / (1 - ratio) on the kept elements and 0 on the "
                      f"dropped ones (max abs err {float(numpy.max(numpy.abs(gx - expected))):.3g}"
                      f"; {reference_name()}'s rule)")


def test_dropout(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
