"""The checks of one call of a subject with refimpl's signature, written once for the two
kinds that have one (``properties.common.KINDS``): registry ops (``forward``,
``grad.first_order``, ``double_backward``) and layer-level functions (conv2d, pooling,
linear, the losses: ``<family>.values``, ``<family>.grad``, ``<family>.double_backward``).

- ``check_values``: the number of outputs, their shapes, their dtypes (against refimpl in
  the cell's dtype: index dtypes, promotion) and their values against refimpl in float64
  under the framework's policy (quantity 'value').
- ``check_grad``: ``grad(f(x), x, grad_outputs)`` in the cell's dtype. Primary oracles, each
  named in a failing verdict: refimpl in float64 under the framework's policy (not for
  refimpl's own float64 cell, which would compare refimpl with itself), and central
  differences of the framework's *own* forward pass in float64 along a random direction
  ``v`` (``numeric.directional_difference``: two evaluations, as Chainer's
  ``check_backward``), compared with ``<gradient, v>`` under the looser of the dtype's
  'grad' tolerance and the central-difference tolerance.
- ``check_double_backward``: with ``g = grad(f(x), x, gy, create_graph=True)``, the
  gradients of ``sum_i <g_i, ggx_i>`` with respect to every input and every output gradient
  (Chainer's ``check_double_backward``), against the same two oracles (central differences
  of the framework's own first-order gradient).

What differs between the kinds is data of the kind (``CALLS``): how a drawn sample is
rounded to the cell's dtype, how output gradients are drawn (ops: elements in [-2, 2]
rounded to the outputs' dtypes; functions: the layer grid, exact in every dtype), the label
of the direction's seed, where the reference computes, and whether the other frameworks of
the run are consulted (ops: a non-primary oracle, where refimpl says the call means the same
to them; a failing verdict says which side they take). A function's ``atol`` may be raised
to the dot-product error bound (``bound_tolerance``, for its ``bilinear`` subjects).
"""
import numpy

from ..checks.numeric import (
    call_op,
    contracted_first_order,
    contracted_forward,
    directional_difference,
    first_order,
    round_to,
    second_order,
    sensitivity,
)
from ..checks.shared import SHARED
from ..checks.tolerances import CENTRAL_DIFFERENCE, Tolerance, conditioned_allowance
from ..harness import run_examples
from ..subjects import layer_strategies
from ..subjects.strategies import GRAD_OUTPUTS, Sample, arrays
from ..subjects.strategies import grad_outputs as grad_output_strategy
from .common import (
    compare_arrays,
    compare_directional,
    cross_check,
    draw_directions,
    framework_call,
    prepare,
    reference_call,
    reference_name,
    skip,
)

UNIT_ROUNDOFF = {"float16": 2.0 ** -11, "float32": 2.0 ** -24, "float64": 2.0 ** -53}


# =============================================================================================
# What differs between the kinds
# =============================================================================================

def in_dtype(sample, dtype):
    """The sample with its float keyword arrays (class weights, pos_weight) in ``dtype``: the
    framework gets them in the cell's dtype, as its user would pass them; the float64 oracle
    in float64 (grid values: the same numbers)."""
    kwargs = {name: value.astype(dtype) if isinstance(value, numpy.ndarray)
              and value.dtype.kind == "f" else value for name, value in sample.kwargs.items()}
    return Sample(dict(sample.inputs), kwargs)


def op_outputs(adapter, function, sample, *, dtype, device):
    """(outputs as NumPy arrays, their dtypes) of an op."""
    _, outputs = call_op(adapter, function, sample, dtype=dtype, device=device)
    return [adapter.to_numpy(y) for y in outputs], [adapter.dtype_of(y) for y in outputs]


def forward_arrays(adapter, function, sample, *, dtype, device):
    """(float outputs as float64 arrays, their dtypes) of a function."""
    _, outputs = call_op(adapter, function, sample, dtype=dtype, device=device)
    return ([adapter.to_numpy(y).astype(numpy.float64) for y in outputs],
            [adapter.dtype_of(y) for y in outputs])


