"""refimpl's bindings of the layer-level subjects: the oracle's side of every layer cell.

``FUNCTIONS`` maps a functional subject to its ``refimpl.functions`` name; ``bind_function``
runs it under the adapter's policy. ``RUNS``, ``OPTIMIZER_RUN``: the runs of the stateful
subjects (``case['policy']`` is the policy they run under; ``case['style']`` the optimizer
API feature whose style of class to use). ``SERIALIZATION``: refimpl in the middle of a save
and load (``module``: load an export, compute the forward pass, save in another layout;
``optimizer``: load a saved optimizer state, save it again, take the next step), driven by
the exporter's and importer's ``SERIALIZATION_FORMAT``.
"""
import contextlib
import io

import numpy

#: The optimizer API feature of each style of refimpl optimizer class
#: (``refimpl.optimizers.torch_style`` / ``chainer_style``).
OPTIMIZER_STYLES = {"optimizer_over_params": "torch_style", "optimizer_over_link": "chainer_style"}


# =============================================================================================
# Functions
# =============================================================================================

FUNCTIONS = {
    "conv2d": "conv2d",
    "conv_transpose2d": "conv_transpose2d",
    "max_pooling_2d": "max_pooling_2d",
    "average_pooling_2d": "average_pooling_2d",
    "linear": "linear",
    "mse_loss": "mse_loss",
    "binary_cross_entropy_with_logits": "binary_cross_entropy_with_logits",
    "cross_entropy": "softmax_cross_entropy",
    "mean_squared_error": "mean_squared_error",
    "sigmoid_cross_entropy": "sigmoid_cross_entropy",
    "softmax_cross_entropy": "chainer_softmax_cross_entropy",
    # issue-17 losses (conformance/subjects/losses_more.py): refimpl.functions.loss_more
    **{name: name for name in ("huber_loss", "smooth_l1_loss", "l1_loss", "squared_error",
                               "nll_loss", "gaussian_nll", "gaussian_nll_loss", "kl_div",
                               "gaussian_kl_divergence", "triplet", "triplet_margin_loss",
                               "contrastive", "hinge", "cross_covariance", "decov",
                               "ctc_loss", "multi_margin_loss")},
}


def bind_function(adapter, name):
    """refimpl's function ``name`` run under the adapter's policy."""
    import refimpl
    import refimpl.functions

    target = getattr(refimpl.functions, name)

    def under_policy(*args, **kwargs):
        variables = [v for v in list(args) + list(kwargs.values())
                     if isinstance(v, refimpl.Variable)]
        if variables and refimpl._backend.is_cupy_array(variables[0].data):
            # labels and class weights on the input's device, as the frameworks take them
            kwargs = {key: adapter.constant(value, "cuda") for key, value in kwargs.items()}
        with refimpl.semantics(adapter.policy):
            return target(*args, **kwargs)
    under_policy.__name__ = name
    return under_policy


def function_repro(name, policy):
    """(source defining ``name`` as refimpl's function under ``policy``, ``name``) for a
    repro script."""
    return (f"import refimpl\nimport refimpl.functions as F\nrefimpl.set_semantics({policy!r})\n"
            f"{name} = F.{name}\n", name)


#: How a conv.shape repro script makes a float32 Variable of NumPy array ``a`` on ``DEVICE``.
REPRO_TENSOR = ("refimpl.Variable(a.astype(numpy.float32) if DEVICE == 'cpu' "
                "else __import__('cupy').asarray(a, numpy.float32))")


@contextlib.contextmanager
def _policy(adapter):
    import refimpl
    with refimpl.semantics(adapter.policy):
        yield


def conv_layer(adapter, in_channels, out_channels, ksize):
    """refimpl ``nn.Conv2d`` built and applied under the adapter's policy:
    ``(apply, [weight, bias])``."""
    with _policy(adapter):
        from refimpl.nn import Conv2d
        layer = Conv2d(in_channels, out_channels, ksize)

    def apply(x):
        with _policy(adapter):
            return layer(x)
    return apply, [layer.weight, layer.bias]


# =============================================================================================
# Runs (see conformance.checks.layers for what a case holds)
# =============================================================================================

def _numpy_results(results):
    """{name: NumPy copy} of refimpl Variables (or arrays)."""
    converted = {}
    for name, value in results.items():
        if hasattr(value, "data") and not isinstance(value, numpy.ndarray):  # refimpl.Variable
            value = value.data
        converted[name] = numpy.array(value)
    return converted


