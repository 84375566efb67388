"""Chainer's bindings of the layer-level subjects (``conformance.subjects.layers``).

Tables (read by ``conformance.checks.layers``): ``FUNCTIONS`` (a function with refimpl's
signature and argument names on chainer Variables, or ``Absent``), ``RUNS`` (stateful
scenarios ``run(case) -> {name: NumPy array}``), ``OPTIMIZERS`` (the ``chainer.optimizers``
class of each optimizer subject) with ``OPTIMIZER_RUN``, ``SERIALIZATION`` (export and import
runs) with ``SERIALIZATION_FORMAT``, ``conv_layer``, and ``subjects()``: the records of the
subjects only chainer's API has and that bear its name (``chainer_lstm``). Every function is
self-contained (it imports chainer inside and uses only NumPy and the helpers of this
module), so a repro script pastes its source; importing this module does not import chainer.
"""
import numpy

from ...subjects.core import Absent


# =============================================================================================
# Functions
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


_OWN_SUBJECT = "chainer's loss of this kind is its own subject ({})"

FUNCTIONS = {
    "conv2d": chainer_conv2d,
    "conv_transpose2d": chainer_conv_transpose2d,
    "max_pooling_2d": chainer_max_pooling_2d,
    "average_pooling_2d": chainer_average_pooling_2d,
    "linear": chainer_linear,
    "mse_loss": Absent(_OWN_SUBJECT.format("mean_squared_error")),
    "binary_cross_entropy_with_logits": Absent(_OWN_SUBJECT.format("sigmoid_cross_entropy")),
    "cross_entropy": Absent(_OWN_SUBJECT.format("softmax_cross_entropy")),
    "mean_squared_error": chainer_mean_squared_error,
    "sigmoid_cross_entropy": chainer_sigmoid_cross_entropy,
    "softmax_cross_entropy": chainer_softmax_cross_entropy,
}

#: How a conv.shape repro script makes a float32 Variable of NumPy array ``a`` on ``DEVICE``.
REPRO_TENSOR = ("chainer.Variable(a.astype(numpy.float32) if DEVICE == 'cpu' "
                "else chainer.backends.cuda.to_gpu(a.astype(numpy.float32)))")


def conv_layer(adapter, in_channels, out_channels, ksize):
    """A fresh ``L.Convolution2D`` with chainer's default initialisation:
    ``(link, [W, b])``."""
    import chainer.links
    layer = chainer.links.Convolution2D(in_channels, out_channels, ksize)
    return layer, [layer.W, layer.b]


# =============================================================================================
# Runs (see conformance.checks.layers for what a case holds)
# =============================================================================================

def _numpy_results(results):
    """{name: NumPy copy} of chainer Variables (or arrays)."""
    converted = {}
    for name, value in results.items():
        if hasattr(value, "array"):  # chainer.Variable
            value = value.array
        converted[name] = numpy.array(value)
    return converted


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


RUNS = {
    "Linear": chainer_linear_layer_run,
    # rnn_tanh, rnn_relu, lstm (and gru): L.NStepRNN*/NStepLSTM/NStepGRU with the weights
    # mapped, in layers_more
    "chainer_lstm": chainer_lstm_run,
}


def subjects():
    """The records of the subjects only chainer's API has and that bear its name."""
    from ...subjects import layer_strategies
    from ...subjects.layers import Run
    return [Run("chainer_lstm", family="rnn", properties=("rnn.values", "rnn.grad"),
                cases=lambda features: layer_strategies.stateful_lstm_cases(),
                doc="chainer's stateful L.LSTM over a few steps (the batch may shrink between "
                    "steps) vs refimpl nn.ChainerLSTM")]


#: The ``chainer.optimizers`` class of each optimizer subject (weight_decay: MomentumSGD with
#: the WeightDecay hook; gradient_clipping: SGD with the GradientClipping hook).
_OPTIMIZER_CLASSES = {
    "sgd": "SGD",
    "momentum_sgd": "MomentumSGD",
    "nesterov": "NesterovAG",
    "adam": "Adam",
    "adamw": "AdamW",
    "amsgrad": "AMSGrad",
    "adabound": "AdaBound",
    "amsbound": "AMSBound",
    "rmsprop": "RMSprop",
    "rmsprop_graves": "RMSpropGraves",
    "adagrad": "AdaGrad",
    "weight_decay": "MomentumSGD",
    "gradient_clipping": "SGD",
    "adadelta": "AdaDelta",
    "smorms3": "SMORMS3",
    "corrected_momentum_sgd": "CorrectedMomentumSGD",
}


