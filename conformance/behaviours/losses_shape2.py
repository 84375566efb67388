"""Behaviour cases of the issue-17 losses and shape/maths ops where chainer and torch differ:
default reductions (Huber, absolute error, Gaussian NLL), the Gaussian NLL's constant, the
triplet loss's distance and margin, L2 normalisation's eps, depth2space's channel order and
im2col's layout. Each names the ``refimpl.Policy`` fields it verifies (see ``core``); a loss
is called through ``checks.layers.functional_call`` with only the arguments both frameworks
take, so each framework's default is what is observed."""
import numpy

from ..checks.layers import functional_call
from .core import behaviour, f32


def _loss_and_grads(adapter, record, subject, arrays, *args):
    """Call the loss ``subject`` on float32 ``arrays`` (name -> values, differentiated) and
    ``args``; record its value and the gradients of its sum."""
    inputs = {name: adapter.tensor(f32(values), requires_grad=True)
              for name, values in arrays.items()}
    y = functional_call(adapter, subject, *inputs.values(), *args)
    record("y", y)
    adapter.backward(adapter.call("sum", y))
    for name, tensor in inputs.items():
        record(f"{name}.grad", adapter.grad_of(tensor))


@behaviour("huber_loss_reduction")
def huber_loss_default_reduction(adapter, record):
    """huber_loss(x, t, delta=1) of (2, 3) inputs: torch averages everything (0-d), chainer
    sums over axis 1 (shape (2,)); the elements agree (0.5 d^2 inside, |d| - 0.5 outside)."""
    _loss_and_grads(adapter, record, "huber_loss",
                    {"x": [[0.5, -2.0, 3.0], [0.0, 1.5, -0.25]], "t": [[0.0] * 3] * 2}, 1.0)


@behaviour("l1_loss_reduction")
def l1_loss_default_reduction(adapter, record):
    """|x - t| without a reduction argument: torch ``F.l1_loss`` averages (0-d), chainer
    ``F.absolute_error`` keeps the elements."""
    _loss_and_grads(adapter, record, "l1_loss",
                    {"x": [[0.5, -2.0], [3.0, 1.0]], "t": [[0.0, 0.0], [1.0, 2.0]]})


@behaviour("gaussian_nll_reduction", "gaussian_nll_full")
def gaussian_nll_defaults(adapter, record):
    """The Gaussian NLL of x = [1, 2] under N(0, exp(ln_var)), ln_var = [0, 1]: torch
    (``F.gaussian_nll_loss(x, mean, exp(ln_var))``) averages and leaves out 0.5 log(2 pi);
    chainer (``F.gaussian_nll``) sums and includes it."""
    _loss_and_grads(adapter, record, "gaussian_nll",
                    {"x": [1.0, 2.0], "mean": [0.0, 0.0], "ln_var": [0.0, 1.0]})


@behaviour("triplet_distance", "triplet_margin")
def triplet_defaults(adapter, record):
    """triplet(a, p, n) of one (1, 2) triple with ||a - p|| = 1, ||a - n|| = 17/16: torch
    max(1 - 17/16 + 1, 0) = 0.9375 (norms, default margin 1), chainer max(1 - 289/256 + 0.2,
    0) = 0.0711 (squares, default margin 0.2); with margin 3.5: torch 3.4375 (up to eps
    1e-6), chainer 3.3711; gradients of the latter."""
    arrays = {"anchor": [[0.0, 0.0]], "positive": [[1.0, 0.0]], "negative": [[0.0, 1.0625]]}
    inputs = {name: adapter.tensor(f32(values), requires_grad=True)
              for name, values in arrays.items()}
    record("default margin", functional_call(adapter, "triplet", *inputs.values()))
    y = functional_call(adapter, "triplet", *inputs.values(), 3.5)
    record("margin 3.5", y)
    adapter.backward(y)
    for name, tensor in inputs.items():
        record(f"{name}.grad", adapter.grad_of(tensor))


