"""Layers, losses, optimizers and save/load on each framework, behind one set of calls.

Two kinds of driver, both dispatching on the adapter (``adapter.name``: which framework
runs; for refimpl, ``adapter.policy`` is the semantics it runs under):

* **Functions** (``function(adapter, subject)``): the framework's function for a layer-level
  subject (``conv2d``, ``max_pooling_2d``, ``linear``, the losses, ...) with refimpl's
  signature and argument names, taking and returning the adapter's tensors. The property
  modules evaluate them with ``conformance.numeric`` (forward, vector-Jacobian products,
  central differences) exactly as registry ops.
* **Runs** (``run(framework, subject, case)``): a stateful scenario -- a layer built from
  given weights, a recurrent layer over a sequence, an optimizer over several steps, a save
  and load round trip -- as a function from a ``case`` (a dict of NumPy arrays and plain
  values) to ``{name: NumPy array}``. The refimpl run takes the policy as ``case['policy']``.

Every torch/chainer function here is self-contained (it imports its framework inside and
uses only NumPy and the ``_helpers`` of this module), so a repro script pastes its source as
is (``conformance.layer_repro``). Frameworks are imported lazily: importing this module
imports neither.

Argument names follow refimpl (``pad``, ``dilation``, ``ksize``); each driver translates to
its framework's (torch ``padding``, chainer ``dilate``). An argument a framework does not
take (torch's ``cover_all``, chainer's ``ceil_mode``) is absent from its driver's signature,
and the strategies (``conformance.layer_strategies``) never draw it for that API.
"""
import contextlib
import dataclasses
import math

import numpy

from .adapters.base import NotSupported

FRAMEWORKS = ("torch", "chainer")


@dataclasses.dataclass(frozen=True)
class Absent:
    """A framework lacks a subject; ``reason`` says what it has instead."""

    reason: str


# =============================================================================================
# Functions: torch
# =============================================================================================

def torch_conv2d(x, W, b=None, stride=1, pad=0, dilation=1, groups=1):
    import torch.nn.functional
    return torch.nn.functional.conv2d(x, W, b, stride=stride, padding=pad, dilation=dilation,
                                      groups=groups)


def torch_conv_transpose2d(x, W, b=None, stride=1, pad=0, dilation=1, groups=1,
                           output_padding=0):
    import torch.nn.functional
    return torch.nn.functional.conv_transpose2d(x, W, b, stride=stride, padding=pad,
                                                output_padding=output_padding, groups=groups,
                                                dilation=dilation)


def torch_max_pooling_2d(x, ksize, stride=None, pad=0, ceil_mode=False):
    import torch.nn.functional
    return torch.nn.functional.max_pool2d(x, ksize, stride=stride, padding=pad,
                                          ceil_mode=ceil_mode)


def torch_average_pooling_2d(x, ksize, stride=None, pad=0, ceil_mode=False,
                             count_include_pad=True):
    import torch.nn.functional
    return torch.nn.functional.avg_pool2d(x, ksize, stride=stride, padding=pad,
                                          ceil_mode=ceil_mode,
                                          count_include_pad=count_include_pad)


def torch_linear(x, W, b=None):
    import torch.nn.functional
    return torch.nn.functional.linear(x, W, b)


def torch_mse_loss(x, t, reduction="mean"):
    import torch.nn.functional
    return torch.nn.functional.mse_loss(x, t, reduction=reduction)


def torch_binary_cross_entropy_with_logits(x, t, reduction="mean", weight=None, pos_weight=None):
    import torch.nn.functional
    weight = None if weight is None else torch.as_tensor(weight, dtype=x.dtype)
    pos_weight = None if pos_weight is None else torch.as_tensor(pos_weight, dtype=x.dtype)
    return torch.nn.functional.binary_cross_entropy_with_logits(
        x, t, weight=weight, reduction=reduction, pos_weight=pos_weight)


