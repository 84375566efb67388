"""PyTorch's bindings of the layer-level subjects (``conformance.subjects.layers``).

Tables (read by ``conformance.checks.layers``): ``FUNCTIONS`` (a function with refimpl's
signature and argument names on torch tensors, or ``Absent``), ``RUNS`` (stateful scenarios
``run(case) -> {name: NumPy array}``), ``OPTIMIZERS`` (the ``torch.optim`` class of each
optimizer subject) with ``OPTIMIZER_RUN``, ``SERIALIZATION`` (export and import runs) with
``SERIALIZATION_FORMAT``, and ``conv_layer``. Every function is self-contained (it imports
torch inside and uses only NumPy and the helpers of this module), so a repro script pastes
its source (``conformance.checks.repro``); importing this module does not import torch.
"""
import numpy

from ...subjects.core import Absent


# =============================================================================================
# Functions
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


_OWN_SUBJECT = "torch's loss of this kind is its own subject ({})"

FUNCTIONS = {
    "conv2d": torch_conv2d,
    "conv_transpose2d": torch_conv_transpose2d,
    "max_pooling_2d": torch_max_pooling_2d,
    "average_pooling_2d": torch_average_pooling_2d,
    "linear": torch_linear,
    "mse_loss": torch_mse_loss,
    "binary_cross_entropy_with_logits": torch_binary_cross_entropy_with_logits,
    "cross_entropy": torch_cross_entropy,
    "mean_squared_error": Absent(_OWN_SUBJECT.format("mse_loss")),
    "sigmoid_cross_entropy": Absent(_OWN_SUBJECT.format("binary_cross_entropy_with_logits")),
    "softmax_cross_entropy": Absent(_OWN_SUBJECT.format("cross_entropy")),
}

#: How a conv.shape repro script makes a float32 tensor of NumPy array ``a`` on ``DEVICE``.
REPRO_TENSOR = "torch.tensor(a, dtype=torch.float32, device=DEVICE)"


def conv_layer(adapter, in_channels, out_channels, ksize):
    """A fresh ``nn.Conv2d`` with torch's default initialisation: ``(layer, [weight, bias])``."""
    import torch
    layer = torch.nn.Conv2d(in_channels, out_channels, ksize)
    return layer, [layer.weight, layer.bias]


# =============================================================================================
# Runs (see conformance.checks.layers for what a case holds)
# =============================================================================================

def _numpy_results(results):
    """{name: NumPy copy} of torch tensors (or arrays)."""
    converted = {}
    for name, value in results.items():
        if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor
            value = value.detach().cpu().numpy()
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


RUNS = {
    "Linear": torch_linear_layer_run,
    "rnn_tanh": torch_rnn_run,
    "rnn_relu": torch_rnn_run,
    "lstm": torch_rnn_run,
    "chainer_lstm": Absent("torch has no stateful L.LSTM (nn.LSTMCell with a user-held state; "
                           "the lstm subject covers nn.LSTM)"),
}


def _no_counterpart(subject, chainer_class):
    return Absent(f"torch.optim has no {subject} (chainer.optimizers.{chainer_class} has no "
                  f"torch counterpart)")


#: The ``torch.optim`` class of each optimizer subject (weight_decay: SGD's ``weight_decay``
#: argument; gradient_clipping: ``clip_grad_norm_`` before ``step``).
OPTIMIZERS = {
    "sgd": "SGD",
    "momentum_sgd": "SGD",
    "nesterov": "SGD",
    "adam": "Adam",
    "adamw": "AdamW",
    "amsgrad": "Adam",
    "adabound": _no_counterpart("adabound", "AdaBound"),
    "amsbound": _no_counterpart("amsbound", "AMSBound"),
    "rmsprop": "RMSprop",
    "rmsprop_graves": _no_counterpart("rmsprop_graves", "RMSpropGraves"),
    "adagrad": "Adagrad",
    "weight_decay": "SGD",
    "gradient_clipping": "SGD",
    "adadelta": "Adadelta",
    "smorms3": _no_counterpart("smorms3", "SMORMS3"),
    "corrected_momentum_sgd": Absent(
        "torch.optim has no CorrectedMomentumSGD: SGD(momentum) already updates p -= lr b, "
        "b = mu b + g, chainer's CorrectedMomentumSGD form (the momentum_sgd subject)"),
}

OPTIMIZER_RUN = torch_optimizer_run


# =============================================================================================
# Save and load
# =============================================================================================
# The network of ``conformance.properties.test_serialization``: parameters ``conv.weight``,
# ``conv.bias``, ``fc.weight``, ``fc.bias``. An export returns them as arrays
# (``state/<name>``: ``state_dict()``) with the output ``y``; an import loads
# ``case['arrays']`` (the npz's arrays in torch's names) with ``load_state_dict``.

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