class _OpCall:
    """A registry op's call."""

    cross_checks = True  # the other frameworks of the run are consulted
    direction_label = "direction seed"
    outputs = staticmethod(op_outputs)

    @staticmethod
    def rounded(sample, dtype):
        """(the sample in the cell's dtype, the float64 oracle's sample)."""
        sample = round_to(sample, dtype)
        return sample, sample

    @staticmethod
    def reference_device(cell):
        return cell.device

    @staticmethod
    def draw_grad_outputs(data, ctx, sample, where):
        """Output gradients for the float outputs refimpl gives, rounded to the outputs'
        dtypes."""
        outputs, dtypes = reference_call(lambda: SHARED.call(
            op_outputs, ctx.reference, ctx.reference_function, sample, dtype=ctx.cell.dtype,
            device="cpu"), where)
        floats = [(y.shape, dtype) for y, dtype in zip(outputs, dtypes)
                  if dtype.startswith("float")]
        drawn = data.draw(grad_output_strategy(shapes_of_outputs=[shape for shape, _ in floats]),
                          label="grad_outputs")
        return [g.astype(dtype).astype("float64") for g, (_, dtype) in zip(drawn, floats)]

    @staticmethod
    def draw_grad_grad_inputs(data, ctx, sample):
        return [data.draw(arrays(shape=numpy.shape(x), domain=GRAD_OUTPUTS),
                          label=f"grad_grad_inputs[{index}]").astype(ctx.cell.dtype)
                .astype("float64") for index, x in enumerate(sample.leaves())]


class _FunctionCall:
    """A layer-level function's call: values on the grid (exact in every dtype)."""

    cross_checks = False
    direction_label = "direction"
    outputs = staticmethod(forward_arrays)

    @staticmethod
    def rounded(sample, dtype):
        sample = in_dtype(round_to(sample, dtype), dtype)
        return sample, in_dtype(sample, "float64")

    @staticmethod
    def reference_device(cell):
        return "cpu"

    @staticmethod
    def draw_grad_outputs(data, ctx, sample, where, label="grad_outputs"):
        """Output gradients on the grid for refimpl's float outputs (exact in every dtype)."""
        outputs, dtypes = reference_call(lambda: SHARED.call(
            forward_arrays, ctx.reference, ctx.reference_function, sample, dtype=ctx.cell.dtype,
            device="cpu"), where)
        shapes = [y.shape for y, dtype in zip(outputs, dtypes) if dtype.startswith("float")]
        return list(data.draw(layer_strategies.grad_outputs(shapes=shapes, label=label),
                              label=label))

    @staticmethod
    def draw_grad_grad_inputs(data, ctx, sample):
        return list(data.draw(layer_strategies.grad_outputs(
            shapes=[numpy.shape(x) for x in sample.leaves()], label="grad_grad_inputs"),
            label="grad_grad_inputs"))


CALLS = {"op": _OpCall, "function": _FunctionCall}


def draw_grad_outputs(data, ctx, sample, where):
    """Output gradients for the float outputs of the cell's subject (its kind's draw)."""
    return CALLS[ctx.entry.kind].draw_grad_outputs(data, ctx, sample, where)


def _absolute(sample):
    return sample.with_leaves([numpy.abs(a) for a in sample.leaves()])


