"""Numerical gradient checks: refimpl's gradients against central differences.

This is a test oracle, not an op: it loops over elements, and it is meant for small float64
inputs, all on one device (NumPy or CuPy arrays; mixing them raises DeviceMismatchError, and
only the final comparison copies the gradients to the host). The approach is Chainer's
``chainer.gradient_check``:

* ``check_backward`` compares the vector-Jacobian products refimpl computes
  (``refimpl.grad(f(*xs), xs, grad_outputs)``) with central differences of
  ``L(xs) = sum_k <f(*xs)[k], grad_outputs[k]>``.
* ``check_double_backward`` applies ``check_backward`` to the first-order gradient itself:
  ``g(*xs, *gys) = refimpl.grad(f(*xs), xs, gys, create_graph=True)``, differentiated with
  respect to both ``xs`` and ``gys`` and contracted with ``grad_grad_inputs``.

>>> import numpy, refimpl.functions as F
>>> from refimpl.gradient_check import check_backward, numerical_grad
>>> x = numpy.array([0.5, -1.0, 2.0])
>>> numerical_grad(F.sin, [x], [numpy.ones(3)])[0].round(6)
array([ 0.877583,  0.540302, -0.416147])
>>> check_backward(F.sin, [x], [numpy.ones(3)])  # raises AssertionError on a mismatch
"""
import numbers

import numpy

from . import _backend
from .engine import grad as _grad
from .variable import Variable

__all__ = ["check_backward", "check_double_backward", "numerical_grad"]


def _as_tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _check_positive(name, value, allow_zero=False):
    ok = isinstance(value, numbers.Real) and numpy.isfinite(value) and (
        value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {name}={value!r}")


def _float64_arrays(name, values):
    """``values`` as a tuple of float64 arrays (Variables give their ``.data``)."""
    arrays = []
    for index, value in enumerate(_as_tuple(values)):
        if isinstance(value, Variable):
            value = value.data
        if isinstance(value, numpy.generic) or not hasattr(value, "dtype"):
            value = numpy.asarray(value, dtype=numpy.float64 if not hasattr(value, "dtype")
                                  else value.dtype)
        if value.dtype != numpy.float64:
            raise ValueError(f"{name}[{index}] must be float64 (numerical gradients need it), "
                             f"got {name}[{index}].dtype={value.dtype}")
        arrays.append(value)
    return tuple(arrays)


def _check_one_device(*groups):
    """DeviceMismatchError unless every array of ``groups`` is on one device."""
    _backend.get_array_module(*(a for group in groups for a in group if a is not None))


def _leaves(arrays):
    return [Variable(array.copy(), requires_grad=True) for array in arrays]


def _float_outputs(f, variables):
    """The outputs of ``f(*variables)`` as a tuple (integer outputs become None)."""
    outputs = _as_tuple(f(*variables))
    for index, y in enumerate(outputs):
        if y is not None and not isinstance(y, Variable):
            raise TypeError(f"f must return Variables, got output {index} of type {type(y).__name__}")
    return tuple(y if y is not None and y.dtype.kind == "f" else None for y in outputs)


def _check_grad_outputs(outputs, grad_outputs, name):
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"{name} has {len(grad_outputs)} entries but f returns {len(outputs)} "
                         f"outputs")
    for index, (y, gy) in enumerate(zip(outputs, grad_outputs)):
        if y is not None and gy is not None and tuple(gy.shape) != y.shape:
            raise ValueError(f"{name}[{index}].shape={tuple(gy.shape)} does not match the shape "
                             f"{y.shape} of output {index}")


def _contracted(f, arrays, grad_outputs):
    """``sum_k <f(*arrays)[k], grad_outputs[k]>`` as a Python float."""
    total = 0.0
    for y, gy in zip(_float_outputs(f, _leaves(arrays)), grad_outputs):
        if y is not None and gy is not None:
            xp = _backend.get_array_module(y.data)
            total += float(xp.sum(y.data.astype(numpy.float64) * gy))
    return total


