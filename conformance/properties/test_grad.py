"""First-order gradients of every differentiable registry op.

The framework computes ``grad(f(x), x, grad_outputs)`` in the cell's dtype (random output
gradients in [-2, 2]). Primary oracles, each named in a failing verdict:

- refimpl in float64 under the framework's policy (not for refimpl's own float64 cell,
  which would compare refimpl with itself);
- central differences of the framework's *own* forward pass in float64 along a random
  direction ``v`` (``numeric.directional_difference``: two evaluations, as Chainer's
  ``check_backward``), compared with ``<gradient, v>`` under the looser of the dtype's
  'grad' tolerance and the central-difference tolerance.

Other frameworks of the run are consulted too (a non-primary oracle): their gradients on the
same inputs, where refimpl says the call means the same to them.
"""
from .calls import check_grad
from .common import op_cells

PROPERTY = "grad.first_order"


def cells(session):
    return op_cells(session, PROPERTY, differentiable_only=True)


def check_cell(session, cell, stats):
    check_grad(session, cell, stats)


def test_grad_first_order(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
