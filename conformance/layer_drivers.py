"""Layers, losses, optimizers and save/load on each framework, behind one set of calls.

Two kinds of driver, both dispatching on the adapter (``adapter.name``: which framework
runs; for refimpl, ``adapter.policy`` is the semantics it runs under):

* **Functions** (``function(adapter, subject)``): the framework's function for a layer-level
  subject (``conv2d``, ``max_pooling_2d``, ``linear``, the losses, ...) with refimpl's
  signature and argument names, taking and returning the adapter's tensors. The property
  modules evaluate them with ``conformance.numeric`` (forward, vector-Jacobian products,
  central differences) exactly as registry ops.
* **Runs** (``RUNS[subject].run(framework)``, ``OPTIMIZER_RUNS``, ``SERIALIZATION_RUNS``): a
  stateful scenario -- a layer built from given weights, a recurrent layer over a sequence,
  an optimizer over several steps, a save and load round trip -- as a function from a
  ``case`` (a dict of NumPy arrays and plain values) to ``{name: NumPy array}``, one per
  framework (``Absent`` where it lacks the subject). The refimpl run takes the policy as
  ``case['policy']``.

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
    weight = None if weight is None else torch.as_tensor(weight, dtype=x.dtype, device=x.device)
    pos_weight = (None if pos_weight is None
                  else torch.as_tensor(pos_weight, dtype=x.dtype, device=x.device))
    return torch.nn.functional.binary_cross_entropy_with_logits(
        x, t, weight=weight, reduction=reduction, pos_weight=pos_weight)


def torch_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean",
                        label_smoothing=0.0):
    import torch.nn.functional
    weight = None if weight is None else torch.as_tensor(weight, dtype=x.dtype, device=x.device)
    return torch.nn.functional.cross_entropy(x, torch.as_tensor(t, device=x.device), weight=weight,
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
    t = chainer.backend.get_array_module(x).asarray(t)  # on x's device
    return chainer.functions.sigmoid_cross_entropy(x, t, normalize=normalize, reduce=reduce)


def chainer_softmax_cross_entropy(x, t, normalize=True, class_weight=None, ignore_label=-1,
                                  reduce="mean"):
    import chainer.functions
    xp = chainer.backend.get_array_module(x)  # labels and weights on x's device
    t = xp.asarray(t)
    if class_weight is not None:
        class_weight = xp.asarray(class_weight, dtype=x.dtype)
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
        variables = [v for v in list(args) + list(kwargs.values())
                     if isinstance(v, refimpl.Variable)]
        if variables and refimpl._backend.is_cupy_array(variables[0].data):
            # labels and class weights on the input's device, as the frameworks take them
            kwargs = {name: adapter.constant(value, "cuda") for name, value in kwargs.items()}
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


# =============================================================================================
# Runs: a Linear layer built from given weights
# =============================================================================================
# A run takes ``case``: NumPy arrays (float64, on a grid: exact in every dtype) and plain
# values, with ``case['dtype']`` the dtype to compute in and ``case['backward']`` whether to
# differentiate ``sum(y * gy)``; it returns {name: NumPy array}. The refimpl runs also take
# ``case['policy']``.

def _numpy_results(results):
    """{name: NumPy copy} of framework tensors/Variables/arrays."""
    converted = {}
    for name, value in results.items():
        if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor
            value = value.detach().cpu().numpy()
        elif hasattr(value, "array"):  # chainer.Variable
            value = value.array
        elif hasattr(value, "data") and not isinstance(value, numpy.ndarray):  # refimpl.Variable
            value = value.data
        converted[name] = numpy.array(value)
    return converted


def torch_linear_layer_run(case):
    import torch
    dtype = getattr(torch, case["dtype"])
    weight, bias = case["W"], case.get("b")
    layer = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None, dtype=dtype)
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(weight))
        if bias is not None:
            layer.bias.copy_(torch.as_tensor(bias))
    x = torch.tensor(case["x"], dtype=dtype, requires_grad=True)
    y = layer(x)
    results = {"y": y}
    if case["backward"]:
        (y * torch.as_tensor(case["gy"], dtype=dtype)).sum().backward()
        results.update({"x.grad": x.grad, "W.grad": layer.weight.grad})
        if bias is not None:
            results["b.grad"] = layer.bias.grad
    return _numpy_results(results)


def chainer_linear_layer_run(case):
    import chainer
    import chainer.functions
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    weight, bias = case["W"], case.get("b")
    with chainer.using_config("dtype", dtype):  # the parameters' dtype
        layer = chainer.links.Linear(weight.shape[1], weight.shape[0], nobias=bias is None,
                                     initialW=weight.astype(dtype),
                                     initial_bias=None if bias is None else bias.astype(dtype))
    layer.cleargrads()  # a fresh chainer parameter's grad is NaN until cleared
    x = chainer.Variable(case["x"].astype(dtype))
    y = layer(x)
    results = {"y": y}
    if case["backward"]:
        chainer.functions.sum(y * case["gy"].astype(dtype)).backward()
        results.update({"x.grad": x.grad, "W.grad": layer.W.grad})
        if bias is not None:
            results["b.grad"] = layer.b.grad
    return _numpy_results(results)


def refimpl_linear_layer_run(case):
    import refimpl
    import refimpl.functions as F
    from refimpl.nn import Linear
    dtype = numpy.dtype(case["dtype"])
    weight, bias = case["W"], case.get("b")
    with refimpl.semantics(case["policy"]) as policy:
        layer = Linear(weight.shape[1], weight.shape[0], bias=bias is not None,
                       initial_weight=weight, initial_bias=bias, dtype=dtype)
        if policy.framework == "chainer":
            layer.cleargrads()
        x = refimpl.Variable(case["x"].astype(dtype), requires_grad=True)
        y = layer(x)
        results = {"y": y}
        if case["backward"]:
            F.sum(y * case["gy"].astype(dtype)).backward()
            results.update({"x.grad": x.grad, "W.grad": layer.weight.grad})
            if bias is not None:
                results["b.grad"] = layer.bias.grad
    return _numpy_results(results)


# =============================================================================================
# Runs: recurrent layers
# =============================================================================================
# torch ``nn.RNN``/``nn.LSTM`` with ``case['mode']`` 'rnn' or 'lstm', ``case['options']``
# (the constructor's keyword arguments), ``case['weights']`` ({torch parameter name: array}),
# ``x``, optional ``h0`` (and ``c0``), and the output gradients ``grad_output``,
# ``grad_h_n`` (and ``grad_c_n``).

def torch_rnn_run(case):
    import torch
    dtype = getattr(torch, case["dtype"])
    lstm = case["mode"] == "lstm"
    layer = (torch.nn.LSTM if lstm else torch.nn.RNN)(**case["options"], dtype=dtype)
    layer.load_state_dict({name: torch.as_tensor(value, dtype=dtype)
                           for name, value in case["weights"].items()})
    x = torch.tensor(case["x"], dtype=dtype, requires_grad=True)
    states = {name: torch.tensor(case[name], dtype=dtype, requires_grad=True)
              for name in ("h0", "c0") if case.get(name) is not None}
    if lstm:
        hx = (states["h0"], states["c0"]) if states else None
    else:
        hx = states.get("h0")
    output, final = layer(x, hx)
    finals = {"h_n": final[0], "c_n": final[1]} if lstm else {"h_n": final}
    results = {"output": output, **finals}
    if case["backward"]:
        loss = (output * torch.as_tensor(case["grad_output"], dtype=dtype)).sum()
        for name, value in finals.items():
            loss = loss + (value * torch.as_tensor(case["grad_" + name], dtype=dtype)).sum()
        loss.backward()
        results["x.grad"] = x.grad
        results.update({f"{name}.grad": state.grad for name, state in states.items()})
        results.update({f"{name}.grad": p.grad for name, p in layer.named_parameters()})
    return _numpy_results(results)


def refimpl_rnn_run(case):
    import refimpl
    import refimpl.functions as F
    from refimpl import nn
    dtype = numpy.dtype(case["dtype"])
    lstm = case["mode"] == "lstm"
    with refimpl.semantics(case["policy"]):
        layer = (nn.LSTM if lstm else nn.RNN)(**case["options"], dtype=dtype)
        layer.load_state_dict({name: numpy.asarray(value, dtype)
                               for name, value in case["weights"].items()})
        x = refimpl.Variable(case["x"].astype(dtype), requires_grad=True)
        states = {name: refimpl.Variable(case[name].astype(dtype), requires_grad=True)
                  for name in ("h0", "c0") if case.get(name) is not None}
        if lstm:
            hx = (states["h0"], states["c0"]) if states else None
        else:
            hx = states.get("h0")
        output, final = layer(x, hx)
        finals = {"h_n": final[0], "c_n": final[1]} if lstm else {"h_n": final}
        results = {"output": output, **finals}
        if case["backward"]:
            loss = F.sum(output * case["grad_output"].astype(dtype))
            for name, value in finals.items():
                loss = loss + F.sum(value * case["grad_" + name].astype(dtype))
            loss.backward()
            results["x.grad"] = x.grad
            results.update({f"{name}.grad": state.grad for name, state in states.items()})
            results.update({f"{name}.grad": p.grad for name, p in layer.named_parameters()})
    return _numpy_results(results)


# chainer ``L.LSTM(in_size, out_size)`` (stateful) over ``case['xs']`` (one (batch_t, in) array
# per step; batches may shrink, chainer's variable-length batches), with ``case['weights']``
# ({'upward/W', 'upward/b', 'lateral/W'}) and one output gradient per step (``case['gys']``).

def chainer_lstm_run(case):
    import chainer
    import chainer.functions
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    weights = case["weights"]
    with chainer.using_config("dtype", dtype):
        layer = chainer.links.LSTM(weights["upward/W"].shape[1], weights["lateral/W"].shape[1])
    for path, param in layer.namedparams():
        param.array[...] = weights[path.lstrip("/")]
    layer.cleargrads()
    xs = [chainer.Variable(x.astype(dtype)) for x in case["xs"]]
    ys = [layer(x) for x in xs]
    results = {f"y{step}": y for step, y in enumerate(ys)}
    results.update({"c": layer.c, "h": layer.h})
    if case["backward"]:
        loss = None
        for y, gy in zip(ys, case["gys"]):
            term = chainer.functions.sum(y * gy.astype(dtype))
            loss = term if loss is None else loss + term
        loss.backward()
        results.update({f"x{step}.grad": x.grad for step, x in enumerate(xs)})
        results.update({f"{path.lstrip('/')}.grad": p.grad for path, p in layer.namedparams()})
    return _numpy_results(results)


def refimpl_chainer_lstm_run(case):
    import refimpl
    import refimpl.functions as F
    from refimpl import nn, serializers
    dtype = numpy.dtype(case["dtype"])
    weights = case["weights"]
    with refimpl.semantics(case["policy"]):
        layer = nn.ChainerLSTM(weights["upward/W"].shape[1], weights["lateral/W"].shape[1],
                               dtype=dtype)
        serializers.load_named_arrays(layer, weights, layout="chainer")
        layer.cleargrads()
        xs = [refimpl.Variable(x.astype(dtype), requires_grad=True) for x in case["xs"]]
        ys = [layer(x) for x in xs]
        results = {f"y{step}": y for step, y in enumerate(ys)}
        results.update({"c": layer.c, "h": layer.h})
        if case["backward"]:
            loss = None
            for y, gy in zip(ys, case["gys"]):
                term = F.sum(y * gy.astype(dtype))
                loss = term if loss is None else loss + term
            loss.backward()
            results.update({f"x{step}.grad": x.grad for step, x in enumerate(xs)})
            results.update({f"{path.lstrip('/')}.grad": p.grad
                            for path, p in layer.namedparams()})
    return _numpy_results(results)


# =============================================================================================
# Runs: optimizers
# =============================================================================================
# ``case``: ``optimizer`` (the class name in torch.optim / chainer.optimizers, or refimpl's
# torch_style / chainer_style), ``hyper`` (its keyword arguments), ``clip`` (torch
# ``clip_grad_norm_`` arguments, or None), ``hooks`` ([(chainer optimizer_hooks class name,
# kwargs)]), ``params`` (initial arrays), ``steps``, and either ``mode='step'`` with
# ``grads`` (per step, one array or None per parameter: set as ``.grad``) or
# ``mode='trajectory'``: each step differentiates ``sum_i sum(a_i (p_i - t_i)**2) / 2`` with
# ``targets`` t and ``curvatures`` a (torch: zero_grad, backward, step; chainer:
# ``update(lossfun)``). Results: every parameter after every step.

def torch_optimizer_run(case):
    import torch
    dtype = getattr(torch, case["dtype"])
    params = [torch.tensor(p, dtype=dtype, requires_grad=True) for p in case["params"]]
    optimizer = getattr(torch.optim, case["optimizer"])(params, **case["hyper"])
    results = {}
    for step in range(case["steps"]):
        optimizer.zero_grad()
        if case["mode"] == "step":
            for p, g in zip(params, case["grads"][step]):
                p.grad = None if g is None else torch.as_tensor(g, dtype=dtype)
        else:
            loss = None
            for p, t, a in zip(params, case["targets"], case["curvatures"]):
                term = ((p - torch.as_tensor(t, dtype=dtype)) ** 2
                        * torch.as_tensor(a, dtype=dtype)).sum() / 2
                loss = term if loss is None else loss + term
            loss.backward()
        if case["clip"] is not None:
            torch.nn.utils.clip_grad_norm_(params, **case["clip"])
        optimizer.step()
        for index, p in enumerate(params):
            results[f"step{step + 1}.param{index}"] = p.detach().numpy().copy()
    return results


def chainer_optimizer_run(case):
    import chainer
    import chainer.functions
    import chainer.optimizer_hooks
    import chainer.optimizers
    dtype = numpy.dtype(case["dtype"])
    target = chainer.Chain()
    with target.init_scope():
        for index, p in enumerate(case["params"]):
            setattr(target, f"p{index}", chainer.Parameter(p.astype(dtype)))
    params = [getattr(target, f"p{index}") for index in range(len(case["params"]))]
    optimizer = getattr(chainer.optimizers, case["optimizer"])(**case["hyper"])
    optimizer.setup(target)
    for name, kwargs in case["hooks"]:
        optimizer.add_hook(getattr(chainer.optimizer_hooks, name)(**kwargs))

    def lossfun():
        loss = None
        for p, t, a in zip(params, case["targets"], case["curvatures"]):
            term = chainer.functions.sum((p - t.astype(dtype)) ** 2 * a.astype(dtype)) / 2
            loss = term if loss is None else loss + term
        return loss

    results = {}
    for step in range(case["steps"]):
        if case["mode"] == "step":
            for p, g in zip(params, case["grads"][step]):
                p.grad = None if g is None else g.astype(dtype)
            optimizer.update()
        else:
            optimizer.update(lossfun)
        for index, p in enumerate(params):
            results[f"step{step + 1}.param{index}"] = p.array.copy()
    return results


def refimpl_optimizer_run(case):
    import refimpl
    import refimpl.functions as F
    from refimpl import nn, optimizers
    dtype = numpy.dtype(case["dtype"])
    torch_style = case["style"] == "torch"
    results = {}
    with refimpl.semantics(case["policy"]):
        target = nn.Chain()
        for index, p in enumerate(case["params"]):
            setattr(target, f"p{index}", nn.Parameter(p.astype(dtype)))
        params = [getattr(target, f"p{index}") for index in range(len(case["params"]))]
        if torch_style:
            optimizer = getattr(optimizers.torch_style, case["optimizer"])(params, **case["hyper"])
        else:
            optimizer = getattr(optimizers.chainer_style, case["optimizer"])(**case["hyper"])
            optimizer.setup(target)
            for name, kwargs in case["hooks"]:
                optimizer.add_hook(getattr(optimizers.hooks, name)(**kwargs))

        def lossfun():
            loss = None
            for p, t, a in zip(params, case["targets"], case["curvatures"]):
                term = F.sum((p - t.astype(dtype)) ** 2 * a.astype(dtype)) / 2
                loss = term if loss is None else loss + term
            return loss

        for step in range(case["steps"]):
            if torch_style:
                optimizer.zero_grad()
            if case["mode"] == "step":
                for p, g in zip(params, case["grads"][step]):
                    p.grad = None if g is None else g.astype(dtype)
            elif torch_style:
                lossfun().backward()
            if torch_style:
                if case["clip"] is not None:
                    optimizers.clip_grad_norm_(params, **case["clip"])
                optimizer.step()
            elif case["mode"] == "step":
                optimizer.update()
            else:
                optimizer.update(lossfun)
            for index, p in enumerate(params):
                results[f"step{step + 1}.param{index}"] = numpy.array(p.data)
    return results


# =============================================================================================
# The subjects' runs per framework
# =============================================================================================

@dataclasses.dataclass(frozen=True)
class Runs:
    """A stateful subject: each framework's run (or ``Absent``) and refimpl's."""

    subject: str
    torch: object
    chainer: object
    refimpl: object

    def run(self, framework):
        return getattr(self, framework)


_NO_NN_RNN = "chainer has no nn.RNN/nn.LSTM counterpart (L.NStepRNN/NStepLSTM differ; " \
             "chainer's L.LSTM is the subject chainer_lstm)"

RUNS = {r.subject: r for r in [
    Runs("Linear", torch_linear_layer_run, chainer_linear_layer_run, refimpl_linear_layer_run),
    Runs("rnn_tanh", torch_rnn_run, Absent(_NO_NN_RNN), refimpl_rnn_run),
    Runs("rnn_relu", torch_rnn_run, Absent(_NO_NN_RNN), refimpl_rnn_run),
    Runs("lstm", torch_rnn_run, Absent(_NO_NN_RNN), refimpl_rnn_run),
    Runs("chainer_lstm", Absent("torch has no stateful L.LSTM (nn.LSTMCell with a user-held "
                                "state; the lstm subject covers nn.LSTM)"),
         chainer_lstm_run, refimpl_chainer_lstm_run),
]}

# Optimizer subjects: the class each framework calls it (None: it has none) and refimpl's.
OPTIMIZERS = {
    # subject: (torch.optim class, chainer.optimizers class)
    "sgd": ("SGD", "SGD"),
    "momentum_sgd": ("SGD", "MomentumSGD"),
    "nesterov": ("SGD", "NesterovAG"),
    "adam": ("Adam", "Adam"),
    "adamw": ("AdamW", "AdamW"),
    "amsgrad": ("Adam", "AMSGrad"),
    "adabound": (None, "AdaBound"),
    "amsbound": (None, "AMSBound"),
    "rmsprop": ("RMSprop", "RMSprop"),
    "rmsprop_graves": (None, "RMSpropGraves"),
    "adagrad": ("Adagrad", "AdaGrad"),
    "weight_decay": ("SGD", "MomentumSGD"),  # torch: weight_decay argument; chainer: hook
    "gradient_clipping": ("SGD", "SGD"),  # torch: clip_grad_norm_; chainer: hook
}

OPTIMIZER_RUNS = {"torch": torch_optimizer_run, "chainer": chainer_optimizer_run,
                  "refimpl": refimpl_optimizer_run}


def optimizer_class(framework, subject):
    """The optimizer class name for ``framework`` ('torch' or 'chainer'), or ``Absent``."""
    name = OPTIMIZERS[subject][0 if framework == "torch" else 1]
    if name is None:
        return Absent(f"torch.optim has no {subject} (chainer.optimizers."
                      f"{OPTIMIZERS[subject][1]} has no torch counterpart)")
    return name


# =============================================================================================
# Runs: save and load
# =============================================================================================
# A small network, the same on every side: ``conv`` (2-D convolution, ``channels`` ->
# ``filters``, ``ksize``, with bias) then ``fc`` (Linear of the flattened conv output ->
# ``out``); ``y = fc(flatten(conv(x)))``. Parameter names: torch ``conv.weight``,
# ``conv.bias``, ``fc.weight``, ``fc.bias``; chainer ``conv/W``, ``conv/b``, ``fc/W``, ``fc/b``.
# Each framework initialises it its own way (seeded by ``case['seed']``); exports return the
# parameters (``state/<name>``), the output ``y`` and, for chainer, the npz file written by
# ``chainer.serializers.save_npz`` (``file``: its bytes as uint8).

def _fc_inputs(case):
    height, width = case["x"].shape[2:]
    return case["filters"] * (height - case["ksize"] + 1) * (width - case["ksize"] + 1)


def _torch_net(case):
    import torch
    net = torch.nn.Module()
    net.conv = torch.nn.Conv2d(case["channels"], case["filters"], case["ksize"])
    net.fc = torch.nn.Linear(_fc_inputs(case), case["out"])
    return net


def torch_module_export(case):
    import torch
    torch.manual_seed(case["seed"])
    net = _torch_net(case)
    y = net.fc(net.conv(torch.tensor(case["x"], dtype=torch.float32)).flatten(1))
    results = {f"state/{name}": value for name, value in net.state_dict().items()}
    results["y"] = y
    return _numpy_results(results)


def torch_module_import(case):
    """A fresh torch network loading ``case['arrays']`` (the npz's arrays in torch's names)
    with ``load_state_dict``."""
    import torch
    torch.manual_seed(case["seed"] + 1)
    net = _torch_net(case)
    net.load_state_dict({name: torch.from_numpy(numpy.array(value))
                         for name, value in case["arrays"].items()})
    y = net.fc(net.conv(torch.tensor(case["x"], dtype=torch.float32)).flatten(1))
    results = {f"state/{name}": value for name, value in net.state_dict().items()}
    results["y"] = y
    return _numpy_results(results)


def _chainer_net(case):
    import chainer
    import chainer.links
    net = chainer.Chain()
    with net.init_scope():
        net.conv = chainer.links.Convolution2D(case["channels"], case["filters"], case["ksize"])
        net.fc = chainer.links.Linear(_fc_inputs(case), case["out"])
    return net


def _chainer_results(net, case):
    y = net.fc(net.conv(case["x"].astype(numpy.float32)))
    results = {f"state/{path.lstrip('/')}": p.array for path, p in net.namedparams()}
    results["y"] = y.array
    return _numpy_results(results)


def chainer_module_export(case):
    import io

    import chainer.serializers
    numpy.random.seed(case["seed"])  # chainer's initializers draw from NumPy's global generator
    net = _chainer_net(case)
    results = _chainer_results(net, case)
    buffer = io.BytesIO()
    chainer.serializers.save_npz(buffer, net)
    results["file"] = numpy.frombuffer(buffer.getvalue(), dtype=numpy.uint8).copy()
    return results


def chainer_module_import(case):
    """A fresh chainer network loading the npz file ``case['file']`` (bytes as uint8) with
    ``chainer.serializers.load_npz``."""
    import io

    import chainer.serializers
    numpy.random.seed(case["seed"] + 1)
    net = _chainer_net(case)
    chainer.serializers.load_npz(io.BytesIO(case["file"].tobytes()), net)
    return _chainer_results(net, case)


def refimpl_net(case, dtype=numpy.float32):
    """refimpl's network (``nn.Chain`` of ``nn.Conv2d`` and ``nn.Linear``) and its forward."""
    from refimpl import nn
    from refimpl.functions import reshape
    net = nn.Chain()
    net.conv = nn.Conv2d(case["channels"], case["filters"], case["ksize"], dtype=dtype,
                         rng=case["seed"])
    net.fc = nn.Linear(_fc_inputs(case), case["out"], dtype=dtype, rng=case["seed"] + 1)

    def forward(x):
        hidden = net.conv(x)
        return net.fc(reshape(hidden, (hidden.shape[0], -1)))
    return net, forward