def refimpl_linear_layer_run(case):
    import refimpl
    import refimpl.functions as F
    from refimpl.nn import Linear
    dtype = numpy.dtype(case["dtype"])
    weight, bias = case["W"], case.get("b")
    with refimpl.semantics(case["policy"]) as policy:
        layer = Linear(weight.shape[1], weight.shape[0], bias=bias is not None,
                       initial_weight=weight, initial_bias=bias, dtype=dtype)
        if policy.fresh_parameter_grad == "nan":  # a fresh parameter's grad is NaN
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
        layer.cleargrads()  # under a 'nan' fresh_parameter_grad (chainer's NStep links too)
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


def refimpl_optimizer_run(case):
    import refimpl
    import refimpl.functions as F
    from refimpl import nn, optimizers
    dtype = numpy.dtype(case["dtype"])
    torch_style = case["style"] == "optimizer_over_params"  # else optimizer_over_link
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


RUNS = {
    "Linear": refimpl_linear_layer_run,
    "rnn_tanh": refimpl_rnn_run,
    "rnn_relu": refimpl_rnn_run,
    "lstm": refimpl_rnn_run,
    "chainer_lstm": refimpl_chainer_lstm_run,
}

OPTIMIZER_RUN = refimpl_optimizer_run


# =============================================================================================
# Save and load: refimpl in the middle
# =============================================================================================

def _fc_inputs(case):
    height, width = case["x"].shape[2:]
    return case["filters"] * (height - case["ksize"] + 1) * (width - case["ksize"] + 1)


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


def module_relay(case, policy, exported, source, target):
    """refimpl loads ``exported`` (in the ``SERIALIZATION_FORMAT`` ``source``: parameter
    arrays ``state/<name>``, or the npz ``file``), computes y, and saves its npz in
    ``target``'s layout: (y, the npz file's bytes)."""
    import refimpl
    from refimpl import serializers
    with refimpl.semantics(policy):
        net, forward = refimpl_net(case)
        if source["container"] == "arrays":
            serializers.load_named_arrays(net, {k[len("state/"):]: v for k, v in exported.items()
                                                if k.startswith("state/")},
                                          layout=source["layout"])
        else:
            serializers.load_npz(io.BytesIO(exported["file"].tobytes()), net,
                                 layout=source["layout"])
        y = numpy.array(forward(refimpl.Variable(case["x"].astype(numpy.float32))).data)
        buffer = io.BytesIO()
        serializers.save_npz(buffer, net, layout=target["layout"])
    return y, buffer.getvalue()


def optimizer_relay(case, policy, exported, style, container):
    """refimpl's optimizer (of the optimizer API feature ``style``) on the saved parameters
    loads the framework's saved state (``container`` 'arrays': flat arrays; 'npz': the npz
    ``file``), saves it again the same way, and takes the last step: (its parameters after
    the step, the saved parameters, the state it saved: flat arrays or npz bytes)."""
    import refimpl
    from refimpl import nn, optimizers, serializers
    saved = [exported[f"saved_param{i}"] for i in range(len(case["params"]))]
    with refimpl.semantics(policy):
        target = nn.Chain()
        for index, array in enumerate(saved):
            setattr(target, f"p{index}", nn.Parameter(numpy.array(array, numpy.float32)))
        params = [getattr(target, f"p{i}") for i in range(len(saved))]
        over_params = OPTIMIZER_STYLES[style] == "torch_style"
        classes = getattr(optimizers, OPTIMIZER_STYLES[style])
        if over_params:
            optimizer = getattr(classes, case["optimizer"])(params, **case["hyper"])
        else:
            optimizer = getattr(classes, case["optimizer"])(**case["hyper"])
            optimizer.setup(target)
        if container == "arrays":
            serializers.load_named_arrays(optimizer, {
                k: v for k, v in exported.items() if k.startswith(("state/", "param_groups/"))})
            resaved = serializers.named_arrays(optimizer)
        else:
            serializers.load_npz(io.BytesIO(exported["file"].tobytes()), optimizer)
            buffer = io.BytesIO()
            serializers.save_npz(buffer, optimizer)
            resaved = buffer.getvalue()
        for p, g in zip(params, case["grads"][-1]):
            p.grad = numpy.array(g, numpy.float32)
        if over_params:
            optimizer.step()
        else:
            optimizer.update()
    return {f"param{i}": numpy.array(p.data) for i, p in enumerate(params)}, saved, resaved


SERIALIZATION = {"module": module_relay, "optimizer": optimizer_relay}


# =============================================================================================
# Normalisation and regularisation (issue 17): functions and layer runs
# =============================================================================================

FUNCTIONS.update({name: name for name in (
    "batch_normalization", "fixed_batch_normalization", "layer_normalization",
    "group_normalization", "local_response_normalization", "embed_id", "dropout")})
FUNCTIONS["rrelu_training"] = "rrelu"  # rrelu(x, lower, upper, train): random slopes in training


