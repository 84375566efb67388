"""Transitional: the tolerances now live in ``conformance.checks.tolerances``."""
from .checks.tolerances import (BASE, CENTRAL_DIFFERENCE, CENTRAL_DIFFERENCE_EPS,  # noqa: F401
                                EXACT, QUANTITIES, Override, Tolerance, errors, tolerance)
