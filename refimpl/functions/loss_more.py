"""More losses (issue 17): Huber / smooth L1, L1 and squared error, NLL, Gaussian NLL, KL
divergence, triplet, contrastive, hinge, cross-covariance and DeCov.

Each is a composition of refimpl ops, so first and second derivatives come for free (one
small Function, ``ClampForwardOnly``, models torch's clamp of the variance under
``no_grad``; chainer's triplet, cross_covariance and decov have chainer's hand-written
gradients, ``HandWrittenBackward``, which differ from the composite's only for non-finite
output gradients). Where one function exists in both frameworks with the same arguments but
other defaults, refimpl has one function whose default is a policy field:

================================  ===================================  ===============================
refimpl (policy field)            torch 2.13                           chainer 7.8.1
================================  ===================================  ===============================
``huber_loss``                    ``F.huber_loss`` ('mean')            ``F.huber_loss``
(``huber_loss_reduction``)                                             ('sum_along_second_axis')
``l1_loss`` (``l1_loss_           ``F.l1_loss`` ('mean')               ``F.absolute_error`` (none)
reduction``)
``gaussian_nll`` (``gaussian_     ``F.gaussian_nll_loss(x, mean,       ``F.gaussian_nll(x, mean,
nll_reduction``, ``gaussian_      exp(ln_var))`` ('mean', no           ln_var)`` ('sum', with the
nll_full``)                       constant)                            constant 0.5 log 2 pi)
``triplet`` (``triplet_           ``F.triplet_margin_loss`` (margin    ``F.triplet`` (margin 0.2,
distance``, ``triplet_margin``)   1, ``||a - p + 1e-6||_2``)           ``||a - p||^2``)
================================  ===================================  ===============================

One framework's own functions are named as it names them: torch ``smooth_l1_loss``
(``huber_loss(delta=beta) / beta``), ``nll_loss``, ``gaussian_nll_loss`` (variance, eps,
full), ``kl_div``, ``triplet_margin_loss``; chainer ``squared_error``,
``gaussian_kl_divergence``, ``contrastive``, ``hinge``, ``cross_covariance``, ``decov``.
Behaviour observed with torch 2.13.0 and chainer 7.8.1 (sources of both read, values run).
"""
import math

import numpy

from .. import _backend, policies as _semantics
from .._mode import no_grad
from ..function import Function
from ..variable import Variable
from ._util import HandWrittenBackward, OneProduct, as_variable
from .indexing import getitem, where
from .loss import (DivideByTotal, _check_torch_reduction, _constant_array,
                   _label_array, _picked_log_probability, _reduce, _require_float,
                   _torch_class_weight, _torch_targets, _zero_where_ignored)
from .math import abs as _abs, exp, log, sqrt
from .elementwise_math import minimum
from .activation import relu
from .arithmetic import pow as _pow
from .matmul import matmul
from .reduction import logsumexp, mean, sum as _sum
from .shape import concat, reshape, stack, transpose
from .softmax import log_softmax

#: refimpl's reduction names (torch's) and chainer's aliases for them.
_CHAINER_ALIASES = {"no": "none"}
HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


def _reduction(name, value, allowed):
    """``value`` (a chainer alias mapped to torch's name) checked against ``allowed``."""
    value = _CHAINER_ALIASES.get(value, value)
    if value not in allowed:
        raise ValueError(f"{value} is not a valid value for {name} ({name}={value!r}; "
                         f"expected one of {allowed})")
    return value


def _float_pair(x, t, names=("x", "t")):
    x, t = as_variable(x, names[0]), as_variable(t, names[1])
    _require_float(names[0], x)
    _require_float(names[1], t)
    if x.shape != t.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have one shape, got "
                         f"{names[0]}.shape={x.shape}, {names[1]}.shape={t.shape}")
    return x, t


def _constant_like(values, like):
    """A constant array of ``like``'s dtype on its device."""
    xp = _backend.get_array_module(like.data)
    return xp.asarray(values, dtype=like.dtype)


def _reduce_more(loss, reduction):
    """torch's reductions plus chainer's 'sum_along_second_axis'."""
    if reduction == "sum_along_second_axis":
        if loss.ndim < 2:
            raise ValueError(f"reduction='sum_along_second_axis' needs inputs of 2 or more "
                             f"dimensions, got shape {loss.shape}")
        return _sum(loss, axis=1)
    return _reduce(loss, reduction)


# --------------------------------------------------------------------------------------
# Huber, smooth L1, L1, squared error
# --------------------------------------------------------------------------------------

