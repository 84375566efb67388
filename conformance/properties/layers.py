"""What the layer-level property modules share (conv, pooling, linear, losses, rnn, optim,
serialization) beyond ``properties.common`` (their cells, the per-cell context and the
comparisons): the checks of each kind of layer-level subject.

Two kinds of subject (``conformance.subjects.layers``, bound by each framework's plugin:
``conformance.checks.layers``):

* **functional** (conv2d, pooling, linear, the losses): the framework's function with
  refimpl's signature, evaluated with ``conformance.checks.numeric`` as registry ops are.
  Checks: ``values`` (forward outputs and their dtypes vs refimpl float64 under the
  framework's policy), ``grad`` (vector-Jacobian products vs refimpl float64, and vs central
  differences of the framework's own float64 forward along a random direction),
  ``double_backward`` (second-order, the same two oracles). refimpl's own cells compare
  refimpl in the cell's dtype with refimpl float64 (float32 only: float64 would compare
  refimpl with itself) and with central differences.
* **runs** (layers built from given weights, recurrent layers, optimizers, save/load): a
  scenario ``run(case) -> {name: array}`` per framework; the framework's results are compared
  with refimpl's run of the same case in float64 under the framework's policy.

Tolerances: the dtype's base tolerance (``conformance.checks.tolerances``) for the quantity.
For the bilinear subjects (conv2d, conv_transpose2d, linear) each sum has many more terms
than the base tolerances assume (up to a few hundred products), so an example's ``atol`` is
raised to the classical dot-product error bound ``n u max|S|``: ``n`` the largest number of
terms in one sum, ``u`` the dtype's unit roundoff, and ``S`` the same quantity computed by
refimpl in float64 from the absolute values of every input (an elementwise bound on the sum
of |products|). That bound holds for any correct implementation whatever its summation order.
"""
import numpy

from ..checks import layers, repro
from ..checks.numeric import (call_op, contracted_first_order, contracted_forward,
                              directional_difference, first_order, round_to, second_order)
from ..checks.tolerances import CENTRAL_DIFFERENCE, Tolerance
from ..harness import run_examples
from ..subjects import layer_strategies
from ..subjects.strategies import Sample
from .common import (compare_arrays, compare_directional, draw_directions, framework_call,
                     prepare, reference_call, reference_name, skip)

UNIT_ROUNDOFF = {"float16": 2.0 ** -11, "float32": 2.0 ** -24, "float64": 2.0 ** -53}


def functional_subjects(family):
    """The functional subjects of ``family`` ('conv', 'pooling', 'linear', 'loss')."""
    return tuple(entry.subject for entry in layers.layer_entries("function", family))


# =============================================================================================
# Functional subjects
# =============================================================================================

def in_dtype(sample, dtype):
    """The sample with its float keyword arrays (class weights, pos_weight) in ``dtype``: the
    framework gets them in the cell's dtype, as its user would pass them; the float64 oracle
    in float64 (grid values: the same numbers)."""
    kwargs = {name: value.astype(dtype) if isinstance(value, numpy.ndarray)
              and value.dtype.kind == "f" else value for name, value in sample.kwargs.items()}
    return Sample(dict(sample.inputs), kwargs)


def _absolute(sample):
    return sample.with_leaves([numpy.abs(a) for a in sample.leaves()])


def bound_tolerance(ctx, base, sample, evaluate):
    """``base``, with atol raised to the dot-product error bound for a bilinear subject
    (see the module docstring); ``evaluate(sample)`` gives the quantity's arrays in float64
    for a sample of absolute values."""
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


def forward_arrays(adapter, function, sample, *, dtype, device):
    """(float outputs as float64 arrays, their dtypes)."""
    _, outputs = call_op(adapter, function, sample, dtype=dtype, device=device)
    return ([adapter.to_numpy(y).astype(numpy.float64) for y in outputs],
            [adapter.dtype_of(y) for y in outputs])


def check_values(session, cell, stats):
    """Forward values (and output dtypes) vs refimpl float64 under the framework's policy."""
    ctx = prepare(session, cell, stats)
    if ctx.is_reference_float64():
        skip(f"{cell.framework}'s float64 values are the oracle itself (tests/{cell.framework} "
             f"checks them)")
    base = stats.tolerance = ctx.tolerance("value")

    def check(data, sample, stats):
        stats.begin_example()
        sample = in_dtype(round_to(sample, cell.dtype), cell.dtype)
        high = in_dtype(sample, "float64")
        where = ctx.describe(sample)
        _, expected_dtypes = reference_call(lambda: forward_arrays(
            ctx.reference, ctx.reference_function, sample, dtype=cell.dtype, device="cpu"), where)
        expected, _ = reference_call(lambda: forward_arrays(
            ctx.reference, ctx.reference_function, high, dtype="float64", device="cpu"), where)
        tolerance = bound_tolerance(ctx, base, high, lambda s: forward_arrays(
            ctx.reference, ctx.reference_function, s, dtype="float64", device="cpu")[0])
        result = framework_call(stats, f"{cell.framework} {cell.subject}", lambda: forward_arrays(
            ctx.adapter, ctx.function, sample, dtype=cell.dtype, device=cell.device))
        if result is not None:
            actual, dtypes = result
            if len(dtypes) == len(expected_dtypes) and dtypes != expected_dtypes:
                stats.problem(f"output dtypes: {dtypes} vs {expected_dtypes} from "
                              f"{reference_name()} {cell.dtype}")
            compare_arrays(stats, "output", actual, expected, tolerance, ctx.float64_oracle)
        stats.end_example(lambda: where, lambda: ctx.repro(
            "forward", sample, expected, tolerance, expected_dtypes=expected_dtypes))

    run_examples(stats, ctx.strategy(), check)


