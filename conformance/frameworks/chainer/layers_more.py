"""Chainer's bindings of the issue-17 layer subjects (``conformance.subjects.layers_more``),
merged into ``layers.FUNCTIONS``/``layers.RUNS``, and the ``L.NStepRNN*``/``NStepLSTM``/
``NStepGRU`` bindings of the recurrent subjects (``rnn_tanh``, ``rnn_relu``, ``lstm``, ``gru``:
torch-layout weights mapped onto chainer's ``w0..``/``b0..``). Self-contained as ``layers``'
(a repro pastes a binding's source; importing this module does not import chainer)."""
import numpy

from ...subjects.core import Absent

# =============================================================================================
# Functions
# =============================================================================================


def chainer_conv1d(x, W, b=None, stride=1, pad=0, dilation=1, groups=1, cover_all=False):
    import chainer.functions
    return chainer.functions.convolution_1d(x, W, b, stride=stride, pad=pad, cover_all=cover_all,
                                            dilate=dilation, groups=groups)


def chainer_conv3d(x, W, b=None, stride=1, pad=0, dilation=1, groups=1, cover_all=False):
    import chainer.functions
    return chainer.functions.convolution_3d(x, W, b, stride=stride, pad=pad, cover_all=cover_all,
                                            dilate=dilation, groups=groups)


def chainer_depthwise_conv2d(x, W, b=None, stride=1, pad=0):
    import chainer.functions
    return chainer.functions.depthwise_convolution_2d(x, W, b, stride=stride, pad=pad)


def chainer_prelu(x, W):
    import chainer.functions
    return chainer.functions.prelu(x, W)


def chainer_maxout(x, pool_size, axis=1):
    import chainer.functions
    return chainer.functions.maxout(x, pool_size, axis=axis)


def chainer_bilinear(x1, x2, W, b=None, V1=None, V2=None):
    import chainer.functions
    return chainer.functions.bilinear(x1, x2, W, V1, V2, b)


FUNCTIONS = {
    "conv1d": chainer_conv1d,
    "conv3d": chainer_conv3d,
    "depthwise_conv2d": chainer_depthwise_conv2d,
    "prelu": chainer_prelu,
    "maxout": chainer_maxout,
    "bilinear": chainer_bilinear,
}

# =============================================================================================
# Runs (see conformance.checks.layers for what a case holds)
# =============================================================================================

def _numpy_results(results):
    """{name: NumPy copy} of chainer Variables (or arrays); None values are left out."""
    return {name: numpy.array(value.array if hasattr(value, "array") else value)
            for name, value in results.items() if value is not None}


def _conv_link_results(case, link, x, y, dtype):
    import chainer.functions
    results = {"y": y}
    if case["backward"]:
        chainer.functions.sum(y * case["gy"].astype(dtype)).backward()
        results.update({"x.grad": x.grad, "W.grad": link.W.grad})
        if case.get("b") is not None:
            results["b.grad"] = link.b.grad
    return _numpy_results(results)


def _initial(case, dtype):
    """(initialW, initial_bias, nobias) of a conv link from the case."""
    bias = case.get("b")
    return (case["W"].astype(dtype), None if bias is None else bias.astype(dtype), bias is None)


def chainer_conv_layer_run(case):
    """``L.Convolution2D`` built from the case's W (O, C / groups, kh, kw) and b."""
    import chainer
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    kwargs, weight = case["kwargs"], case["W"]
    groups = kwargs.get("groups", 1)
    initial_weight, initial_bias, nobias = _initial(case, dtype)
    with chainer.using_config("dtype", dtype):
        link = chainer.links.Convolution2D(
            weight.shape[1] * groups, weight.shape[0], weight.shape[2:], stride=kwargs["stride"],
            pad=kwargs["pad"], nobias=nobias, initialW=initial_weight,
            initial_bias=initial_bias, dilate=kwargs["dilation"], groups=groups)
    link.cleargrads()  # a fresh chainer parameter's grad is NaN until cleared
    x = chainer.Variable(case["x"].astype(dtype))
    return _conv_link_results(case, link, x, link(x), dtype)


def chainer_conv_nd_layer_run(case):
    """``L.Convolution1D`` / ``L.Convolution3D`` (by x's rank) built from the case's W and b."""
    import chainer
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    kwargs, weight = case["kwargs"], case["W"]
    groups = kwargs.get("groups", 1)
    link_class = (chainer.links.Convolution1D if case["x"].ndim == 3
                  else chainer.links.Convolution3D)
    initial_weight, initial_bias, nobias = _initial(case, dtype)
    with chainer.using_config("dtype", dtype):
        link = link_class(weight.shape[1] * groups, weight.shape[0], weight.shape[2:],
                          stride=kwargs["stride"], pad=kwargs["pad"], nobias=nobias,
                          initialW=initial_weight, initial_bias=initial_bias,
                          dilate=kwargs["dilation"], groups=groups)
    link.cleargrads()
    x = chainer.Variable(case["x"].astype(dtype))
    return _conv_link_results(case, link, x, link(x), dtype)


