"""PyTorch's counterpart of every refimpl op, with refimpl's signature (see the package doc).

An op torch lacks has no function here; the plugin's ``ops_absent`` records it with the
reason. torch rejects negative slice steps: the plugin lacks the API feature
``negative_slice_steps``, so the registry's ``getitem`` samples leave them out.
"""
import numpy
import torch
import torch.nn.functional


def _all_dims(x):
    return tuple(range(x.dim()))


def _numbers(a, b):
    """Whether both operands are Python numbers: the operator form would be Python's own
    arithmetic, never torch's, so the binding calls torch's function (``torch.add(2, 3)`` is
    a 0-d int64 tensor; ``torch.pow(2, 3)`` raises TypeError): the ``number_operands`` edge
    inputs (issue 15)."""
    return all(isinstance(v, (bool, int, float, complex)) for v in (a, b))


def _index(key):
    """A NumPy index (arrays, or tuples holding them) as torch accepts it."""
    if isinstance(key, tuple):
        return tuple(_index(item) for item in key)
    if isinstance(key, numpy.ndarray):
        return torch.as_tensor(key)
    return key


def abs(x):
    return torch.abs(x)


def add(a, b):
    if _numbers(a, b):  # two Python numbers (issue 15 edge inputs)
        return torch.add(a, b)
    return a + b


def sub(a, b):
    if _numbers(a, b):  # two Python numbers (issue 15 edge inputs)
        return torch.sub(a, b)
    return a - b


def mul(a, b):
    if _numbers(a, b):  # two Python numbers (issue 15 edge inputs)
        return torch.mul(a, b)
    return a * b


def div(a, b):
    if _numbers(a, b):  # two Python numbers (issue 15 edge inputs)
        return torch.div(a, b)
    return a / b


def pow(a, b):
    if _numbers(a, b):  # two Python numbers (issue 15 edge inputs)
        return torch.pow(a, b)
    return a ** b


def neg(x):
    return -x


def exp(x):
    return torch.exp(x)


def log(x):
    return torch.log(x)


def sqrt(x):
    return torch.sqrt(x)


def sin(x):
    return torch.sin(x)


def cos(x):
    return torch.cos(x)


def tanh(x):
    return torch.tanh(x)


def sigmoid(x):
    return torch.sigmoid(x)


def relu(x):
    return torch.relu(x)


def leaky_relu(x, negative_slope=None):
    if negative_slope is None:
        return torch.nn.functional.leaky_relu(x)
    return torch.nn.functional.leaky_relu(x, negative_slope=negative_slope)


def clip(x, x_min=None, x_max=None):
    return torch.clamp(x, min=x_min, max=x_max)


def cast(x, dtype):
    return x.to(getattr(torch, str(numpy.dtype(dtype))))


def broadcast_to(x, shape):
    return torch.broadcast_to(x, tuple(shape))


def sum_to(x, shape):
    return x.sum_to_size(tuple(shape))


def matmul(a, b):
    return torch.matmul(a, b)


def dot(a, b):
    return torch.dot(a, b)


def sum(x, axis=None, keepdims=False):
    if axis is None and not keepdims:
        return torch.sum(x)
    return torch.sum(x, dim=_all_dims(x) if axis is None else axis, keepdim=keepdims)


