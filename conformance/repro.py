"""Standalone repro scripts for failing examples.

A script uses only the framework under test and NumPy: it pastes the counterpart function's
source (``conformance.counterparts``), builds the failing inputs as literal arrays, runs the
framework, and compares with the expected values, which were computed by refimpl in float64
and are pasted as literals too. It prints every mismatch and exits 1 when there is one.
"""
import math

import numpy

from . import counterparts

PRELUDES = {
    "torch": '''import torch

DEVICE = {device!r}


def make(array, requires_grad=False):
    return torch.tensor(array, requires_grad=requires_grad, device=DEVICE)


def to_numpy(value):
    return value.detach().cpu().numpy(force=True)


def is_float(value):
    return value.dtype.is_floating_point


def vjp(outputs, inputs, grad_outputs, create_graph=False):
    return torch.autograd.grad(outputs, inputs, grad_outputs, retain_graph=True,
                               create_graph=create_graph, allow_unused=True)


def op_sum(x):
    return torch.sum(x)
''',
    "chainer": '''import chainer

DEVICE = {device!r}


def make(array, requires_grad=False):
    if DEVICE == "cuda":
        array = chainer.backends.cuda.to_gpu(array)
    return chainer.Variable(array, requires_grad=requires_grad)


def to_numpy(value):
    return numpy.asarray(chainer.backends.cuda.to_cpu(value.array))


def is_float(value):
    return value.dtype.kind == "f"


def vjp(outputs, inputs, grad_outputs, create_graph=False):
    return chainer.grad(outputs, inputs, grad_outputs, enable_double_backprop=create_graph)


def op_sum(x):
    return chainer.functions.sum(x)
''',
    "refimpl": '''import refimpl
import refimpl.functions as F

DEVICE = {device!r}
refimpl.set_semantics({policy!r})


def make(array, requires_grad=False):
    return refimpl.Variable(array, requires_grad=requires_grad)


def to_numpy(value):
    return numpy.asarray(value.data)


def is_float(value):
    return value.dtype.kind == "f"


def vjp(outputs, inputs, grad_outputs, create_graph=False):
    return refimpl.grad(outputs, inputs, grad_outputs, retain_graph=True,
                        create_graph=create_graph, allow_unused=True)


def op_sum(x):
    return F.sum(x)
''',
}

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


def _op_source(framework, function_name):
    function = counterparts.lookup(framework, function_name)
    if framework == "refimpl" and function.__module__ != counterparts.MODULES["refimpl"]:
        return f"OP = F.{function_name}\n"
    return counterparts.source_of(function) + f"\n\nOP = {function.__name__}\n"


def script(kind, *, title, framework, function_name, device, dtype, inputs, kwargs, expected,
           tolerance, policy="torch", expected_dtypes=None, grad_outputs=None,
           grad_grad_inputs=None):
    """A standalone script for a failing example of ``kind`` ('forward', 'grad', 'gradgrad').

    ``inputs``: name -> float64 array (or list of them) already rounded to ``dtype``;
    ``expected``: refimpl's float64 values (outputs, or gradients per input).
    """
    cast = {name: [numpy.asarray(a).astype(dtype) for a in value] if isinstance(value, list)
            else numpy.asarray(value).astype(dtype) for name, value in inputs.items()}
    parts = [
        f'"""Repro: {title}\n\nGenerated by the conformance harness; expected values are '
        f'refimpl\'s (float64, policy {policy!r}),\npasted as literals. Exit status 1 on a '
        f'mismatch."""',
        "import numpy\n",
        PRELUDES[framework].format(device=device, policy=policy),
        COMMON,
        _op_source(framework, function_name),
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
