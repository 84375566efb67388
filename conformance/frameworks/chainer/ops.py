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


# --- more elementwise maths (refimpl/functions/elementwise_math.py); reciprocal, arcsinh,
# arccosh: absent (the plugin's ops_absent) ---------------------------------------------------

def log1p(x):
    return F.log1p(x)


def expm1(x):
    return F.expm1(x)


def log2(x):
    return F.log2(x)


def log10(x):
    return F.log10(x)


def square(x):
    return F.square(x)


def rsqrt(x):
    return F.rsqrt(x)


def tan(x):
    return F.tan(x)


def arcsin(x):
    return F.arcsin(x)


def arccos(x):
    return F.arccos(x)


def arctan(x):
    return F.arctan(x)


def sinh(x):
    return F.sinh(x)


def cosh(x):
    return F.cosh(x)


def arctanh(x):
    return F.arctanh(x)


def erf(x):
    return F.erf(x)


def erfc(x):
    return F.erfc(x)


def erfinv(x):
    return F.erfinv(x)


def lgamma(x):
    return F.lgamma(x)


def digamma(x):
    return F.digamma(x)


def polygamma(n, x):
    return F.polygamma(x.xp.asarray(n, dtype=numpy.int32), x)


def floor(x):
    return F.floor(x)


def ceil(x):
    return F.ceil(x)


def sign(x):
    return F.sign(x)


def maximum(a, b):
    return F.maximum(a, b)


def minimum(a, b):
    return F.minimum(a, b)


def fmod(a, b):
    return F.fmod(a, b)


def arctan2(a, b):
    return F.arctan2(a, b)


def lerp(start, end, weight):
    """F.linear_interpolate(p, x, y) = p x + (1 - p) y: torch.lerp(start, end, weight) is
    linear_interpolate(weight, end, start)."""
    return F.linear_interpolate(weight, end, start)


# --- more reductions, shapes and products (refimpl/functions/shape_more.py) ------------------

def prod(x, axis=None, keepdims=False):
    return F.prod(x, axis=axis, keepdims=keepdims)


def cumsum(x, axis=None):
    return F.cumsum(x, axis=axis)


def cumprod(x, axis=None):
    return F.cumprod(x, axis=axis)


def flip(x, axis):
    return F.flip(x, axis)


def tile(x, reps):
    return F.tile(x, reps)


def repeat(x, repeats, axis=None):
    return F.repeat(x, repeats, axis=axis)


def flatten(x):
    return F.flatten(x)


def moveaxis(x, source, destination):
    return F.moveaxis(x, source, destination)


def tensordot(a, b, axes=2):
    return F.tensordot(a, b, axes=axes)


def einsum(operands, subscripts):
    return F.einsum(subscripts, *operands)


def bmm(a, b):
    """F.batch_matmul takes float32 only (InvalidType 'a.dtype == float32' otherwise) and is
    deprecated in chainer 7 for F.matmul, which multiplies batches of matrices in any float
    dtype: bound to F.matmul."""
    return F.matmul(a, b)


# --- more activations (refimpl/functions/activation_more.py); celu, hardtanh, log_sigmoid,
# softsign, tanhshrink: absent (the plugin's ops_absent) --------------------------------------

def elu(x, alpha=1.0):
    return F.elu(x, alpha=alpha)


def selu(x):
    return F.selu(x)


def softplus(x, beta=1.0):
    """F.softplus has no threshold (the plugin lacks the feature softplus_threshold)."""
    return F.softplus(x, beta=beta)


def hard_sigmoid(x):
    return F.hard_sigmoid(x)


def silu(x):
    """chainer has no silu: F.swish with beta = 1 of shape x.shape[1:], a Variable as its
    learnable parameter is (with a constant array beta, chainer 7.8.1's double backward
    raises AttributeError "'NoneType' object has no attribute 'reshape'")."""
    import chainer
    return F.swish(x, chainer.Variable(x.xp.ones(x.shape[1:], dtype=x.dtype)))


def relu6(x):
    return F.relu6(x)


def rrelu(x, lower=0.125, upper=1.0 / 3.0):
    import chainer
    with chainer.using_config("train", False):  # the mean slope; in training, random slopes
        return F.rrelu(x, l=lower, u=upper)


def crelu(x, axis=1):
    return F.crelu(x, axis=axis)


def clipped_relu(x, z=20.0):
    return F.clipped_relu(x, z=z)


from .ops_shape2 import *  # noqa: E402,F401,F403 (shape and maths ops, issue 17)