def mean(x, axis=None, keepdims=False):
    if axis is None and not keepdims:
        return torch.mean(x)
    return torch.mean(x, dim=_all_dims(x) if axis is None else axis, keepdim=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    return torch.logsumexp(x, dim=_all_dims(x) if axis is None else axis, keepdim=keepdims)


def max(x, axis=None, keepdims=False):
    """torch.max(x) over everything; torch.max(x, dim) -> (values, indices) for an int axis;
    torch.amax for a tuple of axes (and for keepdims over everything)."""
    if isinstance(axis, int):
        return tuple(torch.max(x, dim=axis, keepdim=keepdims))
    if axis is None and not keepdims:
        return torch.max(x)
    return torch.amax(x, dim=_all_dims(x) if axis is None else axis, keepdim=keepdims)


def min(x, axis=None, keepdims=False):
    """As ``max``: torch.min / torch.min(x, dim) / torch.amin."""
    if isinstance(axis, int):
        return tuple(torch.min(x, dim=axis, keepdim=keepdims))
    if axis is None and not keepdims:
        return torch.min(x)
    return torch.amin(x, dim=_all_dims(x) if axis is None else axis, keepdim=keepdims)


def argmax(x, axis=None, keepdims=False):
    return torch.argmax(x, dim=axis, keepdim=keepdims)


def argmin(x, axis=None, keepdims=False):
    return torch.argmin(x, dim=axis, keepdim=keepdims)


def topk(x, k, axis=-1, largest=True, sorted=True):
    return tuple(torch.topk(x, k, dim=axis, largest=largest, sorted=sorted))


def reshape(x, shape):
    return torch.reshape(x, tuple(shape))


def transpose(x, axes=None):
    return torch.permute(x, tuple(reversed(range(x.dim()))) if axes is None else tuple(axes))


def permute(x, dims):
    return torch.permute(x, tuple(dims))


def swapaxes(x, axis1, axis2):
    return torch.swapaxes(x, axis1, axis2)


def squeeze(x, axis=None):
    return torch.squeeze(x) if axis is None else torch.squeeze(x, axis)


def expand_dims(x, axis):
    return torch.unsqueeze(x, axis)


def unsqueeze(x, axis):
    return torch.unsqueeze(x, axis)


def concat(xs, axis=None):
    return torch.cat(list(xs)) if axis is None else torch.cat(list(xs), dim=axis)


def cat(xs, axis=None):
    return torch.cat(list(xs)) if axis is None else torch.cat(list(xs), dim=axis)


def stack(xs, axis=0):
    return torch.stack(list(xs), dim=axis)


def split(x, indices_or_sections, axis=0):
    return tuple(torch.split(x, indices_or_sections, dim=axis))


def getitem(x, key):
    return x[_index(key)]


def where(condition, x, y):
    device = next((v.device for v in (x, y) if isinstance(v, torch.Tensor)), None)
    return torch.where(torch.as_tensor(condition, device=device), x, y)


def softmax(x, axis=None):
    if axis is None:
        return torch.nn.functional.softmax(x)
    return torch.nn.functional.softmax(x, dim=axis)


def log_softmax(x, axis=None):
    if axis is None:
        return torch.nn.functional.log_softmax(x)
    return torch.nn.functional.log_softmax(x, dim=axis)


# --- more elementwise maths (refimpl/functions/elementwise_math.py) --------------------------

def log1p(x):
    return torch.log1p(x)


def expm1(x):
    return torch.expm1(x)


def log2(x):
    return torch.log2(x)


def log10(x):
    return torch.log10(x)


def square(x):
    return torch.square(x)


def rsqrt(x):
    return torch.rsqrt(x)


def reciprocal(x):
    return torch.reciprocal(x)


def tan(x):
    return torch.tan(x)


def arcsin(x):
    return torch.asin(x)


def arccos(x):
    return torch.acos(x)


def arctan(x):
    return torch.atan(x)


def sinh(x):
    return torch.sinh(x)


def cosh(x):
    return torch.cosh(x)


def arcsinh(x):
    return torch.asinh(x)


def arccosh(x):
    return torch.acosh(x)


def arctanh(x):
    return torch.atanh(x)


def erf(x):
    return torch.erf(x)


def erfc(x):
    return torch.erfc(x)


def erfinv(x):
    return torch.erfinv(x)


def lgamma(x):
    return torch.lgamma(x)


def digamma(x):
    return torch.digamma(x)


def polygamma(n, x):
    return torch.polygamma(n, x)


def floor(x):
    return torch.floor(x)


def ceil(x):
    return torch.ceil(x)


def sign(x):
    return torch.sign(x)


def maximum(a, b):
    return torch.maximum(a, b)


def minimum(a, b):
    return torch.minimum(a, b)


def fmod(a, b):
    return torch.fmod(a, b)


def arctan2(a, b):
    return torch.atan2(a, b)


def lerp(start, end, weight):
    return torch.lerp(start, end, weight)


# --- more reductions, shapes and products (refimpl/functions/shape_more.py) ------------------

def prod(x, axis=None, keepdims=False):
    """torch.prod takes one int dim; over everything it has no keepdim (reshaped here)."""
    if axis is None:
        y = torch.prod(x)
        return y.reshape((1,) * x.dim()) if keepdims else y
    return torch.prod(x, dim=axis, keepdim=keepdims)


def cumsum(x, axis=None):
    return torch.cumsum(x.reshape(-1), dim=0) if axis is None else torch.cumsum(x, dim=axis)


def cumprod(x, axis=None):
    return torch.cumprod(x.reshape(-1), dim=0) if axis is None else torch.cumprod(x, dim=axis)


def flip(x, axis):
    return torch.flip(x, dims=(axis,) if isinstance(axis, int) else tuple(axis))


def tile(x, reps):
    return torch.tile(x, (reps,) if isinstance(reps, int) else tuple(reps))


def repeat(x, repeats, axis=None):
    return torch.repeat_interleave(x, repeats, dim=axis)


def flatten(x):
    return torch.flatten(x)


def moveaxis(x, source, destination):
    return torch.movedim(x, source, destination)


def tensordot(a, b, axes=2):
    return torch.tensordot(a, b, dims=axes if isinstance(axes, int) else
                           tuple(list(side) for side in axes))


def einsum(operands, subscripts):
    return torch.einsum(subscripts, *operands)


def bmm(a, b):
    return torch.bmm(a, b)


# --- more activations (refimpl/functions/activation_more.py) ---------------------------------

def elu(x, alpha=1.0):
    return torch.nn.functional.elu(x, alpha=alpha)


def selu(x):
    return torch.nn.functional.selu(x)


def celu(x, alpha=1.0):
    return torch.nn.functional.celu(x, alpha=alpha)


def softplus(x, beta=1.0, threshold=None):
    """threshold None: torch's default (20), which the policy's softplus_threshold models."""
    if threshold is None:
        return torch.nn.functional.softplus(x, beta=beta)
    return torch.nn.functional.softplus(x, beta=beta, threshold=threshold)


def hard_sigmoid(x):
    return torch.nn.functional.hardsigmoid(x)


def silu(x):
    return torch.nn.functional.silu(x)


def relu6(x):
    return torch.nn.functional.relu6(x)


def gelu(x, approximate="none"):
    return torch.nn.functional.gelu(x, approximate=approximate)


def mish(x):
    return torch.nn.functional.mish(x)


def hardswish(x):
    return torch.nn.functional.hardswish(x)


def hardshrink(x, lambd=0.5):
    return torch.nn.functional.hardshrink(x, lambd)


def softshrink(x, lambd=0.5):
    return torch.nn.functional.softshrink(x, lambd)


def softmin(x, axis):
    return torch.nn.functional.softmin(x, dim=axis)


def glu(x, axis=-1):
    return torch.nn.functional.glu(x, dim=axis)


def rrelu(x, lower=0.125, upper=1.0 / 3.0):
    return torch.nn.functional.rrelu(x, lower, upper, training=False)


def clipped_relu(x, z=20.0):
    """torch has no clipped_relu: hardtanh between 0 and z (chainer's default z bound here)."""
    return torch.nn.functional.hardtanh(x, 0.0, z)


def hardtanh(x, min_val=-1.0, max_val=1.0):
    return torch.nn.functional.hardtanh(x, min_val, max_val)


def log_sigmoid(x):
    return torch.nn.functional.logsigmoid(x)


def softsign(x):
    return torch.nn.functional.softsign(x)


def tanhshrink(x):
    return torch.nn.functional.tanhshrink(x)


from .ops_shape2 import *  # noqa: E402,F401,F403 (shape and maths ops, issue 17)
