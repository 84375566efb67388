"""What the property modules share: cells from the subject records, the per-cell context
(the framework's adapter and binding, the reference (refimpl) oracle under the framework's
policy, the API features the strategies draw for, the tolerance, a description and a repro
of each example), and the comparisons that feed ``CellStats``.

One path for every kind of subject (``conformance.subjects``), with kind-specific parts
where the kinds really differ (``KINDS``):

* **op** (a registry op) and **function** (a layer-level function with refimpl's signature:
  conv2d, pooling, linear, the losses): one call of the framework's binding, compared with
  the reference's on the same inputs;
* **runs** (kinds 'layer', 'optimizer', 'serializer': a stateful scenario
  ``run(case) -> {name: array}``): the framework's run compared with the reference's run of
  the same case; the reference is the oracle of every run, so it has no cells of its own.

No framework is named here: absences come from the framework's plugin, the reference from
``session.is_reference``/``frameworks.reference()``."""
import dataclasses
import random

import numpy
import pytest

from .. import frameworks, subjects
from ..checks import layers, repro, tolerances
from ..checks.numeric import as_tuple, call_op, round_to
from ..checks.shared import SHARED
from ..subjects.strategies import SEEDS
from ..harness import Cell, HarnessError
from ..frameworks.base import NotSupported

OP_DTYPES = ("float32", "float64", "float16")
LAYER_DTYPES = ("float32", "float64")
RUN_KINDS = ("layer", "optimizer", "serializer")


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
            or (gradgrad and (plugin.capability_reason("double_backprop")
                              or plugin.absent_gradgrad(subject))) or None)


def skip(reason):
    """End the cell as a skip with ``reason``."""
    pytest.skip(reason)


def unavailable(session, cell):
    """Skip ``cell`` when its framework or device is not available here."""
    reason = session.unavailable(cell)
    if reason:
        skip(reason)


# =============================================================================================
# Cells
# =============================================================================================

def cells(session, property_name, names, *, dtypes=None, reference_dtypes=None):
    """One cell per (subject of ``names``, framework, device, dtype) of the session.

    ``dtypes`` default to the subject's kind's: ``OP_DTYPES`` for an op, ``LAYER_DTYPES``
    for the layer-level subjects. A subject whose record names an API ``feature`` (a
    one-API loss) has cells for the frameworks with that feature and the reference only. The
    reference's cells are in ``reference_dtypes`` (default: the others'; none for a run,
    whose oracle the reference is).
    """
    result = []
    for subject in names:
        entry = layers.layer_entry(subject)
        feature = getattr(entry, "feature", None)
        own = dtypes if dtypes is not None else OP_DTYPES if entry.kind == "op" else LAYER_DTYPES
        reference_own = (reference_dtypes if reference_dtypes is not None
                         else () if entry.kind in RUN_KINDS else own)
        for framework in session.frameworks:
            reference = session.is_reference(framework)
            if not reference and feature is not None \
                    and feature not in session.plugin(framework).features:
                continue
            for device in session.devices:
                for dtype in (reference_own if reference else own):
                    result.append(Cell(property_name, subject, framework, device, dtype))
    return result


def op_cells(session, property_name, *, dtypes=None, reference_dtypes=None,
             differentiable_only=False):
    """``cells`` of every registry op (the differentiable ones only)."""
    return cells(session, property_name, [entry.subject for entry in subjects.entries("op")
                                          if entry.differentiable or not differentiable_only],
                 dtypes=dtypes, reference_dtypes=reference_dtypes)


# =============================================================================================
# The per-cell context
# =============================================================================================