def chainer_dilated_layer_run(case):
    """``L.DilatedConvolution2D`` built from the case's W (O, C, kh, kw) and b."""
    import chainer
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    kwargs, weight = case["kwargs"], case["W"]
    initial_weight, initial_bias, nobias = _initial(case, dtype)
    with chainer.using_config("dtype", dtype):
        link = chainer.links.DilatedConvolution2D(
            weight.shape[1], weight.shape[0], weight.shape[2:], stride=kwargs["stride"],
            pad=kwargs["pad"], dilate=kwargs["dilation"], nobias=nobias,
            initialW=initial_weight, initial_bias=initial_bias)
    link.cleargrads()
    x = chainer.Variable(case["x"].astype(dtype))
    return _conv_link_results(case, link, x, link(x), dtype)


def chainer_depthwise_layer_run(case):
    """``L.DepthwiseConvolution2D(C, m, k)`` built from the case's W (m, C, kh, kw) and b."""
    import chainer
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    kwargs, weight = case["kwargs"], case["W"]
    initial_weight, initial_bias, nobias = _initial(case, dtype)
    with chainer.using_config("dtype", dtype):
        link = chainer.links.DepthwiseConvolution2D(
            weight.shape[1], weight.shape[0], weight.shape[2:], stride=kwargs["stride"],
            pad=kwargs["pad"], nobias=nobias, initialW=initial_weight,
            initial_bias=initial_bias)
    link.cleargrads()
    x = chainer.Variable(case["x"].astype(dtype))
    return _conv_link_results(case, link, x, link(x), dtype)


def chainer_deconv_layer_run(case):
    """``L.Deconvolution2D`` built from the case's W (C, O / groups, kh, kw) and b, with
    ``outsize`` where the case asks for an output size."""
    import chainer
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    kwargs, weight = case["kwargs"], case["W"]
    groups = kwargs.get("groups", 1)
    initial_weight, initial_bias, nobias = _initial(case, dtype)
    with chainer.using_config("dtype", dtype):
        link = chainer.links.Deconvolution2D(
            weight.shape[0], weight.shape[1] * groups, weight.shape[2:], stride=kwargs["stride"],
            pad=kwargs["pad"], nobias=nobias, outsize=kwargs.get("output_size"),
            initialW=initial_weight, initial_bias=initial_bias, dilate=kwargs["dilation"],
            groups=groups)
    link.cleargrads()
    x = chainer.Variable(case["x"].astype(dtype))
    return _conv_link_results(case, link, x, link(x), dtype)


def chainer_bilinear_layer_run(case):
    """``L.Bilinear`` with the case's torch-layout weight mapped to W = weight.transpose(1, 2,
    0), and with a bias: V1 = V2 = 0, b = bias (``nobias=True`` without one); gradients given
    back in torch's layout."""
    import chainer
    import chainer.functions
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    out, in1, in2 = case["weight"].shape
    bias = case.get("bias")
    with chainer.using_config("dtype", dtype):
        link = chainer.links.Bilinear(in1, in2, out, nobias=bias is None)
    link.W.array[...] = case["weight"].transpose(1, 2, 0)
    if bias is not None:
        link.V1.array[...] = 0
        link.V2.array[...] = 0
        link.b.array[...] = bias
    link.cleargrads()
    x1 = chainer.Variable(case["x1"].astype(dtype))
    x2 = chainer.Variable(case["x2"].astype(dtype))
    y = link(x1, x2)
    results = {"y": y}
    if case["backward"]:
        chainer.functions.sum(y * case["gy"].astype(dtype)).backward()
        results.update({"x1.grad": x1.grad, "x2.grad": x2.grad,
                        "weight.grad": link.W.grad.transpose(2, 0, 1)})
        if bias is not None:
            results["bias.grad"] = link.b.grad
    return _numpy_results(results)