def numerical_grad(f, inputs, grad_outputs, eps=1e-6):
    """Central-difference gradients of ``L = sum_k <f(*inputs)[k], grad_outputs[k]>``.

    Args:
        f: a function of ``len(inputs)`` Variables returning a Variable or a tuple of them.
        inputs: float64 arrays (the point to differentiate at); not modified.
        grad_outputs: one array (or None, meaning the output does not count) per output.
        eps: the step: ``dL/dx_i ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)``.

    Returns a list with one float64 array per input, of that input's shape.
    """
    _check_positive("eps", eps)
    inputs = _float64_arrays("inputs", inputs)
    grad_outputs = _as_tuple(grad_outputs)
    _check_one_device(inputs, grad_outputs)
    _check_grad_outputs(_float_outputs(f, _leaves(inputs)), grad_outputs, "grad_outputs")
    gradients = []
    for index, x in enumerate(inputs):
        xp = _backend.get_array_module(x)
        gradient = xp.zeros(x.shape, dtype=numpy.float64)
        for position in numpy.ndindex(*x.shape):
            values = []
            for step in (eps, -eps):
                shifted = list(inputs)
                shifted[index] = x.copy()
                shifted[index][position] += step
                values.append(_contracted(f, shifted, grad_outputs))
            gradient[position] = (values[0] - values[1]) / (2 * eps)
        gradients.append(gradient)
    return gradients


def _refimpl_grads(f, inputs, grad_outputs):
    """refimpl's gradients of ``f`` at ``inputs`` as float64 arrays (zeros where unused)."""
    xs = _leaves(inputs)
    outputs = _float_outputs(f, xs)
    pairs = [(y, gy) for y, gy in zip(outputs, grad_outputs)
             if y is not None and gy is not None and y.requires_grad]
    xp = _backend.get_array_module(*inputs)
    if not pairs:
        return [xp.zeros_like(x) for x in inputs]
    grads = _grad([y for y, _ in pairs], xs, [gy.astype(y.dtype) for y, gy in pairs],
                  allow_unused=True)
    return [xp.zeros_like(x) if g is None else g.data for x, g in zip(inputs, grads)]


def _default_grad_outputs(f, inputs):
    outputs = _float_outputs(f, _leaves(inputs))
    xp = _backend.get_array_module(*inputs)
    return tuple(None if y is None else xp.ones(y.shape) for y in outputs)


def check_backward(f, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-4):
    """Assert that refimpl's first-order gradients of ``f`` match numerical ones.

    Args:
        f: a function of Variables returning a Variable or a tuple of Variables (outputs of
            an integer dtype, such as indices, are ignored).
        inputs: float64 arrays, one per argument of ``f``.
        grad_outputs: one float64 array (or None) per output, the vector of the
            vector-Jacobian product; None gives ones for every output.
        eps: the central-difference step.
        atol, rtol: elementwise tolerance ``|refimpl - numerical| <= atol + rtol |numerical|``.

    Raises AssertionError naming the input, the max abs error and the tolerance.
    """
    for name, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        _check_positive(name, value, allow_zero=name != "eps")
    inputs = _float64_arrays("inputs", inputs)
    if not inputs:
        raise ValueError(f"inputs must not be empty, got inputs={inputs!r}")
    if grad_outputs is None:
        grad_outputs = _default_grad_outputs(f, inputs)
    grad_outputs = tuple(None if gy is None else _float64_arrays("grad_outputs", [gy])[0]
                         for gy in _as_tuple(grad_outputs))
    _check_one_device(inputs, grad_outputs)
    _check_grad_outputs(_float_outputs(f, _leaves(inputs)), grad_outputs, "grad_outputs")
    actual = _refimpl_grads(f, inputs, grad_outputs)
    expected = numerical_grad(f, inputs, grad_outputs, eps)
    _compare(actual, expected, atol, rtol, "check_backward")