@dataclasses.dataclass
class Context:
    """Everything one cell needs: the framework's binding of the subject (``function``: an
    op or a function with refimpl's signature, or a run) and the reference's
    (``reference_function``, under ``policy``)."""

    cell: Cell
    entry: subjects.Entry
    adapter: object
    function: object  # the framework's binding of the subject
    reference: object  # refimpl under the framework's policy (None for a run)
    reference_function: object
    policy: str
    api: subjects.Api  # what the strategies draw for (None for a run)
    is_reference: bool  # the cell's framework is the reference itself
    # the bindings of the subject on the other adapters of the cell (``binding``): looked up
    # once per cell, not once per example
    bindings: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def binding(self, adapter, key=None):
        """``adapter.op(subject)``, or the exception it raised, looked up once per cell and
        ``key`` (default: the adapter's name)."""
        key = adapter.name if key is None else key
        if key not in self.bindings:
            try:
                self.bindings[key] = adapter.op(self.entry.subject)
            except Exception as error:  # noqa: BLE001 - NotSupported: the op is absent there
                self.bindings[key] = error
        return self.bindings[key]

    @property
    def version(self):
        return self.adapter.version

    @property
    def features(self):
        """The API features of the calls (the framework's, or its policy's)."""
        return self.api.features

    @property
    def bilinear(self):
        """The subject's sums have many terms (``properties.calls.bound_tolerance``)."""
        return getattr(self.entry, "bilinear", False)

    @property
    def central_difference_eps(self):
        """The numerical oracle's step (an op's record may override it)."""
        return getattr(self.entry, "central_difference_eps", tolerances.CENTRAL_DIFFERENCE_EPS)

    def strategy(self):
        return self.entry.strategy(self.api)

    def tolerance(self, quantity):
        return tolerances.tolerance(self.cell.dtype, quantity,
                                    getattr(self.entry, "tolerances", ()))

    @property
    def float64_oracle(self):
        """The name of the primary oracle: the reference in float64 ('refimpl float64')."""
        return f"{reference_name()} float64"

    def is_reference_float64(self):
        """The cell is the reference's own float64 cell (it would compare it with itself)."""
        return self.is_reference and self.cell.dtype == "float64"

    def describe(self, sample):
        """'framework version, device, dtype: subject(inputs; kwargs)' of one example."""
        show = KINDS[self.entry.kind].show_input
        inputs = ", ".join(f"{name}={show(value)}" for name, value in sample.inputs.items())
        kwargs = ", ".join(f"{name}={_short(value)}" for name, value in sample.kwargs.items())
        return (f"{self.cell.framework} {self.version}, {self.cell.device}, {self.cell.dtype}: "
                f"{self.entry.subject}({inputs}{'; ' if kwargs else ''}{kwargs})")

    def title(self):
        return (f"{self.cell.property} of {self.entry.subject} on {self.cell.framework} "
                f"{self.version} ({self.cell.device}, {self.cell.dtype})")

    def repro_source(self, framework=None):
        """The repro source defining ``OP``: ``framework``'s (default: the cell's) binding."""
        return KINDS[self.entry.kind].repro_source(self, framework or self.cell.framework)

    def repro(self, kind, sample, expected, tolerance, **extra):
        return repro.script(kind, title=self.title(), framework=self.cell.framework,
                            source=self.repro_source(), device=self.cell.device,
                            dtype=self.cell.dtype, inputs=sample.inputs, kwargs=sample.kwargs,
                            expected=expected, tolerance=tolerance, policy=self.policy, **extra)


def _short(value):
    if isinstance(value, numpy.ndarray):
        return f"array({value.tolist()})"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return repr(value)


def reference_policy(session, framework, feature):
    """The refimpl policy of a cell: the framework's; for the reference's own cells, the
    policy of a framework whose API has the subject's ``feature`` (a chainer loss runs under
    'chainer'), else the session's."""
    if session.is_reference(framework):
        owner = layers.owner_of_feature(feature) if feature is not None else None
        return owner.policies[0] if owner is not None else session.policy_name(framework)
    return session.policy_name(framework)


class _Op:
    """A registry op: the plugin's ``ops_module`` binding; absences from the plugin
    (``absent``); calls drawn for the plugin's API features."""

    @staticmethod
    def resolve(session, cell, entry, gradgrad, run_of):
        reason = absent(session, cell.framework, entry.subject, cell.dtype, gradgrad)
        if reason:
            skip(reason)
        adapter = session.adapter(cell.framework)
        policy = session.policy_name(cell.framework)
        reference = session.reference(policy)
        return adapter, reference, policy, api(session, cell.framework)

    @staticmethod
    def bind(session, cell, adapter, reference, run_of):
        try:
            function = adapter.op(cell.subject)
        except NotSupported as reason:  # the plugin binds no such op
            skip(str(reason))
        return function, reference.op(cell.subject)

    show_input = staticmethod(_short)

    @staticmethod
    def repro_source(ctx, framework):
        return repro.op_source(framework, ctx.entry.op)


class _Function:
    """A layer-level function: the plugin's ``layers_module`` binding (``FUNCTIONS``); the
    reference's own cells run under the policy of a framework with the subject's feature,
    with that policy's features."""

    @staticmethod
    def resolve(session, cell, entry, gradgrad, run_of):
        is_reference = session.is_reference(cell.framework)
        if not is_reference:
            plugin = session.plugin(cell.framework)
            found = layers.binding(plugin, "FUNCTIONS", cell.subject)
            if isinstance(found, layers.Absent):
                skip(found.reason)
            reason = plugin.absent_dtype(cell.subject, cell.dtype)
            if reason:
                skip(reason)
        adapter = session.adapter(cell.framework)
        policy = reference_policy(session, cell.framework, entry.feature)
        reference = session.reference(policy)
        if is_reference:
            adapter = reference
        return adapter, reference, policy, subjects.Api(frozenset(adapter.features),
                                                        reference.policy)

    @staticmethod
    def bind(session, cell, adapter, reference, run_of):
        return layers.function(adapter, cell.subject), layers.function(reference, cell.subject)

    @staticmethod
    def show_input(value):
        return numpy.asarray(value).tolist()

    @staticmethod
    def repro_source(ctx, framework):
        return repro.function_op_source(framework, ctx.entry.subject, ctx.policy)


