"""Second-order gradients (double backprop) of every differentiable registry op.

With ``g = grad(f(x), x, gy, create_graph=True)`` (chainer: ``enable_double_backprop``), the
framework differentiates ``sum_i <g_i, ggx_i>`` with respect to every input ``x`` and every
output gradient ``gy`` (Chainer's ``check_double_backward``). Primary oracles: refimpl in
float64 under the framework's policy, and central differences of the framework's own
first-order gradient in float64 along a random direction (``<grad, v>``, see
``test_grad``). float16 is not run: its tolerances would make a
second-order comparison meaningless.
"""
import numpy

from ..harness import run_examples
from ..checks.numeric import contracted_first_order, directional_difference, second_order
from ..subjects.strategies import GRAD_OUTPUTS, arrays
from ..checks.tolerances import CENTRAL_DIFFERENCE
from .common import (compare_arrays, compare_directional, draw_directions, framework_call,
                     op_cells, prepare, reference_call, round_to)
from .test_grad import draw_grad_outputs

PROPERTY = "double_backward"


def cells(session):
    return op_cells(session, PROPERTY, dtypes=("float32", "float64"), differentiable_only=True)


def check_cell(session, cell, stats):
    ctx = prepare(session, cell, stats, gradgrad=True)
    tolerance = stats.tolerance = ctx.tolerance("gradgrad")
    numerical_tolerance = tolerance.loosest(CENTRAL_DIFFERENCE)
    own = ctx.adapter

    def check(data, sample, stats):
        stats.begin_example()
        sample = round_to(sample, cell.dtype)
        where = ctx.describe(sample)
        grad_outputs = draw_grad_outputs(data, ctx, sample, where)
        grad_grad_inputs = [
            data.draw(arrays(shape=numpy.shape(x), domain=GRAD_OUTPUTS),
                      label=f"grad_grad_inputs[{index}]").astype(cell.dtype).astype("float64")
            for index, x in enumerate(sample.leaves())]
        expected = reference_call(lambda: second_order(
            ctx.reference, ctx.reference_function, sample, grad_outputs, grad_grad_inputs,
            dtype="float64", device="cpu"), where)
        actual = framework_call(stats, f"{cell.framework} double backward", lambda: second_order(
            own, ctx.function, sample, grad_outputs, grad_grad_inputs, dtype=cell.dtype,
            device=cell.device))
        if actual is not None:
            if not ctx.is_reference_float64():
                compare_arrays(stats, "second-order gradient", actual, expected, tolerance,
                               ctx.float64_oracle)
            points = list(sample.leaves()) + list(grad_outputs)
            directions = draw_directions(data, points)
            numerical = framework_call(stats, f"{cell.framework} float64 gradient", lambda: (
                directional_difference(
                    contracted_first_order(own, ctx.function, sample, grad_grad_inputs,
                                           cell.device),
                    points, directions, ctx.entry.central_difference_eps)))
            if numerical is not None:
                compare_directional(stats, "second-order gradient", actual, numerical,
                                    directions, numerical_tolerance, "central differences")
        stats.end_example(
            lambda: f"{where}, grad_outputs={[g.tolist() for g in grad_outputs]}, "
                    f"grad_grad_inputs={[g.tolist() for g in grad_grad_inputs]}",
            lambda: ctx.repro("gradgrad", sample, expected, tolerance, grad_outputs=grad_outputs,
                              grad_grad_inputs=grad_grad_inputs))

    run_examples(stats, ctx.strategy(), check)


def test_double_backward(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
