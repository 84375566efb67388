"""digamma's and polygamma's central-difference step (1e-4, not 1e-6): the second-order check
differentiates torch's float64 trigamma numerically, and that trigamma is accurate to ~3e-10
relative only, which a 1e-6 step amplifies to the central-difference tolerance (thorough seed 1
drew digamma(0.5): 24.4829 vs 24.4799). The subjects' step keeps the oracle well inside it."""
import math

import numpy
import pytest

from conformance.checks.numeric import directional_difference
from conformance.checks.tolerances import CENTRAL_DIFFERENCE, CENTRAL_DIFFERENCE_EPS
from conformance.subjects import core

torch = pytest.importorskip("torch")

TRIGAMMA_HALF = math.pi ** 2 / 2  # psi'(1/2)
TETRAGAMMA_HALF = -14 * 1.2020569031595942  # psi''(1/2) = -14 zeta(3)


def second_order(eps, x=0.5):
    """Central difference of torch's trigamma at x (what the double backward check does)."""
    trigamma = lambda arrays: float(torch.polygamma(1, torch.tensor(arrays[0])).item())
    return directional_difference(trigamma, [numpy.float64(x)], [numpy.float64(1.0)], eps)


@pytest.mark.parametrize("subject", ["digamma", "polygamma"])
def test_the_subjects_step_and_its_reason(subject):
    entry = core.get(subject)
    assert entry.central_difference_eps == 1e-4 and "trigamma" in entry.central_difference_reason


def test_torch_trigamma_is_the_inaccurate_part():
    assert abs(torch.polygamma(1, torch.tensor(0.5, dtype=torch.float64)).item() - TRIGAMMA_HALF) > 1e-9
    assert torch.polygamma(2, torch.tensor(0.5, dtype=torch.float64)).item() == pytest.approx(
        TETRAGAMMA_HALF, rel=1e-13)


def test_the_subjects_step_keeps_the_oracle_well_inside_its_tolerance():
    error = abs(second_order(core.get("digamma").central_difference_eps) - TETRAGAMMA_HALF)
    default_error = abs(second_order(CENTRAL_DIFFERENCE_EPS) - TETRAGAMMA_HALF)
    assert error < 0.1 * CENTRAL_DIFFERENCE.rtol * abs(TETRAGAMMA_HALF)  # a tenth of rtol
    assert default_error > 10 * error  # the 1e-6 step is what went wrong
