"""PyTorch's bindings of the issue-17 layer subjects (``conformance.subjects.layers_more``),
merged into ``layers.FUNCTIONS``/``layers.RUNS``; self-contained as ``layers``' (a repro
pastes a binding's source; importing this module does not import torch)."""
import numpy

from ...subjects.core import Absent

# =============================================================================================
# Functions
# =============================================================================================


def torch_conv1d(x, W, b=None, stride=1, pad=0, dilation=1, groups=1):
    import torch.nn.functional
    return torch.nn.functional.conv1d(x, W, b, stride=stride, padding=pad, dilation=dilation,
                                      groups=groups)


def torch_conv3d(x, W, b=None, stride=1, pad=0, dilation=1, groups=1):
    import torch.nn.functional
    return torch.nn.functional.conv3d(x, W, b, stride=stride, padding=pad, dilation=dilation,
                                      groups=groups)


def torch_depthwise_conv2d(x, W, b=None, stride=1, pad=0):
    import torch.nn.functional
    return torch.nn.functional.conv2d(x, W, b, stride=stride, padding=pad, groups=x.shape[1])


def torch_prelu(x, W):
    import torch.nn.functional
    return torch.nn.functional.prelu(x, W)


def torch_bilinear(x1, x2, W, b=None):
    import torch.nn.functional
    return torch.nn.functional.bilinear(x1, x2, W, b)


FUNCTIONS = {
    "conv1d": torch_conv1d,
    "conv3d": torch_conv3d,
    "depthwise_conv2d": torch_depthwise_conv2d,
    "prelu": torch_prelu,
    "maxout": Absent("torch has no maxout (torch.nn.functional has none; a port writes "
                     "x.unflatten(1, (C // p, p)).amax(2))"),
    "bilinear": torch_bilinear,
}


# =============================================================================================
# Runs (see conformance.checks.layers for what a case holds)
# =============================================================================================

def _numpy_results(results):
    """{name: NumPy copy} of torch tensors (or arrays); None values are left out."""
    return {name: numpy.array(value.detach().cpu().numpy() if hasattr(value, "detach") else value)
            for name, value in results.items() if value is not None}


def _conv_results(case, layer, x, y, dtype):
    import torch
    results = {"y": y}
    if case["backward"]:
        (y * torch.as_tensor(case["gy"], dtype=dtype)).sum().backward()
        results.update({"x.grad": x.grad, "W.grad": layer.weight.grad})
        if layer.bias is not None:
            results["b.grad"] = layer.bias.grad
    return _numpy_results(results)


def _load_conv(layer, case, dtype):
    import torch
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(case["W"], dtype=dtype))
        if layer.bias is not None:
            layer.bias.copy_(torch.as_tensor(case["b"], dtype=dtype))


def torch_conv_layer_run(case):
    """``nn.Conv2d`` built from the case's W (O, C / groups, kh, kw) and b."""
    import torch
    dtype = getattr(torch, case["dtype"])
    kwargs, weight = case["kwargs"], case["W"]
    groups = kwargs.get("groups", 1)
    layer = torch.nn.Conv2d(weight.shape[1] * groups, weight.shape[0], weight.shape[2:],
                            stride=kwargs["stride"], padding=kwargs["pad"],
                            dilation=kwargs["dilation"], groups=groups,
                            bias=case.get("b") is not None, dtype=dtype)
    _load_conv(layer, case, dtype)
    x = torch.tensor(case["x"], dtype=dtype, requires_grad=True)
    return _conv_results(case, layer, x, layer(x), dtype)


def torch_conv_nd_layer_run(case):
    """``nn.Conv1d`` / ``nn.Conv3d`` (by x's rank) built from the case's W and b."""
    import torch
    dtype = getattr(torch, case["dtype"])
    kwargs, weight = case["kwargs"], case["W"]
    groups = kwargs.get("groups", 1)
    layer_class = torch.nn.Conv1d if case["x"].ndim == 3 else torch.nn.Conv3d
    layer = layer_class(weight.shape[1] * groups, weight.shape[0], weight.shape[2:],
                        stride=kwargs["stride"], padding=kwargs["pad"],
                        dilation=kwargs["dilation"], groups=groups,
                        bias=case.get("b") is not None, dtype=dtype)
    _load_conv(layer, case, dtype)
    x = torch.tensor(case["x"], dtype=dtype, requires_grad=True)
    return _conv_results(case, layer, x, layer(x), dtype)


def torch_depthwise_layer_run(case):
    """``nn.Conv2d(C, C m, k, groups=C)`` from the case's W (C m, 1, kh, kw) and b."""
    import torch
    dtype = getattr(torch, case["dtype"])
    kwargs, weight, channels = case["kwargs"], case["W"], case["x"].shape[1]
    layer = torch.nn.Conv2d(channels, weight.shape[0], weight.shape[2:], stride=kwargs["stride"],
                            padding=kwargs["pad"], groups=channels,
                            bias=case.get("b") is not None, dtype=dtype)
    _load_conv(layer, case, dtype)
    x = torch.tensor(case["x"], dtype=dtype, requires_grad=True)
    return _conv_results(case, layer, x, layer(x), dtype)


