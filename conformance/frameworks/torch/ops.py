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
    return a + b


def sub(a, b):
    return a - b


def mul(a, b):
    return a * b


def div(a, b):
    return a / b


def pow(a, b):
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
