"""Normalisation and regularisation: batch, layer, group and local response normalisation,
dropout and embedding lookup.

Each function is a composition of refimpl's differentiable ops (mean, sqrt, getitem, where,
...), so its gradient, and the gradient of its gradient, come from theirs (the batch, layer
and group normalisations' gradients: see below): exact, readable, vectorised. Where the
frameworks differ the active policy decides (``refimpl.policies``):

======================================  =====================================  ========================================
refimpl                                 torch                                  chainer
======================================  =====================================  ========================================
``batch_normalization(x, g, b, eps)``   ``F.batch_norm(x, None, None, g, b,    ``F.batch_normalization(x, g, b, eps)``
                                        training=True, eps=eps)``
  eps default (``batch_norm_eps``)      1e-5                                   2e-5
  one value per channel                 ValueError (``norm_single_value``)     computed (output beta)
``fixed_batch_normalization(x, g, b,    ``F.batch_norm(x, mean, var, g, b,     ``F.fixed_batch_normalization(x, g, b,
mean, var, eps)``                       training=False, eps=eps)``             mean, var, eps)``
``layer_normalization(x, g, b, eps,     ``F.layer_norm(x, x.shape[-n:], g, b,  ``F.layer_normalization(x, g, b, eps)``
normalized_ndim=n)``                    eps)``                                 (2-D x only)
  gradient (``layer_norm_gradient``)    'moments': from uncentred sums         'composite': chainer functions
``group_normalization(x, groups, g, b,  ``F.group_norm(x, groups, g, b, eps)`` ``F.group_normalization(x, groups, g, b,
eps)``                                                                         eps)``
  gradient (``group_norm_gradient``)    'moments': from uncentred sums         'centred': from x - mean
``local_response_normalization(x, n,    ``F.local_response_norm(x, size=n,     ``F.local_response_normalization(x, n, k,
k, alpha, beta)``                       alpha, beta, k)``: alpha / n, a        alpha, beta)``: alpha, a window of
                                        window of n channels, k=1              2 (n // 2) + 1 channels, k=2
``dropout(x, ratio, train)``            ``F.dropout(x, p, training)``          ``F.dropout(x, ratio)`` under
                                                                               ``chainer.using_config('train', train)``
``embed_id(x, W, ignore_label)``        ``F.embedding(x, W, padding_idx)``:    ``F.embed_id(x, W, ignore_label)``:
                                        the row is used, its gradient 0        zeros for the label, no gradient
======================================  =====================================  ========================================

Batch, layer and group normalisation's gradients are written out as the frameworks' backward
kernels compute them (``_normalization``, refimpl ops too): sums of the output gradient per
channel, row or group, then one expression per element, so that infinite and NaN output
gradients give the frameworks' inf/NaN patterns; their values are the composite's gradients.
"""
import contextlib
import contextvars
import numbers

import numpy

from .. import _backend, policies as _semantics
from ..variable import Variable
from ._util import HandWrittenBackward, argument_error, as_variable, float_input
from .indexing import getitem, where
from .math import sqrt
from .reduction import mean, sum as _sum
from .shape import concat, reshape

__all__ = ["batch_normalization", "dropout", "embed_id", "fixed_batch_normalization",
           "group_normalization", "layer_normalization", "local_response_normalization"]


# =============================================================================================
# Helpers
# =============================================================================================

def _eps(eps, default, name):
    """``eps`` (``default`` when None), checked to be a non-negative number."""
    eps = default if eps is None else eps
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps >= 0:
        raise ValueError(f"{name}: eps must be a non-negative number, got eps={eps!r}")
    return float(eps)


def _channel_shape(x, name):
    """The broadcast shape (1, C, 1, ...) of a per-channel vector for ``x`` (N, C, ...)."""
    if x.ndim < 2:
        raise argument_error("shape", f"{name} needs x of at least 2 axes (N, C, ...), got "
                                      f"x.shape={x.shape}", name)
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _affine(y, gamma, beta, features, shape, name):
    """``y * gamma + beta``: ``gamma``/``beta`` (each may be None) of the normalised features'
    shape ``features``, broadcast as ``shape``."""
    for label, value in (("gamma", gamma), ("beta", beta)):
        if value is not None and tuple(value.shape) != tuple(features):
            raise argument_error("shape", f"{name}: {label}.shape={tuple(value.shape)}, "
                                          f"expected {tuple(features)}", name)
    if gamma is not None:
        y = y * reshape(as_variable(gamma, "gamma"), shape)
    if beta is not None:
        y = y + reshape(as_variable(beta, "beta"), shape)
    return y


