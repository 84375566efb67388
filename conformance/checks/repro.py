"""Standalone repro scripts for failing examples: one writer for every kind of subject.

A script uses only the framework under test and NumPy. Three layouts:

* ``script``: one call of a subject with refimpl's signature, an op (the framework's
  binding from its plugin's ``ops_module``: ``op_source``) or a layer-level function (from
  its ``layers_module``: ``function_source``). It starts with the plugin's
  ``repro_prelude``, pastes the binding, builds the failing inputs as literal arrays, runs
  the framework (forward values, gradients or second-order gradients: ``BODIES``) and
  compares with the expected values, which were computed by the reference (refimpl) in
  float64 and are pasted as literals too.
* ``run_script``: a stateful run of a layers module (``run(case) -> {name: array}``: a layer
  built from given weights, a recurrent layer, an optimizer over several steps, a save/load
  round trip), pasted with the helpers it uses (``source_with_helpers``; every binding is
  self-contained: it imports its framework inside).
* ``scenario_script``: an engine scenario, the adapter class and what they use.

Each prints every mismatch and exits 1 when there is one.
"""
import dataclasses
import importlib
import inspect
import math
import sys

import numpy

from .. import frameworks, subjects
from ..frameworks import base
from . import layers, observations
from .observations import Raised
from .source import source_of

COMMON = '''

def build(inputs, requires_grad):
    """The call's inputs as framework tensors (a list stays a list)."""
    return {name: [make(a, requires_grad) for a in value] if isinstance(value, list)
            else make(value, requires_grad) for name, value in inputs.items()}


def flat(built):
    leaves = []
    for value in built.values():
        leaves.extend(value if isinstance(value, list) else [value])
    return leaves


def as_tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


MISMATCHES = []


def compare(what, actual, expected, dtype=None):
    actual = numpy.asarray(actual)
    if dtype is not None and str(actual.dtype) != dtype:
        MISMATCHES.append(f"{what} dtype: {actual.dtype} vs expected {dtype}")
    if actual.shape != expected.shape:
        MISMATCHES.append(f"{what} shape: {actual.shape} vs expected {expected.shape}")
        return
    if not numpy.allclose(actual.astype(numpy.float64), expected, rtol=RTOL, atol=ATOL,
                          equal_nan=True):
        error = numpy.abs(actual.astype(numpy.float64) - expected)
        MISMATCHES.append(f"{what}: max abs error {numpy.nanmax(error):.3g} "
                          f"(rtol={RTOL}, atol={ATOL})\\n  actual:   {actual.tolist()}\\n"
                          f"  expected: {expected.tolist()}")
'''

BODIES = {
    "forward": '''
built = build(INPUTS, requires_grad=False)
outputs = as_tuple(OP(**built, **KWARGS))
if len(outputs) != len(EXPECTED):
    MISMATCHES.append(f"number of outputs: {len(outputs)} vs expected {len(EXPECTED)}")
for index, (output, expected, dtype) in enumerate(zip(outputs, EXPECTED, EXPECTED_DTYPES)):
    compare(f"output {index}", to_numpy(output), expected, dtype)
''',
    "grad": '''
built = build(INPUTS, requires_grad=True)
outputs = [y for y in as_tuple(OP(**built, **KWARGS)) if is_float(y)]
grad_outputs = [make(g.astype(to_numpy(y).dtype)) for y, g in zip(outputs, GRAD_OUTPUTS)]
grads = vjp(outputs, flat(built), grad_outputs)
for index, (grad, expected) in enumerate(zip(grads, EXPECTED)):
    compare(f"gradient of input {index}",
            numpy.zeros(expected.shape) if grad is None else to_numpy(grad), expected)
''',
    "gradgrad": '''
built = build(INPUTS, requires_grad=True)
outputs = [y for y in as_tuple(OP(**built, **KWARGS)) if is_float(y)]
grad_outputs = [make(g.astype(to_numpy(y).dtype), requires_grad=True)
                for y, g in zip(outputs, GRAD_OUTPUTS)]
leaves = flat(built)
grads = vjp(outputs, leaves, grad_outputs, create_graph=True)
total = None
for grad, weights in zip(grads, GRAD_GRAD_INPUTS):
    if grad is not None:
        term = op_sum(grad * make(weights.astype(to_numpy(grad).dtype)))
        total = term if total is None else total + term
second = vjp([total], leaves + grad_outputs, [make(numpy.ones((), to_numpy(total).dtype))])
names = [f"input {i}" for i in range(len(leaves))] + [
    f"grad_output {i}" for i in range(len(grad_outputs))]
for name, grad, expected in zip(names, second, EXPECTED):
    compare(f"second-order gradient wrt {name}",
            numpy.zeros(expected.shape) if grad is None else to_numpy(grad), expected)
''',
}