class _Run:
    """A stateful run: ``run_of(plugin)``, the plugin's binding (or ``Absent``), on the CPU
    (runs build NumPy-fed layers there); the oracle is ``run_of`` of the reference."""

    @staticmethod
    def resolve(session, cell, entry, gradgrad, run_of):
        run = run_of(session.plugin(cell.framework))
        if isinstance(run, layers.Absent):
            skip(run.reason)
        if cell.device != "cpu":
            skip(f"layer runs build their layers on the CPU only (device {cell.device!r})")
        return (session.adapter(cell.framework), None, session.policy_name(cell.framework),
                None)

    @staticmethod
    def bind(session, cell, adapter, reference, run_of):
        return run_of(session.plugin(cell.framework)), run_of(frameworks.reference())


KINDS = {"op": _Op, "function": _Function, **{kind: _Run for kind in RUN_KINDS}}


def prepare(session, cell, stats, *, gradgrad=False, run_of=None, gradient=False):
    """The ``Context`` of ``cell``, or a skip with the reason it cannot run (framework or
    device unavailable, the subject absent from the framework; with ``gradgrad``: double
    backprop absent; with ``gradient``: an op outside the graph under the framework's policy).
    A run's binding is ``run_of(plugin)``."""
    unavailable(session, cell)
    SHARED.enter((cell.property, cell.subject), cell)
    entry = layers.layer_entry(cell.subject)
    kind = KINDS[entry.kind]
    adapter, reference, policy, drawn_for = kind.resolve(session, cell, entry, gradgrad, run_of)
    if gradient and entry.kind == "op" and not entry.differentiable_under(reference.policy):
        skip(f"{cell.subject} has no gradient under the policy {policy!r} "
             f"({entry.differentiable}=False): a new leaf, outside the graph")
    stats.version = adapter.version
    stats.semantics = policy
    function, reference_function = kind.bind(session, cell, adapter, reference, run_of)
    return Context(cell, entry, adapter, function, reference, reference_function, policy,
                   drawn_for, session.is_reference(cell.framework))




def draw_directions(data, like, label="direction seed"):
    """A random direction: one array per array of ``like``, elements of magnitude in [0.5, 1]
    and random sign (a seeded generator: directions need no shrinking, and drawing them
    element by element through hypothesis was the slowest part of an example; Python's, as
    it is faster than NumPy's for these few elements)."""
    rng = random.Random(data.draw(SEEDS, label=label))
    return [numpy.array([(0.5 + 0.5 * rng.random()) * (1.0 if rng.random() < 0.5 else -1.0)
                         for _ in range(numpy.size(a))]).reshape(numpy.shape(a)) for a in like]


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


def value_and_gradient(adapter, cell, function, x_array, gy, **arguments):
    """``y = function(x=x, **arguments)`` and the vector-Jacobian product ``gy``-weighted
    gradient in x, on the cell's framework, dtype and device, as float64 NumPy arrays (a
    gradient the framework leaves None is zeros): the call of the statistical properties."""
    x = adapter.tensor(x_array, requires_grad=True, dtype=cell.dtype, device=cell.device)
    y = function(x=x, **arguments)
    (gx,) = adapter.vjp([y], [x], [adapter.tensor(gy, dtype=cell.dtype, device=cell.device)])
    return (adapter.to_numpy(y).astype(numpy.float64),
            numpy.zeros(x_array.shape) if gx is None
            else adapter.to_numpy(gx).astype(numpy.float64))


