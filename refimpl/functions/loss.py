"""Losses: mean squared error, sigmoid (binary) and softmax cross entropy.

Each is a composition of refimpl ops (so first and second derivatives come for free) plus two
small Functions where numerics demand one: ``Softplus`` (a stable ``log(1 + exp(x))`` whose
derivative is ``sigmoid`` everywhere, also at the kink of ``max(x, 0)``) and ``DivideByTotal``
(torch's mean over a total weight that may be 0); chainer's softmax_cross_entropy has its
hand-written gradient (``HandWrittenBackward``: one product with the output gradient, which
differs from the composite's only where that gradient is infinite or NaN). PyTorch's and
Chainer's variants differ in names, defaults and normalisation, so each framework's function
is its own public function here, named as the framework names it, with every argument
documented:

================================  ==============================================================
torch                             chainer
================================  ==============================================================
``mse_loss``                      ``mean_squared_error`` (and ``squared_error`` =
                                  ``mse_loss(..., reduction='none')``)
``binary_cross_entropy_with_      ``sigmoid_cross_entropy`` (integer labels, ignore label -1)
logits``
``softmax_cross_entropy``         ``chainer_softmax_cross_entropy``
(``F.cross_entropy``)
================================  ==============================================================

Behaviour observed with torch 2.13.0 and chainer 7.8.1 (``scripts/probe_losses_init.py``).
"""
import numbers
import warnings

import numpy

from .. import _backend, policies as _policies
from ..errors import InvalidType
from ..function import Function
from ..variable import Variable
from ._util import HandWrittenBackward, OneProduct, argument_error, as_variable
from .indexing import where
from .math import exp, sigmoid
from .reduction import GatherAlongAxis, mean, sum as _sum
from .shape import reshape
from .softmax import log_softmax

TORCH_REDUCTIONS = ("none", "mean", "sum")
CHAINER_REDUCTIONS = ("mean", "no")

CHAINER_DOUBLE_BACKPROP_MESSAGE = (
    "F.softmax_cross_entropy was called with 'enable_double_backprop=False' argument, but "
    "double-backprop is actually being performed. Please specify 'enable_double_backprop=True' "
    "explicitly.")


# --------------------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------------------

class Softplus(Function):
    """``log(1 + exp(x))`` computed as ``max(x, 0) + log1p(exp(-|x|))``; d/dx = sigmoid(x)."""

    def forward(self, x):
        xp = _backend.get_array_module(x)
        return xp.maximum(x, x.dtype.type(0)) + xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        return gy * sigmoid(self.inputs[0])


def softplus(x):
    """Elementwise ``log(1 + exp(x))``, stable for large ``|x|``."""
    return Softplus()(as_variable(x))


class DivideByTotal(Function):
    """``loss_sum / total`` for a constant 0-d array ``total`` (on the loss's device, so no
    value goes to the host); at ``total == 0`` the value is 0/0 = nan but the gradient is 0,
    as torch's nll_loss (no element carries any weight)."""
    saves_tensors = False

    def __init__(self, total):
        self.total = total

    def forward(self, loss_sum):
        xp = _backend.get_array_module(loss_sum, self.total)
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return xp.asarray(loss_sum / self.total.astype(loss_sum.dtype))

    def backward(self, gy):
        xp = _backend.get_array_module(self.total)
        total = self.total.astype(numpy.float64)
        nonzero = total != 0
        scale = xp.where(nonzero, 1.0 / xp.where(nonzero, total, 1.0), 0.0)  # 1/total, or 0
        return gy * Variable._constant(scale.astype(gy.dtype))


class FirstOrderOnly(Function):
    """Identity whose gradient cannot be differentiated again: models chainer's
    ``softmax_cross_entropy(enable_double_backprop=False)``."""
    saves_tensors = False

    def forward(self, x):
        return x.view()

    def backward(self, gy):
        return _RaiseOnBackward()(gy)


class _RaiseOnBackward(Function):
    """Identity that raises chainer's RuntimeError when differentiated."""
    saves_tensors = False

    def forward(self, gy):
        return gy.view()

    def backward(self, ggx):
        raise RuntimeError(CHAINER_DOUBLE_BACKPROP_MESSAGE)


# --------------------------------------------------------------------------------------
# Argument checks and reductions
# --------------------------------------------------------------------------------------

def _check_torch_reduction(reduction):
    if reduction not in TORCH_REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction (reduction="
                         f"{reduction!r}; expected one of {TORCH_REDUCTIONS})")