def bound_tolerance(ctx, base, sample, evaluate):
    """``base``, with atol raised to the dot-product error bound ``n u max|S|`` for a
    ``bilinear`` subject (its sums have up to a few hundred terms, more than the base
    tolerances assume): ``n`` the largest number of terms in one sum, ``u`` the dtype's unit
    roundoff, and ``S`` the same quantity computed by refimpl in float64 from the absolute
    values of every input (an elementwise bound on the sum of |products|: it holds for any
    correct implementation whatever its summation order). ``evaluate(sample)`` gives the
    quantity's arrays in float64 for a sample of absolute values."""
    if not ctx.bilinear:
        return base
    magnitudes = evaluate(_absolute(sample))
    largest = max((float(numpy.max(numpy.abs(m))) for m in magnitudes if numpy.size(m)),
                  default=0.0)
    terms = max(numpy.size(a) for a in list(sample.leaves()) + list(magnitudes)) + 1
    atol = terms * UNIT_ROUNDOFF[ctx.cell.dtype] * largest
    if atol <= base.atol:
        return base
    unit = UNIT_ROUNDOFF[ctx.cell.dtype]
    return Tolerance(base.rtol, atol, f"{base.reason}; atol raised to the dot-product error "
                                      f"bound n u max|S| = {terms} * {unit:.3g} * {largest:.3g}")


def conditioning(ctx, evaluate, points, in_dtype):
    """The ``allowance`` of ``compare_arrays``/``compare_directional`` for one example
    (``tolerances.conditioned_allowance``, computed once, on the first disagreement):
    ``evaluate(points)`` gives the quantity's arrays by the reference in float64 from its
    operands ``points`` (float64 arrays: the leaves rounded to the cell's dtype, then output
    gradients and grad_grad_inputs where the quantity takes them); ``in_dtype()`` gives the
    same quantity by the reference in the cell's dtype (consulted for a framework's cells
    only: the side of the reference that settles against float64). None where the reference
    cannot compute it (then the base tolerance alone decides)."""
    cache = []

    def allowance():
        if not cache:
            try:
                expected = evaluate([numpy.asarray(p, dtype=numpy.float64) for p in points])
                theirs = None if ctx.is_reference else in_dtype()
                cache.append(conditioned_allowance(ctx.cell.dtype, sensitivity(evaluate, points),
                                                   theirs, expected))
            except Exception:  # noqa: BLE001 - the reference raised: no allowance
                cache.append(None)
        return cache[0]
    return allowance


# =============================================================================================
# The checks
# =============================================================================================

def check_values(session, cell, stats):
    """Forward values (and output dtypes) vs refimpl float64 under the framework's policy."""
    ctx = prepare(session, cell, stats)
    kind = CALLS[ctx.entry.kind]
    if ctx.is_reference_float64():
        skip(f"{cell.framework}'s float64 values are the oracle itself (tests/{cell.framework} "
             f"checks them)")
    base = stats.tolerance = ctx.tolerance("value")
    device = kind.reference_device(cell)

    def check(data, sample, stats):
        stats.begin_example()
        sample, high = kind.rounded(sample, cell.dtype)
        where = ctx.describe(sample)
        _, expected_dtypes = reference_call(lambda: SHARED.call(
            kind.outputs, ctx.reference, ctx.reference_function, sample, dtype=cell.dtype,
            device=device), where)
        expected, _ = reference_call(lambda: SHARED.call(
            kind.outputs, ctx.reference, ctx.reference_function, high, dtype="float64",
            device=device), where)
        tolerance = bound_tolerance(ctx, base, high, lambda s: kind.outputs(
            ctx.reference, ctx.reference_function, s, dtype="float64", device=device)[0])
        result = framework_call(stats, f"{cell.framework} {cell.subject}", lambda: SHARED.call(
            kind.outputs, ctx.adapter, ctx.function, sample, dtype=cell.dtype,
            device=cell.device))
        actual = None
        if result is not None:
            actual, dtypes = result
            if len(dtypes) == len(expected_dtypes) and dtypes != expected_dtypes:
                stats.problem(f"output dtypes: {dtypes} vs {expected_dtypes} from "
                              f"{reference_name()} {cell.dtype}")
            compare_arrays(stats, "output", actual, expected, tolerance, ctx.float64_oracle,
                           allowance=conditioning(
                               ctx, lambda arrays: kind.outputs(
                                   ctx.reference, ctx.reference_function,
                                   high.with_leaves(arrays), dtype="float64", device=device)[0],
                               high.leaves(), lambda: kind.outputs(
                                   ctx.reference, ctx.reference_function, sample,
                                   dtype=cell.dtype, device=device)[0]))
        if kind.cross_checks:
            cross_check(session, ctx, stats, sample, actual, expected, tolerance,
                        lambda other, function: SHARED.call(
                            kind.outputs, other, function, sample, dtype=cell.dtype,
                            device=cell.device)[0])
        stats.end_example(lambda: where, lambda: ctx.repro(
            "forward", sample, expected, tolerance, expected_dtypes=expected_dtypes))

    run_examples(stats, ctx.strategy(), check)


