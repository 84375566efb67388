"""Behaviour cases of the issue-17 layers where chainer and torch differ: the
deconvolution layer's output size, the depthwise weight layout, PReLU's slope shapes,
default and gradient at 0, the bilinear weight layout and linear terms, and the GRU cell's
gates. Each names the ``refimpl.Policy`` fields it verifies (see ``core``); each calls the
framework through its layers module (``conformance.checks.layers``: a function, a run, or a
fresh layer with the framework's defaults), and refimpl's under the adapter's policy.

Where refimpl deliberately raises a clearer error than the framework (another class, or a
message naming the argument), a case records only *that* the step raised (``raised``).
"""
import numpy

from ..checks import layers
from ..checks.layers import functional_call
from ..frameworks.base import NotSupported
from .core import behaviour, f32
from .layers import raised


def _run(adapter, subject, case):
    """The framework's run of the layer ``subject`` on ``case`` (refimpl's under the adapter's
    policy); NotSupported where it has none."""
    run = layers.run_of(adapter.plugin, subject)
    if isinstance(run, layers.Absent):
        raise NotSupported(run.reason)
    return run(dict(case, policy=getattr(adapter, "policy", None)))


def _default_layer(adapter, name, *sizes):
    """{parameter name: array} of a fresh layer ``name`` with the framework's defaults."""
    make = getattr(layers.module_of(adapter.plugin), "default_layer", None)
    if make is None:
        raise NotSupported(f"{adapter.name} has no default {name} layer binding")
    return make(adapter, name, *sizes)


@behaviour("conv_transpose_output_size")
def deconvolution_output_size(adapter, record):
    """A transposed-convolution layer (1 channel, kernel 3, stride 2) over a 3x3 input, asked
    for output sizes 5 to 9 (natural 7): torch (``layer(x, output_size=...)``) computes 7 and 8
    and raises ValueError for the others; chainer (``L.Deconvolution2D(outsize=...)``) computes
    6, 7 and 8 (6 drops the taps past it) and raises InvalidType for 5 and 9.

    Only *whether* a size raises is compared (refimpl raises ValueError naming the sizes)."""
    case = {"x": numpy.arange(9, dtype=numpy.float64).reshape(1, 1, 3, 3) / 4,
            "W": numpy.linspace(-1, 1, 9).reshape(1, 1, 3, 3),
            "kwargs": {"stride": 2, "pad": 0, "dilation": 1, "groups": 1},
            "dtype": "float32", "backward": False}
    for size in range(5, 10):
        sized = dict(case, kwargs=dict(case["kwargs"], output_size=(size, size)))
        results = raised(record, f"size {size}.raised", lambda: _run(adapter, "deconv2d_layer",
                                                                      sized))
        if results is not None:
            record(f"size {size}.y", results["y"])


@behaviour("depthwise_weight_layout")
def depthwise_weight_layout(adapter, record):
    """Depthwise convolution of 2 channels with multiplier 2: torch takes W (4, 1, 1, 1) (rows:
    channel 0's filters, then channel 1's) and rejects (2, 2, 1, 1); chainer takes W (2, 2,
    1, 1) as [multiplier, channel] and rejects (4, 1, 1, 1). Output channel c m + j in both.

    Only *whether* a layout raises is compared (torch RuntimeError, chainer InvalidType;
    refimpl ValueError naming the expected layout)."""
    x = adapter.tensor(f32([1, 10]).reshape(1, 2, 1, 1))
    for shape in ((4, 1, 1, 1), (2, 2, 1, 1)):
        weight = adapter.tensor(f32([1, 2, 3, 4]).reshape(shape))
        y = raised(record, f"W{shape}.raised",
                   lambda: functional_call(adapter, "depthwise_conv2d", x, weight))
        if y is not None:
            record(f"W{shape}.y", y)


@behaviour("prelu_slope_shape")
def prelu_slope_shapes(adapter, record):
    """prelu of a (2, 3, 4) input with slopes of shape (1,), (), (3,) and (3, 4): torch takes
    one element or one per channel and rejects (3, 4); chainer takes W.shape ==
    x.shape[1:1 + W.ndim] ((), (3,), (3, 4)) and rejects (1,). A default PReLU layer: torch's
    weight (1,), chainer's W (), both 0.25.

    Only *whether* a shape raises is compared (torch RuntimeError, chainer InvalidType;
    refimpl ValueError)."""
    x = adapter.tensor(-numpy.arange(1, 25, dtype=numpy.float32).reshape(2, 3, 4) / 8)
    for shape in ((1,), (), (3,), (3, 4)):
        slopes = adapter.tensor(numpy.linspace(0.25, 0.75, max(1, int(numpy.prod(shape))),
                                               dtype=numpy.float32).reshape(shape))
        y = raised(record, f"W{shape}.raised", lambda: functional_call(adapter, "prelu", x, slopes))
        if y is not None:
            record(f"W{shape}.y", y)
    parameters = _default_layer(adapter, "prelu")
    record("default.shapes", [list(numpy.shape(p)) for p in parameters.values()])
    record("default.values", [numpy.asarray(p, numpy.float32).ravel() for p in
                              parameters.values()])