def torch_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean",
                        label_smoothing=0.0):
    import torch.nn.functional
    weight = None if weight is None else torch.as_tensor(weight, dtype=x.dtype)
    return torch.nn.functional.cross_entropy(x, torch.as_tensor(t), weight=weight,
                                             ignore_index=ignore_index, reduction=reduction,
                                             label_smoothing=label_smoothing)


# =============================================================================================
# Functions: chainer
# =============================================================================================

def chainer_conv2d(x, W, b=None, stride=1, pad=0, dilation=1, groups=1, cover_all=False):
    import chainer.functions
    return chainer.functions.convolution_2d(x, W, b, stride=stride, pad=pad,
                                            cover_all=cover_all, dilate=dilation, groups=groups)


def chainer_conv_transpose2d(x, W, b=None, stride=1, pad=0, dilation=1, groups=1, outsize=None):
    import chainer.functions
    return chainer.functions.deconvolution_2d(x, W, b, stride=stride, pad=pad, outsize=outsize,
                                              dilate=dilation, groups=groups)


def chainer_max_pooling_2d(x, ksize, stride=None, pad=0, cover_all=None):
    import chainer.functions
    if cover_all is None:  # chainer's own default (True)
        return chainer.functions.max_pooling_2d(x, ksize, stride=stride, pad=pad)
    return chainer.functions.max_pooling_2d(x, ksize, stride=stride, pad=pad,
                                            cover_all=cover_all)


def chainer_average_pooling_2d(x, ksize, stride=None, pad=0):
    import chainer.functions
    return chainer.functions.average_pooling_2d(x, ksize, stride=stride, pad=pad)


def chainer_linear(x, W, b=None):
    import chainer.functions
    return chainer.functions.linear(x, W, b)


def chainer_mean_squared_error(x0, x1):
    import chainer.functions
    return chainer.functions.mean_squared_error(x0, x1)


def chainer_sigmoid_cross_entropy(x, t, normalize=True, reduce="mean"):
    import chainer.functions
    return chainer.functions.sigmoid_cross_entropy(x, t, normalize=normalize, reduce=reduce)


def chainer_softmax_cross_entropy(x, t, normalize=True, class_weight=None, ignore_label=-1,
                                  reduce="mean"):
    import chainer.functions
    if class_weight is not None:
        class_weight = numpy.asarray(class_weight, dtype=x.dtype)
    return chainer.functions.softmax_cross_entropy(x, t, normalize=normalize,
                                                   class_weight=class_weight,
                                                   ignore_label=ignore_label, reduce=reduce)


# =============================================================================================
# The subjects' functions per framework
# =============================================================================================

@dataclasses.dataclass(frozen=True)
class Functional:
    """A layer-level function: each framework's driver (or ``Absent``) and refimpl's name.

    ``api``: the framework whose API the subject is (None: both have it); refimpl cells of a
    one-framework subject run under that framework's policy.
    """

    subject: str
    torch: object
    chainer: object
    refimpl: str
    api: str = None

    def driver(self, framework):
        return getattr(self, framework)


_CHAINER_LOSS = "chainer's loss of this kind is its own subject ({})"
_TORCH_LOSS = "torch's loss of this kind is its own subject ({})"

