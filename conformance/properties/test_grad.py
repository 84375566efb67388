"""First-order gradients of every differentiable registry op.

The framework computes ``grad(f(x), x, grad_outputs)`` in the cell's dtype (random output
gradients in [-2, 2]). Primary oracles, each named in a failing verdict:

- refimpl in float64 under the framework's policy (not for refimpl's own float64 cell,
  which would compare refimpl with itself);
- central differences of the framework's *own* forward pass in float64 along a random
  direction ``v`` (``numeric.directional_difference``: two evaluations, as Chainer's
  ``check_backward``), compared with ``<gradient, v>`` under the looser of the dtype's
  'grad' tolerance and the central-difference tolerance.

Other frameworks of the run are consulted too (a non-primary oracle): their gradients on the
same inputs, where refimpl says the call means the same to them.
"""
from ..harness import run_examples
from ..checks.numeric import (call_op, contracted_forward, directional_difference, first_order,
                       float_output_shapes)
from ..subjects.strategies import grad_outputs as grad_output_strategy
from ..checks.tolerances import CENTRAL_DIFFERENCE
from .common import (compare_arrays, compare_directional, cross_check, draw_directions,
                     framework_call, op_cells, prepare, reference_call, round_to)

PROPERTY = "grad.first_order"


def cells(session):
    return op_cells(session, PROPERTY, differentiable_only=True)


def draw_grad_outputs(data, ctx, sample, where):
    """Output gradients for the float outputs refimpl gives, rounded to the outputs' dtypes."""
    _, outputs = reference_call(lambda: call_op(ctx.reference, ctx.reference_function, sample,
                                                dtype=ctx.cell.dtype, device="cpu"), where)
    dtypes = [ctx.reference.dtype_of(y) for y in outputs if ctx.reference.dtype_of(y)[0] == "f"]
    shapes = float_output_shapes(ctx.reference, outputs)
    drawn = data.draw(grad_output_strategy(shapes_of_outputs=shapes), label="grad_outputs")
    return [g.astype(dtype).astype("float64") for g, dtype in zip(drawn, dtypes)]


def check_cell(session, cell, stats):
    ctx = prepare(session, cell, stats)
    tolerance = stats.tolerance = ctx.tolerance("grad")
    numerical_tolerance = tolerance.loosest(CENTRAL_DIFFERENCE)
    own = ctx.adapter

    def check(data, sample, stats):
        stats.begin_example()
        sample = round_to(sample, cell.dtype)
        where = ctx.describe(sample)
        grad_outputs = draw_grad_outputs(data, ctx, sample, where)
        expected = reference_call(lambda: first_order(
            ctx.reference, ctx.reference_function, sample, grad_outputs, dtype="float64",
            device="cpu"), where)
        actual = framework_call(stats, f"{cell.framework} gradient", lambda: first_order(
            own, ctx.function, sample, grad_outputs, dtype=cell.dtype, device=cell.device))
        if actual is not None:
            if not ctx.is_reference_float64():
                compare_arrays(stats, "gradient of input", actual, expected, tolerance,
                               ctx.float64_oracle)
            directions = draw_directions(data, sample.leaves())
            numerical = framework_call(stats, f"{cell.framework} float64 forward", lambda: (
                directional_difference(
                    contracted_forward(own, ctx.function, sample, grad_outputs, cell.device),
                    sample.leaves(), directions, ctx.entry.central_difference_eps)))
            if numerical is not None:
                compare_directional(stats, "gradient", actual, numerical, directions,
                                    numerical_tolerance, "central differences")
        cross_check(session, ctx, stats, sample, actual, expected, tolerance,
                    lambda other, function: first_order(other, function, sample, grad_outputs,
                                                        dtype=cell.dtype, device=cell.device))
        stats.end_example(lambda: f"{where}, grad_outputs={[g.tolist() for g in grad_outputs]}",
                          lambda: ctx.repro("grad", sample, expected, tolerance,
                                            grad_outputs=grad_outputs))

    run_examples(stats, ctx.strategy(), check)


def test_grad_first_order(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