def _check_chainer_reduce(reduce):
    if reduce not in CHAINER_REDUCTIONS:
        raise ValueError(f"only 'mean' and 'no' are valid for 'reduce', but '{reduce}' is given")


def _reduce(loss, reduction):
    """torch's reductions: 'none' keeps the elements, 'sum' adds them, 'mean' averages."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return _sum(loss)
    return mean(loss)


def _require_float(name, variable):
    if variable.dtype.kind != "f":
        raise TypeError(f"{name} must have a floating-point dtype, got {name}.dtype="
                        f"{variable.dtype}")


def _on_device_of(name, value, like):
    """``value`` as an array on ``like``'s device: an array stays where it is (an array on
    another device raises DeviceMismatchError: refimpl never copies between devices behind
    the caller's back); numbers, lists and 0-d host arrays (scalars, as in
    ``get_array_module``) become arrays there."""
    if hasattr(value, "dtype") and hasattr(value, "shape") and (
            _backend.is_cupy_array(value) or len(value.shape) > 0):
        if _backend.is_cupy_array(value) != _backend.is_cupy_array(like.data):
            raise _backend.DeviceMismatchError(
                f"{name} is on another device than x: {name} is a {type(value).__module__}."
                f"{type(value).__name__}, x.data a {type(like.data).__module__}."
                f"{type(like.data).__name__}; move it explicitly")
        return value
    return _backend.get_array_module(like.data).asarray(value)


def _constant_array(name, value, like, dtype=None):
    """``value`` (array, number or Variable without grad) as an array on ``like``'s device,
    converted to ``dtype`` when given."""
    if isinstance(value, Variable):
        if value.requires_grad:
            raise RuntimeError(f"the loss is not differentiable with respect to argument "
                               f"'{name}' (torch raises this too); pass {name}.detach()")
        value = value.data
    xp = _backend.get_array_module(like.data)
    array = xp.asarray(_on_device_of(name, value, like), dtype=dtype)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got {name}.dtype={array.dtype}")
    return array


# --------------------------------------------------------------------------------------
# Mean squared error
# --------------------------------------------------------------------------------------

def mse_loss(x, t, reduction="mean", weight=None):
    """Squared error ``(x - t) ** 2``, reduced; torch ``F.mse_loss(input, target,
    size_average=None, reduce=None, reduction='mean', weight=None)``.

    Args:
        x, t: float Variables or arrays. Both are differentiated (torch differentiates the
            target too). Shapes that differ are broadcast with a UserWarning, as torch.
        reduction: 'mean' (default), 'sum' or 'none'.
        weight: optional constant of ``x``'s shape; the elements become ``weight * (x - t)**2``
            and 'mean' becomes ``sum(weight * (x - t)**2) / sum(weight)`` (torch 2.13).

    chainer ``F.mean_squared_error(x0, x1)`` is the 'mean' reduction with equal shapes and
    dtypes required (see ``mean_squared_error``); chainer ``F.squared_error(x0, x1)`` is
    'none'. Torch raises ValueError('... is not a valid value for reduction') and
    ValueError('Weights and input must have the same size.'); refimpl too.
    """
    x, t = as_variable(x, "x"), as_variable(t, "t")
    _check_torch_reduction(reduction)
    if x.shape != t.shape:
        warnings.warn(f"Using a target size ({t.shape}) that is different to the input size "
                      f"({x.shape}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=2)
    difference = x - t
    squared = difference * difference
    if weight is None:
        return _reduce(squared, reduction)
    weight = as_variable(weight, "weight")
    if weight.shape != x.shape:
        raise ValueError(f"Weights and input must have the same size. (weight.shape="
                         f"{weight.shape}, x.shape={x.shape})")
    weighted = squared * weight
    if reduction == "mean":
        return _sum(weighted) / _sum(weight)
    return _reduce(weighted, reduction)


def mean_squared_error(x0, x1):
    """chainer ``F.mean_squared_error(x0, x1)``: ``mean((x0 - x1) ** 2)`` over all elements.

    Both operands are differentiated. Chainer's type check requires float operands of one
    dtype and one shape (``InvalidType``: 'x0.dtype.kind == f', 'x0.dtype == x1.dtype',
    'x0.shape == x1.shape'); refimpl raises the same under every policy.
    """
    x0, x1 = as_variable(x0, "x0"), as_variable(x1, "x1")
    for expect, ok, actual in (
            ("x0.dtype.kind == f", x0.dtype.kind == "f", f"{x0.dtype.kind} != f"),
            ("x0.dtype == x1.dtype", x0.dtype == x1.dtype, f"{x0.dtype} != {x1.dtype}"),
            ("x0.shape == x1.shape", x0.shape == x1.shape, f"{x0.shape} != {x1.shape}")):
        if not ok:
            raise InvalidType(expect, actual, "MeanSquaredError")
    difference = x0 - x1
    return mean(difference * difference)


# --------------------------------------------------------------------------------------
# Sigmoid (binary) cross entropy
# --------------------------------------------------------------------------------------

def _binary_cross_entropy_elements(x, t, pos_weight=None):
    """``pos_weight * t * softplus(-x) + (1 - t) * softplus(x)``: two non-negative terms, no
    cancellation (for t in {0, 1} this is exact even where ``|x|`` is large). Its gradients
    are one product each (``OneProduct``), as torch's binary_cross_entropy_with_logits
    backward and chainer's SigmoidCrossEntropyGrad compute them: ``gy (sigmoid(x) - t)`` in x
    (``gy ((p t + 1 - t) sigmoid(x) - p t)`` with a pos_weight p), ``gy * -x`` in t
    (``gy (p softplus(-x) - softplus(x))``, i.e. log_sigmoid(-x) - p log_sigmoid(x), with p)."""
    def value(x, t):
        positive = t * softplus(-x)
        if pos_weight is not None:
            positive = positive * pos_weight
        return positive + (1 - t) * softplus(x)

    if pos_weight is None:
        return OneProduct(value, lambda x, t: sigmoid(x) - t, lambda x, t: -x)(
            x, as_variable(t, "t"))
    return OneProduct(value,
                      lambda x, t: (pos_weight * t + 1 - t) * sigmoid(x) - pos_weight * t,
                      lambda x, t: pos_weight * softplus(-x) - softplus(x))(
        x, as_variable(t, "t"))


def binary_cross_entropy_with_logits(x, t, reduction="mean", pos_weight=None, weight=None):
    """Sigmoid cross entropy on logits; torch ``F.binary_cross_entropy_with_logits(input,
    target, weight=None, size_average=None, reduce=None, reduction='mean', pos_weight=None)``.

    Elementwise, with ``p = pos_weight`` (1 when None) and ``w = weight`` (1 when None)::

        l = w * (p * t * softplus(-x) + (1 - t) * softplus(x))
          = w * (max(x, 0) - x t + log1p(exp(-|x|)))            (p = 1)

    where ``softplus(z) = max(z, 0) + log1p(exp(-|z|))``. Gradients: ``dl/dx = w * (sigmoid(x)
    (1 - t + p t) - p t)`` (``w (sigmoid(x) - t)`` for p = 1), and the target is differentiated
    too, ``dl/dt = w * (p softplus(-x) - softplus(x))`` (``-w x`` for p = 1), as torch.

    Args:
        x: float logits. t: float targets of ``x``'s shape (torch raises ValueError('Target
            size (...) must be the same as input size (...)') otherwise; refimpl too).
        reduction: 'mean' (over all elements, weighted or not), 'sum' or 'none'.
        pos_weight: constant weight of the positive term, broadcast against ``x`` (torch: one
            per class, along the last axis).
        weight: constant weight of each element, broadcast against ``x``.

    torch does not differentiate ``weight`` or ``pos_weight`` (a RuntimeError if one requires
    grad); refimpl raises RuntimeError for a Variable that requires grad there. Both are
    converted to ``x``'s dtype (torch: float64 weights with float32 logits give float32).
    Where torch computes ``(1 - t) x - log_sigmoid(x)``, its value cancels to 0 for t = 0 and
    x << 0 (x = -40 gives 0.0, the exact value is 4.2e-18); refimpl keeps the exact value.
    Chainer's counterpart is ``sigmoid_cross_entropy`` (integer labels, see there).
    """
    x, t = as_variable(x, "x"), as_variable(t, "t")
    _check_torch_reduction(reduction)
    _require_float("x", x)
    _require_float("t", t)
    if t.shape != x.shape:
        raise ValueError(f"Target size ({t.shape}) must be the same as input size ({x.shape})")
    if pos_weight is not None:
        pos_weight = _checked_broadcast(
            "pos_weight", _constant_array("pos_weight", pos_weight, x, x.dtype), x.shape)
    loss = _binary_cross_entropy_elements(x, t, pos_weight)
    if weight is not None:
        loss = loss * _checked_broadcast("weight", _constant_array("weight", weight, x, x.dtype),
                                         x.shape)
    return _reduce(loss, reduction)


def _checked_broadcast(name, array, shape):
    """``array`` after checking that it broadcasts to ``shape`` (torch: RuntimeError)."""
    try:
        result = numpy.broadcast_shapes(array.shape, shape)
    except ValueError:
        result = None
    if result != tuple(shape):
        raise RuntimeError(f"{name} of shape {array.shape} does not broadcast to the input "
                           f"shape {tuple(shape)}")
    return array


def sigmoid_cross_entropy(x, t, normalize=True, reduce="mean"):
    """chainer ``F.sigmoid_cross_entropy(x, t, normalize=True, reduce='mean')``.

    ``x``: float logits; ``t``: signed integer labels of ``x``'s shape, where ``-1`` marks an
    ignored element (the ignore label is fixed at -1). Elementwise loss, 0 where ignored::

        l = (t != -1) * (t * softplus(-x) + (1 - t) * softplus(x))

    ``reduce='no'`` returns the elements (``normalize`` is then unused); ``reduce='mean'``
    returns ``sum(l) / count`` with ``count = max(1, number of non-ignored elements)`` when
    ``normalize=True`` and ``count = max(1, len(x))`` (the size of the first axis, the batch
    size) when ``normalize=False``. So every label ignored gives 0, not nan (observed).
    Only ``x`` is differentiated; double backprop works (as chainer).

    Errors as chainer: ``InvalidType`` for a non-float ``x`` ('x.dtype.kind == f'), a label
    dtype that is not signed integer ('t.dtype.kind == i', unsigned included) or another
    shape ('x.shape == t.shape'); ValueError for another ``reduce``; TypeError ('len() of
    unsized object') for a 0-d ``x`` with ``normalize=False``.
    """
    x = as_variable(x, "x")
    labels = _label_array("t", t, x)
    _check_chainer_reduce(reduce)
    for expect, ok, actual in (
            ("x.dtype.kind == f", x.dtype.kind == "f", f"{x.dtype.kind} != f"),
            ("t.dtype.kind == i", labels.dtype.kind == "i", f"{labels.dtype.kind} != i"),
            ("x.shape == t.shape", x.shape == labels.shape, f"{x.shape} != {labels.shape}")):
        if not ok:
            raise InvalidType(expect, actual, "SigmoidCrossEntropy")
    xp = _backend.get_array_module(x.data)
    valid = labels != -1
    target = xp.where(valid, labels, 0).astype(x.dtype)
    loss = _binary_cross_entropy_elements(x, target) * valid.astype(x.dtype)
    if reduce == "no":
        return loss
    if normalize:
        count = valid.sum()  # stays on the device (no host sync)
    elif x.ndim == 0:
        raise TypeError("len() of unsized object (chainer's sigmoid_cross_entropy with "
                        "normalize=False needs x of 1 or more dimensions, got x.shape=())")
    else:
        count = x.shape[0]
    return _sum(loss) * _reciprocal_count(count, x)


def _reciprocal_count(count, like):
    """``1 / max(1, count)`` in ``like``'s dtype, as a constant on its device (``count`` an
    int or a 0-d integer array there): the same value as the Python float ``1.0 / count``."""
    xp = _backend.get_array_module(like.data)
    count = xp.maximum(xp.asarray(count, dtype=numpy.float64), 1.0)
    return Variable._constant((1.0 / count).astype(like.dtype))


def _label_array(name, t, like):
    """Labels as an array on ``like``'s device (a Variable gives its data: labels are never
    differentiated); labels on another device raise DeviceMismatchError."""
    if isinstance(t, Variable):
        t = t.data
    if hasattr(t, "dtype") and hasattr(t, "shape"):
        return _on_device_of(name, t, like)
    if isinstance(t, (numbers.Number, list, tuple)):
        return _backend.get_array_module(like.data).asarray(t)
    raise TypeError(f"{name} must be an array of labels, got {name}={t!r}")


# --------------------------------------------------------------------------------------
# Softmax cross entropy
# --------------------------------------------------------------------------------------

def _picked_log_probability(log_probability, labels):
    """``log_probability[n, labels[n, ...], ...]`` along the class axis 1 (labels in range)."""
    picked = GatherAlongAxis(labels[:, None], 1)(log_probability)
    return reshape(picked, labels.shape)


def _torch_labels_check(x, t):
    """Raise as torch's cross_entropy for class-index targets that do not fit ``x``."""
    if t.dtype.kind not in "iu" or (t.dtype.kind == "u" and t.dtype.itemsize != 1) or \
            (t.dtype.kind == "i" and t.dtype.itemsize != 8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got t.dtype={t.dtype}")
    if t.ndim != x.ndim - 1:
        raise RuntimeError(f"0D or 1D target tensor expected, multi-target not supported "
                           f"(x.shape={x.shape}, t.shape={t.shape})")
    if t.shape[:1] != x.shape[:1]:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target "
                         f"batch_size ({t.shape[0]}).")
    if t.shape[1:] != x.shape[2:]:
        raise RuntimeError(f"Expected target size {[x.shape[0], *x.shape[2:]]}, got "
                           f"{list(t.shape)}")


