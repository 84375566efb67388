"""refimpl's ops. Each is differentiable to any order (its backward uses these same ops)."""
from ..variable import Variable as _Variable
from .activation import clip, leaky_relu, relu
from .arithmetic import add, cast, convert, div, mul, neg, pow, sub
from .broadcast import broadcast_to, sum_to
from .conv import conv2d, conv_transpose2d, convolution_2d, deconvolution_2d
from .indexing import getitem, where
from .linear import linear
from .loss import (binary_cross_entropy_with_logits, chainer_softmax_cross_entropy,
                   mean_squared_error, mse_loss, sigmoid_cross_entropy, softmax_cross_entropy)
from .math import abs, cos, exp, log, sigmoid, sin, sqrt, tanh
from .matmul import dot, matmul
from .pooling import average_pooling_2d, avg_pool2d, max_pool2d, max_pooling_2d
from .reduction import argmax, argmin, logsumexp, max, mean, min, sum, topk
from .shape import (cat, concat, expand_dims, permute, reshape, split, squeeze, stack,
                    swapaxes, transpose, unsqueeze)
from .rnn import chainer_lstm, lstm_cell, rnn_relu_cell, rnn_tanh_cell  # sequences: rnn.rnn, rnn.lstm
from .softmax import log_softmax, softmax
from . import activation_more, elementwise_math, shape_more
from .activation_more import *  # noqa: F401,F403 (elu, selu, softplus, hard_sigmoid, ...)
from .elementwise_math import *  # noqa: F401,F403 (log1p, erf, maximum, lerp, ...)
from .shape_more import *  # noqa: F401,F403 (prod, cumsum, flip, tile, einsum, ...)
from . import loss_more, shape_ops2  # losses and shape/maths ops (issue 17)
from .loss_more import *  # noqa: F401,F403 (huber_loss, triplet, decov, ...)
from .shape_ops2 import *  # noqa: F401,F403 (pad, normalize, depth2space, im2col, ...)
from .normalization import (  # normalisation and regularisation (issue 17)
    batch_normalization, dropout, embed_id, fixed_batch_normalization, group_normalization,
    layer_normalization, local_response_normalization)

from .conv_more import (  # layers: 1-D/3-D and depthwise convolution (issue 17)
    conv1d, conv3d, convolution_1d, convolution_3d, depthwise_conv2d, depthwise_convolution_2d)
from .gru import gru_cell  # layers: the GRU cell (issue 17; the sequence: gru.gru)
from .layers_more import bilinear, maxout, prelu  # layers (issue 17)
__all__ = [  # the elementwise, reduction, shape, indexing, matmul and softmax ops
    "abs", "add", "argmax", "argmin", "broadcast_to", "cast", "cat", "clip", "concat", "cos",
    "div", "dot", "exp", "expand_dims", "getitem", "leaky_relu", "log", "log_softmax",
    "logsumexp", "matmul", "max", "mean", "min", "mul", "neg", "permute", "pow", "relu",
    "reshape", "sigmoid", "sin", "softmax", "split", "sqrt", "squeeze", "stack", "sub", "sum",
    "sum_to", "swapaxes", "tanh", "topk", "transpose", "unsqueeze", "where",
]

__all__ += activation_more.__all__ + elementwise_math.__all__ + shape_more.__all__
__all__ += shape_ops2.__all__  # shape/maths ops (issue 17)

#: The ops, each described by the conformance op registry.
OPS = list(__all__)

__all__ += [  # layer-level functions: convolution, pooling, linear, losses, recurrent cells
    "average_pooling_2d", "avg_pool2d", "binary_cross_entropy_with_logits", "chainer_lstm",
    "chainer_softmax_cross_entropy", "conv2d", "conv_transpose2d", "convolution_2d",
    "deconvolution_2d", "linear", "lstm_cell", "max_pool2d", "max_pooling_2d",
    "mean_squared_error", "mse_loss", "rnn_relu_cell", "rnn_tanh_cell",
    "sigmoid_cross_entropy", "softmax_cross_entropy",
]

__all__ += [  # layer-level functions: normalisation and regularisation (issue 17)
    "batch_normalization", "dropout", "embed_id", "fixed_batch_normalization",
    "group_normalization", "layer_normalization", "local_response_normalization",
]

__all__ += [  # layer-level functions: convolutions, PReLU, Maxout, Bilinear, GRU (issue 17)
    "bilinear", "conv1d", "conv3d", "convolution_1d", "convolution_3d", "depthwise_conv2d",
    "depthwise_convolution_2d", "gru_cell", "maxout", "prelu",
]

__all__ += loss_more.__all__  # layer-level functions: more losses (issue 17)

#: Layer-level functions; the conformance layer drivers describe them.
LAYER_FUNCTIONS = __all__[len(OPS):]


def _install_operators():
    """Give Variable its Python operators and array-style methods."""

    def swap(function):
        return lambda self, other: function(other, self)

    _Variable.__add__ = add
    _Variable.__radd__ = swap(add)
    _Variable.__sub__ = sub
    _Variable.__rsub__ = swap(sub)
    _Variable.__mul__ = mul
    _Variable.__rmul__ = swap(mul)
    _Variable.__truediv__ = div
    _Variable.__rtruediv__ = swap(div)
    _Variable.__pow__ = pow
    _Variable.__rpow__ = swap(pow)
    _Variable.__neg__ = neg
    _Variable.__matmul__ = matmul
    _Variable.__rmatmul__ = swap(matmul)
    _Variable.__getitem__ = getitem
    _Variable.__abs__ = abs
    _Variable.astype = cast
    _Variable._astype = convert
    _Variable.reshape = reshape
    _Variable.transpose = lambda self, *axes: transpose(
        self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else (axes or None))
    _Variable.T = property(lambda self: transpose(self))
    _Variable.sum = lambda self, axis=None, keepdims=False: sum(self, axis, keepdims)
    _Variable.mean = lambda self, axis=None, keepdims=False: mean(self, axis, keepdims)
    _Variable.exp = exp
    _Variable.log = log


_install_operators()
