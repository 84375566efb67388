"""Second-order gradients (double backprop) of every differentiable registry op.

With ``g = grad(f(x), x, gy, create_graph=True)`` (chainer: ``enable_double_backprop``), the
framework differentiates ``sum_i <g_i, ggx_i>`` with respect to every input ``x`` and every
output gradient ``gy`` (Chainer's ``check_double_backward``). Primary oracles: refimpl in
float64 under the framework's policy, and central differences of the framework's own
first-order gradient in float64 along a random direction (``<grad, v>``, see
``test_grad``). float16 is not run: its tolerances would make a
second-order comparison meaningless.
"""
from .calls import check_double_backward
from .common import op_cells

PROPERTY = "double_backward"


def cells(session):
    return op_cells(session, PROPERTY, dtypes=("float32", "float64"), differentiable_only=True)


def check_cell(session, cell, stats):
    check_double_backward(session, cell, stats)


def test_double_backward(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