FOOTER = '''
if MISMATCHES:
    print(f"MISMATCH ({len(MISMATCHES)}): {TITLE}")
    for line in MISMATCHES:
        print("-", line)
    raise SystemExit(1)
print(f"agrees: {TITLE}")
'''


def literal(value):
    """Python source that evaluates to ``value`` (arrays with their dtype; nan/inf named)."""
    if isinstance(value, numpy.ndarray):
        return f"numpy.array({literal(value.tolist())}, dtype={str(value.dtype)!r})"
    if isinstance(value, numpy.generic):
        return literal(value.item())
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(literal(v) + ", " for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, slice):
        return f"slice({literal(value.start)}, {literal(value.stop)}, {literal(value.step)})"
    if value is Ellipsis:
        return "Ellipsis"
    return repr(value)


def provenance(*, profile, seed, frameworks, cell_id, derandomized=False, drawn=None):
    """Comment lines saying where a failing example came from: the hypothesis profile and
    seed it was drawn at, the command that draws it again, and the drawn input (hypothesis'
    own description, ``drawn``). A derandomized profile draws the same examples at every run
    (no seed); ``seed`` None otherwise means hypothesis chose one and nobody recorded it."""
    selection = f"--frameworks {','.join(frameworks)} --profile {profile}"
    if derandomized:
        lines = [(f"# Drawn by hypothesis under the derandomized profile {profile!r} (the same "
                  f"examples at every run); to draw it again:")]
    elif seed is None:
        lines = [(f"# Drawn by hypothesis (profile {profile!r}) at a seed that was not "
                  f"recorded (pytest without --hypothesis-seed); a run with a seed:")]
    else:
        lines = [f"# Drawn by hypothesis at seed {seed} (profile {profile!r}); to draw it again:"]
        selection += f" --seed {seed}"
    lines.append(f"#   python -m conformance run {selection} -k '{cell_id}'")
    lines.append("# This script needs no seed: the failing input is pasted below as literals.")
    if drawn:
        lines.append("# The drawn input:")
        lines.extend(f"#   {line}" for line in drawn.splitlines() if line.strip())
    return "\n".join(lines)


def with_provenance(script_text, **where):
    """``script_text`` (any layout: it starts with a docstring) with ``provenance(**where)``
    right after its docstring."""
    note = provenance(**where)
    if script_text.startswith('"""'):
        end = script_text.find('"""', 3)
        if end != -1:
            end += 3
            return script_text[:end] + "\n" + note + script_text[end:]
    return note + "\n" + script_text


def _binding(plugin, function_name):
    """The plugin's binding ``function_name`` from its ``ops_module``."""
    function = getattr(importlib.import_module(plugin.ops_module), function_name, None)
    if not callable(function):
        raise ValueError(f"{plugin.name} binds no op function_name={function_name!r}")
    return function


def _reexported(plugin, function):
    """The expression naming ``function`` through the repro imports when the plugin's ops
    module re-exports it unchanged from the framework (``Plugin.repro_functions``), else
    None (its source is pasted)."""
    if plugin.repro_functions and function.__module__ != plugin.ops_module:
        return f"{plugin.repro_functions}.{function.__name__}"
    return None


def op_source(framework, function_name):
    """The source defining ``OP``: ``framework``'s binding ``function_name`` of an op (its
    plugin's ``ops_module``; a re-exported framework function is named, not pasted)."""
    plugin = frameworks.get(framework)
    function = _binding(plugin, function_name)
    name = _reexported(plugin, function)
    if name is not None:
        return f"OP = {name}\n"
    return source_of(function) + f"\n\nOP = {function.__name__}\n"


