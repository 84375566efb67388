"""What the op property modules share: cells from the registry, the per-cell context (adapter,
the framework's binding, the reference (refimpl) oracle under the framework's policy), and
comparisons that feed ``CellStats``. No framework is named here: absences come from the
framework's plugin, the reference from ``session.is_reference``/``frameworks.reference()``."""
import dataclasses

import numpy
import pytest

from .. import frameworks, subjects
from ..checks import repro, tolerances
from ..checks.numeric import as_tuple, call_op, round_to
from ..harness import Cell, HarnessError

OP_DTYPES = ("float32", "float64", "float16")


def reference_name():
    """The reference's name, as oracle names and messages say it ('refimpl')."""
    return frameworks.reference().name


def api(session, framework):
    """The ``Api`` a sample strategy draws ``framework``'s calls for: the API features of
    its plugin (the reference's own calls take its own, which cover every framework's) and
    the refimpl policy modelling it."""
    return subjects.Api(session.plugin(framework).features,
                        session.reference(session.policy_name(framework)).policy)


def absent(session, framework, subject, dtype=None, gradgrad=False):
    """Why ``framework`` cannot run op ``subject`` (in ``dtype``; with double backprop), as
    its plugin says, or None."""
    plugin = session.plugin(framework)
    return (plugin.absent_op(subject)
            or (dtype is not None and plugin.absent_dtype(subject, dtype))
            or (gradgrad and plugin.absent_gradgrad(subject)) or None)


def skip(reason):
    """End the cell as a skip with ``reason``."""
    pytest.skip(reason)


def op_cells(session, property_name, *, dtypes=OP_DTYPES, differentiable_only=False):
    """One cell per (registry op, framework, device, dtype) of the session.

    The reference's (refimpl's) own float64 forward values are the specification, so that
    cell (which would compare refimpl with itself) is not generated; tests/refimpl checks
    them against NumPy.
    """
    cells = []
    for entry in subjects.entries("op"):
        if differentiable_only and not entry.differentiable:
            continue
        for framework in session.frameworks:
            for device in session.devices:
                for dtype in dtypes:
                    if (session.is_reference(framework) and dtype == "float64"
                            and property_name == "forward"):
                        continue
                    cells.append(Cell(property_name, entry.subject, framework, device, dtype))
    return cells


@dataclasses.dataclass
class OpContext:
    """Everything one op cell needs."""

    cell: Cell
    entry: subjects.Entry  # a ``subjects.ops.OpEntry``
    adapter: object
    function: object  # the framework's binding of the op
    reference: object  # refimpl under the framework's policy
    reference_function: object
    policy: str
    api: subjects.Api
    is_reference: bool  # the cell's framework is the reference itself

    @property
    def version(self):
        return self.adapter.version

    def strategy(self):
        return self.entry.strategy(self.api)

    def tolerance(self, quantity):
        return tolerances.tolerance(self.cell.dtype, quantity, self.entry.tolerances)

    @property
    def float64_oracle(self):
        """The name of the primary oracle: the reference in float64 ('refimpl float64')."""
        return f"{reference_name()} float64"

    def is_reference_float64(self):
        """The cell is the reference's own float64 cell (it would compare it with itself)."""
        return self.is_reference and self.cell.dtype == "float64"

    def describe(self, sample):
        """'framework version, device, dtype: subject(inputs; kwargs)' of one example."""
        inputs = ", ".join(f"{name}={_short(value)}" for name, value in sample.inputs.items())
        kwargs = ", ".join(f"{name}={_short(value)}" for name, value in sample.kwargs.items())
        return (f"{self.cell.framework} {self.version}, {self.cell.device}, {self.cell.dtype}: "
                f"{self.entry.subject}({inputs}{'; ' if kwargs else ''}{kwargs})")

    def repro(self, kind, sample, expected, tolerance, **extra):
        title = (f"{self.cell.property} of {self.entry.subject} on {self.cell.framework} "
                 f"{self.version} ({self.cell.device}, {self.cell.dtype})")
        return repro.script(kind, title=title, framework=self.cell.framework,
                            function_name=self.entry.op, device=self.cell.device,
                            dtype=self.cell.dtype, inputs=sample.inputs, kwargs=sample.kwargs,
                            expected=expected, tolerance=tolerance, policy=self.policy, **extra)


