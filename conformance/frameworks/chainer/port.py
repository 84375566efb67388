"""The Chainer side of a port check (``conformance.port``): record a model's layers, export
and import its parameters in the port checker's neutral layout, take gradients and one
optimizer step.

Neutral layout (shared with the other sides): per layer kind, named roles
``linear``/``conv2d``: ``weight`` (out, in[, kh, kw]), ``bias``; ``batch_norm``: ``weight``
(gamma), ``bias`` (beta), ``running_mean``, ``running_var``; ``embedding``: ``weight``;
``lstm``: ``weight_ih``, ``weight_hh`` (4H rows, gate blocks input, forget, cell, output),
``bias`` (4H, the one bias of the cell). Chainer's ``L.LSTM`` keeps its gates interleaved
per unit (a, i, f, o): the export reorders them (``refimpl.functions.rnn``).
"""
import contextlib
import inspect

import numpy

import chainer
import chainer.functions as F
import chainer.links as L
import chainer.optimizer_hooks
import chainer.optimizers

from refimpl.functions import rnn as _rnn

name = "chainer"

#: Link classes that are one layer (a unit) of a port check, by neutral kind.
KINDS = ((L.Linear, "linear"), (L.Convolution2D, "conv2d"),
         (L.BatchNormalization, "batch_norm"), (L.EmbedID, "embedding"), (L.LSTM, "lstm"))

#: neutral role -> attribute path of the link's parameter, per kind (lstm: see ``_lstm_*``).
ROLES = {
    "linear": {"weight": "W", "bias": "b"},
    "conv2d": {"weight": "W", "bias": "b"},
    "batch_norm": {"weight": "gamma", "bias": "beta"},
    "embedding": {"weight": "W"},
}
BUFFERS = {"batch_norm": {"running_mean": "avg_mean", "running_var": "avg_var"}}


def owns(model):
    """Whether ``model`` is a Chainer link."""
    return isinstance(model, chainer.Link)


def version():
    return chainer.__version__


def kind_of(link):
    for cls, kind in KINDS:
        if isinstance(link, cls):
            return kind
    return None


def _array(value):
    if isinstance(value, (tuple, list)):
        value = value[0]
    if isinstance(value, chainer.Variable):
        value = value.array
    return None if value is None else numpy.array(value, copy=True)


def _default(link, argument):
    return inspect.signature(type(link).__init__).parameters[argument].default


def config_of(link, kind):
    """The layer's construction arguments in neutral names (compared with the other side's)."""
    if kind == "conv2d":
        return {"ksize": tuple(int(n) for n in link.W.shape[2:]) if link.W.array is not None
                else None,
                "stride": tuple(numpy.broadcast_to(link.stride, 2).tolist()),
                "pad": tuple(numpy.broadcast_to(link.pad, 2).tolist()),
                "dilation": tuple(numpy.broadcast_to(link.dilate, 2).tolist()),
                "groups": int(link.groups), "bias": link.b is not None}
    if kind == "linear":
        return {"bias": link.b is not None}
    if kind == "batch_norm":
        return {"eps": float(link.eps), "momentum": round(1.0 - float(link.decay), 12)}
    if kind == "embedding":
        return {"ignore_label": link.ignore_label}
    return {}


def replay_call(link, kind, inputs):
    """The unit's forward as a refimpl call ``(function name, arguments, keyword arguments)``,
    arguments left at chainer's default given as None so that the policy decides; None where
    there is no refimpl counterpart."""
    x = inputs[0]
    if kind == "linear":
        return "linear", [x, link.W.array, None if link.b is None else link.b.array], {}
    if kind == "conv2d":
        config = config_of(link, kind)
        return "convolution_2d", [x, link.W.array, None if link.b is None else link.b.array], \
            {"stride": config["stride"], "pad": config["pad"], "dilate": config["dilation"],
             "groups": config["groups"]}
    if kind == "batch_norm" and chainer.config.train:
        eps = None if link.eps == _default(link, "eps") else link.eps
        return "batch_normalization", [x, link.gamma.array, link.beta.array], {"eps": eps}
    if kind == "embedding":
        return "embed_id", [x, link.W.array], {"ignore_label": link.ignore_label}
    return None