def huber_elements(difference, delta):
    """``0.5 d^2`` where ``|d| <= delta``, else ``delta (|d| - delta / 2)``."""
    magnitude = _abs(difference)
    inside = magnitude.data <= delta
    return where(inside, 0.5 * difference * difference, delta * (magnitude - 0.5 * delta))


def huber_loss(x, t, delta=1.0, reduction=None):
    """Huber loss of ``d = x - t``, reduced: torch ``F.huber_loss(input, target,
    reduction='mean', delta=1.0)``, chainer ``F.huber_loss(x, t, delta,
    reduce='sum_along_second_axis')``::

        l = 0.5 d^2            if |d| <= delta
            delta (|d| - delta / 2)   otherwise

    ``d l / d x = clip(d, -delta, delta)`` (both frameworks). ``reduction``: 'none' (chainer
    'no'), 'mean', 'sum' or 'sum_along_second_axis' (the sum over axis 1); None: the
    policy's ``huber_loss_reduction`` (torch 'mean', chainer 'sum_along_second_axis').
    Both x and t are differentiated.
    """
    x, t = _float_pair(x, t)
    if not delta > 0:
        raise ValueError(f"huber_loss needs delta > 0, got delta={delta!r}")
    if reduction is None:
        reduction = _semantics.current().huber_loss_reduction
    reduction = _reduction("reduction", reduction,
                           ("none", "mean", "sum", "sum_along_second_axis"))
    return _reduce_more(huber_elements(x - t, float(delta)), reduction)


def smooth_l1_loss(x, t, reduction="mean", beta=1.0):
    """torch ``F.smooth_l1_loss(input, target, reduction='mean', beta=1.0)``: Huber's loss
    divided by its delta, ``huber_loss(x, t, delta=beta) / beta``::

        l = 0.5 d^2 / beta     if |d| < beta
            |d| - beta / 2     otherwise

    so the slope outside is 1 (Huber's: delta). ``beta = 0`` is the L1 loss. Chainer has only
    ``F.huber_loss``: a port of ``smooth_l1_loss(x, t, beta=b)`` is ``F.huber_loss(x, t,
    delta=b, reduce='no') / b`` reduced as wanted.
    """
    x, t = _float_pair(x, t)
    _check_torch_reduction(reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta "
                           f"(beta={beta!r})")
    difference = x - t
    elements = _abs(difference) if beta == 0 else huber_elements(difference, float(beta)) * (
        1.0 / float(beta))
    return _reduce(elements, reduction)


def l1_loss(x, t, reduction=None):
    """``|x - t|``, reduced: torch ``F.l1_loss(input, target, reduction='mean')``, chainer
    ``F.absolute_error(x0, x1)`` (elementwise, no reduction). None: the policy's
    ``l1_loss_reduction`` (torch 'mean', chainer 'none'). At ``x == t`` the gradient is 0
    in both."""
    x, t = _float_pair(x, t)
    if reduction is None:
        reduction = _semantics.current().l1_loss_reduction
    _check_torch_reduction(reduction)
    return _reduce(_abs(x - t), reduction)


def squared_error(x, t):
    """chainer ``F.squared_error(x0, x1)``: ``(x - t) ** 2`` elementwise (torch
    ``F.mse_loss(reduction='none')``)."""
    x, t = _float_pair(x, t)
    difference = x - t
    return difference * difference


# --------------------------------------------------------------------------------------
# Negative log-likelihood
# --------------------------------------------------------------------------------------

def nll_loss(x, t, weight=None, ignore_index=-100, reduction="mean"):
    """torch ``F.nll_loss(input, target, weight=None, ignore_index=-100, reduction='mean')``
    on log-probabilities ``x`` of shape (N, C, d...) (or (C,) unbatched) and int64 labels
    (N, d...)::

        l_n = -w[t_n] x[n, t_n]   (0 where t_n == ignore_index)

    'mean' divides by the total weight of the counted labels (0/0 = nan when none counts,
    gradient 0), as ``softmax_cross_entropy``. Chainer has no nll_loss: ``-F.select_item(x,
    t)`` (the subject ``select_item``) reduced with ``F.mean`` is its port without weights.
    """
    x = as_variable(x, "x")
    _check_torch_reduction(reduction)
    labels = _label_array("t", t, x)
    _require_float("x", x)
    if x.ndim == 1:
        loss = nll_loss(reshape(x, (1,) + x.shape), labels[None], weight, ignore_index,
                        reduction)
        return reshape(loss, ()) if reduction == "none" else loss
    if x.ndim == 0:
        raise ValueError(f"nll_loss needs x of 1 or more dimensions, got x.shape={x.shape}")
    weight = None if weight is None else _torch_class_weight(weight, x)
    safe_labels, target_weight = _torch_targets(x, labels, weight, ignore_index)
    xp = _backend.get_array_module(x.data)
    loss = _zero_where_ignored(-_picked_log_probability(x, safe_labels) * target_weight, labels,
                               ignore_index)
    if reduction != "mean":
        return _reduce(loss, reduction)
    return DivideByTotal(xp.asarray(target_weight.sum()))(_sum(loss))


