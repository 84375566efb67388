"""What the engine-behaviour property modules share (accumulation, retain_graph, retain_grad,
non-scalar backward, grad() options, no_grad/detach).

A *scenario* is a function ``scenario(adapter, graph, record)`` written once against the
adapter protocol, like the behaviour cases: it builds the graph of one registry op on
drawn inputs, drives the engine (backward, grad, clearing, ...) and records what it sees.
Each example runs it on the framework and on refimpl under the framework's semantics policy,
in the same dtype, and compares the two observations (``adapters.base.compare``: values
within the dtype's 'grad' tolerance, exceptions by class and message). A scenario's
*invariants* (e.g. "a second backward doubles the gradient") are checked on the framework's
own observation, so refimpl's own cells compare something too.

Engine cells run in float32 (they test the engine, not arithmetic) and draw the op from a
registry family (the cell's subject), or use one op (subject = op) where the behaviour
depends on the op (``retain_graph.second_backward``: torch frees the tensors an op saved).
"""
import dataclasses
import functools

import numpy
import pytest
from hypothesis import strategies as st

from .. import subjects
from ..checks import repro, tolerances
from ..checks.observations import Raised, compare, observe
from ..frameworks.base import NotSupported
from ..harness import Cell, HarnessError, run_examples
from ..checks.numeric import as_tuple, call_op, is_float, round_to
from ..subjects.ops import FAMILIES
from ..subjects.strategies import grad_outputs as grad_output_strategy
from . import common
from .common import absent, api, skip

ENGINE_DTYPE = "float32"


@dataclasses.dataclass(frozen=True)
class Graph:
    """One drawn op call: the subject, its sample (rounded to ``dtype``) and one output
    gradient per float output; ``policy``: the reference's Policy modelling the framework
    (invariants that depend on a semantics field read it)."""

    subject: str
    sample: object
    grad_outputs: tuple
    dtype: str
    device: str
    policy: object = None


def family_cells(session, property_name):
    """One cell per (family, framework, device) in float32."""
    return [Cell(property_name, family, framework, device, ENGINE_DTYPE)
            for family in FAMILIES for framework in session.frameworks
            for device in session.devices]


def op_cells(session, property_name):
    """One cell per (differentiable op, framework, device) in float32."""
    return common.op_cells(session, property_name, dtypes=(ENGINE_DTYPE,),
                           differentiable_only=True)


def usable(session, entry, framework, gradgrad=False):
    """Whether the scenario may draw op ``entry`` for ``framework`` (differentiable there,
    present, and with ``gradgrad`` differentiable twice)."""
    return (entry.differentiable_under(session.reference(session.policy_name(framework)).policy)
            and not absent(session, framework, entry.subject, ENGINE_DTYPE, gradgrad))


# --- helpers scenarios use (adapter protocol only) --------------------------------------------

def forward(adapter, graph, requires_grad=True):
    """Leaves and float outputs of the graph's op on ``adapter``."""
    leaves = [adapter.tensor(a, requires_grad=requires_grad, dtype=graph.dtype,
                             device=graph.device) for a in graph.sample.leaves()]
    return leaves, forward_on(adapter, graph, leaves)


def forward_on(adapter, graph, leaves):
    """The float outputs of the graph's op on existing ``leaves``."""
    call = graph.sample.with_leaves(leaves)
    # index arrays and masks on the graph's device, as the leaves (Adapter.constant)
    kwargs = {name: adapter.constant(value, graph.device) for name, value in call.kwargs.items()}
    outputs = as_tuple(adapter.op(graph.subject)(**call.inputs, **kwargs))
    return [y for y in outputs if is_float(adapter, y)]


def weighted_loss(adapter, graph, outputs):
    """``sum_k sum(y_k * gy_k)``: a scalar whose gradient with respect to ``y_k`` is ``gy_k``."""
    total = None
    for y, gy in zip(outputs, graph.grad_outputs):
        term = adapter.call("sum", adapter.call(
            "mul", y, adapter.tensor(gy, dtype=adapter.dtype_of(y), device=graph.device)))
        total = term if total is None else adapter.call("add", total, term)
    return total


