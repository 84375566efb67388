"""Losses, each framework's own functions with every reduction:

=============================================  =========================================
torch                                          chainer
=============================================  =========================================
``F.mse_loss`` (none/mean/sum)                 ``F.mean_squared_error``
``F.binary_cross_entropy_with_logits``         ``F.sigmoid_cross_entropy`` (integer
(weight, pos_weight, none/mean/sum)            labels, -1 ignored, normalize, mean/no)
``F.cross_entropy`` (class weights,            ``F.softmax_cross_entropy`` (class_weight,
ignore_index, label_smoothing, none/mean/sum)  ignore_label -1, normalize, mean/no)
=============================================  =========================================

``loss.values`` / ``loss.grad``: values and gradients (of the logits, and of a float target
where the framework differentiates it) vs refimpl float64 (``refimpl.functions.loss``: one
function per framework's loss) and central differences. A subject is one framework's loss,
so it has cells for that framework and refimpl (under that framework's policy) only.
"""
from .calls import check_functional
from .common import cells as subject_cells
from .layers import functional_subjects

SUBJECTS = functional_subjects("loss")
PROPERTIES = ("loss.values", "loss.grad")


def cells(session):
    return (subject_cells(session, "loss.values", SUBJECTS, reference_dtypes=("float32",))
            + subject_cells(session, "loss.grad", SUBJECTS))


def check_cell(session, cell, stats):
    check_functional(session, cell, stats)


def test_losses(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