def _short(value):
    if isinstance(value, numpy.ndarray):
        return f"array({value.tolist()})"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return repr(value)


def prepare(session, cell, stats, *, gradgrad=False):
    """The OpContext of ``cell``, or a skip with the reason it cannot run."""
    reason = session.unavailable(cell)
    if reason:
        skip(reason)
    entry = subjects.get(cell.subject)
    reason = absent(session, cell.framework, entry.subject, cell.dtype, gradgrad)
    if reason:
        skip(reason)
    adapter = session.adapter(cell.framework)
    policy = session.policy_name(cell.framework)
    reference = session.reference(policy)
    stats.version = adapter.version
    stats.semantics = policy
    return OpContext(cell, entry, adapter, adapter.op(entry.subject), reference,
                     reference.op(entry.subject), policy, api(session, cell.framework),
                     session.is_reference(cell.framework))


def reference_call(function, description):
    """Run an oracle computation; an oracle that raises cannot judge: HarnessError."""
    try:
        return function()
    except Exception as error:  # noqa: BLE001
        raise HarnessError(f"the {reference_name()} oracle raised {type(error).__name__}: {error} "
                           f"[{description}]") from error


def framework_call(stats, what, function):
    """Run the framework; an exception becomes a problem of the example (returns None)."""
    try:
        return function()
    except Exception as error:  # noqa: BLE001 - the behaviour under test may raise
        stats.problem(f"{what} raised {type(error).__name__}: {' '.join(str(error).split())[:300]}")
        return None


def compare_arrays(stats, what, actual, expected, tolerance, oracle, *, primary=True):
    """Compare a list of arrays with an oracle's; record errors, the oracle's opinion and, for
    a primary oracle, a problem. Returns True when they agree."""
    problems = []
    if len(actual) != len(expected):
        problems.append(f"{what}: {len(actual)} arrays vs {len(expected)} from {oracle}")
    for index, (a, e) in enumerate(zip(actual, expected)):
        a, e = numpy.asarray(a), numpy.asarray(e)
        if a.shape != e.shape:
            problems.append(f"{what} {index} shape: {a.shape} vs {e.shape} from {oracle}")
            continue
        if e.dtype.kind in "biu" and a.dtype.kind in "biu":
            if not numpy.array_equal(a, e):
                problems.append(f"{what} {index}: {a.tolist()} vs {e.tolist()} from {oracle}")
            continue
        max_abs, max_rel = tolerances.errors(a, e)
        if primary:
            stats.errors(max_abs, max_rel)
        if not tolerance.allclose(a.astype(numpy.float64), e.astype(numpy.float64)):
            problems.append(
                f"{what} {index}: max abs err {max_abs:.3g} (rel {max_rel:.3g}) vs {oracle} "
                f"exceeds rtol={tolerance.rtol:g}, atol={tolerance.atol:g}: "
                f"{_clip(a.tolist())} vs {_clip(e.tolist())}")
    stats.oracle(oracle, not problems)
    if primary:
        for problem in problems:
            stats.problem(problem)
    return not problems


def compare_directional(stats, what, actual, numerical, directions, tolerance, oracle):
    """Compare ``<actual, v>`` (the framework's gradients along the random directions ``v``)
    with the numerical directional derivative. Elementwise errors within ``atol + rtol|a_i|``
    bound the dot product's error by ``sum_i |v_i| (atol + rtol |a_i|)``: that is the
    tolerance here. Returns True when they agree."""
    projected = float(sum(numpy.sum(numpy.asarray(a, dtype=numpy.float64) * v)
                          for a, v in zip(actual, directions)))
    bound = float(sum(numpy.sum(numpy.abs(v) * (tolerance.atol + tolerance.rtol * numpy.abs(
        numpy.asarray(a, dtype=numpy.float64)))) for a, v in zip(actual, directions)))
    error = abs(projected - numerical) if numpy.isfinite(projected) else float("inf")
    agrees = error <= bound or (numpy.isnan(projected) and numpy.isnan(numerical))
    stats.oracle(oracle, agrees)
    if not agrees:
        stats.problem(f"{what} along a random direction: {projected:.6g} vs {numerical:.6g} "
                      f"from {oracle} (error {error:.3g} exceeds {bound:.3g}: "
                      f"sum |v| (atol={tolerance.atol:g} + rtol={tolerance.rtol:g} |grad|))")
    return agrees