def refimpl_batch_norm_layer_run(case):
    import refimpl
    import refimpl.functions as F
    from refimpl import nn
    dtype = numpy.dtype(case["dtype"])
    options = case["options"]
    results = {}
    with refimpl.semantics(case["policy"]):
        layer = nn.BatchNormalization(case["size"], eps=options["eps"],
                                      average=options["average"], affine=options["affine"],
                                      initial_gamma=case.get("gamma"),
                                      initial_beta=case.get("beta"), dtype=dtype)
        for step, (x, gy) in enumerate(zip(case["xs"], case["gys"])):
            x = refimpl.Variable(x.astype(dtype), requires_grad=True)
            y = layer(x, train=True, cumulative=options["cumulative"])
            results[f"step{step}.y"] = y
            if case["backward"]:
                layer.cleargrads()
                F.sum(y * gy.astype(dtype)).backward()
                results[f"step{step}.x.grad"] = x.grad
                if options["affine"]:
                    results[f"step{step}.gamma.grad"] = layer.gamma.grad
                    results[f"step{step}.beta.grad"] = layer.beta.grad
            results[f"step{step}.running_mean"] = layer.running_mean.copy()
            results[f"step{step}.running_var"] = layer.running_var.copy()
        results["eval.y"] = layer(refimpl.Variable(case["eval_x"].astype(dtype)), train=False)
    return _numpy_results(results)


def _refimpl_affine_layer_run(make, case):
    import refimpl
    import refimpl.functions as F
    dtype = numpy.dtype(case["dtype"])
    with refimpl.semantics(case["policy"]):
        layer = make(dtype)
        layer.cleargrads()  # a fresh parameter's grad may be NaN (fresh_parameter_grad)
        x = refimpl.Variable(case["x"].astype(dtype), requires_grad=True)
        y = layer(x)
        results = {"y": y}
        if case["backward"]:
            F.sum(y * case["gy"].astype(dtype)).backward()
            results.update({"x.grad": x.grad, "gamma.grad": layer.gamma.grad,
                            "beta.grad": layer.beta.grad})
    return _numpy_results(results)


def refimpl_layer_norm_layer_run(case):
    from refimpl import nn
    return _refimpl_affine_layer_run(lambda dtype: nn.LayerNormalization(
        case["size"], eps=case["eps"], initial_gamma=case["gamma"], initial_beta=case["beta"],
        dtype=dtype), case)


def refimpl_group_norm_layer_run(case):
    from refimpl import nn
    return _refimpl_affine_layer_run(lambda dtype: nn.GroupNormalization(
        case["groups"], case["size"], eps=1e-5 if case["eps"] is None else case["eps"],
        initial_gamma=case["gamma"], initial_beta=case["beta"], dtype=dtype), case)


def refimpl_embed_id_layer_run(case):
    import refimpl
    import refimpl.functions as F
    dtype = numpy.dtype(case["dtype"])
    with refimpl.semantics(case["policy"]):
        weight = refimpl.Variable(case["W"].astype(dtype), requires_grad=True)
        y = F.embed_id(case["ids"], weight, ignore_label=case["ignore_label"])
        results = {"y": y}
        if case["backward"]:
            F.sum(y * case["gy"].astype(dtype)).backward()
            results["W.grad"] = weight.grad
    return _numpy_results(results)


RUNS.update({
    "EmbedID": refimpl_embed_id_layer_run,
    "BatchNormalization": refimpl_batch_norm_layer_run,
    "LayerNormalization": refimpl_layer_norm_layer_run,
    "GroupNormalization": refimpl_group_norm_layer_run,
})


# --- issue 17 layers: convolutions, PReLU, Maxout, Bilinear, Highway, GRU ----------------------
from . import layers_more as _layers_more  # noqa: E402  (its bindings join these tables)

FUNCTIONS.update(_layers_more.FUNCTIONS)
RUNS.update(_layers_more.RUNS)
default_layer = _layers_more.default_layer


# learning-rate schedules (issue 17): one run serves every optim.schedule subject (the case
# names its kind)
from ...subjects.schedules import KINDS as _SCHEDULE_KINDS  # noqa: E402
from .schedules import refimpl_lr_schedule_run  # noqa: E402

RUNS.update({f"lr_{kind}": refimpl_lr_schedule_run for kind in _SCHEDULE_KINDS})


def dropout_in_evaluation(adapter, x, ratio):
    """Normalisation (issue 17): both frameworks' evaluation idioms at once (the global mode
    off, as ``chainer.using_config('train', False)``; the dropout called without its flag, as
    a torch ``forward`` after ``module.eval()`` leaves it), under the adapter's policy
    (``dropout_train_default`` decides)."""
    import refimpl
    from refimpl.functions import normalization
    with refimpl.semantics(adapter.policy), normalization.train_mode(False):
        return numpy.array(normalization.dropout(refimpl.Variable(x), ratio).data)