def _torch_class_weight(weight, x):
    """torch's ``weight``: one constant per class, x's dtype required."""
    weight = _constant_array("weight", weight, x)
    n_classes = x.shape[1]
    if weight.shape != (n_classes,):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")
    if weight.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {x.dtype} but found {weight.dtype} "
                           f"(weight.dtype={weight.dtype}, x.dtype={x.dtype})")
    return weight


def _class_axis_view(array, ndim):
    """A per-class constant of shape (C,) reshaped to broadcast along axis 1 of ``ndim`` axes."""
    return array.reshape((1, -1) + (1,) * (ndim - 2))


def _torch_targets(x, labels, weight, ignore_index):
    """torch's label checks for a class-index loss (cross_entropy, nll_loss): the labels with
    ``ignore_index`` replaced by 0, and each sample's weight (0 where ignored; the class
    weight, if given, of its label)."""
    _torch_labels_check(x, labels)
    xp = _backend.get_array_module(x.data)
    valid = labels != ignore_index
    safe_labels = xp.where(valid, labels, 0).astype(numpy.int64)
    if xp.any((safe_labels < 0) | (safe_labels >= x.shape[1])):
        bad = labels[valid & ((labels < 0) | (labels >= x.shape[1]))].ravel()[0]
        raise IndexError(f"Target {int(bad)} is out of bounds. (x has {x.shape[1]} classes)")
    target_weight = valid.astype(x.dtype) if weight is None else \
        xp.where(valid, weight[safe_labels], x.dtype.type(0))
    return safe_labels, target_weight


