"""Gradient clipping: pure functions on lists of gradient arrays, and torch's in-place API.

torch ``clip_grad_norm_``: the total norm is the p-norm of the per-gradient p-norms; every
gradient is multiplied by ``min(max_norm / (total_norm + 1e-6), 1)``, always (so a norm
equal to ``max_norm`` is still scaled, by ``max_norm / (max_norm + 1e-6)``).
chainer ``GradientClipping(threshold)``: the L2 norm only; ``rate = threshold / norm`` and
the gradients are scaled only when ``rate < 1`` (no 1e-6; a zero norm leaves them as they
are). See ``hooks.GradientClipping``.
"""
import math
import types
import warnings

import numpy

from .._backend import get_array_module
from ._validate import require_real

TORCH_CLIP_EPSILON = 1e-6  # torch/nn/utils/clip_grad.py: clip_coef = max_norm / (total_norm + 1e-6)


def vector_norm(array, norm_type):
    """``torch.linalg.vector_norm(array, norm_type)`` over all elements, as a 0-d array."""
    xp = get_array_module(array)
    magnitude = xp.abs(array).ravel()
    if norm_type == math.inf:
        norm = magnitude.max() if magnitude.size else 0               # max |x|
    elif norm_type == -math.inf:
        norm = magnitude.min()                                       # min |x|
    elif norm_type == 0:
        norm = xp.count_nonzero(magnitude)                           # number of nonzeros
    else:
        norm = xp.sum(magnitude ** norm_type) ** (1.0 / norm_type)  # (sum |x|^p)^(1/p)
    return xp.asarray(norm, dtype=array.dtype)


def total_norm(grads, norm_type=2.0):
    """torch's total norm: the ``norm_type``-norm of the vector of per-gradient norms."""
    if not grads:
        return None
    xp = get_array_module(*grads)
    norms = xp.stack([vector_norm(g, norm_type) for g in grads])
    return vector_norm(norms, norm_type)


def torch_clip_coef(norm, max_norm):
    """torch's scale factor ``min(max_norm / (norm + 1e-6), 1)``."""
    xp = get_array_module(norm)
    return xp.minimum(max_norm / (norm + TORCH_CLIP_EPSILON), 1.0)


def chainer_clip_rate(grads, threshold):
    """chainer GradientClipping's factor: ``threshold / ||g||_2``, or None when it is >= 1."""
    xp = get_array_module(*grads)
    squared_norm = sum(xp.dot(g.ravel(), g.ravel()) for g in grads)   # sum of g . g
    norm = xp.sqrt(squared_norm)
    if norm == 0:
        return None                                              # threshold / 0 = inf >= 1
    rate = threshold / norm
    return None if rate >= 1 else rate


def _as_parameter_list(parameters):
    """A list of parameters from one parameter or an iterable (warns on an empty generator)."""
    if hasattr(parameters, "data") and hasattr(parameters, "grad"):
        return [parameters]
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = list(parameters)
    if is_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      stacklevel=3)
    return parameters


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients in place so their total norm is at most ``max_norm`` (torch).

    ``total = ||(||g_1||_p, ..., ||g_n||_p)||_p`` over the parameters whose grad is not None;
    every such grad becomes ``g * min(max_norm / (total + 1e-6), 1)``. Returns ``total`` as a
    0-d array (``0.0`` when no parameter has a gradient).

    Args:
        parameters: a parameter or an iterable of them (anything with ``.data`` and ``.grad``).
        max_norm: the largest allowed total norm (not checked for sign, as in torch: a
            negative value flips the gradients).
        norm_type: p of the p-norm; ``math.inf`` for the max norm.
        error_if_nonfinite: raise RuntimeError when the total norm is nan or inf.

    chainer's ``GradientClipping`` differs: L2 only, no 1e-6, and no scaling when the norm
    is at most the threshold.
    """
    require_real("max_norm", max_norm)
    require_real("norm_type", norm_type)
    parameters = _as_parameter_list(parameters)
    norm_type = float(norm_type)
    with_grad = [p for p in parameters if p.grad is not None]
    norm = total_norm([p.grad for p in with_grad], norm_type)
    if norm is None:
        return numpy.asarray(0.0, dtype=numpy.float32)              # torch.tensor(0.0)
    xp = get_array_module(norm)
    if error_if_nonfinite and not bool(xp.isfinite(norm)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`")
    coef = torch_clip_coef(norm, float(max_norm))
    for p in with_grad:
        p.grad = p.grad * coef.astype(p.grad.dtype)
    return norm


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient to ``[-clip_value, clip_value]`` in place (torch).

    Computed as ``min(max(g, -clip_value), clip_value)``, torch's ``clamp_``: with a negative
    ``clip_value`` every element becomes ``clip_value``. Grads that are None are skipped.
    """
    require_real("clip_value", clip_value)
    clip_value = float(clip_value)
    for p in _as_parameter_list(parameters):
        if p.grad is not None:
            xp = get_array_module(p.grad)
            p.grad = xp.minimum(xp.maximum(p.grad, -clip_value), clip_value)
