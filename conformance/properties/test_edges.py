"""Edge inputs: at the edges of the domains the strategies draw (NaN, inf, zero and negative
bases, empty axes, two Python numbers, non-contiguous views, ...) the framework and refimpl
under its policy give the same thing.

Cells: one per (subject with edge inputs, framework, device) and property, ``edges.values``
and ``edges.grad`` (the latter for subjects with an edge input whose gradient is compared);
the dtype label is the one the inputs carry (``edge_inputs.cell_dtype``: each input runs in
its own dtype). Each cell runs every edge input of its subject (``subjects.edge_inputs``): the
framework's binding and refimpl's (the reference on the CPU), with the arrays as tensors of
their own dtype and the ``views`` applied with each side's own binding. Compared, input by
input:

- ``edges.values``: the class name of what the call raised, or 'ok'; the number of outputs,
  their dtypes and shapes; their values: NaN where NaN, inf of the same sign where inf, the
  finite values within the 'value' tolerance of the output's dtype, integers equal;
- ``edges.grad``: the same for the vector-Jacobian product of the float outputs with a fixed
  output gradient (1, 2, 3, 1, 2, ... in each output's dtype) with respect to every float
  array input (a gradient the framework leaves out, None, counts as zeros), under the
  'grad' tolerance.

An input the framework's binding cannot express is left out (the binding's signature has no
such keyword, the plugin raises NotSupported, or the binding computes two Python numbers with
Python's own operators and never calls the framework); the cell skips when that leaves none,
with the reasons. Every input is run and the cell fails once, naming each disagreement.
"""
import inspect
import warnings

import numpy

from ..checks import layers, repro, tolerances
from ..checks.numeric import as_tuple
from ..frameworks.base import NotSupported
from ..subjects import edge_inputs
from .common import Cell, skip, unavailable

VALUES = "edges.values"
GRAD = "edges.grad"
PROPERTIES = (VALUES, GRAD)
NUMBERS = (bool, int, float, complex)


def cells(session):
    result = []
    for prop in PROPERTIES:
        for subject in edge_inputs.subjects_with_edge_inputs():
            if prop == GRAD and not any(item.grad for item in edge_inputs.for_subject(subject)):
                continue
            dtype = edge_inputs.cell_dtype(subject)
            result.extend(Cell(prop, subject, framework, device, dtype)
                          for framework in session.frameworks
                          if not session.is_reference(framework)
                          for device in session.devices)
    return result


# =============================================================================================
# One side
# =============================================================================================

def bind(adapter, subject):
    """The adapter's function for ``subject`` (an op subject or a layer-level function)."""
    if layers.layer_entry(subject).kind == "op":
        return adapter.op(subject)
    return layers.function(adapter, subject)


