"""The PyTorch side of a port check (``conformance.port``): record a model's layers with
forward hooks, import parameters from the checker's neutral layout (see
``conformance.frameworks.chainer.port``), take gradients and one optimizer step; and the fix
to write in the ported code for each difference found.
"""
import contextlib
import copy

import numpy

import torch
from torch import nn

name = "torch"

KINDS = ((nn.Linear, "linear"), (nn.Conv2d, "conv2d"),
         (nn.modules.batchnorm._BatchNorm, "batch_norm"), (nn.Embedding, "embedding"),
         (nn.LSTMCell, "lstm"))

#: Modules without parameters recorded between units (as ``function`` events, with their
#: arguments in the source's neutral names) so that a divergence between two layers can be
#: put down to an argument of the target's call: refimpl function name per module class.
POOLINGS = ((nn.MaxPool2d, "max_pooling_2d"), (nn.AvgPool2d, "average_pooling_2d"))

ROLES = {
    "linear": ("weight", "bias"),
    "conv2d": ("weight", "bias"),
    "batch_norm": ("weight", "bias"),
    "embedding": ("weight",),
}
BUFFERS = {"batch_norm": ("running_mean", "running_var")}

#: The fix in the ported (torch) code when a policy field explains the divergence.
FIELD_FIXES = {
    "batch_norm_eps": "construct {module} with eps=2e-5 (chainer's BatchNormalization default; "
                      "torch's is 1e-5), momentum=0.1 (=1-decay)",
    "max_pooling_cover_all": "pass ceil_mode=True to max_pool2d/MaxPool2d (chainer's "
                             "max_pooling_2d covers every input pixel by default: cover_all=True)",
    "linear_input_layout": "flatten the input before the Linear layer (x.flatten(1)): chainer's "
                           "Linear flattens every axis after the first, torch's applies to the "
                           "last axis only",
    "lstm_cell_biases": "load chainer's one LSTM bias into {module}.bias_ih, zero bias_hh and "
                        "freeze it (bias_hh.requires_grad_(False)): torch's two trained biases "
                        "each take the step, so their sum moves twice as far",
    "lstm_bias_init": "to train {module} from scratch as chainer's L.LSTM: zero bias_ih and "
                      "bias_hh, then bias_ih[H:2H] = 1 (the forget gate)",
}

#: Formula differences of optimizer pairs (source class, torch class), from
#: ``refimpl.optimizers`` (each checked there against both frameworks).
OPTIMIZER_DIFFERENCES = {
    ("MomentumSGD", "SGD"): "chainer MomentumSGD: v = mu v - lr g; p += v; torch SGD(momentum): "
                            "b = mu b + (1 - dampening) g (b_1 = g); p -= lr b: the same for a "
                            "constant lr and dampening=0, different when lr changes mid-training "
                            "(refimpl policy field momentum_lr_form)",
    ("SGD", "SGD"): "the same rule p -= lr g (defaults differ: chainer lr=0.01, torch lr=1e-3)",
    ("Adam", "Adam"): "eps placement: chainer p -= alpha sqrt(1-b2^t)/(1-b1^t) m/(sqrt(v) + eps), "
                      "torch p -= lr/(1-b1^t) m/(sqrt(v)/sqrt(1-b2^t) + eps): torch's eps is "
                      "chainer's divided by sqrt(1-b2^t); weight decay: chainer eta*wd*p, torch "
                      "L2 in the gradient",
}


def owns(model):
    return isinstance(model, nn.Module)


def version():
    return torch.__version__.split("+")[0]


def _first_match(table, module):
    """The value of the first (class, value) row of ``table`` that ``module`` is an instance of."""
    return next((value for cls, value in table if isinstance(module, cls)), None)


def kind_of(module):
    return _first_match(KINDS, module)


def _pair(value):
    return tuple(numpy.broadcast_to(value, 2).tolist())


def config_of(module, kind):
    if kind == "conv2d":
        if isinstance(module.padding, str):
            pad = module.padding
        else:
            pad = _pair(module.padding)
        return {"ksize": _pair(module.kernel_size), "stride": _pair(module.stride), "pad": pad,
                "dilation": _pair(module.dilation),
                "groups": int(module.groups), "bias": module.bias is not None}
    if kind == "linear":
        return {"bias": module.bias is not None}
    if kind == "batch_norm":
        return {"eps": float(module.eps), "momentum": module.momentum}
    if kind == "embedding":
        return {"ignore_label": module.padding_idx}
    return {}


_ARGUMENTS = {"stride": "stride", "pad": "padding", "dilation": "dilation", "groups": "groups",
              "bias": "bias", "eps": "eps", "momentum": "momentum", "ignore_label": "padding_idx",
              "ksize": "kernel_size", "cover_all": "ceil_mode"}


