"""Normalisation and embedding (issue 17): torch ``F.batch_norm`` (training and evaluation),
``F.layer_norm``, ``F.group_norm``, ``F.local_response_norm``, ``F.embedding`` and the layers
``nn.BatchNorm1d/2d``, ``nn.LayerNorm``, ``nn.GroupNorm``; chainer ``F.batch_normalization``,
``F.fixed_batch_normalization``, ``F.layer_normalization``, ``F.group_normalization``,
``F.local_response_normalization``, ``F.embed_id`` and ``L.BatchNormalization``,
``L.LayerNormalization``, ``L.GroupNormalization``; refimpl ``functions.normalization`` and
``nn.normalization`` under the framework's policy (eps defaults, the running-average
argument, LRN's parameterisation, the embedding's special id).

- ``norm.values`` / ``norm.grad`` / ``norm.double_backward``: the functions' outputs,
  gradients and second-order gradients vs refimpl float64 and central differences
  (``properties/calls.py``); eps is drawn or left to each framework's default, so the
  defaults are part of every cell.
- ``norm.layer``: a layer built from given gamma/beta over training steps (outputs,
  gradients, running mean and variance after each step) and, for batch normalisation, an
  evaluation step with the running statistics, vs refimpl's layer run in float64.
"""
from ..checks import layers
from .calls import check_functional
from .common import cells as subject_cells
from .common import skip
from .layers import check_layer_run, functional_subjects

SUBJECTS = functional_subjects("normalization")
RUN_SUBJECTS = tuple(e.subject for e in layers.layer_entries("layer", "normalization",
                                                              "norm.layer"))
PROPERTIES = ("norm.values", "norm.grad", "norm.double_backward", "norm.layer")


def cells(session):
    return (subject_cells(session, "norm.values", SUBJECTS, reference_dtypes=("float32",))
            + subject_cells(session, "norm.grad", SUBJECTS)
            + subject_cells(session, "norm.double_backward", SUBJECTS, dtypes=("float64",))
            + subject_cells(session, "norm.layer", RUN_SUBJECTS))


def check_cell(session, cell, stats):
    if cell.property == "norm.layer":
        check_layer_run(session, cell, stats)
        return
    if cell.property == "norm.double_backward" and not session.is_reference(cell.framework):
        reason = session.plugin(cell.framework).absent_gradgrad(cell.subject)
        if reason:
            skip(reason)
    check_functional(session, cell, stats)


def test_normalization(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