SERIALIZATION = {
    "module": (torch_module_export, torch_module_import),
    "optimizer": (torch_optimizer_export, torch_optimizer_import),
}

#: What torch's exports are: parameter arrays (``state/<name>``, no file) in the refimpl
#: serializers layout 'torch', names ``<link>.<parameter>`` with torch's parameter names.
SERIALIZATION_FORMAT = {"container": "arrays", "layout": "torch", "separator": ".",
                        "names": {"weight": "weight", "bias": "bias"}}


# =============================================================================================
# Normalisation and regularisation (issue 17): functions and layer runs
# =============================================================================================

def torch_batch_normalization(x, gamma=None, beta=None, eps=None):
    import torch.nn.functional
    options = {} if eps is None else {"eps": eps}
    return torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, **options)


def torch_fixed_batch_normalization(x, gamma, beta, mean, var, eps=None):
    import torch
    import torch.nn.functional
    options = {} if eps is None else {"eps": eps}
    mean = torch.as_tensor(mean, dtype=x.dtype, device=x.device)
    var = torch.as_tensor(var, dtype=x.dtype, device=x.device)
    return torch.nn.functional.batch_norm(x, mean, var, gamma, beta, training=False, **options)


def torch_layer_normalization(x, gamma=None, beta=None, eps=None, normalized_ndim=1):
    import torch.nn.functional
    options = {} if eps is None else {"eps": eps}
    return torch.nn.functional.layer_norm(x, tuple(x.shape[x.dim() - normalized_ndim:]), gamma,
                                          beta, **options)


def torch_group_normalization(x, groups, gamma=None, beta=None, eps=None):
    import torch.nn.functional
    options = {} if eps is None else {"eps": eps}
    return torch.nn.functional.group_norm(x, groups, gamma, beta, **options)


def torch_local_response_normalization(x, n=5, k=None, alpha=1e-4, beta=0.75):
    import torch.nn.functional
    options = {} if k is None else {"k": k}
    return torch.nn.functional.local_response_norm(x, n, alpha=alpha, beta=beta, **options)


def torch_embed_id(x, W, ignore_label=None):
    import torch
    import torch.nn.functional
    ids = torch.as_tensor(x, device=W.device)
    return torch.nn.functional.embedding(ids, W, padding_idx=ignore_label)


def torch_dropout(x, ratio=0.5, train=None):
    import torch.nn.functional
    if train is None:  # torch's own default (training=True)
        return torch.nn.functional.dropout(x, ratio)
    return torch.nn.functional.dropout(x, ratio, training=train)


def torch_rrelu_training(x, lower=0.125, upper=1.0 / 3.0, train=None):
    import torch.nn.functional
    if train is None:  # torch's own default (training=False)
        return torch.nn.functional.rrelu(x, lower, upper)
    return torch.nn.functional.rrelu(x, lower, upper, training=train)


FUNCTIONS.update({
    "batch_normalization": torch_batch_normalization,
    "fixed_batch_normalization": torch_fixed_batch_normalization,
    "layer_normalization": torch_layer_normalization,
    "group_normalization": torch_group_normalization,
    "local_response_normalization": torch_local_response_normalization,
    "embed_id": torch_embed_id,
    "dropout": torch_dropout,
    "rrelu_training": torch_rrelu_training,
})


def torch_batch_norm_layer_run(case):
    """nn.BatchNorm1d/2d(size) (eps, momentum given or torch's; ``cumulative``:
    momentum=None), training steps then one evaluation step."""
    import torch
    dtype = getattr(torch, case["dtype"])
    options = case["options"]
    kwargs = {"affine": options["affine"], "dtype": dtype}
    if options["eps"] is not None:
        kwargs["eps"] = options["eps"]
    if options["cumulative"]:
        kwargs["momentum"] = None
    elif options["average"] is not None:
        kwargs["momentum"] = options["average"]
    layer_class = torch.nn.BatchNorm2d if case["xs"][0].ndim == 4 else torch.nn.BatchNorm1d
    layer = layer_class(case["size"], **kwargs)
    if options["affine"]:
        with torch.no_grad():
            layer.weight.copy_(torch.as_tensor(case["gamma"]))
            layer.bias.copy_(torch.as_tensor(case["beta"]))
    results = {}
    layer.train()
    for step, (x, gy) in enumerate(zip(case["xs"], case["gys"])):
        x = torch.tensor(x, dtype=dtype, requires_grad=True)
        y = layer(x)
        results[f"step{step}.y"] = y
        if case["backward"]:
            layer.zero_grad()
            (y * torch.as_tensor(gy, dtype=dtype)).sum().backward()
            results[f"step{step}.x.grad"] = x.grad
            if options["affine"]:
                results[f"step{step}.gamma.grad"] = layer.weight.grad
                results[f"step{step}.beta.grad"] = layer.bias.grad
        results[f"step{step}.running_mean"] = layer.running_mean.clone()
        results[f"step{step}.running_var"] = layer.running_var.clone()
    layer.eval()
    results["eval.y"] = layer(torch.tensor(case["eval_x"], dtype=dtype))
    return _numpy_results(results)