# --------------------------------------------------------------------------------------
# Gaussian negative log-likelihood and KL divergences
# --------------------------------------------------------------------------------------

def gaussian_nll(x, mean, ln_var, reduction=None):
    """Negative log-likelihood of ``x`` under ``N(mean, exp(ln_var))``, elementwise::

        l = 0.5 (ln_var + (x - mean)^2 exp(-ln_var)) [+ 0.5 log(2 pi)]

    chainer ``F.gaussian_nll(x, mean, ln_var, reduce='sum')`` (log-variance; the constant
    always included); torch ``F.gaussian_nll_loss(input, target, var, full=False,
    eps=1e-6, reduction='mean')`` with ``var = exp(ln_var)`` (the constant only with
    ``full=True``; see ``gaussian_nll_loss``). The constant is added where the policy's
    ``gaussian_nll_full`` is True; None for ``reduction``: the policy's
    ``gaussian_nll_reduction`` (torch 'mean', chainer 'sum'). All three are differentiated.
    """
    x, mean = _float_pair(x, mean, ("x", "mean"))
    x, ln_var = _float_pair(x, ln_var, ("x", "ln_var"))
    policy = _semantics.current()
    reduction = _reduction("reduction", policy.gaussian_nll_reduction if reduction is None
                           else reduction, ("none", "mean", "sum"))
    difference = x - mean
    loss = 0.5 * (ln_var + difference * difference * exp(-ln_var))
    if policy.gaussian_nll_full:
        loss = loss + HALF_LOG_TWO_PI
    return _reduce(loss, reduction)


class ClampForwardOnly(Function):
    """``max(x, low)`` whose gradient is the identity: torch's ``var = var.clone(); with
    torch.no_grad(): var.clamp_(min=eps)`` (the clone's node passes every gradient)."""
    saves_tensors = False

    def __init__(self, low):
        self.low = low

    def forward(self, x):
        xp = _backend.get_array_module(x)
        return xp.maximum(x, x.dtype.type(self.low))

    def backward(self, gy):
        return gy


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """torch ``F.gaussian_nll_loss(input, target, var, full=False, eps=1e-6,
    reduction='mean')``, ``var`` of the input's shape::

        v = max(var, eps)   (its gradient as if not clamped: torch clamps under no_grad)
        l = 0.5 (log v + (input - target)^2 / v) [+ 0.5 log(2 pi) if full]

    Every input is differentiated. torch raises ValueError('var has negative entry/entries')
    for a negative ``var``; refimpl too.
    """
    input, target = _float_pair(input, target, ("input", "target"))
    input, var = _float_pair(input, var, ("input", "var"))
    _check_torch_reduction(reduction)
    if bool((var.data < 0).any()):
        raise ValueError("var has negative entry/entries")
    clamped = ClampForwardOnly(float(eps))(var)
    difference = input - target
    loss = 0.5 * (log(clamped) + difference * difference / clamped)
    if full:
        loss = loss + HALF_LOG_TWO_PI
    return _reduce(loss, reduction)


def gaussian_kl_divergence(mean, ln_var, reduce="sum"):
    """chainer ``F.gaussian_kl_divergence(mean, ln_var, reduce='sum')``: KL(N(mean,
    exp(ln_var)) || N(0, 1)) elementwise, ``0.5 (mean^2 + exp(ln_var) - ln_var - 1)``;
    'sum', 'mean' or 'no'. torch.nn.functional has no counterpart
    (``torch.distributions.kl_divergence`` of two Normal distributions computes it)."""
    mean, ln_var = _float_pair(mean, ln_var, ("mean", "ln_var"))
    if reduce not in ("sum", "mean", "no"):
        raise ValueError(f"only 'sum', 'mean' and 'no' are valid for 'reduce', but "
                         f"'{reduce}' is given")
    loss = 0.5 * (mean * mean + exp(ln_var) - ln_var - 1.0)
    return _reduce(loss, _CHAINER_ALIASES.get(reduce, reduce))


