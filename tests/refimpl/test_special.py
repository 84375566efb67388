"""refimpl's special functions (``refimpl/functions/_special.py``, NumPy only) against
Python's ``math`` module and closed forms, over wider ranges than the property suites draw,
including their poles and the edges of their domains."""
import math

import numpy as np
import pytest

from refimpl.functions import _special

EULER_GAMMA = 0.5772156649015329
APERY = 1.2020569031595942  # zeta(3)


def relative_error(actual, expected):
    return np.max(np.abs(actual - expected) / np.maximum(np.abs(expected), 1e-300))


def test_erf_and_erfc_match_math():
    x = np.concatenate([np.linspace(-7, 7, 1401), [0.0, 1e-9, -1e-9, 2.0, -2.0]])
    assert relative_error(_special.erf(x), np.array([math.erf(v) for v in x])) < 1e-14
    assert relative_error(_special.erfc(x), np.array([math.erfc(v) for v in x])) < 1e-12


def test_erfinv_inverts_erf_and_its_edges():
    y = np.linspace(-0.99999, 0.99999, 2001)
    x = _special.erfinv(y)
    assert np.max(np.abs(np.array([math.erf(v) for v in x]) - y)) < 1e-15
    edges = _special.erfinv(np.array([1.0, -1.0, 1.5, -2.0, np.nan]))
    assert edges[0] == np.inf and edges[1] == -np.inf and np.isnan(edges[2:]).all()


def test_lgamma_matches_math_including_negative_arguments_and_poles():
    x = np.concatenate([np.linspace(0.01, 40, 2001), np.linspace(-6.9, -0.1, 200) + 1e-3])
    expected = np.array([math.lgamma(v) for v in x])
    assert np.max(np.abs(_special.lgamma(x) - expected) / np.maximum(np.abs(expected), 1)) < 1e-13
    assert (_special.lgamma(np.array([0.0, -1.0, -3.0])) == np.inf).all()
    assert _special.lgamma(np.array([1.0, 2.0])).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("n, x, expected", [
    (0, 1.0, -EULER_GAMMA), (0, 0.5, -EULER_GAMMA - 2 * math.log(2)),
    (1, 1.0, math.pi ** 2 / 6), (1, 0.5, math.pi ** 2 / 2),
    (2, 1.0, -2 * APERY), (3, 1.0, math.pi ** 4 / 15),
])
def test_polygamma_closed_forms(n, x, expected):
    assert abs(float(_special.polygamma(n, np.array(x))) - expected) < 1e-13 * abs(expected)


def test_polygamma_recurrence_and_poles():
    x = np.linspace(-3.9, 5.9, 97) + 3.7e-3  # negative arguments included
    for n in range(4):
        step = (-1) ** n * math.factorial(n) / x ** (n + 1)  # psi^(n)(x+1) - psi^(n)(x)
        upper, lower = _special.polygamma(n, x + 1), _special.polygamma(n, x)
        scale = np.maximum(np.abs(upper), np.abs(lower))  # near a pole both are huge
        assert np.max(np.abs(upper - lower - step) / scale) < 1e-13
    assert np.isnan(_special.polygamma(0, np.array([0.0, -2.0]))).all()


def test_digamma_is_the_derivative_of_lgamma():
    x = np.linspace(0.3, 6, 50)
    h = 1e-5
    central = (_special.lgamma(x + h) - _special.lgamma(x - h)) / (2 * h)
    assert np.max(np.abs(central - _special.polygamma(0, x))) < 1e-8
