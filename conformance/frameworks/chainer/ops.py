"""Chainer's counterpart of every refimpl op, with refimpl's signature (see the package doc).

An op chainer lacks (``topk``) has no function here; the plugin's ``ops_absent`` records it
with the reason (so does ``where-scalar``: F.where takes arrays only). Arguments chainer's
function does not take (``keepdims`` of ``argmax`` and ``logsumexp``) are absent from the
signature: the plugin lacks the API feature ``reduction_keepdims_everywhere``, so the
registry's samples leave them out.
"""
import warnings

import numpy

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pkg_resources / numpy.distutils noise at import
    import chainer.functions as F


def abs(x):
    return F.absolute(x)


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
    return F.exp(x)


def log(x):
    return F.log(x)


def sqrt(x):
    return F.sqrt(x)


def sin(x):
    return F.sin(x)


def cos(x):
    return F.cos(x)


def tanh(x):
    return F.tanh(x)


def sigmoid(x):
    return F.sigmoid(x)


def relu(x):
    return F.relu(x)


def leaky_relu(x, negative_slope=None):
    if negative_slope is None:
        return F.leaky_relu(x)
    return F.leaky_relu(x, slope=negative_slope)


def clip(x, x_min=None, x_max=None):
    return F.clip(x, x_min, x_max)


def cast(x, dtype):
    return F.cast(x, numpy.dtype(dtype))


def broadcast_to(x, shape):
    return F.broadcast_to(x, tuple(shape))


def sum_to(x, shape):
    return F.sum_to(x, tuple(shape))


def matmul(a, b):
    return F.matmul(a, b)


def dot(a, b):
    """chainer has no vector dot; F.matmul of two 1-D arrays is their inner product."""
    return F.matmul(a, b)


def sum(x, axis=None, keepdims=False):
    return F.sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return F.mean(x, axis=axis, keepdims=keepdims)


def logsumexp(x, axis=None):
    return F.logsumexp(x, axis=axis)


def max(x, axis=None, keepdims=False):
    return F.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return F.min(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=None):
    return F.argmax(x, axis=axis)


def argmin(x, axis=None):
    return F.argmin(x, axis=axis)


def reshape(x, shape):
    return F.reshape(x, tuple(shape))


def transpose(x, axes=None):
    return F.transpose(x, axes)


def permute(x, dims):
    return F.transpose(x, tuple(dims))


def swapaxes(x, axis1, axis2):
    return F.swapaxes(x, axis1, axis2)


def squeeze(x, axis=None):
    return F.squeeze(x, axis)


def expand_dims(x, axis):
    return F.expand_dims(x, axis)


def unsqueeze(x, axis):
    return F.expand_dims(x, axis)


def concat(xs, axis=None):
    return F.concat(list(xs)) if axis is None else F.concat(list(xs), axis=axis)


def cat(xs, axis=None):
    return F.concat(list(xs)) if axis is None else F.concat(list(xs), axis=axis)


def stack(xs, axis=0):
    return F.stack(list(xs), axis=axis)


def split(x, indices_or_sections, axis=0):
    return tuple(F.split_axis(x, indices_or_sections, axis))


def getitem(x, key):
    return x[key]


def where(condition, x, y):
    return F.where(condition, x, y)


def softmax(x, axis=None):
    return F.softmax(x) if axis is None else F.softmax(x, axis=axis)


def log_softmax(x, axis=None):
    return F.log_softmax(x) if axis is None else F.log_softmax(x, axis=axis)
