"""refimpl's bindings of the issue-17 layer subjects (``conformance.subjects.layers_more``),
merged into ``layers.FUNCTIONS``/``layers.RUNS``: the oracle's side. Each run builds
refimpl's layer under ``case['policy']`` from the case's weights, in the layout of the API
the case was drawn for (which that policy models)."""
import numpy

FUNCTIONS = {name: name for name in ("conv1d", "conv3d", "depthwise_conv2d", "prelu", "maxout",
                                     "bilinear")}


def _numpy_results(results):
    """{name: NumPy copy} of refimpl Variables (or arrays); None values are left out."""
    return {name: numpy.array(value.data if hasattr(value, "creator") else value)
            for name, value in results.items() if value is not None}


def _conv_results(case, layer_parameters, x, y, dtype):
    import refimpl.functions as F
    results = {"y": y}
    if case["backward"]:
        F.sum(y * case["gy"].astype(dtype)).backward()
        weight, bias = layer_parameters
        results.update({"x.grad": x.grad, "W.grad": weight.grad})
        if bias is not None:
            results["b.grad"] = bias.grad
    return _numpy_results(results)


def refimpl_conv_layer_run(case):
    """``nn.Conv2d`` from the case's W and b (the conv2d, dilated and grouped layers)."""
    import refimpl
    from refimpl import nn
    dtype = numpy.dtype(case["dtype"])
    kwargs, weight, bias = case["kwargs"], case["W"], case.get("b")
    groups = kwargs.get("groups", 1)
    with refimpl.semantics(case["policy"]):
        layer = nn.Conv2d(weight.shape[1] * groups, weight.shape[0], weight.shape[2:],
                          stride=kwargs["stride"], padding=kwargs["pad"],
                          dilation=kwargs["dilation"], groups=groups, bias=bias is not None,
                          initial_weight=weight, initial_bias=bias, dtype=dtype)
        layer.cleargrads()
        x = refimpl.Variable(case["x"].astype(dtype), requires_grad=True)
        return _conv_results(case, (layer.weight, layer.bias), x, layer(x), dtype)


def refimpl_conv_nd_layer_run(case):
    """``conv1d`` / ``conv3d`` (by x's rank) of the case's W and b as leaves."""
    import refimpl
    import refimpl.functions as F
    dtype = numpy.dtype(case["dtype"])
    with refimpl.semantics(case["policy"]):
        weight = refimpl.Variable(case["W"].astype(dtype), requires_grad=True)
        bias = (refimpl.Variable(case["b"].astype(dtype), requires_grad=True)
                if case.get("b") is not None else None)
        x = refimpl.Variable(case["x"].astype(dtype), requires_grad=True)
        function = F.conv1d if x.ndim == 3 else F.conv3d
        y = function(x, weight, bias, **case["kwargs"])
        return _conv_results(case, (weight, bias), x, y, dtype)


def refimpl_depthwise_layer_run(case):
    """``depthwise_conv2d`` of the case's W (in the policy's layout) and b as leaves."""
    import refimpl
    import refimpl.functions as F
    dtype = numpy.dtype(case["dtype"])
    with refimpl.semantics(case["policy"]):
        weight = refimpl.Variable(case["W"].astype(dtype), requires_grad=True)
        bias = (refimpl.Variable(case["b"].astype(dtype), requires_grad=True)
                if case.get("b") is not None else None)
        x = refimpl.Variable(case["x"].astype(dtype), requires_grad=True)
        y = F.depthwise_conv2d(x, weight, bias, **case["kwargs"])
        return _conv_results(case, (weight, bias), x, y, dtype)


def refimpl_deconv_layer_run(case):
    """``nn.ConvTranspose2d`` from the case's W and b, asked for the case's output size under
    the policy (``conv_transpose_output_size``)."""
    import refimpl
    from refimpl.nn.layers_more import ConvTranspose2d
    dtype = numpy.dtype(case["dtype"])
    kwargs, weight, bias = case["kwargs"], case["W"], case.get("b")
    groups = kwargs.get("groups", 1)
    with refimpl.semantics(case["policy"]):
        layer = ConvTranspose2d(weight.shape[0], weight.shape[1] * groups, weight.shape[2:],
                                stride=kwargs["stride"], padding=kwargs["pad"], groups=groups,
                                bias=bias is not None, dilation=kwargs["dilation"],
                                initial_weight=weight, initial_bias=bias, dtype=dtype)
        layer.cleargrads()
        x = refimpl.Variable(case["x"].astype(dtype), requires_grad=True)
        y = layer(x, kwargs.get("output_size"))
        return _conv_results(case, (layer.weight, layer.bias), x, y, dtype)


