"""The linear layer: torch ``F.linear``/``nn.Linear`` (applies W to the last axis of an input
of any rank), chainer ``F.linear``/``L.Linear`` (flattens the input to (N, -1) first);
refimpl ``linear``/``nn.Linear`` under the framework's policy (``linear_input_layout``).

- ``linear.values`` / ``linear.grad`` / ``linear.double_backward``: ``linear(x, W[, b])`` on
  inputs of 1 to 3 axes (torch) or 2 to 4 axes (chainer) vs refimpl float64 and central
  differences (``properties/calls.py``).
- ``linear.layer``: a Linear layer built from given W (and b) (torch: ``copy_`` into a fresh
  ``nn.Linear``; chainer: ``initialW``/``initial_bias`` under the parameter dtype, then
  ``cleargrads()`` since a fresh chainer parameter's grad is NaN), its output and the
  gradients of x, W and b after ``sum(y * gy).backward()`` vs refimpl's ``nn.Linear`` run.
"""
from ..checks import layers
from .common import cells as subject_cells
from .calls import check_functional
from .layers import check_layer_run, functional_subjects

SUBJECTS = functional_subjects("linear")
RUN_SUBJECTS = tuple(e.subject for e in layers.layer_entries("layer", "linear", "linear.layer"))
PROPERTIES = ("linear.values", "linear.grad", "linear.double_backward", "linear.layer")


def cells(session):
    return (subject_cells(session, "linear.values", SUBJECTS, reference_dtypes=("float32",))
            + subject_cells(session, "linear.grad", SUBJECTS)
            + subject_cells(session, "linear.double_backward", SUBJECTS, dtypes=("float64",))
            + subject_cells(session, "linear.layer", RUN_SUBJECTS))


def check_cell(session, cell, stats):
    if cell.property == "linear.layer":
        check_layer_run(session, cell, stats)
    else:
        check_functional(session, cell, stats)


def test_linear(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
