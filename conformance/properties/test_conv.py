"""2-D convolution and its transpose (torch ``F.conv2d``/``F.conv_transpose2d``, chainer
``F.convolution_2d``/``F.deconvolution_2d``, refimpl ``conv2d``/``conv_transpose2d``).

- ``conv.shape``: generated configurations (stride, pad, dilation, groups incl. depthwise,
  chainer's ``cover_all`` and ``outsize``, torch's ``'same'``/``'valid'`` and
  ``output_padding``). A valid one must give the output shape of the written-out rules
  (``layer_strategies.conv_outsize``), on the framework and on refimpl under its policy; an
  invalid one (``layer_strategies.invalid_conv_kinds``: made invalid by construction) must
  raise on every side. Only the fact of raising is compared: the frameworks raise
  RuntimeError (torch), InvalidType, AssertionError, ValueError or ZeroDivisionError
  (chainer) where refimpl raises one ValueError naming the argument
  (``scripts/probe_results/conv-*.jsonl``).
- ``conv.values`` / ``conv.grad`` / ``conv.double_backward``: outputs, gradients of x, W and
  b, and second-order gradients vs refimpl float64 (and central differences), see
  ``properties/calls.py``.
"""
from hypothesis import strategies as st

from ..checks import repro
from ..checks.tolerances import EXACT
from ..harness import run_examples
from ..subjects import layer_strategies
from .calls import check_functional
from .common import cells as subject_cells
from .common import prepare, reference_name
from .layers import functional_subjects

SUBJECTS = functional_subjects("conv")
PROPERTIES = ("conv.values", "conv.grad", "conv.double_backward")


def cells(session):
    return (subject_cells(session, "conv.shape", SUBJECTS, dtypes=("float32",))
            + subject_cells(session, "conv.values", SUBJECTS, reference_dtypes=("float32",))
            + subject_cells(session, "conv.grad", SUBJECTS)
            + subject_cells(session, "conv.double_backward", SUBJECTS))


def _output_shape(adapter, function, config, transposed, dtype, device):
    inputs = layer_strategies.arrays_of(config, transposed)
    tensors = {name: adapter.tensor(array, dtype=dtype, device=device)
               for name, array in inputs.items()}
    return tuple(adapter.to_numpy(function(**tensors, **config.kwargs)).shape)


def _attempt(function):
    """(result, None) or (None, 'ClassName: message')."""
    try:
        return function(), None
    except Exception as error:  # noqa: BLE001 - raising is the behaviour under test
        return None, f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"


def check_shape(session, cell, stats):
    ctx = prepare(session, cell, stats)
    transposed = cell.subject == "conv_transpose2d"
    stats.tolerance = EXACT
    strategy = st.one_of(
        st.tuples(st.just("valid"), layer_strategies.conv_configs(features=ctx.features,
                                                                  transposed=transposed)),
        layer_strategies.invalid_conv_configs(features=ctx.features, transposed=transposed))

    def check(data, drawn, stats):
        kind, config = drawn
        stats.begin_example()
        framework_shape, framework_error = _attempt(lambda: _output_shape(
            ctx.adapter, ctx.function, config, transposed, cell.dtype, cell.device))
        reference_shape, reference_error = _attempt(lambda: _output_shape(
            ctx.reference, ctx.reference_function, config, transposed, cell.dtype, "cpu"))
        if kind == "valid":
            expected = config.expected_shape(transposed)
            stats.oracle("output-size rules", framework_shape == expected)
            if framework_error:
                stats.problem(f"a valid configuration raised {framework_error}")
            elif framework_shape != expected:
                stats.problem(f"output shape {framework_shape} vs {expected} by the rules")
            if not ctx.is_reference:
                oracle = reference_name()
                stats.oracle(f"{oracle} {ctx.policy}", reference_shape == framework_shape)
                if reference_error:
                    stats.problem(f"{oracle} ({ctx.policy}) raised {reference_error} where "
                                  f"{cell.framework} gave {framework_shape}")
                elif framework_shape is not None and reference_shape != framework_shape:
                    stats.problem(f"output shape {framework_shape} vs {reference_shape} from "
                                  f"{oracle} ({ctx.policy})")
        else:
            stats.oracle("raises", framework_error is not None)
            if framework_error is None:
                stats.problem(f"invalid configuration ({kind}) gave shape {framework_shape} "
                              f"instead of raising")
            if not ctx.is_reference:
                oracle = reference_name()
                stats.oracle(f"{oracle} {ctx.policy}", reference_error is not None)
                if reference_error is None:
                    stats.problem(f"{oracle} ({ctx.policy}) did not raise for {kind}: shape "
                                  f"{reference_shape}")
        stats.end_example(lambda: (
            f"{cell.framework} {ctx.version}, {cell.device}, {cell.dtype}: {cell.subject} "
            f"[{kind}] x.shape={config.x_shape}, W.shape={config.w_shape}, bias={config.bias}, "
            f"{config.kwargs}"), lambda: _shape_repro(ctx, cell, kind, config, transposed))

    run_examples(stats, strategy, check)


def _shape_repro(ctx, cell, kind, config, transposed):
    return repro.shape_script(
        title=f"conv.shape of {cell.subject} on {cell.framework} {ctx.version}: {kind} "
              f"configuration", framework=cell.framework, subject=cell.subject,
        policy=ctx.policy, inputs=layer_strategies.arrays_of(config, transposed),
        kwargs=config.kwargs, device=cell.device,
        expected_shape=config.expected_shape(transposed) if kind == "valid" else None)


def check_cell(session, cell, stats):
    if cell.property == "conv.shape":
        check_shape(session, cell, stats)
    else:
        check_functional(session, cell, stats)


def test_conv(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
