"""refimpl.nn.Linear and Conv2d: shapes, lazy sizing and default initialisation under each
policy, the seeds' Linear examples, and values and grads against torch and chainer layers
given the same weights."""
import math

import numpy as np
import pytest

import refimpl
from refimpl.nn import Conv2d, Linear
from framework_imports import import_chainer as _chainer, import_torch as _torch


def V(array, requires_grad=True):
    return refimpl.Variable(np.asarray(array, np.float32), requires_grad=requires_grad)


# --- the seeds' Linear examples (002/003) --------------------------------------------------

@pytest.mark.parametrize("policy", ["torch", "chainer"])
def test_seed_linear_grads_with_ones_upstream(policy):
    with refimpl.semantics(policy):
        layer = Linear(3, 2, rng=0)
        layer.cleargrads()
        x = V([[1, 2, 3], [4, 5, 6]])
        y = layer(x)
        np.testing.assert_allclose(y.data, x.data @ layer.weight.data.T + layer.bias.data, rtol=1e-6)
        y.backward(np.ones((2, 2), np.float32))
        assert layer.weight.grad.tolist() == [[5, 7, 9], [5, 7, 9]]  # column sums of x
        assert layer.bias.grad.tolist() == [2, 2]  # the batch size
        y = layer(x)
        y.backward(np.ones((2, 2), np.float32))
        assert layer.weight.grad.tolist() == [[10, 14, 18], [10, 14, 18]]  # accumulates...
        layer.cleargrads()
        layer(x).backward(np.ones((2, 2), np.float32))
        assert layer.weight.grad.tolist() == [[5, 7, 9], [5, 7, 9]]  # ...until cleared


def test_chainer_layer_starts_with_nan_grads():
    with refimpl.semantics("chainer"):
        layer = Linear(3, 2, rng=0)
        assert np.isnan(layer.weight.grad).all() and np.isnan(layer.bias.grad).all()
        layer(V([[1, 2, 3]])).backward(np.ones((1, 2), np.float32))
        assert np.isnan(layer.weight.grad).all()  # forgot cleargrads(): NaN + grad
    with refimpl.semantics("torch"):
        assert Linear(3, 2).weight.grad is None


# --- lazy layers ----------------------------------------------------------------------------

def test_lazy_linear_sizes_from_last_axis_under_torch():
    with refimpl.semantics("torch"):
        layer = Linear(None, 7, rng=0)
        assert not layer.weight.is_initialized and not layer.bias.is_initialized  # LazyLinear
        y = layer(V(np.ones((2, 3, 4, 5))))
        assert y.shape == (2, 3, 4, 7) and layer.weight.shape == (7, 5)
        assert layer.in_size == 5


def test_lazy_linear_flattens_under_chainer():
    with refimpl.semantics("chainer"):
        layer = Linear(None, 7, rng=0)
        assert not layer.weight.is_initialized
        assert layer.bias.data.tolist() == [0.0] * 7  # chainer's b exists before the call
        y = layer(V(np.ones((2, 3, 4, 5))))
        assert y.shape == (2, 7) and layer.weight.shape == (7, 60)
        assert np.isnan(layer.weight.grad).all()


def test_lazy_conv_takes_channels_from_input():
    layer = Conv2d(None, 4, 3, rng=0)
    y = layer(V(np.ones((1, 2, 5, 5))))
    assert y.shape == (1, 4, 3, 3) and layer.weight.shape == (4, 2, 3, 3)


# --- default initialisation ------------------------------------------------------------------

def test_torch_default_init_is_bounded_by_inverse_sqrt_fan_in():
    with refimpl.semantics("torch"):
        layer = Conv2d(8, 16, 3, groups=2, rng=1)
    bound = 1 / math.sqrt(4 * 3 * 3)  # fan_in = in_channels / groups * kh * kw
    for array in (layer.weight.data, layer.bias.data):
        assert np.abs(array).max() <= bound
        assert np.abs(array).max() > 0.8 * bound  # uniform: fills the interval
    assert layer.weight.dtype == np.float32