class _XLogY(Function):
    """torch's ``xlogy(x, y)``: ``x log y``, and 0 where x == 0 (unless y is NaN); its
    gradients are torch's, ``gy * xlogy(x != 0, y)`` in x and ``gy * x / y`` in y (NaN at
    x == y == 0)."""

    def forward(self, x, y):
        xp = _backend.get_array_module(x)
        with numpy.errstate(divide="ignore", invalid="ignore"):  # log(0), 0 * -inf: replaced
            return xp.where((x == 0) & ~xp.isnan(y), x.dtype.type(0), x * xp.log(y))

    def backward(self, gy):
        x, y = self.inputs
        nonzero = Variable._constant(_constant_like(x.data != 0, x))
        return (gy * _XLogY()(nonzero, y) if x.requires_grad else None,
                gy * x / y if y.requires_grad else None)


def kl_div(input, target, reduction="mean", log_target=False):
    """torch ``F.kl_div(input, target, reduction='mean', log_target=False)``: ``input`` holds
    log-probabilities; elementwise ``xlogy(target, target) - target * input`` (torch's
    composite: 0 where target == 0, where its target gradient is NaN), or
    ``exp(target) (target - input)`` with ``log_target``. 'batchmean' divides the sum by
    ``input.shape[0]``; 'mean' by the number of elements (torch warns that this is not the
    KL divergence). Both inputs are differentiated. Chainer has no counterpart."""
    input, target = _float_pair(input, target, ("input", "target"))
    _reduction("reduction", reduction, ("none", "mean", "sum", "batchmean"))
    if log_target:
        loss = exp(target) * (target - input)
    else:  # torch's composite, whose target gradient is NaN where target == 0 (0 / 0)
        loss = _XLogY()(target, target) - target * input
    if reduction == "batchmean":
        return _sum(loss) * (1.0 / input.shape[0]) if input.ndim else _sum(loss)
    return _reduce(loss, reduction)


# --------------------------------------------------------------------------------------
# Metric losses: triplet, contrastive
# --------------------------------------------------------------------------------------

def _pairwise_distance(a, b, p, eps):
    """torch's ``pairwise_distance(a, b, p, eps)``: ``||a - b + eps||_p`` over the last axis."""
    difference = a - b + eps
    if p == 2:
        return sqrt(_sum(difference * difference, axis=-1))
    return _pow(_sum(_pow(_abs(difference), float(p)), axis=-1), 1.0 / p)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        reduction="mean"):
    """torch ``F.triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6,
    swap=False, reduction='mean')`` on (N, D) inputs::

        l_n = max(d(a_n, p_n) - d(a_n, n_n) + margin, 0),   d(u, v) = ||u - v + eps||_p

    (``swap``: ``d(a, n)`` becomes ``min(d(a, n), d(p, n))``). Distances, not their squares,
    and eps added to the difference (chainer's ``F.triplet``: squared distances, no eps).
    """
    anchor, positive = _float_pair(anchor, positive, ("anchor", "positive"))
    anchor, negative = _float_pair(anchor, negative, ("anchor", "negative"))
    _check_torch_reduction(reduction)
    if not margin > 0:
        raise ValueError(f"triplet_margin_loss: expected margin to be greater than 0, got "
                         f"margin={margin!r}")
    positive_distance = _pairwise_distance(anchor, positive, p, eps)
    negative_distance = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        negative_distance = minimum(negative_distance,
                                    _pairwise_distance(positive, negative, p, eps))
    return _reduce(relu(positive_distance - negative_distance + float(margin)), reduction)