def _torch_affine_layer_run(layer, case, dtype):
    import torch
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(case["gamma"]))
        layer.bias.copy_(torch.as_tensor(case["beta"]))
    x = torch.tensor(case["x"], dtype=dtype, requires_grad=True)
    y = layer(x)
    results = {"y": y}
    if case["backward"]:
        (y * torch.as_tensor(case["gy"], dtype=dtype)).sum().backward()
        results.update({"x.grad": x.grad, "gamma.grad": layer.weight.grad,
                        "beta.grad": layer.bias.grad})
    return _numpy_results(results)


def torch_layer_norm_layer_run(case):
    """nn.LayerNorm(size) (eps given or torch's)."""
    import torch
    dtype = getattr(torch, case["dtype"])
    options = {} if case["eps"] is None else {"eps": case["eps"]}
    return _torch_affine_layer_run(torch.nn.LayerNorm(case["size"], dtype=dtype, **options),
                                   case, dtype)


def torch_group_norm_layer_run(case):
    """nn.GroupNorm(groups, size) (eps given or torch's)."""
    import torch
    dtype = getattr(torch, case["dtype"])
    options = {} if case["eps"] is None else {"eps": case["eps"]}
    return _torch_affine_layer_run(
        torch.nn.GroupNorm(case["groups"], case["size"], dtype=dtype, **options), case, dtype)


def torch_embed_id_layer_run(case):
    """nn.Embedding(rows, d, padding_idx=...) with W copied in (its padding row too: torch
    zeroes it at construction, chainer keeps its initial value)."""
    import torch
    dtype = getattr(torch, case["dtype"])
    weight = case["W"]
    layer = torch.nn.Embedding(weight.shape[0], weight.shape[1],
                               padding_idx=case["ignore_label"], dtype=dtype)
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(weight))
    y = layer(torch.as_tensor(case["ids"], dtype=torch.int64))
    results = {"y": y}
    if case["backward"]:
        (y * torch.as_tensor(case["gy"], dtype=dtype)).sum().backward()
        results["W.grad"] = layer.weight.grad
    return _numpy_results(results)


RUNS.update({
    "EmbedID": torch_embed_id_layer_run,
    "BatchNormalization": torch_batch_norm_layer_run,
    "LayerNormalization": torch_layer_norm_layer_run,
    "GroupNormalization": torch_group_norm_layer_run,
})


# --- issue 17 layers: convolutions, PReLU, Maxout, Bilinear, Highway, GRU ----------------------
from . import layers_more as _layers_more  # noqa: E402  (its bindings join these tables)

FUNCTIONS.update(_layers_more.FUNCTIONS)
RUNS.update(_layers_more.RUNS)
default_layer = _layers_more.default_layer


# issue-17 losses (conformance/subjects/losses_more.py)
from .layers_losses import FUNCTIONS as _LOSS_FUNCTIONS  # noqa: E402

FUNCTIONS.update(_LOSS_FUNCTIONS)


# learning-rate schedules (issue 17): one run serves every optim.schedule subject (the case
# names its kind)
from ...subjects.schedules import KINDS as _SCHEDULE_KINDS  # noqa: E402
from .schedules import torch_lr_schedule_run  # noqa: E402

RUNS.update({f"lr_{kind}": torch_lr_schedule_run for kind in _SCHEDULE_KINDS})
RUNS["lr_inverse"] = Absent("torch.optim.lr_scheduler has no inverse decay, lr (1 + gamma t)^-power "
                            "(chainer's InverseShift): LambdaLR with that function is the way")


def dropout_in_evaluation(adapter, x, ratio):
    """Normalisation (issue 17): a module in evaluation mode (``module.eval()``) whose forward
    calls ``F.dropout(x, ratio)`` without its training flag; the output as a NumPy array."""
    import torch

    class Net(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.dropout(x, ratio)

    return Net().eval()(torch.as_tensor(x)).numpy()