# --- optimizer state -------------------------------------------------------------------------
# ``case``: ``optimizer`` and ``hyper`` (as the optimizer runs), ``params`` (initial arrays),
# ``grads`` (one list per step; the last step is the one after the round trip). An export
# takes ``len(grads) - 1`` steps, saves the state (torch: ``state_dict()`` flattened with '/'
# as ``refimpl.serializers`` does, dropping None values and torch's implementation switches;
# chainer: ``save_npz`` of the optimizer), and takes the last step too. An import builds the
# optimizer on the saved parameters, loads a state, and takes the last step.

TORCH_IMPLEMENTATION_SWITCHES = ("foreach", "fused", "capturable", "differentiable")


def torch_optimizer_export(case):
    import torch
    params = [torch.tensor(p, dtype=torch.float32, requires_grad=True) for p in case["params"]]
    optimizer = getattr(torch.optim, case["optimizer"])(params, **case["hyper"])
    for grads in case["grads"][:-1]:
        for p, g in zip(params, grads):
            p.grad = torch.as_tensor(g, dtype=torch.float32)
        optimizer.step()
    results = {f"saved_param{index}": p for index, p in enumerate(params)}
    state = optimizer.state_dict()
    for index, values in state["state"].items():
        for name, value in values.items():
            results[f"state/{index}/{name}"] = value
    for index, group in enumerate(state["param_groups"]):
        for name, value in group.items():
            if value is not None and name not in TORCH_IMPLEMENTATION_SWITCHES:
                results[f"param_groups/{index}/{name}"] = numpy.asarray(value)
    results = _numpy_results(results)
    for p, g in zip(params, case["grads"][-1]):
        p.grad = torch.as_tensor(g, dtype=torch.float32)
    optimizer.step()
    results.update({f"param{index}": p.detach().numpy().copy() for index, p in enumerate(params)})
    return results