def triplet(anchor, positive, negative, margin=None, reduce="mean"):
    """The triplet loss on (N, D) inputs under the policy: ``triplet_distance`` 'squared'
    (chainer ``F.triplet(anchor, positive, negative, margin=0.2, reduce='mean')``:
    ``max(||a - p||^2 - ||a - n||^2 + margin, 0)``) or 'pairwise' (torch
    ``F.triplet_margin_loss`` with p=2, eps=1e-6: ``max(||a - p + eps|| - ||a - n + eps|| +
    margin, 0)``); ``margin`` None: the policy's ``triplet_margin`` (torch 1.0, chainer 0.2).
    ``reduce``: 'mean' or 'no' (per sample).

    chainer's gradient (``Triplet.backward``, chainer 7.8.1 chainer/functions/loss/triplet.py)
    is one product per input: with ``s = 2 g m`` (``g = gy / N`` for 'mean', ``gy[:, None]``
    for 'no'; ``m`` 1 where the hinge is positive, else 0, multiplied, so an infinite or NaN
    gy gives NaN on the inactive rows), ``s (n - p)`` for the anchor, ``s (p - a)`` for the
    positive and ``s (a - n)`` for the negative: an infinite gy meets each difference once,
    where the composite's anchor gradient ``2 g (a - p) - 2 g (a - n)`` gives inf - inf."""
    policy = _semantics.current()
    margin = policy.triplet_margin if margin is None else margin
    reduction = _reduction("reduce", reduce, ("none", "mean"))
    if policy.triplet_distance == "pairwise":
        return triplet_margin_loss(anchor, positive, negative, margin, reduction=reduction)
    anchor, positive = _float_pair(anchor, positive, ("anchor", "positive"))
    anchor, negative = _float_pair(anchor, negative, ("anchor", "negative"))
    if not margin > 0:
        raise ValueError(f"margin should be positive value (margin={margin!r})")
    if anchor.ndim != 2 or anchor.shape[0] == 0:
        raise ValueError(f"triplet needs (N, D) inputs with N > 0, got anchor.shape="
                         f"{anchor.shape}")
    margin = float(margin)

    def hinge_input(a, p, n):  # ||a - p||^2 - ||a - n||^2 + margin, per sample
        to_positive, to_negative = a - p, a - n
        return _sum(to_positive * to_positive - to_negative * to_negative, axis=1) + margin

    def value(a, p, n):
        return _reduce(relu(hinge_input(a, p, n)), reduction)

    def gradients(gy, a, p, n):
        with no_grad():
            active = hinge_input(a, p, n).data > 0
        active = Variable._constant(active.astype(a.dtype)[:, None])
        g = gy / a.shape[0] if reduction == "mean" else reshape(gy, (a.shape[0], 1))
        scale = 2 * g * active
        return scale * (n - p), scale * (p - a), scale * (a - n)

    return HandWrittenBackward(value, gradients)(anchor, positive, negative)


def _binary_labels(name, y, like):
    labels = _label_array(name, y, like)
    if labels.dtype.kind != "i":
        raise TypeError(f"{name} must hold signed integer labels, got {name}.dtype={labels.dtype}")
    return labels


def contrastive(x0, x1, y, margin=1, reduce="mean"):
    """chainer ``F.contrastive(x0, x1, y, margin=1, reduce='mean')`` on (N, K) inputs and
    integer labels y (N,) in {0, 1}, with ``d_n = ||x0_n - x1_n||_2``::

        l_n = 0.5 (y_n d_n^2 + (1 - y_n) max(margin - d_n, 0)^2)

    'mean' is ``sum_n l_n / N``; 'no' returns ``l``. x0 and x1 are differentiated.
    torch.nn.functional has no contrastive loss."""
    x0, x1 = _float_pair(x0, x1, ("x0", "x1"))
    if x0.ndim != 2 or x0.shape[0] == 0:
        raise ValueError(f"contrastive needs (N, K) inputs with N > 0, got x0.shape={x0.shape}")
    labels = _binary_labels("y", y, x0)
    if labels.shape != x0.shape[:1]:
        raise ValueError(f"y must have shape ({x0.shape[0]},), got y.shape={labels.shape}")
    if not margin > 0:
        raise ValueError(f"margin should be positive value (margin={margin!r})")
    similar = _constant_like(labels, x0)
    difference = x0 - x1
    squared = _sum(difference * difference, axis=1)
    apart = relu(float(margin) - sqrt(squared))
    loss = 0.5 * (squared * similar + apart * apart * (1 - similar))
    if reduce == "mean":
        return _sum(loss) * (1.0 / x0.shape[0])
    if reduce != "no":
        raise ValueError(f"only 'mean' and 'no' are valid for 'reduce', but '{reduce}' is given")
    return loss


