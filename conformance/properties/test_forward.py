"""Forward values of every registry op.

The framework computes in the cell's dtype; the oracle is refimpl in float64 under the
framework's semantics policy, on the same (rounded) inputs. Compared: the number of outputs,
their shapes, their dtypes (against refimpl in the cell's dtype: index dtypes, promotion) and
their values (``tolerances``: quantity 'value'). Other frameworks of the run are consulted
where refimpl says the call means the same to them; a failing verdict says which side they
take.
"""
from ..harness import run_examples
from ..checks.numeric import call_op
from .common import (compare_arrays, cross_check, framework_call, op_cells, prepare,
                     reference_call, reference_name, round_to)

PROPERTY = "forward"


def cells(session):
    """The reference's own float64 forward values are the specification, so that cell (which
    would compare refimpl with itself) is not generated; tests/refimpl checks them against
    NumPy."""
    return op_cells(session, PROPERTY, reference_dtypes=("float32", "float16"))


def check_cell(session, cell, stats):
    ctx = prepare(session, cell, stats)
    tolerance = stats.tolerance = ctx.tolerance("value")

    def outputs_of(adapter, function, sample, dtype):
        _, outputs = call_op(adapter, function, sample, dtype=dtype, device=cell.device)
        return [adapter.to_numpy(y) for y in outputs], [adapter.dtype_of(y) for y in outputs]

    def check(data, sample, stats):
        stats.begin_example()
        sample = round_to(sample, cell.dtype)
        where = ctx.describe(sample)
        _, expected_dtypes = reference_call(
            lambda: outputs_of(ctx.reference, ctx.reference_function, sample, cell.dtype), where)
        expected, _ = reference_call(
            lambda: outputs_of(ctx.reference, ctx.reference_function, sample, "float64"), where)
        result = framework_call(stats, f"{cell.framework} {ctx.entry.subject}",
                                lambda: outputs_of(ctx.adapter, ctx.function, sample, cell.dtype))
        actual = None
        if result is not None:
            actual, dtypes = result
            if len(dtypes) == len(expected_dtypes) and dtypes != expected_dtypes:
                stats.problem(f"output dtypes: {dtypes} vs {expected_dtypes} from "
                              f"{reference_name()} {cell.dtype}")
            compare_arrays(stats, "output", actual, expected, tolerance, ctx.float64_oracle)
        cross_check(session, ctx, stats, sample, actual, expected, tolerance,
                    lambda other, function: outputs_of(other, function, sample, cell.dtype)[0])
        stats.end_example(lambda: where, lambda: ctx.repro(
            "forward", sample, expected, tolerance, expected_dtypes=expected_dtypes))

    run_examples(stats, ctx.strategy(), check)


def test_forward(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
