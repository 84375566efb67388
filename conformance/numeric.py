"""Transitional: the numerical helpers now live in ``conformance.checks.numeric``."""
from .checks.numeric import (as_tuple, call_op, central_difference,  # noqa: F401
                             contracted_first_order, contracted_forward, directional_difference,
                             first_order, float_output_shapes, forward_values, is_float,
                             round_to, second_order)