def hinge(x, t, norm="L1", reduce="mean"):
    """chainer ``F.hinge(x, t, norm='L1', reduce='mean')`` on scores (N, K) and integer labels
    (N,): with ``s_nk = -1`` for the true class and ``+1`` otherwise::

        l_nk = max(0, 1 + s_nk x_nk)         (norm 'L1'; squared for 'L2')

    'mean' is ``sum(l) / N`` (over the batch, summed over classes); 'no' returns ``l``.
    torch's ``multi_margin_loss`` is another formula (a margin between the true class's
    score and each other's, divided by K), so this has no torch counterpart."""
    x = as_variable(x, "x")
    _require_float("x", x)
    labels = _binary_labels("t", t, x)
    if x.ndim != 2 or labels.shape != x.shape[:1]:
        raise ValueError(f"hinge needs x of shape (N, K) and t of shape (N,), got x.shape="
                         f"{x.shape}, t.shape={labels.shape}")
    if norm not in ("L1", "L2"):
        raise NotImplementedError(f"norm should be either 'L1' or 'L2' (norm={norm!r})")
    if reduce not in ("mean", "no"):
        raise ValueError(f"only 'mean' and 'no' are valid for 'reduce', but '{reduce}' is given")
    xp = _backend.get_array_module(x.data)
    true_class = xp.arange(x.shape[1])[None, :] == labels[:, None]
    sign = _constant_like(xp.where(true_class, -1.0, 1.0), x)
    margin = relu(1.0 + x * sign)
    loss = margin if norm == "L1" else margin * margin
    if reduce == "no":
        return loss
    return _sum(loss) * (1.0 / x.shape[0])


def multi_margin_loss(x, t, p=1, margin=1.0, weight=None, reduction="mean"):
    """torch ``F.multi_margin_loss(input, target, p=1, margin=1.0, weight=None,
    reduction='mean')`` on scores (N, C) and int64 labels (N,)::

        l_n = sum_{i != t_n} w[t_n] max(0, margin - x[n, t_n] + x[n, i])^p / C

    (torch 2.13 multiplies by the class weight after the power, as written here; its
    documentation puts ``w`` inside). p is 1 or 2. Chainer's ``F.hinge`` is another formula
    (``max(0, 1 -+ x[n, k])`` for every class k, summed, over N)."""
    x = as_variable(x, "x")
    _require_float("x", x)
    _check_torch_reduction(reduction)
    labels = _label_array("t", t, x).astype(numpy.int64)
    if x.ndim != 2 or labels.shape != x.shape[:1]:
        raise ValueError(f"multi_margin_loss needs x of shape (N, C) and t of shape (N,), got "
                         f"x.shape={x.shape}, t.shape={labels.shape}")
    if p not in (1, 2):
        raise ValueError(f"only p == 1 and p == 2 supported, got p={p!r}")
    xp = _backend.get_array_module(x.data)
    classes = x.shape[1]
    if bool(((labels < 0) | (labels >= classes)).any()):
        raise IndexError(f"target out of range: t={labels.tolist()} for {classes} classes")
    is_target = xp.arange(classes)[None, :] == labels[:, None]
    others = _constant_like(~is_target, x)
    rows = xp.arange(x.shape[0])
    if weight is not None:
        weight = reshape(_constant_array("weight", weight, x, x.dtype)[labels], (-1, 1))

    def margins(x):  # margin - x[n, t_n] + x[n, i]
        return float(margin) - reshape(getitem(x, (rows, labels)), (-1, 1)) + x

    def value(x):
        violation = relu(margins(x))
        terms = violation if p == 1 else violation * violation
        if weight is not None:
            terms = terms * weight
        loss = _sum(terms * others, axis=1) * (1.0 / classes)
        return reshape(loss, (-1, 1)) if reduction == "none" else _reduce(loss, reduction)

    def derivative(x):
        # torch's multi_margin_loss_backward: h = g (p 1) or 2 g z (p 2), times w[t], where
        # z > 0 off the target, 0 elsewhere; the target's entry is -sum(h). g = 1 / (N C)
        # for 'mean', 1 / C otherwise, in x's dtype.
        g = x.dtype.type(1.0 / (x.shape[0] * classes if reduction == "mean" else classes))
        z = margins(x)
        h = z * (2 * g) if p == 2 else Variable._constant(xp.full(x.shape, g, dtype=x.dtype))
        if weight is not None:
            h = h * weight
        h = where((z.data > 0) & ~is_target, h, x.dtype.type(0))
        return where(is_target, -_sum(h, axis=1, keepdims=True), h)

    # One product per element with the output gradient, as torch's kernel (``grad_input *=
    # grad_output``): an infinite or NaN output gradient meets each local derivative once.
    loss = OneProduct(value, derivative)(x)
    return reshape(loss, (-1,)) if reduction == "none" else loss


# --------------------------------------------------------------------------------------
# Covariance penalties
# --------------------------------------------------------------------------------------

def _centered(v):
    return v - mean(v, axis=0, keepdims=True)


def _check_covariance_reduce(reduce):
    if reduce not in ("half_squared_sum", "no"):
        raise ValueError(f"only 'half_squared_sum' and 'no' are valid for 'reduce', but "
                         f"'{reduce}' is given")


def _half_squared_sum(matrix, reduce):
    return 0.5 * _sum(matrix * matrix) if reduce == "half_squared_sum" else matrix