def chainer_highway_run(case):
    """``L.Highway(in_size)`` with the case's plain/transform weights and biases."""
    import chainer
    import chainer.functions
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    weights = case["weights"]
    with chainer.using_config("dtype", dtype):
        link = chainer.links.Highway(weights["plain/W"].shape[0])
    for path, param in link.namedparams():
        param.array[...] = weights[path.lstrip("/")]
    link.cleargrads()
    x = chainer.Variable(case["x"].astype(dtype))
    y = link(x)
    results = {"y": y}
    if case["backward"]:
        chainer.functions.sum(y * case["gy"].astype(dtype)).backward()
        results["x.grad"] = x.grad
        results.update({f"{path.lstrip('/')}.grad": p.grad for path, p in link.namedparams()})
    return _numpy_results(results)


def chainer_gru_cell_run(case):
    """``L.StatelessGRU`` with torch's row blocks (r, z, n) of weight_ih/bias_ih as its links
    W_r, W_z, W and those of weight_hh/bias_hh as U_r, U_z, U (zero biases for
    ``bias=False``), called as ``link(h, x)`` (zeros for no initial state). Gradients are
    given back in torch's names (the blocks concatenated)."""
    import chainer
    import chainer.functions
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    options, weights = case["options"], case["weights"]
    hidden = options["hidden_size"]
    with chainer.using_config("dtype", dtype):
        link = chainer.links.StatelessGRU(options["input_size"], hidden)
    pairs = {"ih": ("W_r", "W_z", "W"), "hh": ("U_r", "U_z", "U")}
    for side, names in pairs.items():
        for block, name in enumerate(names):
            rows = slice(block * hidden, (block + 1) * hidden)
            child = getattr(link, name)
            child.W.array[...] = weights["weight_" + side][rows]
            child.b.array[...] = weights["bias_" + side][rows] if options["bias"] else 0
    link.cleargrads()
    x = chainer.Variable(case["x"].astype(dtype))
    given = case.get("h0")
    h0 = chainer.Variable(given.astype(dtype)) if given is not None else numpy.zeros(
        (case["x"].shape[0], hidden), dtype)
    h = link(h0, x)
    results = {"h'": h}
    if case["backward"]:
        chainer.functions.sum(h * case["grad_h"].astype(dtype)).backward()
        results["x.grad"] = x.grad
        if given is not None:
            results["h0.grad"] = h0.grad
        for side, names in pairs.items():
            children = [getattr(link, name) for name in names]
            results[f"weight_{side}.grad"] = numpy.concatenate([c.W.grad for c in children])
            if options["bias"]:
                results[f"bias_{side}.grad"] = numpy.concatenate([c.b.grad for c in children])
    return _numpy_results(results)


def _nstep_link(case, dtype):
    import chainer
    import chainer.links
    mode, options = case["mode"], case["options"]
    bidirectional = options["bidirectional"]
    if mode == "rnn":
        kind = "Tanh" if options["nonlinearity"] == "tanh" else "ReLU"
        name = f"NStep{'Bi' if bidirectional else ''}RNN{kind}"
    else:
        name = f"NStep{'Bi' if bidirectional else ''}{mode.upper()}"
    with chainer.using_config("dtype", dtype):
        return getattr(chainer.links, name)(options["num_layers"], options["input_size"],
                                            options["hidden_size"], 0.0)