@behaviour("prelu_zero_gradient")
def prelu_gradient_at_zero(adapter, record):
    """prelu(x, 0.25) at x = -1, 0, 2: the value at 0 is 0 in both; the gradient there is the
    slope 0.25 in torch (``x > 0`` passes) and 1 in chainer (``x >= 0`` passes)."""
    x = adapter.tensor(f32([[-1, 0, 2]]), requires_grad=True)
    slope = adapter.tensor(numpy.array(0.25, numpy.float32), requires_grad=True)
    y = functional_call(adapter, "prelu", x, slope)
    record("y", y)
    adapter.backward(adapter.call("sum", y))
    record("x.grad", adapter.grad_of(x))
    record("W.grad", adapter.grad_of(slope))


@behaviour("bilinear_weight_layout", "bilinear_linear_terms")
def bilinear_layout_and_linear_terms(adapter, record):
    """bilinear of x1 (1, 2) and x2 (1, 3) with W of shape (4, 2, 3) or (2, 3, 4): torch takes
    (out, in1, in2), chainer (in1, in2, out); each rejects the other. A default
    Bilinear(2, 3, 4) layer: torch has weight (4, 2, 3) and bias (4,) (uniform); chainer W
    (2, 3, 4), V1 (2, 4), V2 (3, 4) and b (4,) (zeros).

    Only *whether* a layout raises is compared (torch RuntimeError, chainer InvalidType;
    refimpl ValueError)."""
    x1 = adapter.tensor(f32([[1, 2]]) / 4)
    x2 = adapter.tensor(f32([[3, 5, 7]]) / 8)
    for shape in ((4, 2, 3), (2, 3, 4)):
        weight = adapter.tensor(numpy.linspace(-1, 1, 24, dtype=numpy.float32).reshape(shape))
        y = raised(record, f"W{shape}.raised",
                   lambda: functional_call(adapter, "bilinear", x1, x2, weight))
        if y is not None:
            record(f"W{shape}.y", y)
    parameters = _default_layer(adapter, "bilinear", 2, 3, 4)
    record("default.shapes", sorted(list(numpy.shape(p)) for p in parameters.values()))
    record("default.one_axis_parameters_zero",
           [bool(numpy.all(numpy.asarray(p) == 0)) for p in parameters.values()
            if numpy.ndim(p) == 1])


@behaviour("gru_cell_reset_gate", "gru_cell_update_gate")
def gru_cell_gates(adapter, record):
    """A GRU cell (torch ``nn.GRUCell``; chainer ``L.StatelessGRU`` with torch's row blocks
    r, z, n mapped onto its links W_r, W_z, W / U_r, U_z, U) on one step: torch computes n =
    tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h; chainer h_bar = tanh(W x +
    b_W + U (r h) + b_U), h' = z h_bar + (1 - z) h. Recorded: h' and the gradients of x, h
    and every parameter (torch's names) after backward of sum(h' * g)."""
    hidden, inputs = 2, 2
    case = {"options": {"input_size": inputs, "hidden_size": hidden, "bias": True},
            "weights": {"weight_ih": numpy.linspace(-1, 1, 3 * hidden * inputs)
                        .reshape(3 * hidden, inputs),
                        "weight_hh": numpy.linspace(1, -0.5, 3 * hidden * hidden)
                        .reshape(3 * hidden, hidden),
                        "bias_ih": numpy.linspace(-0.5, 0.5, 3 * hidden),
                        "bias_hh": numpy.linspace(0.75, -0.25, 3 * hidden)},
            "x": numpy.array([[0.5, -1.0], [1.5, 0.25]]),
            "h0": numpy.array([[1.0, -0.5], [0.25, 0.75]]),
            "grad_h": numpy.array([[1.0, 2.0], [-1.0, 0.5]]),
            "dtype": "float64", "backward": True}
    for name, value in sorted(_run(adapter, "gru_cell", case).items()):
        record(name, value)