def pooling_of(module):
    """The refimpl function a pooling module computes, or None."""
    return _first_match(POOLINGS, module)


def pooling_config(module):
    """A pooling module's arguments in the neutral (source) names: ksize, stride, pad and
    cover_all (torch's ceil_mode)."""
    return {"ksize": _pair(module.kernel_size),
            "stride": _pair(module.stride if module.stride is not None else module.kernel_size),
            "pad": _pair(module.padding), "cover_all": bool(module.ceil_mode)}


def config_fix(module_class, differences):
    """The constructor change that makes a torch layer take the source's arguments, e.g.
    'construct BatchNorm2d with eps=2e-05'; ``differences`` is {neutral name: source value}."""
    arguments = ", ".join(f"{_ARGUMENTS.get(key, key)}={value!r}"
                          for key, value in sorted(differences.items()))
    return f"construct {module_class} with {arguments}"


#: The fix in the ported (torch) code for a model convention (``conformance.port.conventions``)
#: whose value differs: by the value the source takes.
CONVENTION_FIXES = {
    ("bottleneck_stride_placement", "1x1"):
        "put each downsampling block's stride on its 1x1 conv1 as the source (ResNet v1): in "
        "{blocks} set conv1.stride = {stride} and conv2.stride = (1, 1) (torchvision's "
        "Bottleneck strides conv2, v1.5)",
    ("bottleneck_stride_placement", "3x3"):
        "put each downsampling block's stride on its 3x3 conv2 as the source (ResNet v1.5): in "
        "{blocks} set conv2.stride = {stride} and conv1.stride = (1, 1)",
}


def convention_fix(name, source_value, blocks, stride):
    """The one-line fix for the convention ``name`` (the source takes ``source_value``) in
    the target blocks ``blocks`` (their path prefixes), or None."""
    text = CONVENTION_FIXES.get((name, source_value))
    return None if text is None else text.format(blocks=", ".join(blocks), stride=stride)


def field_fix(field, module_class):
    text = FIELD_FIXES.get(field)
    return None if text is None else text.format(module=module_class)


#: Why one parameter of a unit kind moves differently in a step though its gradient agrees.
PARAMETER_NOTES = {
    ("lstm", "bias"): "torch's LSTMCell has two biases (bias_ih, bias_hh) where chainer's LSTM "
                      "has one: each gets the optimizer's update, so their sum moves twice as "
                      "far (and clip_grad_norm_ counts the bias gradient twice); zero bias_hh "
                      "and freeze it (bias_hh.requires_grad_(False))",
}


def parameter_note(kind, role):
    return PARAMETER_NOTES.get((kind, role))


#: The refimpl policy fields that model a ``PARAMETER_NOTES`` difference (named in a result
#: where the running refimpl has the field and the two policies differ in it).
PARAMETER_FIELDS = {("lstm", "bias"): ("lstm_cell_biases",)}


def parameter_fields(kind, role):
    return PARAMETER_FIELDS.get((kind, role), ())


#: refimpl policy fields that model an optimizer pair's formula difference (named in a result
#: only when the running refimpl has the field and the two policies differ in it).
OPTIMIZER_FIELDS = {
    ("MomentumSGD", "SGD"): ("momentum_lr_form",),
    ("Adam", "Adam"): ("adam_eps_placement",),
}


def optimizer_fields(source_name, target_name):
    return OPTIMIZER_FIELDS.get((source_name, target_name), ())


CLIPPING_DIFFERENCE = ("norm clipping: torch clip_grad_norm_ multiplies by "
                       "min(max_norm / (norm + 1e-6), 1), chainer GradientClipping by "
                       "threshold / norm only when norm > threshold")


def optimizer_difference(source_name, target_name, clipping=False):
    notes = [OPTIMIZER_DIFFERENCES.get((source_name, target_name)),
             CLIPPING_DIFFERENCE if clipping else None]
    return "; ".join(note for note in notes if note) or None


def _array(value):
    if isinstance(value, (tuple, list)):
        value = value[0]
    return None if value is None else value.detach().cpu().numpy().copy()


def units(model):
    found = {}
    for path, module in model.named_modules():
        parts = path.split(".")
        inside = any(".".join(parts[:i]) in found for i in range(1, len(parts)))
        if kind_of(module) is not None and not inside:
            found[path or "(model)"] = module
    return found


def module_class(model, path):
    return type(units(model)[path]).__name__