def _zero_where_ignored(loss, labels, ignore_index):
    """``loss`` with 0 at the ignored targets, selected (torch's kernels skip them): its
    gradient there is 0 whatever the output gradient holds (NaN, inf), not ``gy * 0``."""
    return where(labels != ignore_index, loss, loss.dtype.type(0))


def softmax_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean",
                          label_smoothing=0.0):
    """Cross entropy of ``softmax(x, axis=1)`` against class indices or class probabilities;
    torch ``F.cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
    reduce=None, reduction='mean', label_smoothing=0.0)``.

    Shapes: ``x`` is ``(N, C)`` or ``(N, C, d1, ...)`` (classes on axis 1) or ``(C,)``
    (one unbatched sample); class-index ``t`` is ``(N,)``, ``(N, d1, ...)`` or ``()``, int64
    or uint8 (torch rejects other integer dtypes). With ``logp = log_softmax(x, axis=1)``,
    ``w`` = ``weight`` (ones when None, one constant per class), ``eps = label_smoothing``
    and ``v_n = (t_n != ignore_index)``, each element is::

        l_n = v_n * ((1 - eps) * w[t_n] * -logp[n, t_n] + eps / C * sum_c w[c] * -logp[n, c])

    'none' returns ``l`` (0 where ignored), 'sum' its sum, and 'mean' ``sum(l) / sum_n v_n
    w[t_n]``: the total weight of the non-ignored targets, also when smoothing. When every
    label is ignored (or the batch is empty) that is 0/0: the value is nan and the gradient
    is 0 (observed). A label outside ``[0, C)`` that is not ``ignore_index`` raises
    IndexError('Target 5 is out of bounds.'). ``label_smoothing`` above 1 raises
    RuntimeError; below 0 it is silently treated as 0 (observed).

    A float ``t`` of ``x``'s shape holds class probabilities ("soft" targets): ``l_n =
    -sum_c w[c] q[n, c] logp[n, c]`` with ``q = (1 - eps) t + eps / C``, no ignore index,
    and 'mean' divides by the number of elements ``N * d1 * ...``.

    ``x`` is differentiated (to any order), and so is a probability ``t`` given as a
    Variable (torch differentiates soft targets too); class indices and ``weight`` are
    constants.
    Chainer's function differs in defaults and normalisation: ``chainer_softmax_cross_entropy``.

    >>> import numpy
    >>> x = numpy.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    >>> float(softmax_cross_entropy(x, numpy.array([0, -100])).data.round(6))  # log(e^2+1+e^-1)-2
    0.169846
    >>> softmax_cross_entropy(x, numpy.array([-100, -100])).data
    array(nan)
    """
    x = as_variable(x, "x")
    _check_torch_reduction(reduction)
    labels = _label_array("t", t, x)
    _require_float("x", x)
    if x.ndim == 0:
        raise RuntimeError("cross_entropy needs x of 1 or more dimensions (classes on axis 1, "
                           "or axis 0 for one unbatched sample), got x.shape=()")
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    eps = max(float(label_smoothing), 0.0)
    if x.ndim == 1:  # one unbatched sample: add the batch axis and remove it again
        loss = softmax_cross_entropy(reshape(x, (1,) + x.shape), labels[None], weight,
                                     ignore_index, reduction, eps)
        return reshape(loss, ()) if reduction == "none" else loss
    weight = None if weight is None else _torch_class_weight(weight, x)
    if labels.dtype.kind == "f":  # a Variable of probabilities is differentiated (torch)
        return _soft_target_cross_entropy(x, t if isinstance(t, Variable) else labels, weight,
                                          reduction, eps)
    safe_labels, target_weight = _torch_targets(x, labels, weight, ignore_index)
    xp = _backend.get_array_module(x.data)
    log_probability = log_softmax(x, axis=1)
    loss = -_picked_log_probability(log_probability, safe_labels) * target_weight
    if eps > 0:
        class_weight = 1 if weight is None else _class_axis_view(weight, x.ndim)
        smooth = -_sum(log_probability * class_weight, axis=1) * (
            (labels != ignore_index).astype(x.dtype) * x.dtype.type(1.0 / x.shape[1]))
        loss = loss * (1 - eps) + smooth * eps
    loss = _zero_where_ignored(loss, labels, ignore_index)
    if reduction != "mean":
        return _reduce(loss, reduction)
    return DivideByTotal(xp.asarray(target_weight.sum()))(_sum(loss))