def reference_gradient(ctx, high, grad_outputs, where):
    """refimpl's first-order gradient of the float64 sample ``high`` (shared by the cells)."""
    return reference_call(lambda: SHARED.call(
        first_order, ctx.reference, ctx.reference_function, high, grad_outputs,
        dtype="float64", device="cpu"), where)


def framework_gradient(ctx, stats, sample, grad_outputs):
    """The cell's framework's first-order gradient in its dtype and device (None, with a
    problem recorded, where it raises)."""
    cell = ctx.cell
    return framework_call(stats, f"{cell.framework} gradient", lambda: SHARED.call(
        first_order, ctx.adapter, ctx.function, sample, grad_outputs, dtype=cell.dtype,
        device=cell.device))


def check_grad(session, cell, stats):
    """First-order gradients vs refimpl float64 and vs central differences."""
    ctx = prepare(session, cell, stats, gradient=True)
    kind = CALLS[ctx.entry.kind]
    base = stats.tolerance = ctx.tolerance("grad")
    own = ctx.adapter

    def check(data, sample, stats):
        stats.begin_example()
        sample, high = kind.rounded(sample, cell.dtype)
        where = ctx.describe(sample)
        grad_outputs = kind.draw_grad_outputs(data, ctx, sample, where)
        expected = reference_gradient(ctx, high, grad_outputs, where)
        tolerance = bound_tolerance(ctx, base, high, lambda s: first_order(
            ctx.reference, ctx.reference_function, s, [numpy.abs(g) for g in grad_outputs],
            dtype="float64", device="cpu"))
        actual = framework_gradient(ctx, stats, sample, grad_outputs)
        count = len(high.leaves())
        allowance = conditioning(
            ctx, lambda arrays: first_order(
                ctx.reference, ctx.reference_function, high.with_leaves(arrays[:count]),
                arrays[count:], dtype="float64", device="cpu"),
            list(high.leaves()) + list(grad_outputs), lambda: first_order(
                ctx.reference, ctx.reference_function, sample, grad_outputs, dtype=cell.dtype,
                device="cpu"))
        if actual is not None:
            if not ctx.is_reference_float64():
                compare_arrays(stats, "gradient of input", actual, expected, tolerance,
                               ctx.float64_oracle, allowance=allowance)
            directions = draw_directions(data, sample.leaves(), label=kind.direction_label)
            numerical = framework_call(stats, f"{cell.framework} float64 forward", lambda: (
                directional_difference(
                    contracted_forward(own, ctx.function, high, grad_outputs, cell.device),
                    sample.leaves(), directions, ctx.central_difference_eps)))
            if numerical is not None:
                compare_directional(stats, "gradient", actual, numerical, directions,
                                    tolerance.loosest(CENTRAL_DIFFERENCE), "central differences",
                                    allowance)
        if kind.cross_checks:
            cross_check(session, ctx, stats, sample, actual, expected, tolerance,
                        lambda other, function: SHARED.call(
                            first_order, other, function, sample, grad_outputs,
                            dtype=cell.dtype, device=cell.device))
        stats.end_example(lambda: f"{where}, grad_outputs={[g.tolist() for g in grad_outputs]}",
                          lambda: ctx.repro("grad", sample, expected, tolerance,
                                            grad_outputs=grad_outputs))

    run_examples(stats, ctx.strategy(), check)


