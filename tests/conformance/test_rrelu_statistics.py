"""rrelu.statistics can fail: its Hoeffding bounds hold for correct slopes, and an rrelu whose
slopes come from the wrong interval, are all the mean slope, or whose gradient is not the slope
of the same draw is caught, on synthetic arrays and through a patched torch binding."""
import math

import numpy
import pytest

from conformance import harness
from conformance.harness import Cell
from conformance.properties import test_rrelu
from conformance.properties.test_rrelu import ALPHA, check_slopes, hoeffding_half_width
from tests.conformance.recording_stats import Stats


def _rrelu(x, dtype, slopes, gradient_slopes=None):
    """y = x * slope on x < 0 (x elsewhere) and gx = gy * gradient slope, rounded as a
    framework in ``dtype`` rounds them; float64 arrays back."""
    gradient_slopes = slopes if gradient_slopes is None else gradient_slopes
    rng = numpy.random.default_rng(1)
    gy = (rng.integers(-64, 65, size=x.shape) / 32).astype(dtype)
    xd = x.astype(dtype)
    negative = xd < 0
    y = numpy.where(negative, xd * slopes.astype(dtype), xd)
    gx = numpy.where(negative, gy * gradient_slopes.astype(dtype), gy)
    return (xd.astype(numpy.float64), y.astype(numpy.float64), gx.astype(numpy.float64),
            gy.astype(numpy.float64))


def _x(rng):
    return rng.choice([-1.0, 1.0], size=(40, 50)) * rng.integers(16, 65, size=(40, 50)) / 32


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("lower, upper", [(0.05, 0.25), (0.125, 1 / 3), (0.2, 0.75)])
def test_a_correct_rrelu_passes_and_each_defect_fails(dtype, lower, upper):
    rng = numpy.random.default_rng(0)
    x = _x(rng)
    eps = float(numpy.finfo(dtype).eps)

    def problems(slopes, gradient_slopes=None, train=True):
        stats = Stats()
        check_slopes(stats, *_rrelu(x, dtype, slopes, gradient_slopes), lower, upper, train,
                     eps)
        return stats.problems

    draw = lambda low, high: rng.uniform(low, high, x.shape)  # noqa: E731
    assert problems(draw(lower, upper)) == []
    assert problems(numpy.full(x.shape, (lower + upper) / 2), train=False) == []
    defects = {
        "slopes from U(lower, 2 upper)": dict(slopes=draw(lower, 2 * upper)),
        "slopes from the lower half": dict(slopes=draw(lower, (lower + upper) / 2)),
        "the mean slope in training": dict(slopes=numpy.full(x.shape, (lower + upper) / 2)),
        "gradient of another draw": dict(slopes=draw(lower, upper),
                                         gradient_slopes=draw(lower, upper)),
        "random slopes out of training": dict(slopes=draw(lower, upper), train=False),
    }
    for what, options in defects.items():
        assert problems(**options), what


def test_the_bounds_only_just_hold_for_a_shifted_mean():
    # a shift of the mean by more than the Hoeffding half-width is caught, one inside is not
    rng = numpy.random.default_rng(2)
    x = -numpy.abs(_x(rng))  # all 2000 negative
    lower, upper, n = 0.125, 1 / 3, x.size
    width = hoeffding_half_width(n, upper - lower)
    slopes = rng.uniform(lower, upper, x.shape)
    for shift, caught in [(3 * width, True), (0.0, False)]:
        stats = Stats()
        moved = numpy.clip(slopes - slopes.mean() + (lower + upper) / 2 + shift, lower, upper)
        check_slopes(stats, *_rrelu(x, "float64", moved), lower, upper, True, 2.0 ** -52)
        assert bool(stats.problems) is caught, (shift, stats.problems)


def test_hoeffding_half_width():
    # 2 exp(-2 n t^2 / span^2) = alpha at the returned t
    t = hoeffding_half_width(1000, 0.5, 1e-3)
    assert math.isclose(2 * math.exp(-2 * 1000 * t * t / 0.25), 1e-3)
    assert ALPHA <= 1e-6


# --- through the harness: a patched torch binding turns exactly its cells red ---------------

torch = pytest.importorskip("torch")


def _cell(framework, dtype="float64"):
    return Cell("rrelu.statistics", "rrelu_training", framework, "cpu", dtype)


def _wide_rrelu(x, lower=0.125, upper=1 / 3, training=False, inplace=False):
    """Slopes from U(lower, 2 upper) in training."""
    if not training:
        return torch.nn.functional.leaky_relu(x, (lower + upper) / 2)
    slopes = torch.empty_like(x).uniform_(lower, 2 * upper)
    return torch.where(x <= 0, x * slopes, x)


def _unmatched_gradient_rrelu(x, lower=0.125, upper=1 / 3, training=False, inplace=False):
    """The forward pass with one draw, the gradient with another."""
    if not training:
        return torch.nn.functional.leaky_relu(x, (lower + upper) / 2)
    forward = torch.where(x <= 0, x * torch.empty_like(x).uniform_(lower, upper), x)
    backward = torch.where(x <= 0, x * torch.empty_like(x).uniform_(lower, upper), x)
    return forward.detach() + backward - backward.detach()


@pytest.mark.parametrize("wrong", [None, _wide_rrelu, _unmatched_gradient_rrelu])
def test_a_wrong_torch_rrelu_turns_exactly_the_torch_cells_red(
        session, needs, deterministic_profile, monkeypatch, wrong):
    needs("torch", "chainer")
    if wrong is not None:
        monkeypatch.setattr(torch.nn.functional, "rrelu", wrong)
    cells = [_cell("torch"), _cell("torch", "float32"), _cell("chainer"), _cell("refimpl")]
    results = {cell: harness.run_cell(test_rrelu, session, cell)["outcome"] for cell in cells}
    red = {cell for cell, outcome in results.items() if outcome in ("fail", "error")}
    assert red == (set() if wrong is None else set(cells[:2])), results
    assert set(results.values()) <= {"pass", "fail"}, results