def _soft_target_cross_entropy(x, probabilities, weight, reduction, eps):
    """torch's cross_entropy with class probabilities (a float ``t`` of ``x``'s shape)."""
    if probabilities.shape != x.shape:
        raise RuntimeError(f"Expected floating point target of the input's shape for class "
                           f"probabilities, got t.shape={probabilities.shape}, x.shape={x.shape}")
    xp = _backend.get_array_module(x.data)
    if isinstance(probabilities, Variable):
        q = probabilities if probabilities.dtype == x.dtype else probabilities._astype(x.dtype)
    else:
        q = xp.asarray(_on_device_of("t", probabilities, x), dtype=x.dtype)
    if eps > 0:
        q = q * x.dtype.type(1 - eps) + x.dtype.type(eps / x.shape[1])
    if weight is not None:
        q = q * _class_axis_view(weight, x.ndim)
    loss = -_sum(log_softmax(x, axis=1) * q, axis=1)
    return _reduce(loss, reduction)


def _chainer_labels_check(x, labels, ignore_label):
    """Raise as chainer's softmax_cross_entropy (debug mode for the label values)."""
    if x.ndim < 2 or labels.ndim < 1:  # chainer's type check indexes shape[0] / shape[1]
        raise IndexError(f"chainer's softmax_cross_entropy needs x of 2 or more dimensions and "
                         f"t of 1 or more, got x.shape={x.shape}, t.shape={labels.shape}")
    if x.dtype.kind != "f" or labels.dtype.kind != "i" or labels.ndim != x.ndim - 1 or \
            labels.shape[0] != x.shape[0] or labels.shape[1:] != x.shape[2:]:
        # Chainer's type check fails while formatting its own message and raises this.
        raise RuntimeError(f"An Expr instance cannot be evaluated as bool. (chainer's "
                           f"softmax_cross_entropy type check failed: needs float x and signed "
                           f"integer t with t.shape == (x.shape[0],) + x.shape[2:]; got "
                           f"x {x.dtype} {x.shape}, t {labels.dtype} {labels.shape})")
    in_range = (labels >= 0) & (labels < x.shape[1])
    if not bool((in_range | (labels == ignore_label)).all()):
        raise ValueError(f"Each label `t` need to satisfy `0 <= t < x.shape[1] or t == "
                         f"{ignore_label}`")