def export(module, kind, attribute="data", copy=True):
    if kind == "lstm":
        values = [getattr(p, attribute) for p in (module.weight_ih, module.weight_hh)]
        found = {role: v.detach().numpy().copy() for role, v in zip(("weight_ih", "weight_hh"), values)
                 if v is not None}
        if module.bias:
            b_ih, b_hh = getattr(module.bias_ih, attribute), getattr(module.bias_hh, attribute)
            if attribute == "grad":   # both biases get the same gradient: report one of them
                if b_ih is not None:
                    found["bias"] = b_ih.detach().numpy().copy()
            elif b_ih is not None and b_hh is not None:
                found["bias"] = (b_ih + b_hh).detach().numpy().copy()
        return found
    found = {}
    for role in ROLES[kind]:
        param = getattr(module, role, None)
        value = None if param is None else getattr(param, attribute)
        if value is not None:
            found[role] = value.detach().numpy().copy() if copy else value.detach().numpy()
    return found


def export_buffers(module, kind):
    return {role: getattr(module, role).detach().numpy().copy()
            for role in BUFFERS.get(kind, ()) if getattr(module, role, None) is not None}


def parameter_names(path, kind):
    if kind == "lstm":
        return {"weight_ih": f"{path}.weight_ih", "weight_hh": f"{path}.weight_hh",
                "bias": f"{path}.bias_ih (+ {path}.bias_hh set to 0)"}
    names = {role: f"{path}.{role}" for role in ROLES[kind]}
    names.update({role: f"{path}.{role}" for role in BUFFERS.get(kind, ())})
    return names


def load(model, path, values):
    """Copy {role: array} (neutral layout) into the unit at ``path``."""
    module = units(model)[path]
    kind = kind_of(module)
    with torch.no_grad():
        for role, array in values.items():
            if kind == "lstm" and role == "bias":
                module.bias_ih.copy_(torch.from_numpy(numpy.ascontiguousarray(array)))
                module.bias_hh.zero_()
                continue
            target = getattr(module, role, None)
            if target is None:      # no counterpart (e.g. a conv without bias): in the mapping
                continue
            if tuple(target.shape) != tuple(array.shape):
                raise ValueError(f"{path}.{role} has shape {tuple(target.shape)}, the source "
                                 f"array {tuple(array.shape)}")
            target.copy_(torch.from_numpy(numpy.ascontiguousarray(array)))


def cast(model, dtype):
    return model.to(getattr(torch, numpy.dtype(dtype).name))


def initialize(model, inputs, train=True):
    """Nothing is lazy in these models; kept for the protocol."""


