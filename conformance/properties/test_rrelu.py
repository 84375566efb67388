"""rrelu in training (issue 17): torch ``F.rrelu(x, lower, upper, training)``, chainer
``F.rrelu(x, l, u)`` under ``chainer.using_config('train', ...)``, refimpl ``rrelu(x, lower,
upper, train)``. (The registry's ``rrelu`` is evaluation mode, compared like any op.)

``rrelu.statistics``: the slopes are random, so each example checks what any correct rrelu
must do, on one forward pass and its backward (``vjp`` of the same graph). With ``s = y / x``
the slope of each element (x is never 0) and ``eps`` the cell dtype's machine epsilon:

- on x > 0 the output is x and the gradient gy, exactly;
- in training, on x < 0: every slope lies in ``[lower, upper]`` up to ``slack = 2 eps upper``
  (the slope r rounded to the dtype, then ``x r`` rounded: ``(1 + eps / 2)^2 - 1 < 2 eps``
  relative, ``eps / 2`` the unit roundoff); the mean of the n slopes lies within
  ``(upper - lower) sqrt(ln(2 / ALPHA) / (2 n)) + slack`` of ``(lower + upper) / 2`` and their
  mean squared deviation from it within ``((upper - lower) / 2)^2 sqrt(ln(2 / ALPHA) / (2 n))
  + slack (upper - lower + slack)`` of the variance ``(upper - lower)^2 / 12`` of
  U(lower, upper) (Hoeffding's inequality for n independent terms bounded in an interval:
  each bound fails with probability at most ``ALPHA`` for slopes drawn from U(lower, upper);
  the rounding moves each term by at most the added slack);
- out of training, every slope on x < 0 is the mean slope ``(lower + upper) / 2`` up to the
  same slack;
- the gradient on x < 0 is ``gy s``, the slope of the same draw, within ``2 eps`` relative
  (``gx = gy r`` and ``s = r`` each rounded once: their ratio is within ``eps / (1 - eps / 2)``).

With ``ALPHA`` = 1e-6 per bound, two bounds an example and 25 examples a cell, a correct
framework fails a ci cell with probability below 5e-5. With n about 1000 negative elements
(x's 2000 signs are fair coins), the mean's bound is below 0.09 (upper - lower): slopes from
U(lower, 2 upper) shift the mean by upper / 2 >= 0.125 > 0.09 (0.75 - 0.05) = 0.063 (and leave
the range); one slope for all (the mean slope in training) has mean squared deviation 0, below
the variance by (upper - lower)^2 / 12, while the bound is 0.022 (upper - lower)^2.
"""
import math

import numpy

from ..harness import run_examples
from ..subjects import layer_strategies
from .common import OP_DTYPES, framework_call, prepare, reference_name, skip, value_and_gradient
from .common import cells as subject_cells
from .layers import functional_subjects

SUBJECTS = functional_subjects("rrelu")
PROPERTIES = ("rrelu.statistics",)
ALPHA = 1e-6  # false-alarm rate of each Hoeffding bound (slopes' mean, their variance), per example


def cells(session):
    # float16 too: chainer and refimpl take it; torch's absence is a skip with its reason
    return subject_cells(session, "rrelu.statistics", SUBJECTS, dtypes=OP_DTYPES)


def hoeffding_half_width(n, span, alpha=ALPHA):
    """The ``t`` with ``P(|mean - E| >= t) <= alpha`` for the mean of ``n`` independent terms
    in an interval of length ``span`` (Hoeffding: ``2 exp(-2 n t^2 / span^2)``)."""
    return span * math.sqrt(math.log(2.0 / alpha) / (2.0 * n))


def check_cell(session, cell, stats):
    if not session.is_reference(cell.framework):
        reason = session.plugin(cell.framework).absent_dtype(cell.subject, cell.dtype)
        if reason:
            skip(reason)
    ctx = prepare(session, cell, stats)
    eps = float(numpy.finfo(cell.dtype).eps)
    adapter = ctx.adapter

    def check(data, sample, stats):
        stats.begin_example()
        lower, upper = sample.kwargs["lower"], sample.kwargs["upper"]
        train = sample.kwargs["train"]
        x_array = sample.inputs["x"].astype(cell.dtype)
        gy = data.draw(layer_strategies.grid_values(shape=x_array.shape, label="gy"), label="gy")
        where = (f"{cell.framework} {ctx.version}, {cell.device}, {cell.dtype}: rrelu(x of "
                 f"shape {x_array.shape}, lower={lower!r}, upper={upper!r}, train={train})")

        result = framework_call(stats, f"{cell.framework} rrelu", lambda: value_and_gradient(
            adapter, cell, ctx.function, x_array, gy, lower=lower, upper=upper, train=train))
        if result is not None:
            y, gx = result
            check_slopes(stats, x_array.astype(numpy.float64), y, gx, gy, lower, upper, train,
                         eps)
        stats.end_example(lambda: where)

    run_examples(stats, ctx.strategy(), check)


