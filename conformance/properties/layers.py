"""What the layer-level property modules share (conv, pooling, linear, losses, rnn, optim,
serialization): their cells, the per-cell context, and the checks.

Two kinds of subject (``conformance.subjects.layers``, bound by each framework's plugin:
``conformance.checks.layers``):

* **functional** (conv2d, pooling, linear, the losses): the framework's function with
  refimpl's signature, evaluated with ``conformance.numeric`` as registry ops are. Checks:
  ``values`` (forward outputs and their dtypes vs refimpl float64 under the framework's
  policy), ``grad`` (vector-Jacobian products vs refimpl float64, and vs central differences
  of the framework's own float64 forward along a random direction), ``double_backward``
  (second-order, the same two oracles). refimpl's own cells compare refimpl in the cell's
  dtype with refimpl float64 (float32 only: float64 would compare refimpl with itself) and
  with central differences.
* **runs** (layers built from given weights, recurrent layers, optimizers, save/load): a
  scenario ``run(case) -> {name: array}`` per framework; the framework's results are compared
  with refimpl's run of the same case in float64 under the framework's policy.

Tolerances: the dtype's base tolerance (``conformance.tolerances``) for the quantity. For the
bilinear subjects (conv2d, conv_transpose2d, linear) each sum has many more terms than the
base tolerances assume (up to a few hundred products), so an example's ``atol`` is raised to
the classical dot-product error bound ``n u max|S|``: ``n`` the largest number of terms in one
sum, ``u`` the dtype's unit roundoff, and ``S`` the same quantity computed by refimpl in
float64 from the absolute values of every input (an elementwise bound on the sum of
|products|). That bound holds for any correct implementation whatever its summation order.
"""
import dataclasses

import numpy

from .. import frameworks, layer_repro, layer_strategies
from ..checks import layers, tolerances
from ..harness import Cell, run_examples
from ..strategies import Sample
from ..checks.numeric import (contracted_first_order, contracted_forward,
                              directional_difference, first_order, round_to, second_order)
from ..checks.tolerances import CENTRAL_DIFFERENCE, Tolerance
from .common import (compare_arrays, compare_directional, framework_call, reference_call,
                     skip)

LAYER_DTYPES = ("float32", "float64")
def oracle_name():
    """The reference's name (the oracle named in messages)."""
    return frameworks.reference().name


UNIT_ROUNDOFF = {"float16": 2.0 ** -11, "float32": 2.0 ** -24, "float64": 2.0 ** -53}


# =============================================================================================
# Cells
# =============================================================================================

def functional_subjects(family):
    """The functional subjects of ``family`` ('conv', 'pooling', 'linear', 'loss')."""
    return tuple(entry.subject for entry in layers.layer_entries("function", family))


def functional_cells(session, property_name, subjects, *, dtypes=LAYER_DTYPES,
                     reference_dtypes=LAYER_DTYPES):
    """One cell per (subject, framework, device, dtype). A one-API subject (a loss) has
    cells for the frameworks with its feature and the reference only; the reference's cells
    use ``reference_dtypes``."""
    cells = []
    for subject in subjects:
        feature = layers.layer_entry(subject).feature
        for framework in session.frameworks:
            reference = session.is_reference(framework)
            if not reference and feature is not None \
                    and feature not in session.plugin(framework).features:
                continue
            for device in session.devices:
                for dtype in (reference_dtypes if reference else dtypes):
                    cells.append(Cell(property_name, subject, framework, device, dtype))
    return cells


def unavailable(session, cell):
    reason = session.unavailable(cell)
    if reason:
        skip(reason)


# =============================================================================================
# Functional subjects
# =============================================================================================