def _function_call(node, inputs):
    """A recorded FunctionNode as a refimpl call, or None where it has no counterpart here."""
    kind = type(node).__name__
    if kind == "MaxPoolingND" and node.ndim == 2:
        default = inspect.signature(F.max_pooling_2d).parameters["cover_all"].default
        return "max_pooling_2d", inputs[:1], {"ksize": node.ksize, "stride": node.stride,
                                               "pad": node.pad,
                                               "cover_all": None if node.cover_all == default
                                               else node.cover_all}
    if kind == "AveragePooling2D":
        return "average_pooling_2d", inputs[:1], {"ksize": (node.kh, node.kw),
                                                   "stride": (node.sy, node.sx),
                                                   "pad": (node.ph, node.pw)}
    simple = {"ReLU": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Add": "add", "Sub": "sub",
              "Mul": "mul"}
    if kind in simple:
        return simple[kind], list(inputs), {}
    if kind == "Reshape":
        return "reshape", inputs[:1], {"shape": node.shape}
    return None


def _describe(node):
    """'MaxPoolingND(ksize=(3, 3), stride=(2, 2), pad=(0, 0), cover_all=True)': the node's
    class and its scalar/tuple attributes."""
    skip = {"rank", "inputs", "outputs", "lazy_grad_sum", "return_indices", "ndim",
            "expander", "key_axis", "forward_data", "cudnn_fast"}
    arguments = [f"{key}={value!r}" for key, value in vars(node).items()
                 if not key.startswith("_") and key not in skip
                 and isinstance(value, (int, float, bool, tuple, str))]
    return f"{type(node).__name__}({', '.join(arguments)})"


class _Recorder(chainer.LinkHook):
    """Records unit calls (links of a known kind; nothing inside them) and, between them, the
    function nodes applied (for the replay of a gap)."""

    name = "conformance_port"

    def __init__(self, model):
        self.paths = {id(link): path for path, link in model.namedlinks()}
        self.events = []
        self.outputs = []     # each unit call's output Variable (its gradient after backward)
        self.open = None

    def forward_preprocess(self, args):
        if self.open is None and kind_of(args.link) is not None:
            self.open = args.link
            self.open_inputs = [_array(a) for a in args.args]

    def forward_postprocess(self, args):
        if args.link is self.open:
            link, kind = args.link, kind_of(args.link)
            self.events.append({
                "event": "unit", "path": self.paths.get(id(link), "?").lstrip("/") or "(model)",
                "kind": kind, "config": config_of(link, kind), "inputs": self.open_inputs,
                "output": _array(args.out), "output_id": id(_raw(args.out)),
                "input_ids": [id(_raw(a)) for a in args.args],
                "replay": replay_call(link, kind, self.open_inputs),
                "state": export_buffers(link, kind)})
            output = args.out[0] if isinstance(args.out, (tuple, list)) else args.out
            self.outputs.append(output if isinstance(output, chainer.Variable) else None)
            self.open = None

    def function(self, node, inputs, outputs):
        if self.open is None:
            arrays = [_raw(value) for value in inputs]
            self.events.append({
                "event": "function", "name": type(node).__name__,
                "input_ids": [id(a) for a in arrays], "output_ids": [id(_raw(o)) for o in outputs],
                "keep": arrays + [_raw(o) for o in outputs],  # ids stay valid while recorded
                "replay": _function_call(node, [numpy.array(a) for a in arrays]),
                "call": _describe(node),
                "outputs": [_array(o) for o in outputs]})


def _raw(value):
    if isinstance(value, (tuple, list)):
        value = value[0]
    return value.array if isinstance(value, chainer.Variable) else value


@contextlib.contextmanager
def _recording(model):
    recorder = _Recorder(model)
    original = chainer.FunctionNode.apply

    def apply(node, inputs):
        outputs = original(node, inputs)
        recorder.function(node, inputs, outputs)
        return outputs

    chainer.FunctionNode.apply = apply
    try:
        with recorder:
            yield recorder
    finally:
        chainer.FunctionNode.apply = original