def _expressible(function, item):
    """NotSupported when the binding's signature cannot take the call's arguments."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature: let the call decide
        return
    try:
        signature.bind(**item.sample.inputs, **item.sample.kwargs)
    except TypeError as error:
        raise NotSupported(f"the binding's signature {signature} cannot take it ({error})") \
            from None


def run(adapter, function, item, device, *, gradient):
    """What ``function`` does on ``item``: ('raises', class name) or ('ok', outputs, dtypes,
    gradients): outputs and gradients as NumPy arrays (gradients None unless ``gradient``).
    NumPy's floating-point warnings (NaN and inf are the point here) are silenced; they change
    no value."""
    with warnings.catch_warnings(), numpy.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return _run(adapter, function, item, device, gradient=gradient)


def _run(adapter, function, item, device, *, gradient):
    _expressible(function, item)
    sample = item.sample
    wants = [gradient and item.grad and numpy.asarray(a).dtype.kind == "f"
             for a in sample.leaves()]
    step = "the call"
    try:  # a framework may refuse an input already when it becomes a tensor
        leaves = [adapter.tensor(array, requires_grad=want, dtype=str(array.dtype), device=device)
                  for array, want in zip(sample.leaves(), wants)]
        call = sample.with_leaves(leaves)
        inputs = dict(call.inputs)
        for name, view, kwargs in item.views:
            inputs[name] = adapter.op(view)(inputs[name], **kwargs)
        kwargs = {name: adapter.constant(value, device) for name, value in call.kwargs.items()}
        outputs = as_tuple(function(**inputs, **kwargs))
        if any(isinstance(y, NUMBERS) for y in outputs):
            raise NotSupported("the binding computes Python numbers with Python's operators: "
                               "the framework is not called")
        arrays = [adapter.to_numpy(y) for y in outputs]
        dtypes = [adapter.dtype_of(y) for y in outputs]
        grads = None
        if gradient:
            step = "the gradient"
            grads = _vjp(adapter, outputs, arrays, dtypes, leaves, wants, device)
    except NotSupported:
        raise
    except Exception as error:  # noqa: BLE001 - the class is part of the behaviour
        return ("raises", f"{type(error).__name__} in {step}")
    return ("ok", arrays, dtypes, grads)


def weights(shape, dtype):
    """The fixed output gradient: 1, 2, 3, 1, 2, ... (nonzero, so no error hides in a sum)."""
    size = int(numpy.prod(shape))
    return (numpy.arange(size, dtype=numpy.float64) % 3 + 1).reshape(shape).astype(dtype)


def _vjp(adapter, outputs, arrays, dtypes, leaves, wants, device):
    """The gradients of ``sum_k <y_k, w_k>`` over the float outputs with respect to the leaves
    in ``wants``; zeros for a leaf the framework leaves out (None) or when no output is in
    the graph."""
    chosen = [leaf for leaf, want in zip(leaves, wants) if want]
    ys = [y for y, dtype in zip(outputs, dtypes) if dtype.startswith("float")]
    ys = [y for y in ys if adapter.requires_grad(y)]
    likes = [adapter.to_numpy(leaf) for leaf in chosen]
    if not ys or not chosen:
        return [numpy.zeros_like(like) for like in likes]
    gys = [adapter.tensor(weights(adapter.to_numpy(y).shape, adapter.dtype_of(y)),
                          dtype=adapter.dtype_of(y), device=device) for y in ys]
    grads = adapter.vjp(ys, chosen, gys)
    return [numpy.zeros_like(like) if g is None else adapter.to_numpy(g)
            for g, like in zip(grads, likes)]


# =============================================================================================
# Comparison
# =============================================================================================

def compare_arrays(what, actual, expected, quantity):
    """Problems (strings) between two lists of arrays: count, dtype, shape, NaN and inf
    positions, finite values within the ``quantity`` tolerance of the expected dtype."""
    problems = []
    if len(actual) != len(expected):
        return [f"{what}: {len(actual)} arrays vs {len(expected)}"]
    for index, (a, e) in enumerate(zip(actual, expected)):
        a, e = numpy.asarray(a), numpy.asarray(e)
        label = f"{what} {index}"
        if a.dtype != e.dtype:
            problems.append(f"{label} dtype {a.dtype} vs {e.dtype}")
            continue
        if a.shape != e.shape:
            problems.append(f"{label} shape {a.shape} vs {e.shape}")
            continue
        if e.dtype.kind not in "fc":
            if not numpy.array_equal(a, e):
                problems.append(f"{label}: {a.tolist()} vs {e.tolist()}")
            continue
        real = numpy.finfo(e.dtype).dtype.name  # complex64 -> float32
        tolerance = tolerances.tolerance(real if real in ("float16", "float32", "float64")
                                         else "float64", quantity)
        if not same(a, e, tolerance):
            problems.append(f"{label}: {_show_array(a)} vs {_show_array(e)} "
                            f"(NaN/inf positions equal, finite within rtol={tolerance.rtol:g}, "
                            f"atol={tolerance.atol:g})")
    return problems


def same(actual, expected, tolerance):
    """NaN where NaN, inf of the same sign where inf (real and imaginary parts), the finite
    values within ``tolerance``."""
    parts = ((actual.real, expected.real), (actual.imag, expected.imag)) \
        if expected.dtype.kind == "c" else ((actual, expected),)
    for a, e in parts:
        a, e = a.astype(numpy.float64), e.astype(numpy.float64)
        for test in (numpy.isnan, numpy.isposinf, numpy.isneginf):
            if not numpy.array_equal(test(a), test(e)):
                return False
        finite = numpy.isfinite(e)
        if not tolerance.allclose(a[finite], e[finite]):
            return False
    return True


def _show_array(array):
    text = repr(numpy.asarray(array).tolist())
    return text if len(text) <= 160 else text[:160] + "...]"


def compare(prop, theirs, ours):
    """Problems between the framework's ``run`` and the reference's."""
    if theirs[0] == "raises" or ours[0] == "raises":
        left = theirs[1] if theirs[0] == "raises" else "ok"
        right = ours[1] if ours[0] == "raises" else "ok"
        return [] if left == right else [f"outcome {left} vs {right}"]
    problems = compare_arrays("output", theirs[1], ours[1], "value")
    if prop == GRAD:
        problems += compare_arrays("gradient of input", theirs[3], ours[3], "grad")
    return problems


# =============================================================================================
# The cell
# =============================================================================================

def check_cell(session, cell, stats):
    unavailable(session, cell)
    plugin = session.plugin(cell.framework)
    reason = plugin.absent_op(cell.subject) if layers.layer_entry(cell.subject).kind == "op" \
        else None
    if reason:
        skip(reason)
    adapter = session.adapter(cell.framework)
    policy = session.policy_name(cell.framework)
    reference = session.reference(policy)
    stats.version, stats.semantics = adapter.version, policy
    try:
        function = bind(adapter, cell.subject)
    except NotSupported as error:
        skip(str(error))
    reference_function = bind(reference, cell.subject)
    gradient = cell.property == GRAD
    compared, unsupported, mismatches = 0, [], []
    oracle = f"{reference.name} {policy}"
    for item in edge_inputs.for_subject(cell.subject):
        if gradient and not item.grad:
            continue
        stats.begin_example()
        try:
            theirs = run(adapter, function, item, cell.device, gradient=gradient)
        except NotSupported as error:
            unsupported.append(f"{item.name}: {error}")
            continue
        ours = run(reference, reference_function, item, "cpu", gradient=gradient)
        compared += 1
        problems = compare(cell.property, theirs, ours)
        stats.oracle(oracle, not problems)
        if problems:
            mismatches.append(f"{item.name} ({item.edge}): {cell.framework} vs {oracle}: "
                              f"{'; '.join(problems)} [{cell.subject}({_show(item)})]")
        stats.end_example(lambda: item.name)
    if not compared:
        skip("; ".join(unsupported) or f"no edge input of {cell.subject}")
    for text in mismatches:  # every input is run; the cell fails once, naming each
        stats.problem(text)
    if unsupported:  # recorded with the cell, pass or fail
        stats.extra["left_out"] = unsupported
    left_out = f" ({len(unsupported)} left out: {'; '.join(unsupported)})" if unsupported else ""
    stats.end_example(lambda: f"{len(mismatches)} of {compared} edge inputs of {cell.subject}"
                              f"{left_out}")


def _show(item):
    inputs = ", ".join(f"{name}={repro.literal(value)}" for name, value in item.sample.inputs.items())
    kwargs = ", ".join(f"{name}={value!r}" for name, value in item.sample.kwargs.items())
    views = ", ".join(f"{name} through {view}({kwargs})" for name, view, kwargs in item.views)
    return ", ".join(part for part in (inputs, kwargs, views and f"views: {views}") if part)


def test_edges(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