def _normalize(x, axes, eps):
    """``(x - mean) / sqrt(var + eps)`` over ``axes`` with the biased variance, and the batch
    mean and biased variance (keepdims)."""
    centred = x - mean(x, axes, keepdims=True)
    variance = mean(centred * centred, axes, keepdims=True)
    return centred / sqrt(variance + eps), variance


def _normalization(x, gamma, beta, value, view, axes, outer, eps, form):
    """``value(x, gamma, beta)`` (the composite) with the gradients of the frameworks'
    backward kernels (``HandWrittenBackward``): they sum the output gradient per channel or
    group once, then form each element's gradient from those sums, so an infinite or NaN
    output gradient reaches each element through a few terms (inf of either sign, or NaN
    where terms of both signs meet), where the composite's gradient would carry it through
    every mean (the whole channel NaN).

    In ``view`` (x's shape, or group normalisation's (N, G, C // G, spatial size)) the
    statistics are over ``axes``, and gamma/beta (of the other axes' sizes) broadcast over the
    axes ``outer``, which their gradients sum over. ``form``: the formulas of the gradient in
    x and in gamma, 'centred' or 'moments' each:

    - 'centred' (torch's batch_norm_backward; chainer's BatchNormalizationGrad and group
      normalisation's _XHatGrad): with g = gy * gamma and x_hat = (x - mean) / std,
      ``gx = (g - mean(g) - x_hat * mean(g * x_hat)) / std``; ``ggamma = sum(gy * x_hat)``.
    - 'moments' (torch's layer_norm and group_norm CPU kernels): from the uncentred sums
      ``ds = sum(g * x)`` and ``db = sum(g)``, ``gx = g / std + b * x + c`` with ``b = (db *
      mean - ds) / (n std^3)`` and ``c = -b * mean - db / (n std)``; group_norm's ggamma is
      the sum over N of ``(ds_c - db_c * mean) / std``, ``ds_c``/``db_c`` the sums of
      ``gy * x``/``gy`` per channel. Their non-finite entries are taken from this form (the
      terms that meet there follow the signs of x and mean, not of x - mean), the finite ones
      from the centred form: the same values, without the cancellation of ``b * x + c`` (by
      which torch loses float32 precision, a known issue).
    """
    params = tuple(1 if i in outer else size for i, size in enumerate(view))
    count = int(numpy.prod([view[i] for i in axes]))
    inner = tuple(i for i in axes if i in outer)  # the axes of one channel's values

    def gradient(gy, x, gamma, beta):
        shape, x, gy = x.shape, reshape(x, view), reshape(gy, view)
        xp = _backend.get_array_module(x.data)
        average = mean(x, axes, keepdims=True)
        centred = x - average
        std = sqrt(mean(centred * centred, axes, keepdims=True) + eps)
        normalized = centred / std
        g = gy if gamma is None else gy * reshape(gamma, params)
        gx = (g - mean(g, axes, keepdims=True)
              - normalized * mean(g * normalized, axes, keepdims=True)) / std
        if form[0] == "moments":
            ds, db = _sum(g * x, axes, keepdims=True), _sum(g, axes, keepdims=True)
            b = (db * average - ds) / (std * std * std) / count
            moments = g / std + b * x + (-b * average - db / std / count)
            gx = where(xp.isfinite(moments.data), gx, moments)
        ggamma = None
        if gamma is not None:
            ggamma = _sum(gy * normalized, outer)
            if form[1] == "moments":
                per_channel = _sum((_sum(gy * x, inner, keepdims=True)
                                    - _sum(gy, inner, keepdims=True) * average) / std, outer)
                ggamma = where(xp.isfinite(per_channel.data), ggamma, per_channel)
            ggamma = reshape(ggamma, gamma.shape)
        gbeta = None if beta is None else reshape(_sum(gy, outer), beta.shape)
        return reshape(gx, shape), ggamma, gbeta

    def unpacked(x, *present):  # (x, gamma or None, beta or None)
        present = iter(present)
        return (x,) + tuple(None if p is None else next(present) for p in (gamma, beta))

    def gradients(gy, *inputs):
        pairs = zip(unpacked(*inputs), gradient(gy, *unpacked(*inputs)))
        return [g for v, g in pairs if v is not None]

    present = [as_variable(p, label) for p, label in ((gamma, "gamma"), (beta, "beta"))
               if p is not None]
    return HandWrittenBackward(lambda *inputs: value(*unpacked(*inputs)), gradients)(
        x, *present)