def source_with_helpers(function, seen=None):
    """Source of ``function`` preceded by the module-level functions (and plain constants)
    of its own module that it uses (depth first, each once)."""
    seen = set() if seen is None else seen
    module = sys.modules[function.__module__]
    parts = []
    for name in sorted(_code_names(function.__code__)):
        helper = getattr(module, name, None)
        if name in seen:
            continue
        if inspect.isfunction(helper) and helper.__module__ == module.__name__:
            seen.add(name)
            parts.append(source_with_helpers(helper, seen))
        elif isinstance(helper, (str, int, float, tuple)) and name.isupper():
            seen.add(name)
            parts.append(f"{name} = {helper!r}\n")
    parts.append(inspect.getsource(function))
    return "\n\n".join(parts)


def function_source(plugin, subject, policy):
    """(source defining ``plugin``'s function for the layer-level ``subject``, its name):
    its ``layers_module``'s binding with its helpers, or what the module's
    ``function_repro(binding, policy)`` gives."""
    found = layers.binding(plugin, "FUNCTIONS", subject)
    describe = getattr(layers.module_of(plugin), "function_repro", None)
    if describe is not None:
        return describe(found, policy)
    return source_with_helpers(found), found.__name__


def function_op_source(framework, subject, policy):
    """The source defining ``OP``: ``framework``'s function for the layer-level ``subject``."""
    source, name = function_source(frameworks.get(framework), subject, policy)
    return source + f"\n\nOP = {name}\n"


def script(kind, *, title, framework, source, device, dtype, inputs, kwargs, expected,
           tolerance, policy=None, expected_dtypes=None, grad_outputs=None,
           grad_grad_inputs=None):
    """A standalone script for a failing example of ``kind`` ('forward', 'grad', 'gradgrad').

    ``source``: the source defining ``OP``, the framework's binding of the subject
    (``op_source``, ``function_op_source``); ``inputs``: name -> float64 array (or list of
    them) already rounded to ``dtype``; ``expected``: the reference's float64 values
    (outputs, or gradients per input).
    """
    reference = frameworks.reference().name
    if policy is None:
        policy = frameworks.reference().default_policy
    cast = {name: [numpy.asarray(a).astype(dtype) for a in value] if isinstance(value, list)
            else numpy.asarray(value).astype(dtype) for name, value in inputs.items()}
    parts = [
        (f'"""Repro: {title}\n\nGenerated by the conformance harness; expected values are '
         f'{reference}\'s (float64, policy {policy!r}),\npasted as literals. Exit status 1 on a '
         f'mismatch."""'),
        "import numpy\n",
        frameworks.get(framework).repro_prelude.format(device=device, policy=policy),
        COMMON,
        source,
        "nan, inf = float('nan'), float('inf')",
        f"TITLE = {title!r}",
        f"RTOL, ATOL = {tolerance.rtol!r}, {tolerance.atol!r}  # {tolerance.reason}",
        f"INPUTS = {literal(cast)}",
        f"KWARGS = {literal(kwargs)}",
        f"EXPECTED = {literal([numpy.asarray(e, dtype=numpy.float64) for e in expected])}",
    ]
    if expected_dtypes is not None:
        parts.append(f"EXPECTED_DTYPES = {literal(list(expected_dtypes))}")
    if grad_outputs is not None:
        parts.append(f"GRAD_OUTPUTS = {literal([numpy.asarray(g) for g in grad_outputs])}")
    if grad_grad_inputs is not None:
        parts.append(f"GRAD_GRAD_INPUTS = {literal([numpy.asarray(g) for g in grad_grad_inputs])}")
    parts.append(BODIES[kind])
    parts.append(FOOTER)
    return "\n".join(parts)