def units(model):
    """{path: link} of the model's unit links (not descending into a unit)."""
    found = {}
    for path, link in sorted(model.namedlinks()):
        path = path.lstrip("/") or "(model)"
        if kind_of(link) is not None and not any(path.startswith(p + "/") for p in found):
            found[path] = link
    return found


def _lstm_export(link, attribute):
    values = {"W_up": getattr(link.upward.W, attribute), "b_up": getattr(link.upward.b, attribute),
              "W_lat": getattr(link.lateral.W, attribute)}
    if any(value is None for value in values.values()):
        return {}
    converted = _rnn.chainer_lstm_to_torch(numpy.asarray(values["W_up"]),
                                           numpy.asarray(values["b_up"]),
                                           numpy.asarray(values["W_lat"]))
    return {"weight_ih": converted["weight_ih"], "weight_hh": converted["weight_hh"],
            "bias": converted["bias_ih"]}


def export(link, kind, attribute="array", copy=True):
    """{role: array} of the link's parameters (``attribute`` 'array' or 'grad') in the neutral
    layout; a parameter not yet initialised or without a grad is left out."""
    if kind == "lstm":
        return _lstm_export(link, attribute)
    found = {}
    for role, attr in ROLES[kind].items():
        param = getattr(link, attr, None)
        value = None if param is None else getattr(param, attribute)
        if value is not None:
            found[role] = numpy.array(value, copy=copy)
    return found


def layouts(kind, role, array):
    """{description: ``array`` (neutral layout) in chainer's own layout} where the two differ:
    a weight copied without conversion shows as one of these."""
    if kind == "lstm" and role in ("weight_ih", "weight_hh", "bias"):
        return {"chainer's own row order (gates a, i, f, o interleaved per unit), not "
                "reordered to torch's blocks i, f, g, o":
                _rnn.torch_gate_rows_to_chainer(numpy.asarray(array))}
    return {}


def export_buffers(link, kind):
    return {role: numpy.array(getattr(link, attr), copy=True)
            for role, attr in BUFFERS.get(kind, {}).items()}


def parameter_names(link_path, kind):
    """{role: the framework's name of that parameter} (for the mapping table)."""
    if kind == "lstm":
        return {"weight_ih": f"{link_path}/upward/W (gates a,i,f,o interleaved)",
                "weight_hh": f"{link_path}/lateral/W (gates a,i,f,o interleaved)",
                "bias": f"{link_path}/upward/b (gates a,i,f,o interleaved)"}
    names = {role: f"{link_path}/{attr}" for role, attr in ROLES[kind].items()}
    names.update({role: f"{link_path}/{attr}" for role, attr in BUFFERS.get(kind, {}).items()})
    return names


class Session:
    """One run of the model: forward (recorded), backward of ``sum(output * cotangent)``,
    one optimizer step."""

    def __init__(self, model, inputs, train=True):
        self.model = model
        self.train = train
        self.inputs = inputs

    def forward(self):
        self.model.cleargrads()
        reset_state(self.model)
        with chainer.using_config("train", self.train), _recording(self.model) as recorder:
            self.output = self.model(*self.inputs)
        self.events = recorder.events
        self.unit_outputs = recorder.outputs
        self.units = units(self.model)
        return _array(self.output)

    def backward(self, cotangent):
        output = self.output[0] if isinstance(self.output, (tuple, list)) else self.output
        loss = F.sum(output * cotangent)
        self.model.cleargrads()
        with chainer.using_config("train", self.train):
            loss.backward(retain_grad=True)    # keeps each unit output's gradient
        self.output_grads = [None if v is None else _array(v.grad) for v in self.unit_outputs]
        return {path: export(link, kind_of(link), "grad") for path, link in self.units.items()}

    def step(self, optimizer):
        """One update of the parameters by ``optimizer`` ({'name': a ``chainer.optimizers``
        class, hyperparameters..., 'clip_grad_norm': a ``GradientClipping`` hook's threshold})
        from the gradients of ``backward``; returns the parameters after it."""
        if getattr(self, "optimizer", None) is None:   # made once: its state lives on
            optimizer = dict(optimizer)
            cls = getattr(chainer.optimizers, optimizer.pop("name"))
            clip = optimizer.pop("clip_grad_norm", None)
            self.optimizer = cls(**optimizer)
            self.optimizer.setup(self.model)
            if clip is not None:
                self.optimizer.add_hook(chainer.optimizer_hooks.GradientClipping(clip))
        self.optimizer.update()
        return parameters(self.model, {e["path"] for e in self.events if e["event"] == "unit"})