@behaviour("normalize_eps_rule", "normalize_eps")
def normalize_small_norm(adapter, record):
    """normalize of a row of norm 5e-6 (float64): torch x / max(||x||, 1e-12) = [0.6, 0.8];
    chainer x / (||x|| + 1e-5) = [0.2, 0.2667]; with eps=1e-5 given, torch clamps to
    x / 1e-5 = [0.3, 0.4]."""
    x = adapter.tensor(numpy.array([[3e-6, 4e-6]]), requires_grad=True)
    record("default eps", adapter.call("normalize", x))
    y = adapter.call("normalize", x, 1e-5)
    record("eps 1e-5", y)
    adapter.backward(adapter.call("sum", y))
    record("x.grad", adapter.grad_of(x))


@behaviour("depth2space_channel_order")
def depth2space_channel_order(adapter, record):
    """depth2space (pixel_shuffle) of channels 0..7 to (1, 2, 2, 2), and space2depth
    (pixel_unshuffle) of a 4x4 image 0..15: torch orders channels (c, i, j), chainer (i, j,
    c)."""
    x = adapter.tensor(numpy.arange(8, dtype=numpy.float32).reshape(1, 8, 1, 1))
    record("depth2space", adapter.call("depth2space", x, 2))
    image = adapter.tensor(numpy.arange(32, dtype=numpy.float32).reshape(1, 2, 4, 4))
    record("space2depth", adapter.call("space2depth", image, 2))


@behaviour("im2col_layout")
def im2col_layout(adapter, record):
    """im2col (unfold) of a (1, 2, 3, 3) input with 2x2 patches: torch (1, 8, 4), chainer
    (1, 8, 2, 2); the same numbers in the same order."""
    x = adapter.tensor(numpy.arange(18, dtype=numpy.float32).reshape(1, 2, 3, 3))
    record("im2col", adapter.call("im2col", x, 2))


@behaviour("ctc_mean_normalisation")
def ctc_mean_normalisation(adapter, record):
    """CTC of 3 frames of zero activations (uniform over 3 classes, blank 0) for targets [1, 2]
    and [1]: the per-sample losses agree; 'mean' is torch's mean of loss / target length,
    chainer's mean of the losses."""
    x = adapter.tensor(numpy.zeros((3, 2, 3), numpy.float32), requires_grad=True)
    labels = adapter.constant(numpy.array([[1, 2], [1, 0]], numpy.int32), "cpu")
    y = functional_call(adapter, "ctc_loss", x, labels,
                        adapter.constant(numpy.array([3, 3], numpy.int32), "cpu"),
                        adapter.constant(numpy.array([2, 1], numpy.int32), "cpu"), 0)
    record("mean", y)
    adapter.backward(y)
    record("x.grad", adapter.grad_of(x))


@behaviour("spatial_grid_layout", "spatial_align_corners")
def spatial_transformer_defaults(adapter, record):
    """affine_grid of theta = [[0.5, 0, 0], [0, 0.5, 0]] over a 2x3 output, then grid_sample
    of a 2x3 image 0..5 at it: torch's grid is (1, 2, 3, 2) with x at -+1/3 and 0 (pixel
    centres, edges at -+1), chainer's (1, 2, 2, 3) with x at -+1 and 0 (corner centres at
    -+1), so the sampled values differ too."""
    theta = adapter.tensor(f32([[[0.5, 0.0, 0.0], [0.0, 0.5, 0.0]]]), requires_grad=True)
    grid = adapter.call("affine_grid", theta, (2, 3))
    record("grid", grid)
    image = adapter.tensor(numpy.arange(6, dtype=numpy.float32).reshape(1, 1, 2, 3),
                           requires_grad=True)
    y = adapter.call("grid_sample", image, grid)
    record("sampled", y)
    adapter.backward(adapter.call("sum", y))
    record("image.grad", adapter.grad_of(image))
    record("theta.grad", adapter.grad_of(theta))