def test_chainer_default_init_is_lecun_normal_and_zero_bias():
    with refimpl.semantics("chainer"):
        layer = Linear(400, 300, rng=2)
    assert layer.bias.data.tolist() == [0.0] * 300
    # N(0, 1/fan_in): the sample std of 120000 draws is within 2% of 1/sqrt(400)
    assert abs(layer.weight.data.std() * math.sqrt(400) - 1) < 0.02
    assert np.abs(layer.weight.data).max() > 3 / math.sqrt(400)  # normal, not bounded uniform


def test_seeded_initialisation_is_reproducible_and_initial_arrays_are_copied():
    assert np.array_equal(Linear(4, 3, rng=5).weight.data, Linear(4, 3, rng=5).weight.data)
    weight = np.arange(12, dtype=np.float64).reshape(3, 4)
    layer = Linear(4, 3, initial_weight=weight, initial_bias=[1, 2, 3])
    weight[0, 0] = 100
    assert layer.weight.data[0, 0] == 0 and layer.weight.dtype == np.float32
    assert layer.bias.data.tolist() == [1, 2, 3]


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="out_size must be a positive integer, got out_size=0"):
        Linear(3, 0)
    with pytest.raises(ValueError, match="in_size must be a positive integer or None, got in_size=-1"):
        Linear(-1, 2)
    with pytest.raises(ValueError, match="initial_weight must have shape \\(2, 3\\)"):
        Linear(3, 2, initial_weight=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair"):
        Conv2d(4, 4, (1, 2, 3))
    with pytest.raises(ValueError, match="Conv2d needs a 4-D"):
        Conv2d(None, 4, 3)(V(np.ones((2, 5, 5))))


def test_bias_false_registers_none():
    layer = Linear(3, 2, bias=False)
    assert layer.bias is None
    assert list(layer.state_dict()) == ["weight"]
    assert [name for name, _ in layer.namedparams()] == ["/W"]


# --- against the frameworks --------------------------------------------------------------


CONV_CONFIGS = [
    dict(in_channels=4, out_channels=6, kernel_size=3, stride=1, padding=1, dilation=1, groups=1),
    dict(in_channels=4, out_channels=4, kernel_size=(3, 2), stride=(2, 1), padding=(0, 1), dilation=1, groups=4),
    dict(in_channels=4, out_channels=6, kernel_size=2, stride=2, padding=0, dilation=2, groups=2),
]


@pytest.mark.frameworks
@pytest.mark.parametrize("config", CONV_CONFIGS)
def test_conv_layer_matches_torch_and_chainer(config):
    torch, chainer = _torch(), _chainer()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 7, 6)).astype(np.float32)
    ours = Conv2d(**config, rng=3)
    ours.zero_grad()
    y = ours(V(x))
    y.backward(np.ones(y.shape, np.float32))

    reference = torch.nn.Conv2d(**config)
    reference.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    tx = torch.tensor(x, requires_grad=True)
    ty = reference(tx)
    ty.backward(torch.ones_like(ty))
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.weight.grad, reference.weight.grad.numpy(), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(ours.bias.grad, reference.bias.grad.numpy(), rtol=1e-5, atol=1e-4)

    link = chainer.links.Convolution2D(
        config["in_channels"], config["out_channels"], config["kernel_size"], stride=config["stride"],
        pad=config["padding"], dilate=config["dilation"], groups=config["groups"],
        initialW=ours.weight.data.copy(), initial_bias=ours.bias.data.copy())
    cy = link(x)
    np.testing.assert_allclose(y.data, cy.array, rtol=1e-5, atol=1e-5)


@pytest.mark.frameworks
def test_linear_layer_matches_torch_and_chainer_on_3d_input():
    torch, chainer = _torch(), _chainer()
    x = np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32)
    with refimpl.semantics("torch"):
        ours = Linear(4, 5, rng=0)
        y = ours(V(x))
    reference = torch.nn.Linear(4, 5)
    reference.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    np.testing.assert_allclose(y.data, reference(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    with refimpl.semantics("chainer"):
        ours = Linear(12, 5, rng=0)
        y = ours(V(x))
    link = chainer.links.Linear(12, 5, initialW=ours.weight.data.copy(), initial_bias=ours.bias.data.copy())
    np.testing.assert_allclose(y.data, link(x).array, rtol=1e-5, atol=1e-6)
