"""checks.tolerances.within with a per-element allowance and a non-finite element: NumPy 1.26's
isclose raised ValueError there (it masks the non-finite elements of actual and expected but
not an array atol), turning a cell whose framework gave NaN into an error instead of a fail
(found on chainer's batch_normalization double backward at gamma == 0)."""
import numpy

from conformance.checks.tolerances import Tolerance, within

TOLERANCE = Tolerance(1e-6, 1e-8, "test")


def test_nan_on_one_side_never_agrees_whatever_the_allowance():
    allowance = numpy.array([1.0, 1.0])
    assert not within([numpy.nan, 1.0], [0.5, 1.0], TOLERANCE, allowance)
    assert not within([0.5, 1.0], [numpy.nan, 1.0], TOLERANCE, allowance)


def test_nan_on_both_sides_and_equal_infinities_agree():
    allowance = numpy.array([0.0, 0.0, 0.0])
    assert within([numpy.nan, numpy.inf, 2.0], [numpy.nan, numpy.inf, 2.0], TOLERANCE, allowance)
    assert not within([numpy.inf], [-numpy.inf], TOLERANCE, numpy.array([0.0]))


def test_the_allowance_is_added_element_by_element():
    assert within([1.0, 2.5], [1.0, 2.0], TOLERANCE, numpy.array([0.0, 0.6]))
    assert not within([1.5, 2.0], [1.0, 2.0], TOLERANCE, numpy.array([0.0, 0.6]))
    assert within([1.0 + 1e-9], [1.0], TOLERANCE)  # no allowance: the tolerance alone


def test_tolerance_allclose_is_numpy_allclose_with_equal_nan():
    """Its fast path (finite expected values) must agree with numpy.allclose everywhere."""
    values = [0.0, -0.0, 1.0, 1.0 + 1e-7, 1.0 + 2e-6, 5e-9, 2e-8, numpy.inf, -numpy.inf,
              numpy.nan, 1e300, -1e300]
    with numpy.errstate(all="ignore"):
        for actual in values:
            for expected in values:
                for a, e in (([actual], [expected]), ([actual, 1.0], [expected, 1.0]),
                             (numpy.full((2, 2), actual), numpy.float32(expected))):
                    assert TOLERANCE.allclose(a, e) == numpy.allclose(
                        a, e, rtol=TOLERANCE.rtol, atol=TOLERANCE.atol, equal_nan=True), (a, e)
