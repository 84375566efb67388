"""What the layer-level property modules share (conv, pooling, linear, losses, rnn, optim,
serialization) beyond ``properties.common`` (their cells, the per-cell context and the
comparisons) and ``properties.calls`` (the checks of a layer-level function's call, as of a
registry op's: values, grad, double_backward): the functional subjects of a family, and the
check of a **run** (layers built from given weights, recurrent layers, optimizers,
save/load): a scenario ``run(case) -> {name: array}`` per framework (its plugin's binding,
``conformance.checks.layers``), whose results are compared with refimpl's run of the same
case in float64 under the framework's policy.
"""
import numpy

from ..checks import layers, repro, tolerances
from ..harness import run_examples
from .common import compare_arrays, framework_call, prepare, reference_call, reference_name


def functional_subjects(family):
    """The functional subjects of ``family`` ('conv', 'pooling', 'linear', 'loss')."""
    return tuple(entry.subject for entry in layers.layer_entries("function", family))


# =============================================================================================
# Runs (stateful subjects)
# =============================================================================================

def describe_case(case):
    """A one-line description of a run's case (arrays as lists)."""
    def show(value):
        if isinstance(value, numpy.ndarray):
            return repr(value.tolist())
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(show(v) for v in value) + "]"
        return repr(value)
    return show(case)


def check_layer_run(session, cell, stats):
    """A layer subject's cell (a ``Run`` record): its cases, the framework's run against
    refimpl's in float64 at the cell dtype's 'grad' tolerance (``check_run``)."""
    ctx = prepare(session, cell, stats, run_of=lambda plugin: layers.run_of(plugin, cell.subject))
    tolerance = stats.tolerance = tolerances.tolerance(cell.dtype, "grad")
    strategy = layers.layer_entry(cell.subject).cases(ctx.adapter.features)
    check_run(session, cell, stats, ctx, strategy, lambda case: tolerance)


def check_run(session, cell, stats, ctx, strategy, tolerance, *, backward=True,
              oracle_dtype="float64"):
    """Examples of ``strategy`` (cases): the framework's run in the cell's dtype vs refimpl's
    run in ``oracle_dtype`` (float64; or the cell's dtype, see ``test_optim``) under the
    framework's policy, every result within ``tolerance(case)``. With another oracle dtype,
    refimpl's float64 run is consulted too, as a non-primary oracle (counted, never failing
    the cell)."""
    oracle_dtype = oracle_dtype or cell.dtype

    def check(data, case, stats):
        stats.begin_example()
        case = dict(case, dtype=cell.dtype, backward=backward)
        where = (f"{cell.framework} {ctx.version}, {cell.device}, {cell.dtype}: "
                 f"{cell.subject} {describe_case(case)}")
        expected = reference_call(lambda: ctx.reference_function(
            dict(case, dtype=oracle_dtype, policy=ctx.policy)), where)
        secondary = None if oracle_dtype == "float64" else reference_call(
            lambda: ctx.reference_function(dict(case, dtype="float64", policy=ctx.policy)), where)
        example_tolerance = tolerance(case)
        actual = framework_call(stats, f"{cell.framework} {cell.subject}", lambda: ctx.function(case))
        if actual is not None:
            missing = sorted(set(expected) - set(actual))
            extra = sorted(set(actual) - set(expected))
            if missing or extra:
                stats.problem(f"results: {cell.framework} lacks {missing}, {reference_name()} "
                              f"lacks {extra}")
            for name in sorted(set(expected) & set(actual)):
                compare_arrays(stats, name, [actual[name]], [expected[name]], example_tolerance,
                               f"{reference_name()} {oracle_dtype}")
                if secondary is not None:
                    compare_arrays(stats, name, [actual[name]], [secondary[name]],
                                   example_tolerance, ctx.float64_oracle, primary=False)
        stats.end_example(lambda: where, lambda: repro.run_script(
            title=ctx.title(), framework=cell.framework, run=ctx.function, case=case,
            expected=expected, tolerance=example_tolerance))

    run_examples(stats, strategy, check)


__all__ = ["check_run", "describe_case", "functional_subjects"]
