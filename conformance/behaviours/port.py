"""Behaviour cases of the differences the port checker (``conformance.port``, issue 18) found
in real model pairs that no op-level case covered: the LSTM cell layer's biases (the PTB
language model). Each names the ``refimpl.Policy`` fields it verifies (see ``core``); each
runs the framework's LSTM cell layer through its plugin's port module (``lstm_cell_run``:
torch ``nn.LSTMCell``, chainer ``L.LSTM``, refimpl ``refimpl.nn.rnn.LSTMCell`` under the
adapter's policy)."""
import importlib

import numpy

from ..frameworks.base import NotSupported
from .core import behaviour


def _port_run(adapter, function_name, case):
    """``function_name(case)`` of the adapter's plugin's port module (with the adapter's
    policy for the reference); NotSupported where the plugin has none."""
    module_name = getattr(adapter.plugin, "port_module", None)
    module = importlib.import_module(module_name) if module_name else None
    run = getattr(module, function_name, None)
    if run is None:
        raise NotSupported(f"{adapter.name} has no port module with {function_name}")
    return run(dict(case, policy=getattr(adapter, "policy", None)))


@behaviour("lstm_cell_biases", "lstm_bias_init")
def lstm_cell_biases(adapter, record):
    """An LSTM cell layer (torch ``nn.LSTMCell(2, 2)``, chainer ``L.LSTM(2, 2)``): a fresh one
    has two biases drawn from U(-1/sqrt(2), 1/sqrt(2)) in torch, one bias of zeros with 1 on
    the forget gate in chainer. Loaded with the same weights and total bias (torch: bias_ih,
    bias_hh zeros) both compute the same h' from (h0, c0) and the same bias gradient, but one
    plain SGD step (lr 0.5) moves torch's summed bias by -2 lr g (each of its two biases
    takes the step) and chainer's by -lr g. Recorded: the count of default biases, whether
    their sum is chainer's forget-one pattern, whether they lie within torch's bound; h', the
    bias gradient and the change of the summed bias after the step (neutral row order i, f,
    g, o)."""
    hidden, inputs = 2, 2
    case = {"input_size": inputs, "hidden_size": hidden, "seed": 0, "lr": 0.5,
            "weights": {"weight_ih": numpy.linspace(-1, 1, 4 * hidden * inputs)
                        .reshape(4 * hidden, inputs),
                        "weight_hh": numpy.linspace(0.75, -0.5, 4 * hidden * hidden)
                        .reshape(4 * hidden, hidden),
                        "bias": numpy.linspace(-0.5, 0.25, 4 * hidden)},
            "x": numpy.array([[0.5, -1.0], [1.5, 0.25]]),
            "h0": numpy.array([[1.0, -0.5], [0.25, 0.75]]),
            "c0": numpy.array([[0.5, 0.25], [-1.0, 0.5]]),
            "grad_h": numpy.array([[1.0, 2.0], [-1.0, 0.5]])}
    found = _port_run(adapter, "lstm_cell_run", case)
    biases = [numpy.asarray(b, numpy.float64) for b in found["default.biases"]]
    total = sum(biases)
    forget_one = numpy.zeros(4 * hidden)
    forget_one[hidden:2 * hidden] = 1.0
    record("default.bias_count", len(biases))
    record("default.sum_is_forget_one", bool(numpy.array_equal(total, forget_one)))
    record("default.within_uniform_bound",
           bool(all(numpy.all(numpy.abs(b) <= 1 / numpy.sqrt(hidden)) and numpy.any(b)
                    for b in biases)))
    for name in ("h", "bias.grad", "step.bias_change"):
        record(name, numpy.asarray(found[name], numpy.float64))