def _optimizers():
    """``_OPTIMIZER_CLASSES`` with ``Absent`` (and the plugin's reason) for each class the
    installed chainer lacks (``ChainerPlugin.absent_optimizer``: a version-dependent absence)."""
    from . import plugin
    return {subject: Absent(reason) if (reason := plugin.absent_optimizer(subject)) else name
            for subject, name in _OPTIMIZER_CLASSES.items()}


OPTIMIZERS = _optimizers()
OPTIMIZER_RUN = chainer_optimizer_run


# =============================================================================================
# Save and load
# =============================================================================================
# The network of ``conformance.properties.test_serialization``: parameters ``conv/W``,
# ``conv/b``, ``fc/W``, ``fc/b``, initialised from NumPy's global generator. An export
# returns them (``state/<name>``), the output ``y`` and the npz file written by
# ``chainer.serializers.save_npz`` (``file``: its bytes as uint8); an import loads such a file.

def _fc_inputs(case):
    height, width = case["x"].shape[2:]
    return case["filters"] * (height - case["ksize"] + 1) * (width - case["ksize"] + 1)


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


SERIALIZATION = {
    "module": (chainer_module_export, chainer_module_import),
    "optimizer": (chainer_optimizer_export, chainer_optimizer_import),
}

#: What chainer's exports are: an npz file (``file``) in the refimpl serializers layout
#: 'chainer', names ``<link>/<parameter>`` with chainer's parameter names.
SERIALIZATION_FORMAT = {"container": "npz", "layout": "chainer", "separator": "/",
                        "names": {"weight": "W", "bias": "b"}}


# =============================================================================================
# Normalisation and regularisation (issue 17): functions and layer runs
# =============================================================================================

def _chainer_eps(eps):
    return {} if eps is None else {"eps": eps}


def chainer_batch_normalization(x, gamma, beta, eps=None):
    import chainer.functions
    return chainer.functions.batch_normalization(x, gamma, beta, **_chainer_eps(eps))


def chainer_fixed_batch_normalization(x, gamma, beta, mean, var, eps=None):
    import chainer
    import chainer.functions
    xp = chainer.backend.get_array_module(x)  # the statistics on x's device, in its dtype
    return chainer.functions.fixed_batch_normalization(
        x, gamma, beta, xp.asarray(mean, dtype=x.dtype), xp.asarray(var, dtype=x.dtype),
        **_chainer_eps(eps))


def chainer_layer_normalization(x, gamma, beta, eps=None):
    import chainer.functions
    return chainer.functions.layer_normalization(x, gamma, beta, **_chainer_eps(eps))


def chainer_group_normalization(x, groups, gamma, beta, eps=None):
    import chainer.functions
    return chainer.functions.group_normalization(x, groups, gamma, beta, **_chainer_eps(eps))


def chainer_local_response_normalization(x, n=5, k=None, alpha=1e-4, beta=0.75):
    import chainer.functions
    options = {} if k is None else {"k": k}
    return chainer.functions.local_response_normalization(x, n, alpha=alpha, beta=beta,
                                                          **options)


def chainer_embed_id(x, W, ignore_label=None):
    import chainer
    import chainer.functions
    ids = chainer.backend.get_array_module(W).asarray(x)  # on W's device
    return chainer.functions.embed_id(ids, W, ignore_label=ignore_label)


def chainer_dropout(x, ratio=0.5, train=None):
    import chainer
    import chainer.functions
    if train is None:  # chainer's own default: chainer.config.train (True)
        return chainer.functions.dropout(x, ratio)
    with chainer.using_config("train", train):
        return chainer.functions.dropout(x, ratio)


def chainer_rrelu_training(x, lower=0.125, upper=1.0 / 3.0, train=None):
    import chainer
    import chainer.functions
    if train is None:  # chainer's own default: chainer.config.train (True)
        return chainer.functions.rrelu(x, l=lower, u=upper)
    with chainer.using_config("train", train):
        return chainer.functions.rrelu(x, l=lower, u=upper)


FUNCTIONS.update({
    "batch_normalization": chainer_batch_normalization,
    "fixed_batch_normalization": chainer_fixed_batch_normalization,
    "layer_normalization": chainer_layer_normalization,
    "group_normalization": chainer_group_normalization,
    "local_response_normalization": chainer_local_response_normalization,
    "embed_id": chainer_embed_id,
    "dropout": chainer_dropout,
    "rrelu_training": chainer_rrelu_training,
})