def shape_script(*, title, framework, subject, policy, inputs, kwargs, expected_shape,
                 device="cpu"):
    """A standalone script calling ``framework``'s function for the layer-level ``subject``
    on ``inputs`` (arrays, made tensors on ``device`` by its layers module's
    ``REPRO_TENSOR``) and ``kwargs``: it must give ``expected_shape``, or raise where that is
    None."""
    expected = "raises" if expected_shape is None else f"output shape {expected_shape}"
    plugin = frameworks.get(framework)
    source, name = function_source(plugin, subject, policy)
    make = layers.module_of(plugin).REPRO_TENSOR
    return "\n".join([
        f'"""Repro: {title}; expected: {expected}. Exit status 1 on a mismatch."""',
        "import numpy", plugin.layer_repro_imports, source,
        f"DEVICE = {device!r}",
        f"INPUTS = {literal(inputs)}",
        f"KWARGS = {literal(kwargs)}",
        f"tensors = {{k: {make} for k, a in INPUTS.items()}}",
        "try:",
        f"    shape = tuple({name}(**tensors, **KWARGS).shape)",
        "    raised = None",
        "except Exception as error:",
        "    shape, raised = None, error",
        "print('shape', shape, 'raised', repr(raised))",
        ("raise SystemExit(0 if raised is not None else 1)" if expected_shape is None else
         f"raise SystemExit(0 if shape == {expected_shape!r} else 1)"),
    ])


# --- stateful runs ----------------------------------------------------------------------------

RUN_FOOTER = '''
MISMATCHES = []
ACTUAL = RUN(CASE)
for name in sorted(set(ACTUAL) | set(EXPECTED)):
    if name not in ACTUAL or name not in EXPECTED:
        MISMATCHES.append(f"{name}: given only {'here' if name in ACTUAL else 'by ' + REFERENCE}")
        continue
    actual, expected = numpy.asarray(ACTUAL[name]), numpy.asarray(EXPECTED[name])
    if actual.shape != expected.shape:
        MISMATCHES.append(f"{name} shape: {actual.shape} vs expected {expected.shape}")
    elif not numpy.allclose(actual.astype(numpy.float64), expected.astype(numpy.float64),
                            rtol=RTOL, atol=ATOL, equal_nan=True):
        error = numpy.abs(actual.astype(numpy.float64) - expected.astype(numpy.float64))
        MISMATCHES.append(f"{name}: max abs error {numpy.nanmax(error):.3g} (rtol={RTOL}, "
                          f"atol={ATOL})\\n  actual:   {actual.tolist()}\\n"
                          f"  expected: {expected.tolist()}")
''' + FOOTER[1:]


def run_script(*, title, framework, run, case, expected, tolerance):
    """A standalone script running ``run`` (a run of ``framework``'s layers module) on
    ``case`` and comparing every result with ``expected``."""
    reference = frameworks.reference().name
    return "\n".join([
        f'"""Repro: {title}\n\nGenerated by the conformance harness: RUN is the framework\'s '
        f'scenario, CASE its inputs;\nEXPECTED is what {reference} computed in float64, pasted as '
        f'literals. Exit status 1 on a mismatch."""',
        "import io\nimport math\n\nimport numpy\n",
        frameworks.get(framework).layer_repro_imports,
        source_with_helpers(run),
        f"\nRUN = {run.__name__}",
        "nan, inf = float('nan'), float('inf')",
        f"TITLE = {title!r}",
        f"REFERENCE = {reference!r}",
        f"RTOL, ATOL = {tolerance.rtol!r}, {tolerance.atol!r}  # {tolerance.reason}",
        f"CASE = {literal(case)}",
        f"EXPECTED = {literal({k: numpy.asarray(v) for k, v in expected.items()})}",
        RUN_FOOTER])


# --- engine scenarios -------------------------------------------------------------------------

SCENARIO_HEADER = '''import contextlib
import dataclasses
import functools
import math
import types
import warnings

import numpy
'''

SHIM = '''

class Adapter:
    """The adapter protocol's defaults a scenario needs; ops come from OPS (pasted below)."""

    name = framework = version = semantics = "?"
    features = capabilities = frozenset()

    def __init__(self, plugin=None):
        self.plugin = plugin

    def call(self, op, *args, **kwargs):
        return self.op(op)(*args, **kwargs)

    def op(self, name):
        return OPS[name]

    def _extra_ops(self):
        return {}

    def device_reason(self, device):
        return None
'''