def refimpl_bilinear_layer_run(case):
    """refimpl ``nn.Bilinear`` under the policy, its parameters set from the case's torch-layout
    weight in the policy's layout (``bilinear_weight_layout``; linear terms, where the policy's
    layer has them, zero); gradients given back in torch's layout."""
    import refimpl
    import refimpl.functions as F
    from refimpl.nn.layers_more import Bilinear
    dtype = numpy.dtype(case["dtype"])
    out, in1, in2 = case["weight"].shape
    bias = case.get("bias")
    with refimpl.semantics(case["policy"]) as policy:
        layer = Bilinear(in1, in2, out, bias=bias is not None, dtype=dtype, rng=0)
        torch_layout = policy.bilinear_weight_layout == "out_in1_in2"
        layer.weight.data[...] = case["weight"] if torch_layout else case["weight"].transpose(1, 2, 0)
        for name in ("V1", "V2"):
            if getattr(layer, name, None) is not None:
                getattr(layer, name).data[...] = 0
        if bias is not None:
            layer.bias.data[...] = bias
        layer.cleargrads()
        x1 = refimpl.Variable(case["x1"].astype(dtype), requires_grad=True)
        x2 = refimpl.Variable(case["x2"].astype(dtype), requires_grad=True)
        y = layer(x1, x2)
        results = {"y": y}
        if case["backward"]:
            F.sum(y * case["gy"].astype(dtype)).backward()
            weight_grad = layer.weight.grad
            results.update({"x1.grad": x1.grad, "x2.grad": x2.grad,
                            "weight.grad": weight_grad if torch_layout
                            else weight_grad.transpose(2, 0, 1)})
            if bias is not None:
                results["bias.grad"] = layer.bias.grad
        return _numpy_results(results)


def refimpl_highway_run(case):
    import refimpl
    import refimpl.functions as F
    from refimpl.nn.layers_more import Highway
    dtype = numpy.dtype(case["dtype"])
    weights = case["weights"]
    with refimpl.semantics(case["policy"]):
        layer = Highway(weights["plain/W"].shape[0], initial_weights=weights, dtype=dtype)
        layer.cleargrads()
        x = refimpl.Variable(case["x"].astype(dtype), requires_grad=True)
        y = layer(x)
        results = {"y": y}
        if case["backward"]:
            F.sum(y * case["gy"].astype(dtype)).backward()
            results["x.grad"] = x.grad
            results.update({f"{path.lstrip('/')}.grad": p.grad
                            for path, p in layer.namedparams()})
        return _numpy_results(results)


def refimpl_gru_cell_run(case):
    import refimpl
    import refimpl.functions as F
    from refimpl.nn.layers_more import GRUCell
    dtype = numpy.dtype(case["dtype"])
    with refimpl.semantics(case["policy"]):
        cell = GRUCell(**case["options"], dtype=dtype)
        cell.load_state_dict({name: numpy.asarray(value, dtype)
                              for name, value in case["weights"].items()})
        cell.cleargrads()
        x = refimpl.Variable(case["x"].astype(dtype), requires_grad=True)
        h0 = (refimpl.Variable(case["h0"].astype(dtype), requires_grad=True)
              if case.get("h0") is not None else None)
        h = cell(x, h0)
        results = {"h'": h}
        if case["backward"]:
            F.sum(h * case["grad_h"].astype(dtype)).backward()
            results["x.grad"] = x.grad
            if h0 is not None:
                results["h0.grad"] = h0.grad
            results.update({f"{name}.grad": p.grad for name, p in cell.named_parameters()})
        return _numpy_results(results)


def refimpl_gru_run(case):
    import refimpl
    import refimpl.functions as F
    from refimpl.nn.layers_more import GRU
    dtype = numpy.dtype(case["dtype"])
    with refimpl.semantics(case["policy"]):
        layer = GRU(**case["options"], dtype=dtype)
        layer.load_state_dict({name: numpy.asarray(value, dtype)
                               for name, value in case["weights"].items()})
        layer.cleargrads()
        x = refimpl.Variable(case["x"].astype(dtype), requires_grad=True)
        h0 = (refimpl.Variable(case["h0"].astype(dtype), requires_grad=True)
              if case.get("h0") is not None else None)
        output, h_n = layer(x, h0)
        results = {"output": output, "h_n": h_n}
        if case["backward"]:
            loss = (F.sum(output * case["grad_output"].astype(dtype))
                    + F.sum(h_n * case["grad_h_n"].astype(dtype)))
            loss.backward()
            results["x.grad"] = x.grad
            if h0 is not None:
                results["h0.grad"] = h0.grad
            results.update({f"{name}.grad": p.grad for name, p in layer.named_parameters()})
        return _numpy_results(results)


RUNS = {
    "conv2d_layer": refimpl_conv_layer_run,
    "conv1d_layer": refimpl_conv_nd_layer_run,
    "conv3d_layer": refimpl_conv_nd_layer_run,
    "dilated_conv2d_layer": refimpl_conv_layer_run,
    "depthwise_conv2d_layer": refimpl_depthwise_layer_run,
    "deconv2d_layer": refimpl_deconv_layer_run,
    "bilinear_layer": refimpl_bilinear_layer_run,
    "highway": refimpl_highway_run,
    "gru_cell": refimpl_gru_cell_run,
    "gru": refimpl_gru_run,
}


# =============================================================================================
# Fresh layers with the policy's defaults (behaviour cases)
# =============================================================================================

def refimpl_default_layer(name, policy, *sizes):
    """{parameter name: array} of a fresh refimpl ``PReLU()`` or ``Bilinear(*sizes)`` built
    under ``policy``."""
    import refimpl
    from refimpl.nn.layers_more import Bilinear, PReLU
    with refimpl.semantics(policy):
        layer = PReLU() if name == "prelu" else Bilinear(*sizes)
        return _numpy_results(dict(layer.named_parameters()))


def default_layer(adapter, name, *sizes):
    """{parameter name: array} of a fresh refimpl layer ``name`` under the adapter's policy."""
    return refimpl_default_layer(name, adapter.policy, *sizes)