def _clip(values, limit=200):
    text = repr(values)
    return text if len(text) <= limit else text[:limit] + "...]"


def pairwise(tolerance):
    """Two implementations each within ``tolerance`` of the truth are within twice it of
    each other."""
    return tolerances.Tolerance(2 * tolerance.rtol, 2 * tolerance.atol,
                                f"{tolerance.reason}, doubled between two frameworks")


def same_meaning(session, ctx, sample):
    """Policies under which refimpl gives the same float64 outputs as under ``ctx.policy``
    for ``sample`` (so another framework's result is comparable), as {policy: bool}."""
    cache = {}

    def outputs(policy):
        if policy not in cache:
            reference = session.reference(policy)
            try:
                _, values = call_op(reference, reference.op(ctx.entry.subject), sample,
                                    dtype="float64", device="cpu")
                cache[policy] = [reference.to_numpy(v) for v in values]
            except Exception:  # noqa: BLE001 - the other policy rejects the call
                cache[policy] = None
        return cache[policy]

    return lambda policy: _equal_lists(outputs(policy), outputs(ctx.policy))


def _equal_lists(a, b):
    if a is None or b is None or len(a) != len(b):
        return False
    return all(x.shape == y.shape and x.dtype == y.dtype and numpy.array_equal(x, y, equal_nan=True)
               for x, y in zip(a, b))


def cross_check(session, ctx, stats, sample, actual, expected, tolerance, compute):
    """Consult the other frameworks of the session (a non-primary oracle): each runs
    ``compute(adapter, function)`` in the cell's dtype when refimpl says the call means the
    same to it. Their opinions are counted in ``stats.oracles``; for a failing example the
    problems say which side each takes."""
    meaning = same_meaning(session, ctx, sample)
    opinions = []
    for other in session.others(ctx.cell.framework):
        name = f"{other.name} {other.version}"
        try:
            function = other.op(ctx.entry.subject)
        except Exception:  # noqa: BLE001 - NotSupported: the op is absent there
            stats.oracle(name, None)
            continue
        other_policy = session.policy_name(other.name)
        if not meaning(other_policy):
            stats.oracle(name, None)
            continue
        try:
            theirs = compute(other, function)
        except Exception:  # noqa: BLE001 - e.g. an argument it does not take
            stats.oracle(name, None)
            continue
        agrees = None
        if actual is not None:
            agrees = compare_arrays(stats, "cross-check", actual, theirs, pairwise(tolerance),
                                    name, primary=False)
        with_reference = _agree(theirs, expected, tolerance)
        opinions.append((name, agrees, with_reference))
    verdict_note(stats, ctx, opinions)


def _agree(actual, expected, tolerance):
    if actual is None or expected is None or len(actual) != len(expected):
        return False
    return all(numpy.shape(a) == numpy.shape(e) and tolerance.allclose(
        numpy.asarray(a, dtype=numpy.float64), numpy.asarray(e, dtype=numpy.float64))
        for a, e in zip(actual, expected))


def verdict_note(stats, ctx, other_opinions):
    """Add which side the other frameworks take to a failing example's problems."""
    if not stats._problems:
        return
    for name, agrees_with_framework, agrees_with_reference in other_opinions:
        if agrees_with_framework is None:
            continue
        side = (f"agrees with {reference_name()}" if agrees_with_reference
                and not agrees_with_framework
                else f"agrees with {ctx.cell.framework}" if agrees_with_framework
                and not agrees_with_reference else
                "agrees with both" if agrees_with_framework else "agrees with neither")
        stats.problem(f"cross-check: {name} {side}")


__all__ = ["OP_DTYPES", "OpContext", "absent", "api", "as_tuple", "compare_arrays",
           "compare_directional", "cross_check", "framework_call", "op_cells", "pairwise",
           "prepare", "reference_call", "reference_name", "round_to", "same_meaning", "skip",
           "verdict_note"]