@dataclasses.dataclass
class FunctionalContext:
    """Everything one functional cell needs."""

    cell: Cell
    adapter: object
    function: object
    reference: object
    reference_function: object
    policy: str
    features: frozenset  # the API features of the calls (the framework's, or the policy's)
    is_reference: bool = False
    bilinear: bool = False

    @property
    def version(self):
        return self.adapter.version

    def strategy(self):
        return layers.layer_entry(self.cell.subject).samples(self.features)

    def tolerance(self, quantity):
        return tolerances.tolerance(self.cell.dtype, quantity)

    def describe(self, sample):
        inputs = ", ".join(f"{name}={numpy.asarray(value).tolist()}"
                           for name, value in sample.inputs.items())
        kwargs = ", ".join(f"{name}={_short(value)}" for name, value in sample.kwargs.items())
        return (f"{self.cell.framework} {self.version}, {self.cell.device}, {self.cell.dtype}: "
                f"{self.cell.subject}({inputs}{'; ' if kwargs else ''}{kwargs})")

    def repro(self, kind, sample, expected, tolerance, **extra):
        title = (f"{self.cell.property} of {self.cell.subject} on {self.cell.framework} "
                 f"{self.version} ({self.cell.device}, {self.cell.dtype})")
        return layer_repro.functional_script(
            kind, title=title, framework=self.cell.framework, subject=self.cell.subject,
            device=self.cell.device, dtype=self.cell.dtype, inputs=sample.inputs,
            kwargs=sample.kwargs, expected=expected, tolerance=tolerance, policy=self.policy,
            **extra)


def _short(value):
    if isinstance(value, numpy.ndarray):
        return f"array({value.tolist()})"
    return repr(value)


def reference_policy(session, framework, feature):
    """The refimpl policy of a cell: the framework's; for the reference's own cells, the
    policy of a framework whose API has the subject's ``feature`` (a chainer loss runs under
    'chainer'), else the session's."""
    if session.is_reference(framework):
        owner = layers.owner_of_feature(feature) if feature is not None else None
        return owner.policies[0] if owner is not None else session.policy_name(framework)
    return session.policy_name(framework)


def prepare_functional(session, cell, stats):
    """The FunctionalContext of ``cell``, or a skip with the reason it cannot run."""
    unavailable(session, cell)
    is_reference = session.is_reference(cell.framework)
    if not is_reference:
        absent = layers.binding(session.plugin(cell.framework), "FUNCTIONS", cell.subject)
        if isinstance(absent, layers.Absent):
            skip(absent.reason)
    entry = layers.layer_entry(cell.subject)
    adapter = session.adapter(cell.framework)
    policy = reference_policy(session, cell.framework, entry.feature)
    reference = session.reference(policy)
    if is_reference:
        adapter = reference
    stats.version = adapter.version
    stats.semantics = policy
    return FunctionalContext(cell, adapter, layers.function(adapter, cell.subject),
                             reference, layers.function(reference, cell.subject),
                             policy, frozenset(adapter.features), is_reference, entry.bilinear)


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
    from ..checks.numeric import call_op
    _, outputs = call_op(adapter, function, sample, dtype=dtype, device=device)
    return ([adapter.to_numpy(y).astype(numpy.float64) for y in outputs],
            [adapter.dtype_of(y) for y in outputs])


def check_values(session, cell, stats):
    """Forward values (and output dtypes) vs refimpl float64 under the framework's policy."""
    ctx = prepare_functional(session, cell, stats)
    if ctx.is_reference and cell.dtype == "float64":
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
                stats.problem(f"output dtypes: {dtypes} vs {expected_dtypes} from {oracle_name()} "
                              f"{cell.dtype}")
            compare_arrays(stats, "output", actual, expected, tolerance, f"{oracle_name()} float64")
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


def draw_direction(data, like, label="direction"):
    """A random direction (one array per array of ``like``): magnitudes in [0.5, 1], random
    signs, from a seeded NumPy generator (as ``test_grad.draw_directions``)."""
    from hypothesis import strategies as st
    generator = numpy.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label=label))
    return [generator.uniform(0.5, 1.0, numpy.shape(a))
            * generator.choice([-1.0, 1.0], numpy.shape(a)) for a in like]