def torch_deconv_layer_run(case):
    """``nn.ConvTranspose2d`` from the case's W (C, O / groups, kh, kw) and b, called with
    ``output_size`` where the case asks for one."""
    import torch
    dtype = getattr(torch, case["dtype"])
    kwargs, weight = case["kwargs"], case["W"]
    groups = kwargs.get("groups", 1)
    layer = torch.nn.ConvTranspose2d(weight.shape[0], weight.shape[1] * groups, weight.shape[2:],
                                     stride=kwargs["stride"], padding=kwargs["pad"],
                                     groups=groups, bias=case.get("b") is not None,
                                     dilation=kwargs["dilation"], dtype=dtype)
    _load_conv(layer, case, dtype)
    x = torch.tensor(case["x"], dtype=dtype, requires_grad=True)
    y = layer(x, output_size=kwargs.get("output_size"))
    return _conv_results(case, layer, x, y, dtype)


def torch_bilinear_layer_run(case):
    """``nn.Bilinear`` loading the case's weight (out, in1, in2) and bias."""
    import torch
    dtype = getattr(torch, case["dtype"])
    out, in1, in2 = case["weight"].shape
    layer = torch.nn.Bilinear(in1, in2, out, bias=case.get("bias") is not None, dtype=dtype)
    layer.load_state_dict({name: torch.as_tensor(case[name], dtype=dtype)
                           for name in ("weight", "bias") if case.get(name) is not None})
    x1 = torch.tensor(case["x1"], dtype=dtype, requires_grad=True)
    x2 = torch.tensor(case["x2"], dtype=dtype, requires_grad=True)
    y = layer(x1, x2)
    results = {"y": y}
    if case["backward"]:
        (y * torch.as_tensor(case["gy"], dtype=dtype)).sum().backward()
        results.update({"x1.grad": x1.grad, "x2.grad": x2.grad,
                        "weight.grad": layer.weight.grad})
        if layer.bias is not None:
            results["bias.grad"] = layer.bias.grad
    return _numpy_results(results)


def torch_gru_cell_run(case):
    """``nn.GRUCell`` loading the case's weights; ``h'`` and, with backward of
    ``sum(h' * grad_h)``, the gradients of x, h0 and every parameter."""
    import torch
    dtype = getattr(torch, case["dtype"])
    cell = torch.nn.GRUCell(**case["options"], dtype=dtype)
    cell.load_state_dict({name: torch.as_tensor(value, dtype=dtype)
                          for name, value in case["weights"].items()})
    x = torch.tensor(case["x"], dtype=dtype, requires_grad=True)
    h0 = (torch.tensor(case["h0"], dtype=dtype, requires_grad=True)
          if case.get("h0") is not None else None)
    h = cell(x, h0)
    results = {"h'": h}
    if case["backward"]:
        (h * torch.as_tensor(case["grad_h"], dtype=dtype)).sum().backward()
        results["x.grad"] = x.grad
        if h0 is not None:
            results["h0.grad"] = h0.grad
        results.update({f"{name}.grad": p.grad for name, p in cell.named_parameters()})
    return _numpy_results(results)


def torch_gru_run(case):
    """``nn.GRU`` loading the case's weights (as ``layers.torch_rnn_run``)."""
    import torch
    dtype = getattr(torch, case["dtype"])
    layer = torch.nn.GRU(**case["options"], dtype=dtype)
    layer.load_state_dict({name: torch.as_tensor(value, dtype=dtype)
                           for name, value in case["weights"].items()})
    x = torch.tensor(case["x"], dtype=dtype, requires_grad=True)
    h0 = (torch.tensor(case["h0"], dtype=dtype, requires_grad=True)
          if case.get("h0") is not None else None)
    output, h_n = layer(x, h0)
    results = {"output": output, "h_n": h_n}
    if case["backward"]:
        loss = ((output * torch.as_tensor(case["grad_output"], dtype=dtype)).sum()
                + (h_n * torch.as_tensor(case["grad_h_n"], dtype=dtype)).sum())
        loss.backward()
        results["x.grad"] = x.grad
        if h0 is not None:
            results["h0.grad"] = h0.grad
        results.update({f"{name}.grad": p.grad for name, p in layer.named_parameters()})
    return _numpy_results(results)


RUNS = {
    "conv2d_layer": torch_conv_layer_run,
    "conv1d_layer": torch_conv_nd_layer_run,
    "conv3d_layer": torch_conv_nd_layer_run,
    "dilated_conv2d_layer": torch_conv_layer_run,
    "depthwise_conv2d_layer": torch_depthwise_layer_run,
    "deconv2d_layer": torch_deconv_layer_run,
    "bilinear_layer": torch_bilinear_layer_run,
    "highway": Absent("torch has no Highway layer (torch.nn has none; chainer's L.Highway is "
                      "relu(plain(x)) * t + x * (1 - t), t = sigmoid(transform(x)))"),
    "gru_cell": torch_gru_cell_run,
    "gru": torch_gru_run,
}


# =============================================================================================
# Fresh layers with torch's defaults (behaviour cases): {name: make(*sizes) -> {param: array}}
# =============================================================================================

def torch_default_prelu():
    import torch
    return _numpy_results(dict(torch.nn.PReLU().named_parameters()))


def torch_default_bilinear(in1, in2, out):
    import torch
    return _numpy_results(dict(torch.nn.Bilinear(in1, in2, out).named_parameters()))


DEFAULT_LAYERS = {"prelu": torch_default_prelu, "bilinear": torch_default_bilinear}


def default_layer(adapter, name, *sizes):
    """{parameter name: array} of a fresh layer ``name`` ('prelu', 'bilinear') with torch's
    defaults."""
    return DEFAULT_LAYERS[name](*sizes)