SCENARIO_FOOTER = '''

def convert(value):
    if value is None or isinstance(value, (bool, int, float, str, Raised)):
        return value
    if isinstance(value, numpy.ndarray):
        return value.copy()
    if isinstance(value, (tuple, list)):
        return [convert(v) for v in value]
    return ADAPTER.to_numpy(value)


OBSERVED = {}


def record(name, value):
    OBSERVED[name] = convert(value)


def differences(name, actual, expected):
    if isinstance(expected, numpy.ndarray) or isinstance(actual, numpy.ndarray):
        if not (isinstance(expected, numpy.ndarray) and isinstance(actual, numpy.ndarray)
                and actual.shape == expected.shape and str(actual.dtype) == str(expected.dtype)
                and numpy.allclose(actual, expected, rtol=RTOL, atol=ATOL, equal_nan=True)):
            return [f"{name}: {show(actual)} vs expected {show(expected)}"]
        return []
    if isinstance(expected, list) and isinstance(actual, list) and len(actual) == len(expected):
        return [d for i, (a, e) in enumerate(zip(actual, expected))
                for d in differences(f"{name}[{i}]", a, e)]
    if isinstance(expected, Raised) and isinstance(actual, Raised):
        if expected.cls != actual.cls or not (expected.message in actual.message
                                              or actual.message in expected.message):
            return [f"{name}: {show(actual)} vs expected {show(expected)}"]
        return []
    return [] if actual == expected and type(actual) is type(expected) else [
        f"{name}: {show(actual)} vs expected {show(expected)}"]


def show(value):
    if isinstance(value, numpy.ndarray):
        return f"{value.tolist()} ({value.dtype})"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return repr(value)


try:
    SCENARIO(ADAPTER, GRAPH, record)
    raised = None
except Exception as error:  # the scenario itself may raise
    raised = (type(error).__name__, " ".join(str(error).split()))
MISMATCHES = []
if (raised is None) != (EXPECTED_EXCEPTION is None) or (
        raised and raised[0] != EXPECTED_EXCEPTION[0]):
    MISMATCHES.append(f"exception: {raised} vs expected {EXPECTED_EXCEPTION}")
for name in sorted(set(OBSERVED) | set(EXPECTED)):
    if name not in OBSERVED or name not in EXPECTED:
        MISMATCHES.append(f"{name}: recorded only {'here' if name in OBSERVED else 'by ' + REFERENCE}")
        continue
    MISMATCHES.extend(differences(name, OBSERVED[name], EXPECTED[name]))
''' + FOOTER[1:]


def _code_names(code):
    names = set(code.co_names)
    for constant in code.co_consts:
        if hasattr(constant, "co_names"):
            names |= _code_names(constant)
    return names


def _object_names(obj):
    if inspect.isclass(obj):
        names = set()
        for member in vars(obj).values():
            function = getattr(member, "__func__", member)
            if inspect.isfunction(function):
                names |= _code_names(function.__code__)
            if isinstance(member, property) and member.fget is not None:
                names |= _code_names(member.fget.__code__)
        return names
    return _code_names(obj.__code__)


def _collect(obj, namespaces, seen, parts, skip, packages=("conformance.",)):
    """Append the source of the functions/classes ``obj`` uses (depth first), then its own.
    A name is looked up in ``obj``'s own module first, then in ``namespaces``; only helpers
    defined in ``packages`` (the harness's, and the plugin's own package, which may live
    outside this repository) are pasted."""
    own = vars(sys.modules[obj.__module__])
    for name in sorted(_object_names(obj)):
        if name in seen or name in skip:
            continue
        for namespace in [own] + namespaces:
            found = namespace.get(name)
            if (inspect.isfunction(found) or inspect.isclass(found)) and \
                    getattr(found, "__module__", "").startswith(packages):
                seen.add(name)
                _collect(found, namespaces, seen, parts, skip, packages)
                break
    parts.append(_source(obj))


def _source(obj):
    text = inspect.getsource(obj)
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and "@dataclasses.dataclass" not in text:
        text = "@dataclasses.dataclass" + ("(frozen=True)" if obj.__dataclass_params__.frozen
                                           else "") + "\n" + text
    return text