@contextlib.contextmanager
def _one_thread():
    """Run on one intra-op thread (restored afterwards): reductions then sum in one order, and
    small float64 kernels do not spin-wait for a second thread (measured on a busy 2-core
    machine: BatchNorm2d of (2, 256, 8, 8) float64 36 ms on 2 threads, 0.2 ms on 1)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _tensor(array):
    tensor = torch.from_numpy(numpy.ascontiguousarray(array))
    return tensor.long() if array.dtype.kind in "iu" else tensor


class Session:
    def __init__(self, model, inputs, train=True):
        self.model = model
        self.train = train
        self.inputs = [_tensor(a) for a in inputs]

    def forward(self):
        self.events = []
        handles = []
        paths = {id(module): path for path, module in units(self.model).items()}
        for module in units(self.model).values():
            handles.append(module.register_forward_hook(self._hook(paths)))
        for path, module in self.model.named_modules():
            if pooling_of(module):
                handles.append(module.register_forward_hook(self._pooling_hook(path)))
        self.model.train(self.train)
        if hasattr(self.model, "reset_state"):
            self.model.reset_state()
        try:
            self.model.zero_grad(set_to_none=True)
            with _one_thread():
                self.output = self.model(*self.inputs)
        finally:
            for handle in handles:
                handle.remove()
        return _array(self.output)

    def _hook(self, paths):
        def hook(module, args, output):
            kind = kind_of(module)
            event = {"event": "unit", "path": paths[id(module)], "kind": kind,
                     "config": config_of(module, kind),
                     "inputs": [_array(a) for a in args if torch.is_tensor(a)],
                     "output": _array(output), "state": export_buffers(module, kind),
                     "module_class": type(module).__name__}
            self.events.append(event)
            first = output[0] if isinstance(output, (tuple, list)) else output
            if torch.is_tensor(first) and first.requires_grad:
                # the gradient reaching this call's output (before any in-place op after it)
                first.register_hook(lambda grad: event.__setitem__("output_grad", _array(grad)))
        return hook

    def _pooling_hook(self, path):
        def hook(module, args, output):
            self.events.append({"event": "function", "name": pooling_of(module), "path": path,
                                "module_class": type(module).__name__,
                                "config": pooling_config(module)})
        return hook

    def backward(self, cotangent):
        output = self.output[0] if isinstance(self.output, (tuple, list)) else self.output
        self.model.zero_grad(set_to_none=True)
        for event in self.events:
            event.pop("output_grad", None)
        with _one_thread():
            (output * torch.from_numpy(cotangent)).sum().backward()
        self.output_grads = [event.get("output_grad") for event in self.events
                             if event["event"] == "unit"]
        return {path: export(module, kind_of(module), "grad")
                for path, module in units(self.model).items()}

    def step(self, optimizer):
        """One step of ``optimizer`` ({'name': a ``torch.optim`` class, hyperparameters...,
        'clip_grad_norm': a threshold for ``clip_grad_norm_`` first})."""
        if getattr(self, "optimizer", None) is None:   # made once: its state lives on
            optimizer = dict(optimizer)
            cls = getattr(torch.optim, optimizer.pop("name"))
            self.clip = optimizer.pop("clip_grad_norm", None)
            self.trained = [p for p in self.model.parameters() if p.requires_grad]
            self.optimizer = cls(self.trained, **optimizer)
        with _one_thread():
            if self.clip is not None:
                nn.utils.clip_grad_norm_(self.trained, self.clip)
            self.optimizer.step()
        return parameters(self.model)


def backward_hooks(model, path):
    """What changes the backward of the unit at ``path`` beside its forward: its module
    backward hooks and backward pre-hooks, and gradient hooks on its parameters (a port's
    gradient scaling, clipping or masking), as phrases; [] for none."""
    module = units(model).get(path)
    if module is None:
        return []
    found = []
    if module._backward_hooks:
        found.append(f"{path} has {len(module._backward_hooks)} backward hook(s) "
                     f"(register_full_backward_hook: they change the gradient it passes back)")
    if module._backward_pre_hooks:
        found.append(f"{path} has {len(module._backward_pre_hooks)} backward pre-hook(s) "
                     f"(register_full_backward_pre_hook: they change the gradient reaching it)")
    for name, parameter in module.named_parameters():
        if parameter._backward_hooks:
            found.append(f"{path}.{name} has {len(parameter._backward_hooks)} gradient hook(s) "
                         f"(Tensor.register_hook)")
    return found


def rerun(model, path, inputs, train=True, buffers=None):
    """(output, buffers after) of the unit at ``path`` run on ``inputs`` (NumPy arrays), on a
    copy of it whose buffers are first set to ``buffers`` ({role: array}, e.g. the running
    statistics before the forward); the model is left as it is. None for a unit whose state
    is not an input (LSTMCell)."""
    module = units(model)[path]
    kind = kind_of(module)
    if kind == "lstm":
        return None
    module = copy.deepcopy(module)
    module.train(train)
    with torch.no_grad(), _one_thread():
        for role, array in (buffers or {}).items():
            getattr(module, role).copy_(torch.from_numpy(numpy.ascontiguousarray(array)))
        output = _array(module(*[_tensor(a) for a in inputs]))
    return output, export_buffers(module, kind)


def buffers(model):
    return {path: export_buffers(module, kind_of(module)) for path, module in units(model).items()}


def parameters(model, paths=None, copy=True):
    """{unit path: {role: array}} (neutral layout) of the units at ``paths`` (default: all);
    ``copy=False``: views of the parameters where the layout is the same (read at once)."""
    return {path: export(module, kind_of(module), copy=copy)
            for path, module in units(model).items() if paths is None or path in paths}


def lstm_cell_run(case):
    """The behaviour case of the LSTM cell's biases (``conformance.behaviours.port``) on
    torch's ``nn.LSTMCell``: a fresh default cell's biases, and one loaded from the neutral
    layout of ``case`` (the one ``bias`` into ``bias_ih``, ``bias_hh`` zeros, as a port loads
    it) run one step from ``(h0, c0)`` and updated by one plain SGD step (``lr``)."""
    torch.manual_seed(case["seed"])
    fresh = nn.LSTMCell(case["input_size"], case["hidden_size"])
    found = {"default.biases": [p.detach().numpy().copy() for name, p in
                                fresh.named_parameters() if name.startswith("bias")]}
    cell = nn.LSTMCell(case["input_size"], case["hidden_size"]).double()
    load(cell, "(model)", case["weights"])
    h, _ = cell(_tensor(case["x"]), (_tensor(case["h0"]), _tensor(case["c0"])))
    (h * _tensor(case["grad_h"])).sum().backward()
    found["h"] = _array(h)
    found["bias.grad"] = _array(cell.bias_ih.grad)
    before = (cell.bias_ih + cell.bias_hh).detach().numpy().copy()
    torch.optim.SGD(cell.parameters(), lr=case["lr"]).step()
    found["step.bias_change"] = (cell.bias_ih + cell.bias_hh).detach().numpy() - before
    return found