def _chainer_class_weight(class_weight, x):
    """chainer's ``class_weight``: a 1-D float ndarray of one weight per class."""
    if class_weight is None:
        return None
    if isinstance(class_weight, Variable):
        raise ValueError("class_weight should be a numpy.ndarray or cupy.ndarray, not a "
                         "chainer.Variable")
    if class_weight.ndim != 1:
        raise ValueError("class_weight.ndim should be 1")
    if class_weight.dtype.kind != "f":
        raise ValueError("The dtype of class_weight should be 'f'")
    if class_weight.shape[0] != x.shape[1]:
        raise ValueError(f"class_weight.shape={class_weight.shape} does not match the "
                         f"{x.shape[1]} classes of x")
    return class_weight


def chainer_softmax_cross_entropy(x, t, normalize=True, cache_score=True, class_weight=None,
                                  ignore_label=-1, reduce="mean", enable_double_backprop=False):
    """chainer ``F.softmax_cross_entropy(x, t, normalize=True, cache_score=True,
    class_weight=None, ignore_label=-1, reduce='mean', enable_double_backprop=False,
    soft_target_loss='cross-entropy')`` for integer labels.

    ``x``: ``(N, C, d1, ...)`` floats (classes on axis 1; chainer rejects a 1-D ``x`` with
    IndexError); ``t``: ``(N, d1, ...)`` signed integers. With ``logp = log_softmax(x,
    axis=1)``, ``w = class_weight`` (ones when None) and ``v_n = (t_n != ignore_label)``::

        l_n = v_n * w[t_n] * -logp[n, t_n]

    ``reduce='no'`` returns ``l`` (0 where ignored); ``reduce='mean'`` returns ``sum(l) /
    count``, ``count = max(1, sum_n v_n)`` (the number of non-ignored labels, *not* the total
    weight as in torch) when ``normalize=True``, ``count = max(1, N)`` (the batch size, so
    spatial elements are summed) when ``normalize=False``. Every label ignored gives 0 (torch:
    nan). ``cache_score`` only trades memory for time in chainer; it changes no value.

    Differences from torch's ``F.cross_entropy`` (``softmax_cross_entropy`` here): ignore
    value -1 (torch -100); the mean's denominator with class weights (count vs total weight)
    and with every label ignored (0 vs nan); ``normalize=False``; no label smoothing; and
    double backprop raises RuntimeError unless ``enable_double_backprop=True`` (torch always
    supports it). refimpl raises that same RuntimeError when a gradient computed with
    ``create_graph=True`` is differentiated again.

    Errors as chainer 7.8.1: a label outside ``[0, C)`` other than ``ignore_label`` raises
    ValueError (chainer checks this in debug mode only; without it, negative labels silently
    index from the end and large ones raise IndexError); a shape or dtype mismatch raises
    RuntimeError (chainer's type check fails while formatting its message); a bad ``reduce``
    or ``class_weight`` raises ValueError.
   
    >>> import numpy
    >>> x = numpy.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    >>> chainer_softmax_cross_entropy(x, numpy.array([-1, -1], numpy.int32)).data
    array(0.)
    >>> float(chainer_softmax_cross_entropy(x, numpy.array([0, -1], numpy.int32),
    ...                                     normalize=False).data.round(6))  # divided by N = 2
    0.084923
    """
    x = as_variable(x, "x")
    labels = _label_array("t", t, x)
    _check_chainer_reduce(reduce)
    if labels.dtype.kind == "f" and _policies.current().label_loss_soft_targets:  # issue 15
        return _chainer_soft_target(x, labels, reduce, enable_double_backprop)
    if labels.dtype.kind == "f":
        raise argument_error("dtype", (
            f"chainer_softmax_cross_entropy: t must be integer labels under the policy "
            f"{_policies.current().name!r} (label_loss_soft_targets=False), got t.dtype="
            f"{labels.dtype}"), "softmax_cross_entropy")
    _chainer_labels_check(x, labels, ignore_label)
    class_weight = _chainer_class_weight(class_weight, x)
    xp = _backend.get_array_module(x.data)
    valid = labels != ignore_label
    safe_labels = xp.where(valid, labels, 0).astype(numpy.int64)
    target_weight = valid.astype(x.dtype)
    if class_weight is not None:
        class_weight = _on_device_of("class_weight", class_weight, x)
        target_weight = target_weight * xp.asarray(class_weight, dtype=x.dtype)[safe_labels]
    coefficient = None if reduce == "no" else \
        _reciprocal_count(valid.sum() if normalize else x.shape[0], x)

    def elements(x):
        return -_picked_log_probability(log_softmax(x, axis=1), safe_labels) * target_weight

    if enable_double_backprop:  # chainer's composite: log_softmax, select_item, products
        return _chainer_reduce(elements(x), coefficient)
    one_hot = safe_labels[:, None] == _class_axis_view(xp.arange(x.shape[1]), x.ndim)
    weight = target_weight[:, None]
    return _chainer_one_product(
        x, elements, lambda x: (exp(log_softmax(x, axis=1)) - one_hot.astype(x.dtype)) * weight,
        coefficient, first_order_only=True)