def cross_covariance(y, z, reduce="half_squared_sum"):
    """chainer ``F.cross_covariance(y, z, reduce='half_squared_sum')`` on (N, A) and (N, B):
    ``C = (y - mean_0 y)^T (z - mean_0 z) / N``; 'half_squared_sum' gives ``0.5 sum C^2``,
    'no' gives C. Both are differentiated. torch has no counterpart.

    The gradient is chainer's (``CrossCovariance.backward``, chainer 7.8.1
    chainer/functions/loss/cross_covariance.py), with ``yc``, ``zc`` the centred inputs and
    ``g = gy / N``: 'half_squared_sum' ``(zc C^T) g`` and ``(yc C) g`` (one product with the
    scalar g), 'no' ``zc g^T`` and ``yc g``. The gradient is not centred again (the
    composite's centring subtracts a column mean that is 0 for finite g, but NaN where the
    column holds an infinity: inf - inf)."""
    y, z = as_variable(y, "y"), as_variable(z, "z")
    _require_float("y", y)
    _require_float("z", z)
    if y.ndim != 2 or z.ndim != 2 or y.shape[0] != z.shape[0] or y.dtype != z.dtype:
        raise ValueError(f"cross_covariance needs (N, A) and (N, B) inputs of one dtype, got "
                         f"y {y.dtype} {y.shape}, z {z.dtype} {z.shape}")
    _check_covariance_reduce(reduce)
    n = y.shape[0]

    def value(y, z):
        return _half_squared_sum(matmul(transpose(_centered(y)), _centered(z)) / n, reduce)

    def gradients(gy, y, z):
        y_centered, z_centered, g = _centered(y), _centered(z), gy / n
        if reduce == "no":
            return matmul(z_centered, transpose(g)), matmul(y_centered, g)
        covariance = matmul(transpose(y_centered), z_centered) / n
        return (matmul(z_centered, transpose(covariance)) * g,
                matmul(y_centered, covariance) * g)

    return HandWrittenBackward(value, gradients)(y, z)


def decov(h, reduce="half_squared_sum"):
    """chainer ``F.decov(h, reduce='half_squared_sum')`` (Cogswell et al. 2016) on (N, K):
    ``C = (h - mean_0 h)^T (h - mean_0 h) / N`` with its diagonal set to 0;
    'half_squared_sum' gives ``0.5 sum C^2``, 'no' gives C. torch has no counterpart.

    The gradient is chainer's (``DeCov.backward``, chainer 7.8.1
    chainer/functions/loss/decov.py), with ``hc`` the centred input and ``g = gy / N``:
    'half_squared_sum' ``(2 hc C) g`` (one product with the scalar g), 'no' ``hc (g' +
    g'^T)`` with ``g'`` = g with its diagonal set to 0 (selected: a NaN or infinite gy on the
    diagonal leaves no trace), not centred again (see ``cross_covariance``)."""
    h = as_variable(h, "h")
    _require_float("h", h)
    if h.ndim != 2:
        raise ValueError(f"decov needs h of shape (N, K), got h.shape={h.shape}")
    _check_covariance_reduce(reduce)
    xp = _backend.get_array_module(h.data)
    n, off_diagonal = h.shape[0], ~xp.eye(h.shape[1], dtype=bool)

    def covariance(h):
        centered = _centered(h)
        return matmul(transpose(centered), centered) * _constant_like(off_diagonal, h) / n

    def gradients(gy, h):
        g = gy / n
        if reduce == "no":
            g = where(off_diagonal, g, g.dtype.type(0))
            return (matmul(_centered(h), g + transpose(g)),)
        return (2.0 * matmul(_centered(h), covariance(h)) * g,)

    return HandWrittenBackward(lambda h: _half_squared_sum(covariance(h), reduce),
                               gradients)(h)


# --------------------------------------------------------------------------------------
# Connectionist temporal classification
# --------------------------------------------------------------------------------------

def _ctc_lengths(name, value, batch, xp):
    lengths = xp.asarray(value.data if isinstance(value, Variable) else value)
    if lengths.dtype.kind not in "iu" or lengths.shape != (batch,):
        raise ValueError(f"ctc_loss needs {name} of {batch} integers, got {name}={value!r}")
    return lengths.astype(numpy.int64)


