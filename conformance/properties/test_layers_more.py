"""The issue-17 layers (``conformance.subjects.layers_more``): torch ``F.conv1d``/``F.conv3d``,
``F.conv2d(groups=C)``, ``F.prelu``, ``F.bilinear`` and the layers ``nn.Conv2d``,
``nn.ConvTranspose2d``; chainer ``F.convolution_1d``/``convolution_3d``,
``F.depthwise_convolution_2d``, ``F.prelu``, ``F.maxout``, ``F.bilinear`` and the links
``L.Convolution2D``, ``L.DilatedConvolution2D``, ``L.DepthwiseConvolution2D``,
``L.Deconvolution2D``, ``L.Highway``; refimpl ``functions.conv_more``/``layers_more`` and
``nn.layers_more`` under the framework's policy (weight layouts, slope shapes, prelu's
gradient at 0, the deconvolution's output size).

- ``conv_nd.values`` / ``.grad`` / ``.double_backward`` and ``layer_function.values`` /
  ``.grad`` / ``.double_backward``: outputs, gradients and second-order gradients vs refimpl
  float64 and central differences (``properties/calls.py``). A dtype the framework's function
  does not take (chainer's float32-only ``F.bilinear``) is a skip with its plugin's reason;
  without float64 its gradient cells skip too (the central-difference oracle evaluates the
  framework's own forward pass in float64).
- ``conv_nd.errors`` / ``layer_function.errors``: calls every API must refuse (a channel
  mismatch, a kernel larger than the input, a zero stride, slopes that fit no channel, a
  pool size that does not divide, ...; ``layer_strategies_more.invalid_calls``) raise on the
  framework and on refimpl under its policy (only the fact: the classes differ by design).
- ``layer.run``: a layer built from given weights, its output and the gradients of the input
  and of every parameter after ``sum(y * gy).backward()``, vs refimpl's run in float64.

The GRU cell and ``nn.GRU``/``L.NStepGRU`` are runs of the 'rnn' family
(``properties/test_rnn.py``).
"""
import numpy

from .. import frameworks
from ..checks import layers
from ..subjects.layer_strategies_more import invalid_calls
from .calls import check_functional
from .common import cells as subject_cells
from .common import prepare, skip
from .layers import check_layer_run, functional_subjects

CONV_SUBJECTS = functional_subjects("conv_nd")
FUNCTION_SUBJECTS = functional_subjects("layer_function")
RUN_SUBJECTS = tuple(e.subject for e in layers.layer_entries("layer", "layer", "layer.run"))
PROPERTIES = ("conv_nd.values", "conv_nd.grad", "conv_nd.double_backward", "conv_nd.errors",
              "layer_function.values", "layer_function.grad", "layer_function.double_backward",
              "layer_function.errors", "layer.run")


def cells(session):
    return (subject_cells(session, "conv_nd.values", CONV_SUBJECTS, reference_dtypes=("float32",))
            + subject_cells(session, "conv_nd.grad", CONV_SUBJECTS)
            + subject_cells(session, "conv_nd.double_backward", CONV_SUBJECTS)
            + subject_cells(session, "layer_function.values", FUNCTION_SUBJECTS,
                            reference_dtypes=("float32",))
            + subject_cells(session, "layer_function.grad", FUNCTION_SUBJECTS)
            + subject_cells(session, "layer_function.double_backward", FUNCTION_SUBJECTS,
                            dtypes=("float64",))
            + subject_cells(session, "layer.run", RUN_SUBJECTS)
            + _error_cells(session, "conv_nd.errors", CONV_SUBJECTS)
            + _error_cells(session, "layer_function.errors", FUNCTION_SUBJECTS))


def _error_cells(session, property_name, names):
    """One float32 cell per (subject, framework other than the reference, device)."""
    return subject_cells(session, property_name, names, dtypes=("float32",), reference_dtypes=())


def _raises(adapter, function, sample, device):
    """The class name of what ``function`` raised on ``sample`` (float32 tensors), or None."""
    try:
        leaves = [adapter.tensor(array, dtype="float32", device=device)
                  for array in sample.leaves()]
        call = sample.with_leaves(leaves)
        function(**call.inputs, **call.kwargs)
    except Exception as error:  # noqa: BLE001 - raising is the behaviour under test
        return type(error).__name__
    return None


def check_errors(session, cell, stats):
    """Every invalid call (``layer_strategies_more.invalid_calls``) raises on the framework
    and on refimpl under its policy; only the fact is compared (the classes differ by
    design: refimpl raises a ValueError naming the argument)."""
    ctx = prepare(session, cell, stats)
    reference = frameworks.reference().name
    for name, sample in invalid_calls(cell.subject, ctx.features):
        stats.begin_example()
        theirs = _raises(ctx.adapter, ctx.function, sample, cell.device)
        ours = _raises(ctx.reference, ctx.reference_function, sample, "cpu")
        stats.oracle("raises", theirs is not None)
        stats.oracle(f"{reference} {ctx.policy}", ours is not None)
        shapes = {key: numpy.shape(value) for key, value in sample.inputs.items()}
        if theirs is None:
            stats.problem(f"{name}: {cell.framework} did not raise [{cell.subject} {shapes} "
                          f"{sample.kwargs}]")
        if ours is None:
            stats.problem(f"{name}: {reference} ({ctx.policy}) did not raise [{cell.subject} "
                          f"{shapes} {sample.kwargs}]")
        stats.end_example(lambda: f"{cell.framework} {ctx.version}: {cell.subject} {name} "
                                  f"{shapes} {sample.kwargs}")


def check_cell(session, cell, stats):
    if cell.property == "layer.run":
        if not session.is_reference(cell.framework):
            reason = session.plugin(cell.framework).absent_dtype(cell.subject, cell.dtype)
            if reason:
                skip(reason)
        check_layer_run(session, cell, stats)
        return
    if cell.property.endswith(".errors"):
        check_errors(session, cell, stats)
        return
    if not session.is_reference(cell.framework):
        plugin = session.plugin(cell.framework)
        reason = plugin.absent_dtype(cell.subject, cell.dtype)
        if reason:
            skip(reason)
        float64 = plugin.absent_dtype(cell.subject, "float64")
        if float64 and not cell.property.endswith(".values"):
            skip(f"the central-difference oracle runs {cell.framework}'s own forward pass in "
                 f"float64, which it lacks: {float64}")
    check_functional(session, cell, stats)


def test_layers_more(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
