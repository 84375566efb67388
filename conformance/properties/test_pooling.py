"""2-D max and average pooling (torch ``F.max_pool2d``/``F.avg_pool2d``, chainer
``F.max_pooling_2d``/``F.average_pooling_2d``, refimpl ``max_pooling_2d``/
``average_pooling_2d``).

``pooling.values`` / ``pooling.grad`` / ``pooling.double_backward``: outputs and gradients vs
refimpl float64 under the framework's policy (and central differences), over generated
kernel sizes, strides, pads up to ksize // 2, torch's ``ceil_mode`` and
``count_include_pad`` and chainer's ``cover_all`` (given, or left to chainer's default True).
Random inputs hold distinct values, so a max window never ties; ties, NaN windows, pads beyond
ksize // 2 and the default size rule are behaviour cases (``behaviours_layers``).
"""
from .calls import check_functional
from .common import cells as subject_cells
from .layers import functional_subjects

SUBJECTS = functional_subjects("pooling")
PROPERTIES = ("pooling.values", "pooling.grad", "pooling.double_backward")


def cells(session):
    return (subject_cells(session, "pooling.values", SUBJECTS, reference_dtypes=("float32",))
            + subject_cells(session, "pooling.grad", SUBJECTS)
            + subject_cells(session, "pooling.double_backward", SUBJECTS, dtypes=("float64",)))


def check_cell(session, cell, stats):
    check_functional(session, cell, stats)


def test_pooling(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