def _check_several_values(count, shape, name):
    """Under ``norm_single_value='raise'`` (torch) a statistic over one value raises ValueError,
    as torch's ``_verify_batch_size``."""
    if count == 1 and _semantics.current().norm_single_value == "raise":
        raise ValueError(f"{name}: expected more than 1 value per channel when training, got "
                         f"input size {tuple(shape)}")


# =============================================================================================
# Batch normalisation
# =============================================================================================

def batch_normalization(x, gamma=None, beta=None, eps=None):
    """Training-mode batch normalisation of ``x`` (N, C, ...) over every axis but 1:
    ``(x - mean) / sqrt(var + eps) * gamma + beta`` with the batch mean and biased variance.

    ``gamma``/``beta``: (C,) or None (no scale / no shift: torch ``affine=False``, chainer
    ``use_gamma=False``/``use_beta=False``). ``eps`` None: the policy's ``batch_norm_eps``
    (torch 1e-5, chainer 2e-5). One value per channel (N * prod(spatial) == 1) follows
    ``norm_single_value``.
    """
    x = float_input(x, "batch_normalization")
    shape = _channel_shape(x, "batch_normalization")
    axes = (0,) + tuple(range(2, x.ndim))
    _check_several_values(x.size // max(x.shape[1], 1) if x.shape[1] else 0, x.shape,
                          "batch_normalization")
    eps = _eps(eps, _semantics.current().batch_norm_eps, "batch_normalization")

    def value(x, gamma, beta):
        normalized, _ = _normalize(x, axes, eps)
        return _affine(normalized, gamma, beta, (x.shape[1],), shape, "batch_normalization")
    # torch's batch_norm_backward and chainer's BatchNormalizationGrad: the centred form
    return _normalization(x, gamma, beta, value, x.shape, axes, axes, eps,
                          ("centred", "centred"))


def batch_statistics(x):
    """(mean, biased variance) of ``x`` (N, C, ...) per channel, as arrays (no graph): what
    a training step folds into the running averages."""
    data = as_variable(x).data
    axes = (0,) + tuple(range(2, data.ndim))
    return data.mean(axis=axes), data.var(axis=axes)


def fixed_batch_normalization(x, gamma, beta, mean, var, eps=None):
    """Evaluation-mode batch normalisation with given statistics ``mean``/``var`` (C,):
    ``(x - mean) / sqrt(var + eps) * gamma + beta``; ``eps`` None: ``batch_norm_eps``."""
    x = float_input(x, "fixed_batch_normalization")
    shape = _channel_shape(x, "fixed_batch_normalization")
    eps = _eps(eps, _semantics.current().batch_norm_eps, "fixed_batch_normalization")
    statistics = []
    for label, value in (("mean", mean), ("var", var)):
        value = as_variable(value, label)
        if tuple(value.shape) != (x.shape[1],):
            raise argument_error("shape", f"fixed_batch_normalization: {label}.shape="
                                          f"{tuple(value.shape)}, expected ({x.shape[1]},)",
                                 "fixed_batch_normalization")
        statistics.append(reshape(value, shape))
    normalized = (x - statistics[0]) / sqrt(statistics[1] + eps)
    return _affine(normalized, gamma, beta, (x.shape[1],), shape,
                   "fixed_batch_normalization")


# =============================================================================================
# Layer and group normalisation
# =============================================================================================

def layer_normalization(x, gamma=None, beta=None, eps=1e-5, normalized_ndim=1):
    """Normalise ``x`` over its last ``normalized_ndim`` axes (biased variance), then
    ``* gamma + beta`` (each of the normalised shape, or None). The functions' eps default is
    1e-5 in both frameworks (the layers' differ: ``layer_norm_layer_eps``)."""
    x = float_input(x, "layer_normalization")
    if isinstance(normalized_ndim, bool) or not isinstance(normalized_ndim, numbers.Integral) \
            or not 1 <= normalized_ndim <= x.ndim:
        raise argument_error("shape", f"layer_normalization: normalized_ndim must be in [1, "
                                      f"x.ndim={x.ndim}], got normalized_ndim={normalized_ndim!r}",
                             "layer_normalization")
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    eps = _eps(eps, 1e-5, "layer_normalization")
    shape = (1,) * (x.ndim - normalized_ndim) + tuple(x.shape[x.ndim - normalized_ndim:])

    def value(x, gamma, beta):
        normalized, _ = _normalize(x, axes, eps)
        return _affine(normalized, gamma, beta, shape[x.ndim - normalized_ndim:], shape,
                       "layer_normalization")
    if _semantics.current().layer_norm_gradient == "composite":
        return value(x, gamma, beta)  # chainer's LayerNormalization.backward: its composite
    # torch's layer_norm kernel: dx in the moments form, dgamma = sum(gy (rstd x - rstd mean)),
    # the centred form. Not modelled: where x == mean, torch's FMA-contracted rstd x - rstd mean
    # is a rounding residue (not 0), and a row's mean of 0 is a Welford residue there.
    return _normalization(x, gamma, beta, value, x.shape, axes,
                          tuple(range(x.ndim - normalized_ndim)), eps, ("moments", "centred"))