def chainer_nstep_run(case):
    """``L.NStepRNNTanh/ReLU``, ``L.NStepLSTM``, ``L.NStepGRU`` (``Bi`` when bidirectional)
    with torch ``nn.RNN``/``nn.LSTM``/``nn.GRU`` weights mapped onto ``ws``/``bs`` (zeros for
    ``bias=False``: chainer's layers always have biases, their gradients are not compared).
    The input is given as chainer's list of sequences (every batch entry one sequence; an
    unbatched input one) and the outputs are put back in torch's layout."""
    import chainer
    import chainer.functions as F
    dtype = numpy.dtype(case["dtype"])
    mode, options, weights = case["mode"], case["options"], case["weights"]
    # chainer's w_j/b_j (j < gates) is torch's row block blocks[j]: the same order in each kind.
    # LSTM: n_step_lstm's docstring lists w0..w3 as i, f, o, a, but chainer 7.8.1's _lstm
    # stacks [w2, w0, w1, w3] into F.lstm's (a, i, f, o): w0 i, w1 f, w2 a (torch's g), w3 o.
    blocks = {"lstm": (0, 1, 2, 3), "gru": (0, 1, 2), "rnn": (0,)}[mode]
    gates, hidden = len(blocks), options["hidden_size"]
    directions = 2 if options["bidirectional"] else 1
    link = _nstep_link(case, dtype)
    suffixes = [f"_l{layer}" + ("_reverse" if direction else "")
                for layer in range(options["num_layers"]) for direction in range(directions)]
    for index, suffix in enumerate(suffixes):
        for side, offset in (("ih", 0), ("hh", gates)):
            for j, block in enumerate(blocks):
                rows = slice(block * hidden, (block + 1) * hidden)
                link.ws[index][offset + j].array[...] = weights[f"weight_{side}{suffix}"][rows]
                link.bs[index][offset + j].array[...] = (
                    weights[f"bias_{side}{suffix}"][rows] if options["bias"] else 0)
    link.cleargrads()
    x = chainer.Variable(case["x"].astype(dtype))
    unbatched = case["x"].ndim == 2
    if unbatched:
        xs = [x]
    elif options["batch_first"]:
        xs = [x[b] for b in range(x.shape[0])]
    else:
        xs = [x[:, b] for b in range(x.shape[1])]
    states = {name: chainer.Variable(case[name].astype(dtype))
              for name in ("h0", "c0") if case.get(name) is not None}
    given = {name: F.expand_dims(s, 1) if unbatched else s for name, s in states.items()}
    if mode == "lstm":
        h_n, c_n, ys = link(given.get("h0"), given.get("c0"), xs)
        finals = {"h_n": h_n, "c_n": c_n}
    else:
        h_n, ys = link(given.get("h0"), xs)
        finals = {"h_n": h_n}
    if unbatched:
        output = ys[0]
        finals = {name: value[:, 0] for name, value in finals.items()}
    else:
        output = F.stack(ys, axis=0 if options["batch_first"] else 1)
    results = {"output": output, **finals}
    if case["backward"]:
        loss = F.sum(output * case["grad_output"].astype(dtype))
        for name, value in finals.items():
            loss = loss + F.sum(value * case["grad_" + name].astype(dtype))
        loss.backward()
        results["x.grad"] = x.grad
        results.update({f"{name}.grad": state.grad for name, state in states.items()})
        inverse = [blocks.index(block) for block in range(gates)]
        for index, suffix in enumerate(suffixes):
            for side, offset in (("ih", 0), ("hh", gates)):
                results[f"weight_{side}{suffix}.grad"] = numpy.concatenate(
                    [link.ws[index][offset + j].grad for j in inverse])
                if options["bias"]:
                    results[f"bias_{side}{suffix}.grad"] = numpy.concatenate(
                        [link.bs[index][offset + j].grad for j in inverse])
    return _numpy_results(results)


def _deconv_layer_run():
    """The deconvolution layer's run, or ``Absent`` on chainer 5.x, whose L.Deconvolution2D
    takes no ``dilate`` (added in chainer 6: checked on 5.4.0 and 6.7.0; F.deconvolution_2d
    takes it in 5.4.0 too)."""
    from . import _major, plugin
    version = plugin.installed_version()
    if version is not None and _major(version) < 6:
        return Absent(f"chainer {version}'s L.Deconvolution2D takes no dilate (added in chainer "
                      f"6; checked on 5.4.0 and 6.7.0)")
    return chainer_deconv_layer_run


RUNS = {
    "conv2d_layer": chainer_conv_layer_run,
    "conv1d_layer": chainer_conv_nd_layer_run,
    "conv3d_layer": chainer_conv_nd_layer_run,
    "dilated_conv2d_layer": chainer_dilated_layer_run,
    "depthwise_conv2d_layer": chainer_depthwise_layer_run,
    "deconv2d_layer": _deconv_layer_run(),
    "bilinear_layer": chainer_bilinear_layer_run,
    "highway": chainer_highway_run,
    "gru_cell": chainer_gru_cell_run,
    "gru": chainer_nstep_run,
    # the torch-named recurrent subjects, through chainer's NStep links (weights mapped)
    "rnn_tanh": chainer_nstep_run,
    "rnn_relu": chainer_nstep_run,
    "lstm": chainer_nstep_run,
}


# =============================================================================================
# Fresh layers with chainer's defaults (behaviour cases): {name: make(*sizes) -> {param: array}}
# =============================================================================================

def chainer_default_prelu():
    import chainer.links
    return _numpy_results({path: p for path, p in chainer.links.PReLU().namedparams()})


def chainer_default_bilinear(in1, in2, out):
    import chainer.links
    return _numpy_results({path: p for path, p in chainer.links.Bilinear(in1, in2, out)
                           .namedparams()})


DEFAULT_LAYERS = {"prelu": chainer_default_prelu, "bilinear": chainer_default_bilinear}


def default_layer(adapter, name, *sizes):
    """{parameter name: array} of a fresh layer ``name`` ('prelu', 'bilinear') with chainer's
    defaults."""
    return DEFAULT_LAYERS[name](*sizes)