def plain_loss(adapter, outputs):
    """``sum_k sum(y_k)``, through ops that save no tensors (add, sum)."""
    total = None
    for y in outputs:
        term = adapter.call("sum", y)
        total = term if total is None else adapter.call("add", total, term)
    return total


def identities(leaves, outputs):
    """For each output: whether the op returned one of its inputs itself (no new node)."""
    return [any(y is x for x in leaves) for y in outputs]


def grads(adapter, leaves):
    return [adapter.grad_of(x) for x in leaves]


def vjp(adapter, graph):
    """The gradient of the weighted loss through ``grad()`` on a fresh graph (zeros where an
    input is unused)."""
    leaves, outputs = forward(adapter, graph)
    total = weighted_loss(adapter, graph, outputs)
    ones = adapter.tensor(numpy.ones(()), dtype=adapter.dtype_of(total), device=graph.device)
    return [numpy.zeros(numpy.shape(a)) if g is None else adapter.to_numpy(g)
            for g, a in zip(adapter.vjp([total], leaves, [ones]), graph.sample.leaves())]


def again(adapter):
    """Options for a backward that will be repeated (torch: retain_graph=True)."""
    return adapter.keep_graph_options()


# --- running a scenario cell ----------------------------------------------------------------

class Context:
    """The framework adapter and the refimpl oracle of an engine cell."""

    def __init__(self, session, cell, stats, requires=None, reason=None, all_ops=False,
                 gradgrad=False):
        unavailable = session.unavailable(cell)
        if unavailable:
            skip(unavailable)
        plugin = session.plugin(cell.framework)
        if requires is not None and not plugin.has(requires):
            skip(reason or plugin.capability_reason(requires))
        self.cell = cell
        self.adapter = session.adapter(cell.framework)
        self.policy = session.policy_name(cell.framework)
        self.reference = session.reference(self.policy)
        self.api = api(session, cell.framework)
        stats.version = self.adapter.version
        stats.semantics = self.policy
        stats.tolerance = tolerances.tolerance(cell.dtype, "grad")
        if all_ops:
            self.entries = [e for e in subjects.entries("op")
                            if usable(session, e, cell.framework, gradgrad)]
        elif cell.subject in FAMILIES:
            self.entries = [e for e in subjects.entries("op", family=cell.subject)
                            if usable(session, e, cell.framework, gradgrad)]
        else:
            entry = subjects.get(cell.subject)
            lacking = absent(session, cell.framework, entry.subject)
            if lacking:
                skip(lacking)
            self.entries = [entry] if usable(session, entry, cell.framework, gradgrad) else []
        if not self.entries:
            skip(f"no differentiable op of {cell.subject!r} on {cell.framework}")

    def graphs(self):
        """Strategy of (entry, rounded sample): one object for the cells with the same ops,
        the same sample strategies and dtype (sibling cells share their hypothesis run when
        their strategies are one object: ``conformance.siblings``)."""
        return _graphs(tuple(self.entries),
                       tuple(entry.strategy(self.api) for entry in self.entries), self.cell.dtype)

    def graph(self, data, entry, sample):
        """The Graph of a drawn sample, with output gradients for refimpl's float outputs."""
        try:
            _, outputs = call_op(self.reference, self.reference.op(entry.subject), sample,
                                 dtype=self.cell.dtype, device="cpu")
        except Exception as error:  # noqa: BLE001
            raise HarnessError(f"the {self.reference.name} oracle raised {type(error).__name__}: {error} "
                               f"[{entry.subject}{sample}]") from error
        floats = [y for y in outputs if is_float(self.reference, y)]
        drawn = data.draw(grad_output_strategy(shapes_of_outputs=[y.shape for y in floats]),
                          label="grad_outputs")
        return Graph(entry.subject, sample,
                     tuple(g.astype(self.cell.dtype).astype("float64") for g in drawn),
                     self.cell.dtype, self.cell.device, self.reference.policy)


@functools.lru_cache(maxsize=None)
def _graphs(entries, samples, dtype):
    """(entry, its sample rounded to ``dtype``), ``samples`` the entries' sample strategies."""
    strategy_of = {entry.subject: sample for entry, sample in zip(entries, samples)}
    ops = st.sampled_from(entries)

    @st.composite
    def draw(draw_):
        entry = draw_(ops, label="op")
        return entry, round_to(draw_(strategy_of[entry.subject], label="sample"), dtype)
    return draw()


