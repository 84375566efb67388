"""refimpl.serializers: npz round trips in both layouts (never unpickling), a torch
state_dict and a chainer npz loaded into refimpl and exported back."""
import io

import numpy as np
import pytest

import refimpl
from refimpl import serializers
from refimpl.nn import Conv2d, Linear, Sequential


def model(seed):
    """Conv2d then a lazy chainer-style Linear (it flattens its 4-D input)."""
    with refimpl.semantics("chainer"):
        return Sequential(Conv2d(2, 3, 3, rng=seed), Linear(None, 4, rng=seed))


def initialised(seed):
    net = model(seed)
    with refimpl.semantics("chainer"):
        net(refimpl.Variable(np.ones((1, 2, 5, 5), np.float32)))  # sizes the lazy Linear
    return net


@pytest.mark.parametrize("layout", ["torch", "chainer"])
def test_round_trip(layout):
    source, target = initialised(0), initialised(1)
    buffer = io.BytesIO()
    serializers.save_npz(buffer, source, layout=layout)
    buffer.seek(0)
    keys = set(np.load(buffer).files)
    expected = {"0.weight", "0.bias", "1.weight", "1.bias"} if layout == "torch" else {"0/W", "0/b", "1/W", "1/b"}
    assert keys == expected
    buffer.seek(0)
    assert not all(np.array_equal(a, b) for a, b in zip(source.parameters(), target.parameters()))
    serializers.load_npz(buffer, target, layout=layout)
    for a, b in zip(source.parameters(), target.parameters()):
        assert np.array_equal(a.data, b.data)


def test_lazy_parameter_cannot_be_saved_and_bad_layout_is_named():
    with pytest.raises(ValueError, match="'1.weight' is not initialised"):
        serializers.save_npz(io.BytesIO(), model(0))
    with pytest.raises(ValueError, match="layout must be one of .* got layout='keras'"):
        serializers.save_npz(io.BytesIO(), initialised(0), layout="keras")


def test_load_into_lazy_layer_initialises_it():
    buffer = io.BytesIO()
    serializers.save_npz(buffer, initialised(0), layout="chainer")
    buffer.seek(0)
    fresh = model(1)
    serializers.load_npz(buffer, fresh, layout="chainer")
    assert fresh[1].weight.shape == (4, 27)


def test_mismatched_keys_raise_unless_not_strict():
    buffer = io.BytesIO()
    np.savez(buffer, **{"0/W": np.zeros((3, 2, 3, 3), np.float32)})
    buffer.seek(0)
    with pytest.raises(KeyError, match="missing \\['0/b', '1/W', '1/b'\\]"):
        serializers.load_npz(buffer, initialised(0), layout="chainer")
    buffer.seek(0)
    missing, unexpected = serializers.load_npz(buffer, initialised(0), layout="chainer", strict=False)
    assert missing == ["0/b", "1/W", "1/b"] and unexpected == []


def test_pickled_files_are_refused():
    buffer = io.BytesIO()
    np.savez(buffer, W=np.array(None, dtype=object))  # what chainer writes for a lazy W
    buffer.seek(0)
    with pytest.raises(ValueError, match="allow_pickle"):
        serializers.load_npz(buffer, Linear(None, 2), layout="chainer")