def check_double_backward(session, cell, stats):
    """Second-order gradients (Chainer's check_double_backward) vs refimpl float64 and vs
    central differences of the framework's own first-order gradient."""
    ctx = prepare(session, cell, stats, gradgrad=True, gradient=True)
    kind = CALLS[ctx.entry.kind]
    base = stats.tolerance = ctx.tolerance("gradgrad")
    own = ctx.adapter

    def check(data, sample, stats):
        stats.begin_example()
        sample, high = kind.rounded(sample, cell.dtype)
        where = ctx.describe(sample)
        grad_outputs = kind.draw_grad_outputs(data, ctx, sample, where)
        grad_grad_inputs = kind.draw_grad_grad_inputs(data, ctx, sample)
        expected = reference_call(lambda: SHARED.call(
            second_order, ctx.reference, ctx.reference_function, high, grad_outputs,
            grad_grad_inputs, dtype="float64", device="cpu"), where)
        tolerance = bound_tolerance(ctx, base, high, lambda s: second_order(
            ctx.reference, ctx.reference_function, s, [numpy.abs(g) for g in grad_outputs],
            [numpy.abs(g) for g in grad_grad_inputs], dtype="float64", device="cpu"))
        actual = framework_call(stats, f"{cell.framework} double backward", lambda: SHARED.call(
            second_order, own, ctx.function, sample, grad_outputs, grad_grad_inputs,
            dtype=cell.dtype, device=cell.device))
        count, outputs = len(high.leaves()), len(grad_outputs)
        allowance = conditioning(
            ctx, lambda arrays: second_order(
                ctx.reference, ctx.reference_function, high.with_leaves(arrays[:count]),
                arrays[count:count + outputs], arrays[count + outputs:], dtype="float64",
                device="cpu"),
            list(high.leaves()) + list(grad_outputs) + list(grad_grad_inputs),
            lambda: second_order(ctx.reference, ctx.reference_function, sample, grad_outputs,
                                 grad_grad_inputs, dtype=cell.dtype, device="cpu"))
        if actual is not None:
            if not ctx.is_reference_float64():
                compare_arrays(stats, "second-order gradient", actual, expected, tolerance,
                               ctx.float64_oracle, allowance=allowance)
            points = list(sample.leaves()) + list(grad_outputs)
            directions = draw_directions(data, points, label=kind.direction_label)
            numerical = framework_call(stats, f"{cell.framework} float64 gradient", lambda: (
                directional_difference(
                    contracted_first_order(own, ctx.function, high, grad_grad_inputs,
                                           cell.device), points, directions,
                    ctx.central_difference_eps)))
            if numerical is not None:
                compare_directional(stats, "second-order gradient", actual, numerical,
                                    directions, tolerance.loosest(CENTRAL_DIFFERENCE),
                                    "central differences", allowance)
        stats.end_example(
            lambda: f"{where}, grad_outputs={[g.tolist() for g in grad_outputs]}, "
                    f"grad_grad_inputs={[g.tolist() for g in grad_grad_inputs]}",
            lambda: ctx.repro("gradgrad", sample, expected, tolerance, grad_outputs=grad_outputs,
                              grad_grad_inputs=grad_grad_inputs))

    run_examples(stats, ctx.strategy(), check)


CHECKS = {"values": check_values, "grad": check_grad, "double_backward": check_double_backward}


def check_functional(session, cell, stats):
    """Dispatch on a layer-level property's last part ('conv.values' -> check_values)."""
    CHECKS[cell.property.rsplit(".", 1)[1]](session, cell, stats)


__all__ = ["CALLS", "CHECKS", "bound_tolerance", "check_double_backward", "check_functional",
           "check_grad", "check_values", "draw_grad_outputs", "forward_arrays",
           "framework_gradient", "in_dtype", "op_outputs", "reference_gradient"]