def check_slopes(stats, x, y, gx, gy, lower, upper, train, eps):
    """The output and gradient of one rrelu call, in or out of training (see the module)."""
    positive, negative = x > 0, x < 0
    identity = (numpy.array_equal(y[positive], x[positive])
                and numpy.array_equal(gx[positive], gy[positive]))
    stats.oracle("identity on x > 0", identity)
    if not identity:
        stats.problem("on x > 0 the output is not x or the gradient not gy")
    slopes = y[negative] / x[negative]
    slack = 2.0 * eps * upper
    if train:
        check_distribution(stats, slopes, lower, upper, slack)
    else:
        mean = (lower + upper) / 2.0
        at_mean = bool(numpy.all(numpy.abs(slopes - mean) <= slack))
        stats.oracle("the mean slope out of training", at_mean)
        if not at_mean:
            stats.problem(f"out of training a slope y / x on x < 0 is not (lower + upper) / 2 = "
                          f"{mean:g} (max abs err {_max(numpy.abs(slopes - mean)):.3g}, slack "
                          f"{slack:.3g})")
    expected = gy[negative] * slopes
    error = numpy.abs(gx[negative] - expected)
    grad_ok = bool(numpy.all(error <= 2.0 * eps * numpy.abs(expected)))
    stats.oracle("gradient = gy * the slope of the same draw", grad_ok)
    if not grad_ok:
        stats.problem(f"on x < 0 the gradient is not gy * y / x (the slope of the same draw): "
                      f"max abs err {_max(error):.3g}, allowed 2 eps |gy y / x| (eps {eps:g}; "
                      f"{reference_name()}'s rule)")


def check_distribution(stats, slopes, lower, upper, slack):
    """The range, mean and variance of the training slopes against U(lower, upper)."""
    n, span = slopes.size, upper - lower
    in_range = bool(numpy.all((slopes >= lower - slack) & (slopes <= upper + slack)))
    stats.oracle("slopes in [lower, upper]", in_range)
    if not in_range:
        stats.problem(f"a slope y / x on x < 0 lies outside [lower, upper] = [{lower:g}, "
                      f"{upper:g}]: min {_min(slopes):.6g}, max {_max(slopes):.6g} (slack "
                      f"{slack:.3g})")
    if n < 2:
        return
    mean, variance = (lower + upper) / 2.0, span ** 2 / 12.0
    mean_bound = hoeffding_half_width(n, span) + slack
    mean_ok = abs(float(slopes.mean()) - mean) <= mean_bound
    stats.oracle(f"slopes' mean, U(lower, upper) (alpha={ALPHA:g})", mean_ok)
    if not mean_ok:
        stats.problem(f"the mean of {n} slopes is {float(slopes.mean()):.6g}, not within "
                      f"{mean_bound:.3g} of (lower + upper) / 2 = {mean:.6g} (Hoeffding, "
                      f"false-alarm rate {ALPHA:g})")
    deviation = float(numpy.mean((slopes - mean) ** 2))
    variance_bound = hoeffding_half_width(n, (span / 2.0) ** 2) + slack * (span + slack)
    variance_ok = abs(deviation - variance) <= variance_bound
    stats.oracle(f"slopes' variance, U(lower, upper) (alpha={ALPHA:g})", variance_ok)
    if not variance_ok:
        stats.problem(f"the mean squared deviation of {n} slopes from (lower + upper) / 2 is "
                      f"{deviation:.6g}, not within {variance_bound:.3g} of (upper - lower)^2 "
                      f"/ 12 = {variance:.6g} (Hoeffding, false-alarm rate {ALPHA:g})")


def _max(values):
    return float(numpy.max(values)) if values.size else 0.0


def _min(values):
    return float(numpy.min(values)) if values.size else 0.0


def test_rrelu(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
