"""refimpl's rrelu in training: one slope per negative element from U[lower, upper), the
gradient that same slope (and its derivative 0), seeded draws, x's dtype kept; out of training
the mean slope."""
import numpy as np
import pytest

import refimpl
import refimpl.functions as F


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_slopes_gradient_and_seed(dtype):
    x_values = np.where(np.arange(2000) % 2 == 0, -1.5, 0.75).astype(dtype)
    with refimpl.semantics("torch"):
        x = refimpl.Variable(x_values, requires_grad=True)
        y = F.rrelu(x, 0.1, 0.3, train=True, rng=7)
        (gx,) = refimpl.grad([F.sum(y)], [x])
    assert y.dtype == dtype and gx.dtype == dtype
    slopes = np.random.default_rng(7).uniform(0.1, 0.3, 2000).astype(dtype)
    negative = x_values < 0
    np.testing.assert_array_equal(y.data, np.where(negative, x_values * slopes, x_values))
    np.testing.assert_array_equal(gx.data, np.where(negative, slopes, 1))
    drawn = slopes[negative].astype(np.float64)
    assert 0.1 - 1e-3 <= drawn.min() and drawn.max() <= 0.3 + 1e-3 and drawn.std() > 0.05
    np.testing.assert_array_equal(F.rrelu(x_values, 0.1, 0.3, train=True, rng=7).data, y.data)


def test_out_of_training_the_mean_slope():
    x = np.array([-2.0, 0.5])
    with refimpl.semantics("chainer"):
        np.testing.assert_array_equal(F.rrelu(x, 0.1, 0.3, train=False).data, [-0.4, 0.5])


@pytest.mark.parametrize("lower, upper", [(-0.1, 0.3), (0.3, 0.1), (float("nan"), 0.3)])
def test_bad_bounds_are_named(lower, upper):
    with pytest.raises(ValueError, match="lower"):
        F.rrelu(np.ones(3), lower, upper, train=True)