FUNCTIONS = {f.subject: f for f in [
    Functional("conv2d", torch_conv2d, chainer_conv2d, "conv2d"),
    Functional("conv_transpose2d", torch_conv_transpose2d, chainer_conv_transpose2d,
               "conv_transpose2d"),
    Functional("max_pooling_2d", torch_max_pooling_2d, chainer_max_pooling_2d, "max_pooling_2d"),
    Functional("average_pooling_2d", torch_average_pooling_2d, chainer_average_pooling_2d,
               "average_pooling_2d"),
    Functional("linear", torch_linear, chainer_linear, "linear"),
    Functional("mse_loss", torch_mse_loss, Absent(_CHAINER_LOSS.format("mean_squared_error")),
               "mse_loss", api="torch"),
    Functional("binary_cross_entropy_with_logits", torch_binary_cross_entropy_with_logits,
               Absent(_CHAINER_LOSS.format("sigmoid_cross_entropy")),
               "binary_cross_entropy_with_logits", api="torch"),
    Functional("cross_entropy", torch_cross_entropy,
               Absent(_CHAINER_LOSS.format("softmax_cross_entropy")), "softmax_cross_entropy",
               api="torch"),
    Functional("mean_squared_error", Absent(_TORCH_LOSS.format("mse_loss")),
               chainer_mean_squared_error, "mean_squared_error", api="chainer"),
    Functional("sigmoid_cross_entropy",
               Absent(_TORCH_LOSS.format("binary_cross_entropy_with_logits")),
               chainer_sigmoid_cross_entropy, "sigmoid_cross_entropy", api="chainer"),
    Functional("softmax_cross_entropy", Absent(_TORCH_LOSS.format("cross_entropy")),
               chainer_softmax_cross_entropy, "chainer_softmax_cross_entropy", api="chainer"),
]}


def _refimpl_function(adapter, name):
    """refimpl's ``name`` run under the adapter's policy."""
    import refimpl
    import refimpl.functions

    target = getattr(refimpl.functions, name)

    def under_policy(*args, **kwargs):
        with refimpl.semantics(adapter.policy):
            return target(*args, **kwargs)
    under_policy.__name__ = name
    return under_policy


def function(adapter, subject):
    """The adapter's function for ``subject`` (refimpl's signature, the adapter's tensors).
    Raises ``NotSupported`` with the reason where the framework lacks it."""
    entry = FUNCTIONS[subject]
    if adapter.name == "refimpl":
        return _refimpl_function(adapter, entry.refimpl)
    driver = entry.driver(adapter.name)
    if isinstance(driver, Absent):
        raise NotSupported(driver.reason)
    return driver


def counterpart_name(framework, subject):
    """The name of ``subject``'s function for ``framework`` (for repro scripts)."""
    entry = FUNCTIONS[subject]
    if framework == "refimpl":
        return entry.refimpl
    driver = entry.driver(framework)
    return None if isinstance(driver, Absent) else driver.__name__


def absent(framework, subject):
    """``Absent`` when ``framework`` lacks the functional ``subject``, else None."""
    if framework == "refimpl":
        return None
    driver = FUNCTIONS[subject].driver(framework)
    return driver if isinstance(driver, Absent) else None


# =============================================================================================
# Layers with their default initialisation (behaviour cases)
# =============================================================================================

@contextlib.contextmanager
def _policy(adapter):
    import refimpl
    with refimpl.semantics(adapter.policy):
        yield


def linear_layer(adapter, in_size, out_size):
    """A fresh Linear layer with the framework's defaults: ``(apply, [weight, bias])``."""
    return adapter.linear(in_size, out_size)


def conv_layer(adapter, in_channels, out_channels, ksize):
    """A fresh 2-D convolution layer with the framework's defaults:
    ``(apply, [weight, bias])`` (torch ``nn.Conv2d``, chainer ``L.Convolution2D``, refimpl
    ``nn.Conv2d`` under the adapter's policy)."""
    if adapter.name == "torch":
        import torch
        layer = torch.nn.Conv2d(in_channels, out_channels, ksize)
        return layer, [layer.weight, layer.bias]
    if adapter.name == "chainer":
        import chainer.links
        layer = chainer.links.Convolution2D(in_channels, out_channels, ksize)
        return layer, [layer.W, layer.b]
    with _policy(adapter):
        from refimpl.nn import Conv2d
        layer = Conv2d(in_channels, out_channels, ksize)

    def apply(x):
        with _policy(adapter):
            return layer(x)
    return apply, [layer.weight, layer.bias]


def functional_call(adapter, subject, *args, **kwargs):
    """``function(adapter, subject)(*args, **kwargs)``."""
    return function(adapter, subject)(*args, **kwargs)


def fan_in(shape):
    """fan_in of a weight of shape (out, in, k...)."""
    return math.prod(shape[1:])
