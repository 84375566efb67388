"""Evaluating one sample of an op on an adapter: forward outputs, first- and second-order
vector-Jacobian products, and central differences (the numerical oracle).

Everything takes NumPy arrays in and gives NumPy arrays out; the adapter does the
framework's work. ``dtype`` is the dtype the framework computes in; arrays are cast to it.
"""
import numpy

from .tolerances import CENTRAL_DIFFERENCE_EPS


def as_tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def round_to(sample, dtype):
    """The sample with every differentiated array rounded to ``dtype`` and back to float64:
    the values the framework really sees, for the float64 oracle to see too."""
    return sample.with_leaves([numpy.asarray(a).astype(dtype).astype(numpy.float64)
                               for a in sample.leaves()])


def call_op(adapter, function, sample, *, dtype, device, requires_grad=False):
    """``function(**inputs, **kwargs)`` with the inputs as ``adapter`` tensors of ``dtype``.
    Returns (leaves, outputs as a tuple)."""
    leaves = [adapter.tensor(a, requires_grad=requires_grad, dtype=dtype, device=device)
              for a in sample.leaves()]
    call = sample.with_leaves(leaves)
    kwargs = {name: adapter.constant(value, device) for name, value in call.kwargs.items()}
    return leaves, as_tuple(function(**call.inputs, **kwargs))


def is_float(adapter, value):
    return adapter.dtype_of(value).startswith(("float", "bfloat"))


def float_output_shapes(adapter, outputs):
    return [tuple(adapter.to_numpy(y).shape) for y in outputs if is_float(adapter, y)]


def _grad_tensors(adapter, outputs, grad_outputs, device, requires_grad=False):
    """Output gradients as tensors of each float output's dtype."""
    ys = [y for y in outputs if is_float(adapter, y)]
    if len(ys) != len(grad_outputs):
        raise ValueError(f"{len(grad_outputs)} grad_outputs for {len(ys)} float outputs")
    gys = [adapter.tensor(g, requires_grad=requires_grad, dtype=adapter.dtype_of(y), device=device)
           for y, g in zip(ys, grad_outputs)]
    return ys, gys


def _arrays(adapter, grads, likes):
    """Gradients as float64 NumPy arrays, zeros where the framework gave None."""
    return [numpy.zeros(numpy.shape(like)) if g is None
            else adapter.to_numpy(g).astype(numpy.float64) for g, like in zip(grads, likes)]


def first_order(adapter, function, sample, grad_outputs, *, dtype, device):
    """Gradients of ``sum_k <f(x)[k], grad_outputs[k]>`` with respect to every leaf."""
    leaves, outputs = call_op(adapter, function, sample, dtype=dtype, device=device,
                              requires_grad=True)
    ys, gys = _grad_tensors(adapter, outputs, grad_outputs, device)
    if not ys:
        return [numpy.zeros(numpy.shape(a)) for a in sample.leaves()]
    grads = adapter.vjp(ys, leaves, gys)
    return _arrays(adapter, grads, sample.leaves())


def second_order(adapter, function, sample, grad_outputs, grad_grad_inputs, *, dtype, device):
    """Gradients of ``sum_i <g_i, grad_grad_inputs[i]>``, where ``g = vjp(f, x, gy)`` is built
    with double backprop, with respect to every leaf and then every output gradient."""
    leaves, outputs = call_op(adapter, function, sample, dtype=dtype, device=device,
                              requires_grad=True)
    ys, gys = _grad_tensors(adapter, outputs, grad_outputs, device, requires_grad=True)
    likes = list(sample.leaves()) + list(grad_outputs)
    if not ys:
        return [numpy.zeros(numpy.shape(a)) for a in likes]
    grads = adapter.vjp(ys, leaves, gys, create_graph=True)
    total = None
    for gradient, weights in zip(grads, grad_grad_inputs):
        if gradient is None:
            continue
        weights = adapter.tensor(weights, dtype=adapter.dtype_of(gradient), device=device)
        term = adapter.call("sum", adapter.call("mul", gradient, weights))
        total = term if total is None else adapter.call("add", total, term)
    if total is None or not adapter.requires_grad(total):
        return [numpy.zeros(numpy.shape(a)) for a in likes]
    seed = adapter.tensor(numpy.ones(()), dtype=adapter.dtype_of(total), device=device)
    second = adapter.vjp([total], leaves + gys, [seed])
    return _arrays(adapter, second, likes)