def chainer_batch_norm_layer_run(case):
    """L.BatchNormalization(size) (eps, decay given or chainer's; ``affine`` False:
    use_gamma=use_beta=False), training steps under ``chainer.using_config('train', True)``
    (``cumulative``: ``finetune=True``), then one under ``train`` False."""
    import chainer
    import chainer.functions
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    options = case["options"]
    kwargs = dict(_chainer_eps(options["eps"]), dtype=dtype)
    if options["average"] is not None and not options["cumulative"]:
        kwargs["decay"] = options["average"]
    if options["affine"]:
        kwargs.update(initial_gamma=case["gamma"].astype(dtype),
                      initial_beta=case["beta"].astype(dtype))
    else:
        kwargs.update(use_gamma=False, use_beta=False)
    layer = chainer.links.BatchNormalization(case["size"], **kwargs)
    results = {}
    for step, (x, gy) in enumerate(zip(case["xs"], case["gys"])):
        x = chainer.Variable(x.astype(dtype))
        with chainer.using_config("train", True):
            y = layer(x, finetune=options["cumulative"])
        results[f"step{step}.y"] = y
        if case["backward"]:
            layer.cleargrads()
            chainer.functions.sum(y * gy.astype(dtype)).backward()
            results[f"step{step}.x.grad"] = x.grad
            if options["affine"]:
                results[f"step{step}.gamma.grad"] = layer.gamma.grad
                results[f"step{step}.beta.grad"] = layer.beta.grad
        results[f"step{step}.running_mean"] = layer.avg_mean.copy()
        results[f"step{step}.running_var"] = layer.avg_var.copy()
    with chainer.using_config("train", False):
        results["eval.y"] = layer(case["eval_x"].astype(dtype))
    return _numpy_results(results)


def _chainer_affine_layer_run(layer, case, dtype):
    import chainer
    import chainer.functions
    layer.gamma.array[...] = case["gamma"]  # initial_gamma takes an initializer, not an array
    layer.beta.array[...] = case["beta"]
    layer.cleargrads()
    x = chainer.Variable(case["x"].astype(dtype))
    y = layer(x)
    results = {"y": y}
    if case["backward"]:
        chainer.functions.sum(y * case["gy"].astype(dtype)).backward()
        results.update({"x.grad": x.grad, "gamma.grad": layer.gamma.grad,
                        "beta.grad": layer.beta.grad})
    return _numpy_results(results)


def chainer_layer_norm_layer_run(case):
    """L.LayerNormalization(size) (eps given or chainer's)."""
    import chainer
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    with chainer.using_config("dtype", dtype):
        layer = chainer.links.LayerNormalization(case["size"], **_chainer_eps(case["eps"]))
    return _chainer_affine_layer_run(layer, case, dtype)


def chainer_group_norm_layer_run(case):
    """L.GroupNormalization(groups, size) (eps given or chainer's)."""
    import chainer
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    with chainer.using_config("dtype", dtype):
        layer = chainer.links.GroupNormalization(case["groups"], case["size"], **_chainer_eps(case["eps"]))
    return _chainer_affine_layer_run(layer, case, dtype)


def chainer_embed_id_layer_run(case):
    """L.EmbedID(rows, d, initialW=W, ignore_label=...)."""
    import chainer
    import chainer.functions
    import chainer.links
    dtype = numpy.dtype(case["dtype"])
    weight = case["W"]
    with chainer.using_config("dtype", dtype):
        layer = chainer.links.EmbedID(weight.shape[0], weight.shape[1],
                                      initialW=weight.astype(dtype),
                                      ignore_label=case["ignore_label"])
    layer.cleargrads()
    y = layer(case["ids"])
    results = {"y": y}
    if case["backward"]:
        chainer.functions.sum(y * case["gy"].astype(dtype)).backward()
        results["W.grad"] = layer.W.grad
    return _numpy_results(results)


RUNS.update({
    "EmbedID": chainer_embed_id_layer_run,
    "BatchNormalization": chainer_batch_norm_layer_run,
    "LayerNormalization": chainer_layer_norm_layer_run,
    "GroupNormalization": chainer_group_norm_layer_run,
})


# --- issue 17 layers: convolutions, PReLU, Maxout, Bilinear, Highway, GRU (and the NStep
# links of the recurrent subjects) ----------------------
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
from .schedules import chainer_lr_schedule_run  # noqa: E402

RUNS.update({f"lr_{kind}": chainer_lr_schedule_run for kind in _SCHEDULE_KINDS})


def dropout_in_evaluation(adapter, x, ratio):
    """Normalisation (issue 17): a chain called in evaluation mode
    (``chainer.using_config('train', False)``) whose forward calls ``F.dropout(x, ratio)``;
    the output as a NumPy array."""
    import chainer
    import chainer.functions

    class Net(chainer.Chain):
        def forward(self, x):
            return chainer.functions.dropout(x, ratio)

    with chainer.using_config("train", False):
        return numpy.array(Net()(x).array)