def parameters(model, paths=None, copy=True):
    """{unit path: {role: array}} (neutral layout) of the units at ``paths`` (default: all);
    ``copy=False``: views of the parameters where the layout is the same (read at once)."""
    return {path: export(link, kind_of(link), copy=copy) for path, link in units(model).items()
            if paths is None or path in paths}


def buffers(model):
    """{unit path: {role: array}} of the buffers (batch-norm running statistics)."""
    return {path: export_buffers(link, kind_of(link)) for path, link in units(model).items()}


def initialize(model, inputs, train=True):
    """Run one forward so that lazily initialised parameters (``L.Linear(None, n)``) exist (in
    test mode: running statistics are read, not updated)."""
    dtypes = {param.dtype for param in model.params(include_uninit=False)} or {numpy.float32}
    dtype = sorted(dtypes, key=str)[0]
    inputs = [a.astype(dtype) if a.dtype.kind == "f" else a for a in inputs]
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        model(*inputs)
    reset_state(model)


def reset_state(model):
    for link in model.links():
        if isinstance(link, L.LSTM):
            link.reset_state()


def cast(model, dtype):
    """The model's parameters and buffers in ``dtype`` (float64 for a port check)."""
    for link in model.links():
        for param in link.params(include_uninit=False):
            param.array = param.array.astype(dtype)
        for attr in ("avg_mean", "avg_var"):
            if getattr(link, attr, None) is not None:
                setattr(link, attr, getattr(link, attr).astype(dtype))
        if hasattr(link, "_dtype"):
            link._dtype = numpy.dtype(dtype)
    return model


def lstm_cell_run(case):
    """The behaviour case of the LSTM cell's biases (``conformance.behaviours.port``) on
    chainer's ``L.LSTM``: a fresh default link's biases (in the neutral row order), and one
    loaded from the neutral layout of ``case`` run one step from ``(h0, c0)`` and updated by
    one plain SGD step (``lr``); its one bias reported in the neutral row order."""
    numpy.random.seed(case["seed"])      # chainer's initializers draw from NumPy's generator
    fresh = L.LSTM(case["input_size"], case["hidden_size"])
    found = {"default.biases": [_rnn.chainer_gate_rows_to_torch(p.array)
                                for path, p in sorted(fresh.namedparams())
                                if path.endswith("/b") and p.array is not None]}
    weights = case["weights"]
    with chainer.using_config("dtype", numpy.float64):
        link = L.LSTM(case["input_size"], case["hidden_size"])
    converted = _rnn.torch_lstm_to_chainer(weights["weight_ih"], weights["weight_hh"],
                                           weights["bias"])
    link.upward.W.array = converted["upward_W"]
    link.upward.b.array = converted["upward_b"]
    link.lateral.W.array = converted["lateral_W"]
    link.set_state(chainer.Variable(case["c0"]), chainer.Variable(case["h0"]))
    link.cleargrads()                    # a fresh parameter's grad is NaN in chainer
    h = link(case["x"])
    F.sum(h * case["grad_h"]).backward()
    found["h"] = _array(h)
    found["bias.grad"] = _rnn.chainer_gate_rows_to_torch(link.upward.b.grad)
    before = link.upward.b.array.copy()
    optimizer = chainer.optimizers.SGD(lr=case["lr"])
    optimizer.setup(link)
    optimizer.update()
    found["step.bias_change"] = _rnn.chainer_gate_rows_to_torch(link.upward.b.array - before)
    return found