def forward_values(adapter, function, sample, *, dtype, device):
    """The float outputs of ``function`` on ``sample`` as float64 NumPy arrays."""
    _, outputs = call_op(adapter, function, sample, dtype=dtype, device=device)
    return [adapter.to_numpy(y).astype(numpy.float64) for y in outputs if is_float(adapter, y)]


def central_difference(evaluate, arrays, eps=CENTRAL_DIFFERENCE_EPS):
    """Numerical gradient of the scalar ``evaluate(arrays)`` with respect to each array:
    ``(evaluate(x + eps e_i) - evaluate(x - eps e_i)) / (2 eps)`` for every element i."""
    arrays = [numpy.array(a, dtype=numpy.float64) for a in arrays]
    gradients = []
    for index, array in enumerate(arrays):
        gradient = numpy.zeros(array.shape)
        for position in numpy.ndindex(*array.shape):
            values = []
            for step in (eps, -eps):
                shifted = list(arrays)
                shifted[index] = array.copy()
                shifted[index][position] += step
                values.append(evaluate(shifted))
            gradient[position] = (values[0] - values[1]) / (2 * eps)
        gradients.append(gradient)
    return gradients


def directional_difference(evaluate, arrays, directions, eps=CENTRAL_DIFFERENCE_EPS):
    """Central difference of the scalar ``evaluate`` along ``directions`` (one array per input):
    ``(evaluate(x + eps v) - evaluate(x - eps v)) / (2 eps)``, two evaluations whatever the
    size (Chainer's ``check_backward`` does the same)."""
    plus = [numpy.asarray(a, dtype=numpy.float64) + eps * v for a, v in zip(arrays, directions)]
    minus = [numpy.asarray(a, dtype=numpy.float64) - eps * v for a, v in zip(arrays, directions)]
    return (evaluate(plus) - evaluate(minus)) / (2 * eps)


def contracted_forward(adapter, function, sample, grad_outputs, device):
    """``arrays -> sum_k <f(arrays)[k], grad_outputs[k]>`` evaluated by ``adapter`` in float64."""
    def evaluate(arrays):
        outputs = forward_values(adapter, function, sample.with_leaves(arrays), dtype="float64",
                                 device=device)
        return float(sum(numpy.sum(y * g) for y, g in zip(outputs, grad_outputs)))
    return evaluate


def contracted_first_order(adapter, function, sample, grad_grad_inputs, device):
    """``arrays -> sum_i <vjp(f, x, gy)_i, grad_grad_inputs[i]>`` in float64, where ``arrays``
    are the leaves followed by the output gradients."""
    count = len(sample.leaves())

    def evaluate(arrays):
        leaves, grad_outputs = arrays[:count], arrays[count:]
        grads = first_order(adapter, function, sample.with_leaves(leaves), grad_outputs,
                            dtype="float64", device=device)
        return float(sum(numpy.sum(g * w) for g, w in zip(grads, grad_grad_inputs)))
    return evaluate


def sensitivity(evaluate, arrays, relative_step=1e-6):
    """The componentwise condition of ``evaluate`` (arrays -> list of float64 arrays) at
    ``arrays``: for each element of each result, ``sum_i |dq/dx_i| |x_i|`` over every element
    ``x_i`` of every array, the derivatives by central differences with the relative step
    ``relative_step |x_i|`` (2 evaluations per nonzero element; a zero element rounds exactly
    and a relative perturbation leaves it 0, so it adds nothing). A derivative that is NaN
    (the quantity is NaN nearby) adds nothing; an infinite one makes the condition infinite.
    See ``tolerances.conditioned_allowance``."""
    arrays = [numpy.array(a, dtype=numpy.float64) for a in arrays]
    totals = [numpy.zeros(numpy.shape(q)) for q in evaluate(arrays)]
    for index, array in enumerate(arrays):
        for position in numpy.ndindex(*array.shape):
            x = float(array[position])
            if x == 0.0 or not numpy.isfinite(x):
                continue
            step = relative_step * abs(x)
            values = []
            for sign in (1.0, -1.0):
                shifted = list(arrays)
                shifted[index] = array.copy()
                shifted[index][position] = x + sign * step
                values.append(evaluate(shifted))
            for total, plus, minus in zip(totals, *values):
                with numpy.errstate(invalid="ignore", over="ignore"):
                    term = numpy.abs((numpy.asarray(plus, dtype=numpy.float64)
                                      - numpy.asarray(minus, dtype=numpy.float64))
                                     / (2 * step)) * abs(x)
                total += numpy.where(numpy.isnan(term), 0.0, term)
    return totals