def ctc_loss(x, t, input_length, label_length, blank=0, reduction="mean"):
    """The CTC loss ``-log p(t_b | x_b)`` (Graves et al. 2006) of activations ``x`` (T, B, C)
    (log_softmax over C is taken here, as chainer's
    ``F.connectionist_temporal_classification(x, t, blank_symbol, input_length,
    label_length, reduce='mean')``; torch's ``F.ctc_loss(log_probs, targets, input_lengths,
    target_lengths, blank=0, reduction='mean')`` takes the log-probabilities) against padded
    labels ``t`` (B, L): the sum over alignments by the forward (alpha) recursion in log
    space over the extended label (blank, t_1, blank, ..., t_L, blank), one step per frame,
    frames past ``input_length[b]`` leaving sample b's alpha unchanged.

    ``reduction``: 'none' (chainer 'no'), 'sum', or 'mean', whose normalisation is the
    policy's ``ctc_mean_normalisation``: 'target_length' (torch: each loss divided by its
    target length, at least 1, then the batch mean) or 'batch' (chainer: the batch mean).
    Impossible alignments give about 1e10 (chainer's zero padding; torch: inf). Only x is
    differentiated; the recursion is refimpl ops, so its gradient is exact (torch and chainer
    compute it with the alpha-beta formula and have no double backward)."""
    x = as_variable(x, "x")
    _require_float("x", x)
    if x.ndim != 3:
        raise ValueError(f"ctc_loss needs x of shape (T, B, C), got x.shape={x.shape}")
    reduction = _reduction("reduction", reduction, ("none", "mean", "sum"))
    xp = _backend.get_array_module(x.data)
    steps, batch, classes = x.shape
    labels = _label_array("t", t, x).astype(numpy.int64)
    if labels.ndim != 2 or labels.shape[0] != batch:
        raise ValueError(f"ctc_loss needs t of shape (B, L) with B={batch}, got "
                         f"t.shape={labels.shape}")
    frames = _ctc_lengths("input_length", input_length, batch, xp)
    lengths = _ctc_lengths("label_length", label_length, batch, xp)
    if not 0 <= blank < classes:
        raise ValueError(f"ctc_loss needs 0 <= blank < {classes}, got blank={blank!r}")
    if bool((frames > steps).any() or (frames < 1).any() or (lengths > labels.shape[1]).any()
            or (lengths < 0).any()):
        raise ValueError(f"ctc_loss: input_length must lie in [1, {steps}] and label_length in "
                         f"[0, {labels.shape[1]}], got input_length={frames.tolist()}, "
                         f"label_length={lengths.tolist()}")
    width = 2 * labels.shape[1] + 1
    extended = xp.full((batch, width), blank, dtype=numpy.int64)
    extended[:, 1::2] = labels
    position = xp.arange(width)[None, :]
    previous2 = xp.concatenate([xp.full((batch, 2), -1), extended[:, :-2]], axis=1)
    skip = (extended != blank) & (extended != previous2) & (position >= 2)
    unreachable = x.dtype.type(-1e4 if x.dtype == numpy.float16 else -1e10)
    floor = xp.full((batch, width), unreachable, dtype=x.dtype)
    rows = xp.arange(batch)[:, None]
    log_probability = log_softmax(x, axis=2)

    def emitted(step):
        return getitem(log_probability, (step, rows, extended))  # (B, S)

    alpha = where((position <= 1) & (position < 2 * lengths[:, None] + 1), emitted(0), floor)
    for step in range(1, steps):
        padded = concat([xp.full((batch, 2), unreachable, dtype=x.dtype), alpha], axis=1)
        candidates = stack([alpha, padded[:, 1:width + 1], where(skip, padded[:, :width], floor)])
        updated = logsumexp(candidates, axis=0) + emitted(step)
        alpha = where((step < frames)[:, None] & xp.ones((1, width), dtype=bool), updated, alpha)
    batch_index = xp.arange(batch)
    last = getitem(alpha, (batch_index, 2 * lengths))
    before_last = where(lengths >= 1, getitem(alpha, (batch_index, xp.maximum(2 * lengths - 1,
                                                                              0))),
                        floor[:, 0])
    loss = -logsumexp(stack([last, before_last]), axis=0)
    if reduction == "mean" and _semantics.current().ctc_mean_normalisation == "target_length":
        loss = loss * (1.0 / xp.maximum(lengths, 1)).astype(x.dtype)
    return _reduce(loss, reduction)


__all__ = ["contrastive", "ctc_loss", "cross_covariance", "decov", "gaussian_kl_divergence",
           "gaussian_nll", "gaussian_nll_loss", "hinge", "huber_loss", "kl_div", "l1_loss",
           "multi_margin_loss",
           "nll_loss", "smooth_l1_loss", "squared_error", "triplet", "triplet_margin_loss"]