def _chainer_reduce(loss, coefficient):
    """chainer's reduce: 'no' (``coefficient`` None) keeps the elements, 'mean' multiplies
    their sum by ``coefficient``."""
    return loss if coefficient is None else _sum(loss) * coefficient


def _chainer_one_product(x, elements, local_derivative, coefficient, first_order_only):
    """chainer's ``softmax_cross_entropy(enable_double_backprop=False)``: the value of
    ``elements(x)`` (per sample, reduced by ``_chainer_reduce``); the gradient as
    ``_SoftmaxCrossEntropyGrad_NoDoubleBackprop.forward_cpu`` (chainer 7.8.1,
    chainer/functions/loss/softmax_cross_entropy.py) computes it, the local derivative
    multiplied once by the output gradient: ``local_derivative(x) * (gy * coefficient)``
    ('mean') or ``* gy[:, None]`` ('no'). So an infinite output gradient stays infinite,
    NaN only where the local derivative is 0 (an ignored label, a class weight 0, a softmax
    of exactly 0 or 1), where the composite's chain rule gives inf - inf = NaN at the target
    class. ``first_order_only``: the gradient is not differentiable again (as chainer's)."""
    def gradients(gy, x):
        if coefficient is None:
            return (local_derivative(x) * reshape(gy, gy.shape[:1] + (1,) + gy.shape[1:]),)
        return (local_derivative(x) * (gy * coefficient),)

    if first_order_only:
        x = FirstOrderOnly()(x)
    return HandWrittenBackward(lambda x: _chainer_reduce(elements(x), coefficient),
                               gradients)(x)