def _compare(actual, expected, atol, rtol, what):
    """Compare on the host (the one explicit copy: the verdict and its message)."""
    for index, (a, e) in enumerate(zip(actual, expected)):
        a = _backend.to_numpy(a).astype(numpy.float64)
        e = _backend.to_numpy(e)
        if a.shape != e.shape:
            raise AssertionError(f"{what}: gradient of input {index} has shape {a.shape}, "
                                 f"expected {e.shape}")
        error = numpy.abs(a - e)
        if not numpy.all(error <= atol + rtol * numpy.abs(e)):
            ranked = numpy.where(numpy.isnan(error), numpy.inf, error)
            worst = numpy.unravel_index(numpy.argmax(ranked), error.shape)
            raise AssertionError(
                f"{what}: gradient of input {index} (shape {e.shape}): max abs error "
                f"{numpy.max(error):.3g} at {tuple(int(i) for i in worst)} exceeds the tolerance "
                f"atol={atol} + rtol={rtol} * |numerical|\nrefimpl:\n{a}\nnumerical:\n{e}")


def check_double_backward(f, inputs, grad_outputs, grad_grad_inputs, *, eps=1e-6, atol=1e-5,
                          rtol=1e-4):
    """Assert that refimpl's second-order gradients of ``f`` match numerical ones.

    The first-order gradient ``g(*xs, *gys) = grad(f(*xs), xs, gys, create_graph=True)`` is
    a function of the inputs and of the output gradients; this checks refimpl's gradient of
    ``sum_i <g(...)[i], grad_grad_inputs[i]>`` with respect to every ``xs`` and ``gys``
    against central differences of ``g`` (Chainer's ``check_double_backward``). The
    first-order gradient itself is trusted here: check it with ``check_backward``.

    Args:
        f, inputs, eps, atol, rtol: as ``check_backward``.
        grad_outputs: one float64 array per output of ``f`` (required: they are inputs of g).
        grad_grad_inputs: one float64 array per input, of that input's shape.

    Every output of ``f`` must be a float Variable here (wrap ops that also return indices).

    Raises AssertionError naming the input (``inputs`` first, then ``grad_outputs``), the max
    abs error and the tolerance.
    """
    inputs = _float64_arrays("inputs", inputs)
    if grad_outputs is None:
        raise ValueError("grad_outputs must be given to check_double_backward, got None")
    grad_outputs = _float64_arrays("grad_outputs", grad_outputs)
    grad_grad_inputs = _float64_arrays("grad_grad_inputs", grad_grad_inputs)
    if len(grad_grad_inputs) != len(inputs):
        raise ValueError(f"grad_grad_inputs has {len(grad_grad_inputs)} entries for "
                         f"{len(inputs)} inputs")
    for index, (x, ggx) in enumerate(zip(inputs, grad_grad_inputs)):
        if ggx.shape != x.shape:
            raise ValueError(f"grad_grad_inputs[{index}].shape={ggx.shape} does not match "
                             f"inputs[{index}].shape={x.shape}")
    outputs = _float_outputs(f, _leaves(inputs))
    _check_grad_outputs(outputs, grad_outputs, "grad_outputs")
    n_inputs = len(inputs)

    def first_order(*variables):
        xs, gys = variables[:n_inputs], variables[n_inputs:]
        pairs = [(y, gy) for y, gy in zip(_float_outputs(f, xs), gys)
                 if y is not None and y.requires_grad]
        grads = _grad([y for y, _ in pairs], list(xs), [gy for _, gy in pairs],
                      create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Variable._constant(x.data * 0)
                     for x, g in zip(xs, grads))

    try:
        check_backward(first_order, inputs + grad_outputs, grad_grad_inputs, eps=eps,
                       atol=atol, rtol=rtol)
    except AssertionError as error:
        raise AssertionError(f"check_double_backward (inputs 0..{n_inputs - 1} are inputs, "
                             f"the rest grad_outputs): {error}") from None
