"""dropout.statistics can fail: its binomial interval is exact, and a dropout that keeps the
wrong share, scales wrongly or lets the gradient through dropped elements is caught."""
import math

import numpy
import pytest

from conformance.checks import tolerances
from conformance.properties.test_dropout import ALPHA, binomial_interval, check_training
from tests.conformance.recording_stats import Stats


def _pmf(n, q):
    return [math.comb(n, k) * q ** k * (1 - q) ** (n - k) for k in range(n + 1)]


@pytest.mark.parametrize("n, q, alpha", [(10, 0.5, 0.3), (40, 0.1, 0.05), (25, 0.75, 0.01)])
def test_binomial_interval_is_the_exact_one(n, q, alpha):
    pmf = _pmf(n, q)
    low, high = binomial_interval(n, q, alpha)
    assert sum(pmf[:low]) <= alpha / 2 < sum(pmf[:low + 1])
    assert sum(pmf[high + 1:]) <= alpha / 2 < sum(pmf[high:])


def _dropout(x, ratio, keep_probability, rng, scale=None, leak=False):
    keep = rng.random(x.shape) < keep_probability
    scale = 1 / (1 - ratio) if scale is None else scale
    y = numpy.where(keep, x * scale, 0.0)
    gy = rng.integers(-64, 65, size=x.shape) / 32
    gx = numpy.where(keep | leak, gy * scale, 0.0)
    return y, gx, gy


@pytest.mark.parametrize("ratio", [0.1, 0.5, 0.9])
def test_a_correct_dropout_passes_and_each_defect_fails(ratio):
    rng = numpy.random.default_rng(0)
    x = rng.choice([-1.0, 1.0], size=(40, 50)) * rng.integers(16, 65, size=(40, 50)) / 32
    tolerance = tolerances.tolerance("float32", "value")
    stats = Stats()
    check_training(stats, x, *_dropout(x, ratio, 1 - ratio, rng), ratio, tolerance)
    assert stats.problems == [], stats.problems
    defects = {
        "keep share": dict(keep_probability=1 - ratio + (0.1 if ratio > 0.1 else -0.1)),
        "scale": dict(keep_probability=1 - ratio, scale=1.0),  # kept elements not scaled
        "gradient": dict(keep_probability=1 - ratio, leak=True),
    }
    for what, options in defects.items():
        stats = Stats()
        check_training(stats, x, *_dropout(x, ratio, rng=rng, **options), ratio, tolerance)
        assert stats.problems, what


def test_alpha_is_small():
    assert ALPHA <= 1e-6
