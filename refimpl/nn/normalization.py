"""Normalisation layers: batch normalisation with running statistics, layer and group
normalisation, and the mapping between torch's and chainer's constructors.

=================================  ============================================  ==============================================
refimpl                            torch                                         chainer
=================================  ============================================  ==============================================
``BatchNormalization(size)``       ``nn.BatchNorm1d/2d(size)``                   ``L.BatchNormalization(size)``
``eps=None``                       1e-5 (policy ``batch_norm_eps``)              2e-5
``average=a``                      ``momentum=a``: weight of the batch           ``decay=a``: weight of the running average
                                   (policy ``batch_norm_average_argument``)
``affine=False``                   ``affine=False``                              ``use_gamma=False, use_beta=False``
``layer(x, train=True)``           ``layer.train(); layer(x)``                   ``with using_config('train', True): layer(x)``
``layer(x, cumulative=True)``      ``momentum=None`` (cumulative average)        ``layer(x, finetune=True)``
``layer(x, train=False)``          ``layer.eval(); layer(x)``                    ``with using_config('train', False): layer(x)``
``LayerNormalization(size)``       ``nn.LayerNorm(size)``: eps 1e-5              ``L.LayerNormalization(size)``: eps 1e-6
                                   (policy ``layer_norm_layer_eps``)
``GroupNormalization(groups, C)``  ``nn.GroupNorm(groups, C)``                   ``L.GroupNormalization(groups, C)``
=================================  ============================================  ==============================================

A training step normalises with the batch mean and biased variance and folds the batch mean
and the *unbiased* variance (``n / (n - 1)`` times the biased one; chainer ``n / max(n - 1,
1)``) into the running averages; evaluation normalises with the running averages (which
start at mean 0, variance 1). Parameters start at gamma 1, beta 0 unless given.
"""
import numbers

import numpy

from .. import policies as _policies
from ..functions import normalization as F
from .module import Module, Parameter


def _size(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {name}={value!r}")
    return int(value)


def _parameter(name, given, shape, default, dtype):
    array = numpy.full(shape, default, dtype) if given is None else numpy.array(given, dtype)
    if array.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {name}.shape={array.shape}")
    return Parameter(array)


class _Affine(Module):
    """gamma (scale, 1) and beta (shift, 0) over ``shape``, or neither (``affine=False``)."""

    chainer_names = {"weight": "gamma", "bias": "beta"}

    def _setup_affine(self, affine, shape, initial_gamma, initial_beta, dtype):
        self._dtype = numpy.dtype(dtype)
        if affine:
            self.weight = _parameter("initial_gamma", initial_gamma, shape, 1, self._dtype)
            self.bias = _parameter("initial_beta", initial_beta, shape, 0, self._dtype)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    gamma = property(lambda self: self.weight, doc="chainer's name of ``weight``")
    beta = property(lambda self: self.bias, doc="chainer's name of ``bias``")


class BatchNormalization(_Affine):
    """Batch normalisation over every axis of ``x`` (N, C, ...) but the channel axis 1.

    Args:
        size: the number of channels C.
        eps: added to the variance; None: the policy's ``batch_norm_eps``.
        average: the running-average argument, read as the policy's
            ``batch_norm_average_argument`` says ('momentum': the batch's weight, torch;
            'decay': the running average's weight, chainer); None: 0.1 of the batch.
        affine: with gamma and beta.
    """

    def __init__(self, size, eps=None, average=None, affine=True, *, initial_gamma=None,
                 initial_beta=None, dtype=numpy.float32):
        super().__init__()
        policy = _policies.current()
        self.size = _size("size", size)
        self.eps = policy.batch_norm_eps if eps is None else float(eps)
        if average is None:
            self.batch_weight = 0.1
        elif policy.batch_norm_average_argument == "momentum":
            self.batch_weight = float(average)
        else:  # 'decay': the weight of the running average
            self.batch_weight = 1.0 - float(average)
        self._setup_affine(affine, (self.size,), initial_gamma, initial_beta, dtype)
        self.running_mean = numpy.zeros(self.size, self._dtype)
        self.running_var = numpy.ones(self.size, self._dtype)
        self.batches = 0  # training steps folded in (the cumulative average's count)

    avg_mean = property(lambda self: self.running_mean, doc="chainer's name")
    avg_var = property(lambda self: self.running_var, doc="chainer's name")

    def forward(self, x, train=True, cumulative=False):
        """Normalise ``x``: with the batch statistics, updating the running averages
        (``train``; ``cumulative``: their plain mean over every training step so far), or with
        the running averages."""
        if not train:
            return F.fixed_batch_normalization(x, self.weight, self.bias, self.running_mean,
                                               self.running_var, self.eps)
        y = F.batch_normalization(x, self.weight, self.bias, self.eps)
        mean, variance = F.batch_statistics(x)
        count = y.size // self.size
        unbiased = variance * (count / max(count - 1, 1))
        self.batches += 1
        weight = 1.0 / self.batches if cumulative else self.batch_weight
        self.running_mean = ((1 - weight) * self.running_mean + weight * mean).astype(self._dtype)
        self.running_var = ((1 - weight) * self.running_var
                            + weight * unbiased).astype(self._dtype)
        return y


class LayerNormalization(_Affine):
    """Layer normalisation over the last axis (of length ``size``); ``eps`` None: the
    policy's ``layer_norm_layer_eps`` (torch 1e-5, chainer 1e-6)."""

    def __init__(self, size, eps=None, *, initial_gamma=None, initial_beta=None,
                 dtype=numpy.float32):
        super().__init__()
        self.size = _size("size", size)
        self.eps = _policies.current().layer_norm_layer_eps if eps is None else float(eps)
        self._setup_affine(True, (self.size,), initial_gamma, initial_beta, dtype)

    def forward(self, x):
        return F.layer_normalization(x, self.weight, self.bias, self.eps)


class GroupNormalization(_Affine):
    """Group normalisation of ``x`` (N, size, ...) in ``groups`` groups (eps 1e-5 in both)."""

    def __init__(self, groups, size, eps=1e-5, *, initial_gamma=None, initial_beta=None,
                 dtype=numpy.float32):
        super().__init__()
        self.groups = _size("groups", groups)
        self.size = _size("size", size)
        self.eps = float(eps)
        self._setup_affine(True, (self.size,), initial_gamma, initial_beta, dtype)

    def forward(self, x):
        return F.group_normalization(x, self.groups, self.weight, self.bias, self.eps)