def torch_optimizer_import(case):
    """An optimizer on ``case['saved_params']`` loading the flat state ``case['arrays']``
    (rebuilt into torch's nested ``state_dict``), then the last step."""
    import torch
    params = [torch.tensor(p, dtype=torch.float32, requires_grad=True)
              for p in case["saved_params"]]
    optimizer = getattr(torch.optim, case["optimizer"])(params, **case["hyper"])
    state, groups = {}, {}
    for key, value in case["arrays"].items():
        kind, index, name = key.split("/")
        if kind == "state":
            state.setdefault(int(index), {})[name] = torch.tensor(value, dtype=torch.float32)
        elif name == "params":
            groups.setdefault(int(index), {})[name] = [int(v) for v in value.tolist()]
        else:
            groups.setdefault(int(index), {})[name] = (tuple(value.tolist()) if value.ndim
                                                       else value.item())
    optimizer.load_state_dict({"state": state, "param_groups": [groups[i] for i in sorted(groups)]})
    for p, g in zip(params, case["grads"][-1]):
        p.grad = torch.as_tensor(g, dtype=torch.float32)
    optimizer.step()
    return {f"param{index}": p.detach().numpy().copy() for index, p in enumerate(params)}


def _chainer_target(arrays):
    import chainer
    target = chainer.Chain()
    with target.init_scope():
        for index, array in enumerate(arrays):
            setattr(target, f"p{index}", chainer.Parameter(numpy.array(array, numpy.float32)))
    return target, [getattr(target, f"p{index}") for index in range(len(arrays))]