def compare_arrays(stats, what, actual, expected, tolerance, oracle, *, primary=True,
                   allowance=None):
    """Compare a list of arrays with an oracle's; record errors, the oracle's opinion and, for
    a primary oracle, a problem. Returns True when they agree.

    ``allowance``: None, or a function giving per-element allowances (one array per expected
    array, or None when they cannot be computed) that are added to atol; it is called only
    when an array disagrees under ``tolerance`` (``tolerances.conditioned_allowance``: the
    error a correct implementation in the cell's dtype may make at this sample). An array
    that agrees only with the allowance counts for the oracle ``'<oracle> (conditioned)'``."""
    problems = []
    extra = None
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
        if tolerance.allclose(a.astype(numpy.float64), e.astype(numpy.float64)):
            continue
        bound = ""
        if allowance is not None:
            extra = allowance() if extra is None else extra
            if extra is not None and index < len(extra) and numpy.shape(extra[index]) == e.shape:
                if tolerances.within(a, e, tolerance, extra[index]):
                    stats.oracle(f"{oracle} (conditioned)", True)
                    continue
                stats.oracle(f"{oracle} (conditioned)", False)
                largest = float(numpy.max(extra[index])) if numpy.size(extra[index]) else 0.0
                bound = (f" + the conditioned allowance (up to {largest:.3g}; "
                         f"{tolerances.CONDITIONING_REASON})")
        problems.append(
            f"{what} {index}: max abs err {max_abs:.3g} (rel {max_rel:.3g}) vs {oracle} "
            f"exceeds rtol={tolerance.rtol:g}, atol={tolerance.atol:g}{bound}: "
            f"{_clip(a.tolist())} vs {_clip(e.tolist())}")
    stats.oracle(oracle, not problems)
    if primary:
        for problem in problems:
            stats.problem(problem)
    return not problems


def compare_directional(stats, what, actual, numerical, directions, tolerance, oracle,
                        allowance=None):
    """Compare ``<actual, v>`` (the framework's gradients along the random directions ``v``)
    with the numerical directional derivative. Elementwise errors within ``atol + rtol|a_i|``
    bound the dot product's error by ``sum_i |v_i| (atol + rtol |a_i|)``: that is the
    tolerance here; ``allowance`` (as in ``compare_arrays``, consulted only on a
    disagreement) adds ``sum_i |v_i| allowance_i``. Returns True when they agree."""
    projected = float(sum(numpy.sum(numpy.asarray(a, dtype=numpy.float64) * v)
                          for a, v in zip(actual, directions)))
    bound = float(sum(numpy.sum(numpy.abs(v) * (tolerance.atol + tolerance.rtol * numpy.abs(
        numpy.asarray(a, dtype=numpy.float64)))) for a, v in zip(actual, directions)))
    error = abs(projected - numerical) if numpy.isfinite(projected) else float("inf")
    agrees = error <= bound or (numpy.isnan(projected) and numpy.isnan(numerical))
    conditioned = ""
    if not agrees and allowance is not None and numpy.isfinite(projected):
        extra = allowance()
        if extra is not None and len(extra) == len(directions) and all(
                numpy.shape(x) == numpy.shape(v) for x, v in zip(extra, directions)):
            widened = bound + float(sum(numpy.sum(numpy.abs(v) * x)
                                        for x, v in zip(extra, directions)))
            agrees = error <= widened
            stats.oracle(f"{oracle} (conditioned)", agrees)
            conditioned = f" + the conditioned allowance sum |v| allowance = {widened - bound:.3g}"
    stats.oracle(oracle, agrees)
    if not agrees:
        stats.problem(f"{what} along a random direction: {projected:.6g} vs {numerical:.6g} "
                      f"from {oracle} (error {error:.3g} exceeds {bound:.3g}: "
                      f"sum |v| (atol={tolerance.atol:g} + rtol={tolerance.rtol:g} |grad|)"
                      f"{conditioned})")
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
    for ``sample`` (so another framework's result is comparable), as {policy: bool}. Each
    policy's outputs are computed once (``checks.shared``), for every cell of the subject."""
    def outputs(policy):
        reference = session.reference(policy)
        function = ctx.binding(reference, ("reference", policy))
        return (None if isinstance(function, Exception)  # it binds no such op
                else SHARED.call(_float64_outputs, reference, function, sample))

    return lambda policy: _equal_lists(outputs(policy), outputs(ctx.policy))


def _float64_outputs(reference, function, sample):
    """The reference's float64 outputs of the call on the CPU, or None (its policy rejects
    the call)."""
    try:
        _, values = call_op(reference, function, sample, dtype="float64", device="cpu")
        return [reference.to_numpy(v) for v in values]
    except Exception:  # noqa: BLE001 - the other policy rejects the call
        return None


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
        function = ctx.binding(other)
        if isinstance(function, Exception):  # NotSupported: the op is absent there
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


__all__ = ["KINDS", "LAYER_DTYPES", "OP_DTYPES", "RUN_KINDS", "Context", "absent", "api", "as_tuple", "cells",
           "compare_arrays", "compare_directional", "cross_check", "draw_directions",
           "framework_call", "op_cells", "pairwise", "prepare", "reference_call",
           "reference_name", "reference_policy", "round_to", "same_meaning", "skip",
           "unavailable", "value_and_gradient", "verdict_note"]