def _policy_literal(graph):
    """``, policy=types.SimpleNamespace(...)``: the fields of the reference policy a scenario
    may read from ``graph.policy``, as literals ('' for a graph without one)."""
    policy = getattr(graph, "policy", None)
    if policy is None:
        return ""
    fields = ", ".join(f"{f.name}={getattr(policy, f.name)!r}" for f in dataclasses.fields(policy))
    return f", policy=types.SimpleNamespace({fields})"


def _raised_literal(value):
    if isinstance(value, Raised):
        return f"Raised({value.cls!r}, {value.message!r})"
    if isinstance(value, list):
        return "[" + ", ".join(_raised_literal(v) for v in value) + "]"
    return literal(value)


def scenario_script(*, title, scenario, adapter, graph, expected, tolerance, policy):
    """A standalone script running ``scenario`` on ``adapter``'s framework for ``graph`` (a
    drawn op call with ``subject``, ``sample``, ``grad_outputs``, ``dtype``, ``device``, such
    as ``properties.engine.Graph``) and comparing with the reference's observation
    ``expected`` (a ``checks.observations.Observation``)."""
    plugin = adapter.plugin if adapter.plugin is not None else frameworks.get(adapter.name)
    module = sys.modules[scenario.__module__]
    adapter_class = type(adapter)
    adapter_module = sys.modules[adapter_class.__module__]
    packages = ("conformance.", adapter_class.__module__.split(".")[0] + ".")
    namespaces = [vars(module), vars(observations), vars(base), vars(adapter_module)]
    seen, parts = {"Adapter", "record"}, []
    skip = {"Adapter", "record"}
    for obj in (Raised, base.NotSupported, base.AdapterUnavailable, type(graph.sample),
                type(graph)):
        if obj.__name__ not in seen:
            seen.add(obj.__name__)
            _collect(obj, namespaces, seen, parts, skip, packages)
    _collect(adapter_class, namespaces, seen, parts, skip, packages)
    _collect(scenario, namespaces, seen, parts, skip, packages)
    names = {"sum": "sum", "mul": "mul", "add": "add", graph.subject: None}
    names[graph.subject] = subjects.get(graph.subject).op
    op_parts, entries = [], []
    for key, function_name in names.items():
        function = _binding(plugin, function_name)
        name = _reexported(plugin, function)
        if name is not None:
            entries.append(f"{key!r}: {name}")
            continue
        source = source_of(function)
        if source not in op_parts:
            op_parts.append(source)
        entries.append(f"{key!r}: {function.__name__}")
    construct = plugin.repro_adapter.format(adapter_class=adapter_class.__name__, policy=policy)
    sample = graph.sample
    return "\n".join([
        f'"""Repro: {title}\n\nGenerated by the conformance harness: the scenario runs on the '
        f'framework; EXPECTED is what\n{frameworks.reference().name} (policy {policy!r}) '
        f'observed, pasted as literals. Exit status 1 on a mismatch."""',
        SCENARIO_HEADER, plugin.repro_imports, SHIM,
        "\n\n".join(parts), "\n\n".join(op_parts),
        f"OPS = {{{', '.join(entries)}}}",
        "nan, inf = float('nan'), float('inf')",
        f"TITLE = {title!r}",
        f"REFERENCE = {frameworks.reference().name!r}",
        f"RTOL, ATOL = {tolerance.rtol!r}, {tolerance.atol!r}  # {tolerance.reason}",
        f"GRAPH = {type(graph).__name__}(subject={graph.subject!r}, "
        f"sample={type(sample).__name__}({literal(sample.inputs)}, "
        f"{literal(sample.kwargs)}), grad_outputs={literal(tuple(graph.grad_outputs))}, "
        f"dtype={graph.dtype!r}, device={graph.device!r}{_policy_literal(graph)})",
        f"EXPECTED = {{{', '.join(f'{k!r}: {_raised_literal(v)}' for k, v in expected.values.items())}}}",
        f"EXPECTED_EXCEPTION = {tuple(expected.exception) if expected.exception else None!r}",
        f"ADAPTER = {construct}",
        f"SCENARIO = {scenario.__name__}",
        SCENARIO_FOOTER])