def chainer_optimizer_export(case):
    import io

    import chainer.optimizers
    import chainer.serializers
    target, params = _chainer_target(case["params"])
    optimizer = getattr(chainer.optimizers, case["optimizer"])(**case["hyper"])
    optimizer.setup(target)
    for grads in case["grads"][:-1]:
        for p, g in zip(params, grads):
            p.grad = numpy.array(g, numpy.float32)
        optimizer.update()
    results = {f"saved_param{index}": p.array.copy() for index, p in enumerate(params)}
    buffer = io.BytesIO()
    chainer.serializers.save_npz(buffer, optimizer)
    results["file"] = numpy.frombuffer(buffer.getvalue(), dtype=numpy.uint8).copy()
    for p, g in zip(params, case["grads"][-1]):
        p.grad = numpy.array(g, numpy.float32)
    optimizer.update()
    results.update({f"param{index}": p.array.copy() for index, p in enumerate(params)})
    return results


def chainer_optimizer_import(case):
    """An optimizer on ``case['saved_params']`` loading the npz ``case['file']`` with
    ``chainer.serializers.load_npz``, then the last step."""
    import io

    import chainer.optimizers
    import chainer.serializers
    target, params = _chainer_target(case["saved_params"])
    optimizer = getattr(chainer.optimizers, case["optimizer"])(**case["hyper"])
    optimizer.setup(target)
    chainer.serializers.load_npz(io.BytesIO(case["file"].tobytes()), optimizer)
    for p, g in zip(params, case["grads"][-1]):
        p.grad = numpy.array(g, numpy.float32)
    optimizer.update()
    return {f"param{index}": p.array.copy() for index, p in enumerate(params)}


SERIALIZATION_RUNS = {
    ("module", "torch"): (torch_module_export, torch_module_import),
    ("module", "chainer"): (chainer_module_export, chainer_module_import),
    ("optimizer", "torch"): (torch_optimizer_export, torch_optimizer_import),
    ("optimizer", "chainer"): (chainer_optimizer_export, chainer_optimizer_import),
}