def draw_grad_outputs(data, ctx, sample, where, label="grad_outputs"):
    """Output gradients on the grid for refimpl's float outputs (exact in every dtype)."""
    outputs, dtypes = reference_call(lambda: forward_arrays(
        ctx.reference, ctx.reference_function, sample, dtype=ctx.cell.dtype, device="cpu"), where)
    shapes = [y.shape for y, dtype in zip(outputs, dtypes) if dtype.startswith("float")]
    return list(data.draw(layer_strategies.grad_outputs(shapes=shapes, label=label),
                          label=label))


def check_grad(session, cell, stats):
    """First-order gradients vs refimpl float64 and vs central differences."""
    ctx = prepare(session, cell, stats)
    base = stats.tolerance = ctx.tolerance("grad")
    own = ctx.adapter

    def check(data, sample, stats):
        stats.begin_example()
        sample = in_dtype(round_to(sample, cell.dtype), cell.dtype)
        high = in_dtype(sample, "float64")
        where = ctx.describe(sample)
        grad_outputs = draw_grad_outputs(data, ctx, sample, where)
        expected = reference_call(lambda: first_order(
            ctx.reference, ctx.reference_function, high, grad_outputs, dtype="float64",
            device="cpu"), where)
        tolerance = bound_tolerance(ctx, base, high, lambda s: first_order(
            ctx.reference, ctx.reference_function, s, [numpy.abs(g) for g in grad_outputs],
            dtype="float64", device="cpu"))
        actual = framework_call(stats, f"{cell.framework} gradient", lambda: first_order(
            own, ctx.function, sample, grad_outputs, dtype=cell.dtype, device=cell.device))
        if actual is not None:
            if not ctx.is_reference_float64():
                compare_arrays(stats, "gradient of input", actual, expected, tolerance,
                               ctx.float64_oracle)
            directions = draw_directions(data, sample.leaves(), label="direction")
            numerical = framework_call(stats, f"{cell.framework} float64 forward", lambda: (
                directional_difference(
                    contracted_forward(own, ctx.function, high, grad_outputs, cell.device),
                    sample.leaves(), directions)))
            if numerical is not None:
                compare_directional(stats, "gradient", actual, numerical, directions,
                                    tolerance.loosest(CENTRAL_DIFFERENCE), "central differences")
        stats.end_example(lambda: f"{where}, grad_outputs={[g.tolist() for g in grad_outputs]}",
                          lambda: ctx.repro("grad", sample, expected, tolerance,
                                            grad_outputs=grad_outputs))

    run_examples(stats, ctx.strategy(), check)


def check_double_backward(session, cell, stats):
    """Second-order gradients (Chainer's check_double_backward) vs refimpl float64 and vs
    central differences of the framework's own first-order gradient."""
    ctx = prepare(session, cell, stats)
    base = stats.tolerance = ctx.tolerance("gradgrad")
    own = ctx.adapter

    def check(data, sample, stats):
        stats.begin_example()
        sample = in_dtype(round_to(sample, cell.dtype), cell.dtype)
        high = in_dtype(sample, "float64")
        where = ctx.describe(sample)
        grad_outputs = draw_grad_outputs(data, ctx, sample, where)
        grad_grad_inputs = list(data.draw(layer_strategies.grad_outputs(
            shapes=[numpy.shape(x) for x in sample.leaves()], label="grad_grad_inputs"),
            label="grad_grad_inputs"))
        expected = reference_call(lambda: second_order(
            ctx.reference, ctx.reference_function, high, grad_outputs, grad_grad_inputs,
            dtype="float64", device="cpu"), where)
        tolerance = bound_tolerance(ctx, base, high, lambda s: second_order(
            ctx.reference, ctx.reference_function, s, [numpy.abs(g) for g in grad_outputs],
            [numpy.abs(g) for g in grad_grad_inputs], dtype="float64", device="cpu"))
        actual = framework_call(stats, f"{cell.framework} double backward", lambda: second_order(
            own, ctx.function, sample, grad_outputs, grad_grad_inputs, dtype=cell.dtype,
            device=cell.device))
        if actual is not None:
            if not ctx.is_reference_float64():
                compare_arrays(stats, "second-order gradient", actual, expected, tolerance,
                               ctx.float64_oracle)
            points = list(sample.leaves()) + list(grad_outputs)
            directions = draw_directions(data, points, label="direction")
            numerical = framework_call(stats, f"{cell.framework} float64 gradient", lambda: (
                directional_difference(
                    contracted_first_order(own, ctx.function, high, grad_grad_inputs,
                                           cell.device), points, directions)))
            if numerical is not None:
                compare_directional(stats, "second-order gradient", actual, numerical,
                                    directions, tolerance.loosest(CENTRAL_DIFFERENCE),
                                    "central differences")
        stats.end_example(
            lambda: f"{where}, grad_outputs={[g.tolist() for g in grad_outputs]}, "
                    f"grad_grad_inputs={[g.tolist() for g in grad_grad_inputs]}",
            lambda: ctx.repro("gradgrad", sample, expected, tolerance, grad_outputs=grad_outputs,
                              grad_grad_inputs=grad_grad_inputs))

    run_examples(stats, ctx.strategy(), check)


FUNCTIONAL_CHECKS = {"values": check_values, "grad": check_grad,
                     "double_backward": check_double_backward}


def check_functional(session, cell, stats):
    """Dispatch on the property's last part ('conv.values' -> check_values)."""
    FUNCTIONAL_CHECKS[cell.property.rsplit(".", 1)[1]](session, cell, stats)


__all__ = ["bound_tolerance", "check_double_backward", "check_functional",
           "check_grad", "check_run", "check_values", "describe_case", "functional_subjects",
           "in_dtype"]


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
