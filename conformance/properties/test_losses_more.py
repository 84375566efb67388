"""Second-order gradients of the issue-17 losses (``conformance/subjects/losses_more.py``):
``loss.double_backward``, Chainer's check_double_backward (``calls.check_double_backward``)
vs refimpl float64 and central differences of the framework's own first-order gradient, in
float64 (as ``linear.double_backward``). Their values and first-order gradients are the
``loss.values`` / ``loss.grad`` cells of ``test_losses`` (they are 'loss' subjects). A
framework that cannot double-backprop through a loss says so in its plugin's
``gradgrad_absent`` (a skip with the reason).
"""
from ..subjects.losses_more import DOUBLE_BACKWARD
from .calls import check_functional
from .common import cells as subject_cells
from .common import skip

PROPERTIES = ("loss.double_backward",)


def cells(session):
    return subject_cells(session, "loss.double_backward", DOUBLE_BACKWARD, dtypes=("float64",))


def check_cell(session, cell, stats):
    if not session.is_reference(cell.framework):
        reason = session.plugin(cell.framework).absent_gradgrad(cell.subject)
        if reason:
            skip(reason)
    check_functional(session, cell, stats)


def test_losses_more(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