def group_normalization(x, groups, gamma=None, beta=None, eps=1e-5):
    """Group normalisation of ``x`` (N, C, ...): the C channels in ``groups`` groups, each
    sample's group normalised over its channels and spatial axes, then a per-channel
    ``* gamma + beta``. A group of one value follows ``norm_single_value``; the fewest axes
    ``group_norm_min_ndim`` (2; chainer 5.4.0: 3)."""
    x = float_input(x, "group_normalization")
    shape = _channel_shape(x, "group_normalization")
    least = _semantics.current().group_norm_min_ndim
    if x.ndim < least:
        raise ValueError(f"group_normalization needs x of at least {least} axes (policy "
                         f"group_norm_min_ndim), got x.shape={x.shape}")
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups <= 0 \
            or x.shape[1] % groups:
        raise argument_error("value", f"group_normalization: the number of channels "
                                      f"{x.shape[1]} is not divisible by groups={groups!r}",
                             "group_normalization")
    spatial = int(numpy.prod(x.shape[2:]))
    _check_several_values(x.shape[1] // groups * spatial, x.shape, "group_normalization")
    eps = _eps(eps, 1e-5, "group_normalization")

    def value(x, gamma, beta):
        grouped = reshape(x, (x.shape[0], groups, -1))
        normalized, _ = _normalize(grouped, (2,), eps)
        return _affine(reshape(normalized, x.shape), gamma, beta, (x.shape[1],), shape,
                       "group_normalization")
    view = (x.shape[0], groups, x.shape[1] // groups, spatial)
    form = _semantics.current().group_norm_gradient  # torch: moments; chainer: centred
    return _normalization(x, gamma, beta, value, view, (2, 3), (0, 3), eps, (form, form))


# =============================================================================================
# Local response normalisation
# =============================================================================================

def local_response_normalization(x, n=5, k=None, alpha=1e-4, beta=0.75):
    """``x / (k + a * sum over a channel window of x^2) ^ beta`` for ``x`` (N, C, ...).

    The policy maps the parameters (torch's and chainer's take the same names and differ in
    meaning): ``a`` is ``alpha / n`` where ``lrn_alpha_over_size`` (torch) else ``alpha``
    (chainer); the window of channel c is c - n // 2 .. c + (n - 1) // 2 (``lrn_window``
    'size': n channels, torch) or c - n // 2 .. c + n // 2 ('symmetric': n + 1 channels for an
    even n, chainer; there n = 0 is channel c alone, while torch rejects it); ``k`` None:
    ``lrn_k`` (torch 1, chainer 2); the least ``x.ndim`` is ``lrn_min_ndim`` (torch 3,
    chainer 2).
    """
    policy = _semantics.current()
    x = float_input(x, "local_response_normalization")
    if x.ndim < policy.lrn_min_ndim:
        raise argument_error("shape", f"local_response_normalization needs x of at least "
                                      f"{policy.lrn_min_ndim} axes, got x.shape={x.shape}",
                             "local_response_normalization")
    least = 1 if policy.lrn_window == "size" else 0  # chainer's n=0 sums channel c alone
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < least:
        raise argument_error("value", f"local_response_normalization: n must be an integer >= "
                                      f"{least}, got n={n!r}", "local_response_normalization")
    k = policy.lrn_k if k is None else k
    scale = alpha / n if policy.lrn_alpha_over_size else alpha  # n >= 1 where it divides
    before = n // 2
    after = (n - 1) // 2 if policy.lrn_window == "size" else n // 2
    squares = x * x
    xp = _backend.get_array_module(x.data)
    pieces = [squares]
    if before:
        pieces.insert(0, Variable._constant(xp.zeros((x.shape[0], before) + x.shape[2:], x.dtype)))
    if after:
        pieces.append(Variable._constant(xp.zeros((x.shape[0], after) + x.shape[2:], x.dtype)))
    padded = concat(pieces, axis=1) if len(pieces) > 1 else squares
    channels = x.shape[1]
    window = None  # a loop over the window's offsets (n of them), not over elements
    for offset in range(before + after + 1):
        part = getitem(padded, (slice(None), slice(offset, offset + channels)))
        window = part if window is None else window + part
    return x / (window * scale + k) ** beta


# =============================================================================================
# Dropout
# =============================================================================================

_train = contextvars.ContextVar("refimpl_train_mode", default=True)


@contextlib.contextmanager
def train_mode(mode):
    """Context manager setting the global training mode (chainer's
    ``chainer.using_config('train', mode)``); True outside any. Where the policy's
    ``dropout_train_default`` is 'global_train_mode', a dropout not told whether it trains
    reads it."""
    token = _train.set(bool(mode))
    try:
        yield
    finally:
        _train.reset(token)


def dropout(x, ratio=0.5, train=None, rng=None):
    """Inverted dropout: in training, each element is kept with probability ``1 - ratio`` and
    scaled by ``1 / (1 - ratio)``, else zeroed; the gradient flows through the kept elements
    with the same scale. Out of training ``x`` itself is returned (both frameworks return
    their input). ``train`` None follows ``dropout_train_default`` (torch: training;
    chainer: the global mode, ``train_mode``). ``ratio`` 1 follows ``dropout_ratio_one``
    (torch: zeros; chainer: ValueError). ``rng``: an int seed or ``numpy.random.Generator``
    for the mask.
    """
    x = as_variable(x)
    if train is None:
        train = (_train.get() if _semantics.current().dropout_train_default
                 == "global_train_mode" else True)
    if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real) or not 0 <= ratio <= 1:
        raise ValueError(f"dropout: ratio must be in [0, 1], got ratio={ratio!r}")
    if not train:
        return x
    float_input(x, "dropout")
    xp = _backend.get_array_module(x.data)
    if ratio == 1:
        if _semantics.current().dropout_ratio_one == "raise":
            raise ValueError(f"dropout: ratio must be in [0, 1) (chainer's dropout_ratio), got "
                             f"ratio={ratio!r}")
        return x * Variable._constant(xp.zeros((), x.dtype))
    generator = rng if isinstance(rng, numpy.random.Generator) else numpy.random.default_rng(rng)
    keep = generator.random(x.shape) >= ratio
    scale = numpy.asarray(keep, dtype=x.dtype) * x.dtype.type(1.0 / (1.0 - ratio))
    return x * Variable._constant(xp.asarray(scale))


# =============================================================================================
# Embedding
# =============================================================================================

def embed_id(x, W, ignore_label=None):
    """Rows of ``W`` (n, d) at the integer ids ``x`` (any shape): (x.shape + (d,)).

    ``ignore_label`` (chainer) / ``padding_idx`` (torch) follows ``embed_ignore_label``:
    'zero_output' (chainer): ids equal to it give zeros and no gradient; 'zero_grad' (torch):
    the row is looked up as any other, but gets no gradient (a negative label counts from
    the end, as torch's ``padding_idx``). Negative ids follow ``embed_negative_index``
    ('raise': IndexError, torch; 'wrap': counted from the end, chainer's NumPy indexing).
    """
    if isinstance(x, Variable):
        x = x.data
    W = float_input(W, "embed_id")
    xp = _backend.get_array_module(W.data)
    ids = xp.asarray(x)
    if ids.dtype.kind not in "iu":
        raise argument_error("dtype", f"embed_id needs integer ids, got x.dtype={ids.dtype}",
                             "EmbedID")
    if W.ndim != 2:
        raise argument_error("shape", f"embed_id needs W of 2 axes, got W.shape={W.shape}",
                             "EmbedID")
    policy = _semantics.current()
    rows = W.shape[0]
    ignored = None
    if ignore_label is not None:
        label = int(ignore_label)
        if policy.embed_ignore_label == "zero_grad":
            if not -rows <= label < rows:
                raise argument_error("index", f"embed_id: padding index ignore_label={label} is "
                                              f"out of range for {rows} rows", "EmbedID")
            label %= rows
        ignored = ids == label
    lookup = ids
    if ignored is not None and policy.embed_ignore_label == "zero_output":
        lookup = xp.where(ignored, 0, ids)
    low = -rows if policy.embed_negative_index == "wrap" else 0
    if lookup.size and (int(lookup.min()) < low or int(lookup.max()) >= rows):
        raise IndexError(f"embed_id: an id in x is out of range for {rows} rows (ids from "
                         f"{int(lookup.min())} to {int(lookup.max())})")
    y = getitem(W, lookup)
    if ignored is None or not ignored.any():
        return y
    mask = ignored[..., None]
    if policy.embed_ignore_label == "zero_output":
        return where(mask, Variable._constant(xp.zeros((), W.dtype)), y)
    return where(mask, Variable._constant(W.data[lookup]), y)