def run_scenario(session, cell, stats, scenario, invariants=None, *, requires=None,
                 reason=None, all_ops=False, gradgrad=False):
    """Run ``scenario`` on hypothesis-drawn graphs: framework vs refimpl under its policy,
    plus ``invariants(values, graph) -> [problems]`` on the framework's observation.
    ``requires``: the engine capability it needs (a framework without it skips with
    ``reason``, else the plugin's own reason); ``all_ops``: draw the op from every family
    (the subject is not an op or a family); ``gradgrad``: the scenario differentiates twice,
    so only ops with double backprop on the framework are drawn."""
    ctx = Context(session, cell, stats, requires, reason, all_ops, gradgrad)
    tolerance = stats.tolerance
    is_reference = session.is_reference(cell.framework)
    oracle = f"{ctx.reference.name} {ctx.policy}"

    def check(data, drawn, stats):
        entry, sample = drawn
        graph = ctx.graph(data, entry, sample)
        stats.begin_example()
        try:
            expected = observe(lambda adapter, record: scenario(adapter, graph, record), ctx.adapter)
            actual = observe(lambda adapter, record: scenario(adapter, graph, record), ctx.reference)
        except NotSupported as error:
            pytest.skip(str(error))
        if not is_reference:
            problems = compare(expected, actual, rtol=tolerance.rtol, atol=tolerance.atol)
            stats.oracle(oracle, not problems)
            for problem in problems:
                stats.problem(f"{problem} (framework vs {oracle})")
        if expected.exception is not None and is_reference:
            stats.problem(f"{cell.framework} raised {expected.exception[0]}: {expected.exception[1]}")
        if invariants is not None and expected.exception is None:
            found = invariants(expected.values, graph, tolerance)
            stats.oracle("invariant", not found)
            for problem in found:
                stats.problem(f"invariant: {problem}")
        title = (f"{cell.property} ({cell.subject}) on {cell.framework} {ctx.adapter.version} "
                 f"({cell.device}, {cell.dtype}): {graph.subject}")
        stats.end_example(
            lambda: f"{cell.framework} {ctx.adapter.version}, {cell.device}, "
                    f"{cell.dtype}: {graph.subject}({_describe(graph)})",
            lambda: repro.scenario_script(title=title, scenario=scenario, adapter=ctx.adapter,
                                          graph=graph, expected=actual, tolerance=tolerance,
                                          policy=ctx.policy))

    run_examples(stats, ctx.graphs(), check)


def _describe(graph):
    inputs = ", ".join(f"{k}={numpy.asarray(v).tolist() if not isinstance(v, list) else [a.tolist() for a in v]}"
                       for k, v in graph.sample.inputs.items())
    kwargs = ", ".join(f"{k}={v!r}" for k, v in graph.sample.kwargs.items())
    return f"{inputs}{'; ' if kwargs else ''}{kwargs}; grad_outputs=" \
           f"{[g.tolist() for g in graph.grad_outputs]}"


# --- invariant helpers ------------------------------------------------------------------------

def close(a, b, tolerance):
    """Both None, or arrays of one shape within ``tolerance``."""
    if a is None or b is None:
        return a is None and b is None
    a, b = numpy.asarray(a, dtype=numpy.float64), numpy.asarray(b, dtype=numpy.float64)
    return a.shape == b.shape and tolerance.allclose(a, b)


def scaled(values, factor):
    return [None if v is None else numpy.asarray(v) * factor for v in values]


def expect_close(problems, what, actual, expected, tolerance, skip=None):
    """Problems where ``actual[i]`` is not close to ``expected[i]`` (indices where ``skip[i]``
    is true are left out)."""
    for index, (a, e) in enumerate(zip(actual, expected)):
        if skip is not None and skip[index]:
            continue
        if not close(a, e, tolerance):
            problems.append(f"{what}[{index}]: {_show(a)} vs expected {_show(e)}")


def _show(value):
    if value is None:
        return "None"
    if isinstance(value, Raised):
        return f"raises {value.cls}"
    return repr(numpy.asarray(value).tolist())


def zeros_for_none(values, like):
    return [numpy.zeros(numpy.shape(l)) if v is None else v for v, l in zip(values, like)]
