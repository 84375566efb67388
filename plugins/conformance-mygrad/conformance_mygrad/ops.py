"""MyGrad's counterpart of every refimpl op it has, with refimpl's signature.

Each function is self-contained (a repro script pastes its source): it calls MyGrad's public
API the way a MyGrad user would. An op MyGrad lacks (``topk``, ``sum_to``, ``logsumexp``,
``split``) has no function here; the plugin's ``ops_absent`` gives the reason. Arguments
MyGrad's function does not take (``keepdims`` of ``argmax``/``argmin``) are absent from the
signature, as in MyGrad.
"""
import mygrad
import mygrad.nnet
import numpy


def abs(x):
    return mygrad.absolute(x)


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
    return mygrad.exp(x)


def log(x):
    return mygrad.log(x)


def sqrt(x):
    return mygrad.sqrt(x)


def sin(x):
    return mygrad.sin(x)


def cos(x):
    return mygrad.cos(x)


def tanh(x):
    return mygrad.tanh(x)


def sigmoid(x):
    return mygrad.nnet.sigmoid(x)


def relu(x):
    return mygrad.nnet.relu(x)


def leaky_relu(x, negative_slope=None):
    """``mygrad.nnet.leaky_relu(x, slope)``: the slope has no default (policy field
    ``leaky_relu_default_slope``), so none given is none passed."""
    if negative_slope is None:
        return mygrad.nnet.leaky_relu(x)
    return mygrad.nnet.leaky_relu(x, negative_slope)


def clip(x, x_min=None, x_max=None):
    return mygrad.clip(x, x_min, x_max)


def cast(x, dtype):
    """``Tensor.astype``: a new tensor that is not part of the graph (MyGrad's casts are not
    differentiable)."""
    return x.astype(numpy.dtype(dtype))


def broadcast_to(x, shape):
    return mygrad.broadcast_to(x, tuple(shape))


def matmul(a, b):
    return mygrad.matmul(a, b)


def dot(a, b):
    """mygrad has no dot: ``mygrad.matmul`` of two 1-D tensors is the inner product."""
    return mygrad.matmul(a, b)


def sum(x, axis=None, keepdims=False):
    return mygrad.sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return mygrad.mean(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    return mygrad.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return mygrad.min(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=None):
    return mygrad.argmax(x, axis=axis)


def argmin(x, axis=None):
    return mygrad.argmin(x, axis=axis)


def reshape(x, shape):
    return mygrad.reshape(x, tuple(shape))


def transpose(x, axes=None):
    return mygrad.transpose(x) if axes is None else mygrad.transpose(x, *axes)


def permute(x, dims):
    return mygrad.transpose(x, *dims)


def swapaxes(x, axis1, axis2):
    return mygrad.swapaxes(x, axis1, axis2)


def squeeze(x, axis=None):
    return mygrad.squeeze(x, axis=axis)


def expand_dims(x, axis):
    return mygrad.expand_dims(x, axis)


def unsqueeze(x, axis):
    return mygrad.expand_dims(x, axis)


def concat(xs, axis=None):
    return mygrad.concatenate(list(xs)) if axis is None else mygrad.concatenate(list(xs), axis=axis)


def cat(xs, axis=None):
    return mygrad.concatenate(list(xs)) if axis is None else mygrad.concatenate(list(xs), axis=axis)


def stack(xs, axis=0):
    return mygrad.stack(list(xs), axis=axis)


def getitem(x, key):
    return x[key]


def where(condition, x, y):
    return mygrad.where(condition, x, y)


def softmax(x, axis=None):
    return mygrad.nnet.softmax(x) if axis is None else mygrad.nnet.softmax(x, axis=axis)


def log_softmax(x, axis=None):
    return mygrad.nnet.logsoftmax(x) if axis is None else mygrad.nnet.logsoftmax(x, axis=axis)