def check_grad(session, cell, stats):
    """First-order gradients vs refimpl float64 and vs central differences."""
    ctx = prepare_functional(session, cell, stats)
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
            if not (ctx.is_reference and cell.dtype == "float64"):
                compare_arrays(stats, "gradient of input", actual, expected, tolerance,
                               f"{oracle_name()} float64")
            directions = draw_direction(data, sample.leaves())
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
    ctx = prepare_functional(session, cell, stats)
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
            if not (ctx.is_reference and cell.dtype == "float64"):
                compare_arrays(stats, "second-order gradient", actual, expected, tolerance,
                               f"{oracle_name()} float64")
            points = list(sample.leaves()) + list(grad_outputs)
            directions = draw_direction(data, points)
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


__all__ = ["FunctionalContext", "LAYER_DTYPES", "check_double_backward",
           "check_functional", "check_grad", "check_values", "functional_cells",
           "functional_subjects", "prepare_functional"]


# =============================================================================================
# Runs (stateful subjects)
# =============================================================================================

def run_cells(session, property_name, subjects, *, dtypes=LAYER_DTYPES):
    """One cell per (subject, real framework, device, dtype); the reference is the oracle of
    every run, so it has no cells of its own. A framework that lacks the subject gets skip
    cells (the reason is its plugin's binding, ``Absent``)."""
    return [Cell(property_name, subject, framework, device, dtype)
            for subject in subjects for framework in session.frameworks
            if not session.is_reference(framework)
            for device in session.devices for dtype in dtypes]


@dataclasses.dataclass
class RunContext:
    """A run cell: the framework's run, refimpl's, and the policy refimpl runs under."""

    cell: Cell
    adapter: object
    run: object
    reference_run: object
    policy: str

    @property
    def version(self):
        return self.adapter.version


def prepare_run(session, cell, stats, run_of):
    """The RunContext, or a skip: framework or device absent, the framework's run
    (``run_of(plugin)``) an ``Absent``, or a device other than the CPU (runs build NumPy-fed
    layers on the CPU). The oracle is ``run_of`` of the reference."""
    unavailable(session, cell)
    run = run_of(session.plugin(cell.framework))
    reference_run = run_of(frameworks.reference())
    if isinstance(run, layers.Absent):
        skip(run.reason)
    if cell.device != "cpu":
        skip(f"layer runs build their layers on the CPU only (device {cell.device!r})")
    adapter = session.adapter(cell.framework)
    policy = session.policy_name(cell.framework)
    stats.version = adapter.version
    stats.semantics = policy
    return RunContext(cell, adapter, run, reference_run, policy)


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
        expected = reference_call(lambda: ctx.reference_run(
            dict(case, dtype=oracle_dtype, policy=ctx.policy)), where)
        secondary = None if oracle_dtype == "float64" else reference_call(
            lambda: ctx.reference_run(dict(case, dtype="float64", policy=ctx.policy)), where)
        example_tolerance = tolerance(case)
        actual = framework_call(stats, f"{cell.framework} {cell.subject}", lambda: ctx.run(case))
        if actual is not None:
            missing = sorted(set(expected) - set(actual))
            extra = sorted(set(actual) - set(expected))
            if missing or extra:
                stats.problem(f"results: {cell.framework} lacks {missing}, {oracle_name()} lacks "
                              f"{extra}")
            for name in sorted(set(expected) & set(actual)):
                compare_arrays(stats, name, [actual[name]], [expected[name]], example_tolerance,
                               f"{oracle_name()} {oracle_dtype}")
                if secondary is not None:
                    compare_arrays(stats, name, [actual[name]], [secondary[name]],
                                   example_tolerance, f"{oracle_name()} float64", primary=False)
        title = (f"{cell.property} of {cell.subject} on {cell.framework} {ctx.version} "
                 f"({cell.device}, {cell.dtype})")
        stats.end_example(lambda: where, lambda: layer_repro.run_script(
            title=title, framework=cell.framework, run=ctx.run, case=case, expected=expected,
            tolerance=example_tolerance))

    run_examples(stats, strategy, check)