@pytest.mark.frameworks
def test_torch_state_dict_in_and_out():
    torch = pytest.importorskip("torch")
    reference = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.Flatten(), torch.nn.Linear(27, 4))
    ours = Sequential(Conv2d(2, 3, 3), lambda x: x.reshape((x.shape[0], -1)), Linear(27, 4))
    state = reference.state_dict()  # "0.weight", "0.bias", "2.weight", "2.bias": as ours
    serializers.load_named_arrays(ours, state, layout="torch")
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(refimpl.Variable(x)).data,
                               reference(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    exported = serializers.named_arrays(ours, layout="torch")
    for key, value in state.items():
        assert np.array_equal(exported[key], value.numpy())


@pytest.mark.frameworks
def test_chainer_npz_in_and_out(tmp_path):
    chainer = pytest.importorskip("chainer")
    link = chainer.Sequential(chainer.links.Convolution2D(2, 3, 3), chainer.links.Linear(27, 4))
    path = str(tmp_path / "chainer.npz")
    chainer.serializers.save_npz(path, link)
    with refimpl.semantics("chainer"):
        ours = Sequential(Conv2d(2, 3, 3), Linear(27, 4))
    serializers.load_npz(path, ours, layout="chainer")
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5)).astype(np.float32)
    with refimpl.semantics("chainer"):
        np.testing.assert_allclose(ours(refimpl.Variable(x)).data, link(x).array, rtol=1e-5, atol=1e-6)
    for _, parameter in ours.namedparams():
        parameter.data[...] += 1
    back = str(tmp_path / "refimpl.npz")
    serializers.save_npz(back, ours, layout="chainer")
    chainer.serializers.load_npz(back, link)
    for (path_a, a), (path_b, b) in zip(link.namedparams(), ours.namedparams()):
        assert path_a == path_b and np.array_equal(a.array, b.data)


def _trained(optimizer_factory, policy, steps=2):
    with refimpl.semantics(policy):
        net = Sequential(Linear(3, 2, rng=0))
        net.cleargrads()
        optimizer = optimizer_factory(net)
        for _ in range(steps):
            net.cleargrads()
            net(refimpl.Variable(np.ones((4, 3), np.float32))).sum().backward()
            if hasattr(optimizer, "step"):
                optimizer.step()
            else:
                optimizer.update()
    return net, optimizer


def _chainer_adam(net):
    optimizer = refimpl.optimizers.chainer_style.Adam()
    optimizer.setup(net)
    return optimizer


@pytest.mark.parametrize("factory, policy", [
    (lambda net: refimpl.optimizers.torch_style.Adam(net.parameters(), lr=0.1, amsgrad=True), "torch"),
    (lambda net: refimpl.optimizers.torch_style.SGD(net.parameters(), lr=0.1, momentum=0.9), "torch"),
    (_chainer_adam, "chainer"),
])
def test_optimizer_state_round_trip(factory, policy):
    net, optimizer = _trained(factory, policy)
    buffer = io.BytesIO()
    serializers.save_npz(buffer, optimizer)
    buffer.seek(0)
    _, fresh = _trained(factory, policy, steps=0)
    fresh_params = list(fresh.param_groups[0]["params"]) if hasattr(fresh, "param_groups") else None
    serializers.load_npz(buffer, fresh)
    expected, actual = serializers.named_arrays(optimizer), serializers.named_arrays(fresh)
    assert expected.keys() == actual.keys() and len(expected) > 3
    for key in expected:
        np.testing.assert_array_equal(actual[key], expected[key], err_msg=key)
    if fresh_params is not None:  # the loaded state is keyed by the fresh optimizer's parameters
        assert fresh.param_groups[0]["params"] == fresh_params


@pytest.mark.frameworks
def test_chainer_optimizer_npz_loads_into_refimpl(tmp_path):
    chainer = pytest.importorskip("chainer")
    link = chainer.Sequential(chainer.links.Linear(3, 2))
    optimizer = chainer.optimizers.Adam()
    optimizer.setup(link)
    for _ in range(2):
        link.cleargrads()
        chainer.functions.sum(link(np.ones((4, 3), np.float32))).backward()
        optimizer.update()
    path = str(tmp_path / "adam.npz")
    chainer.serializers.save_npz(path, optimizer)
    _, ours = _trained(_chainer_adam, "chainer", steps=0)
    serializers.load_npz(path, ours)
    with np.load(path) as archive:
        saved = {key: archive[key] for key in archive.files}
    mine = serializers.named_arrays(ours)
    assert saved.keys() == mine.keys()
    for key in saved:
        np.testing.assert_array_equal(mine[key], saved[key], err_msg=key)