def _chainer_soft_target(x, t, reduce, enable_double_backprop):
    """chainer 7.8.1's soft-target loss ('cross-entropy'): ``t`` of x's shape holds class
    probabilities (a constant: chainer gives it no gradient); ``l = -sum_c t log_softmax(x)``
    over axis 1, ``reduce='mean'``: ``sum(l) / (x.size / x.shape[1])`` (``normalize``,
    ``class_weight`` and ``ignore_label`` take no part). chainer's backward is ``(softmax(x) -
    t) (gy * coefficient)`` (``* gy[:, None]`` for 'no'), the derivative of the value only
    where each ``t`` sums to 1 over the classes: modelled exactly (``_chainer_one_product``).
    With ``enable_double_backprop=True`` the same gradient, differentiable again (chainer
    7.8.1 raises InvalidType there: its composite's select_item wants integer labels)."""
    if x.ndim < 2 or x.dtype.kind != "f" or t.shape != x.shape:
        raise RuntimeError(f"An Expr instance cannot be evaluated as bool. (chainer's "
                           f"softmax_cross_entropy type check failed: soft targets need float x "
                           f"and float t of x's shape; got x {x.dtype} {x.shape}, t {t.dtype} "
                           f"{t.shape})")
    xp = _backend.get_array_module(x.data)
    t = Variable._constant(xp.asarray(t, dtype=x.dtype))
    coefficient = None if reduce == "no" else _reciprocal_count(x.size // x.shape[1], x)
    return _chainer_one_product(x, lambda x: -_sum(t * log_softmax(x, axis=1), axis=1),
                                lambda x: exp(log_softmax(x, axis=1)) - t, coefficient,
                                first_order_only=not enable_double_backprop)


__all__ = ["binary_cross_entropy_with_logits", "chainer_softmax_cross_entropy",
           "mean_squared_error", "mse_loss", "sigmoid_cross_entropy", "softmax_cross_entropy",
           "softplus"]
