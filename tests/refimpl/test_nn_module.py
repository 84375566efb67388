"""refimpl.nn.Module: registration, each framework's parameter order and names, clearing
grads under each policy, state dicts; the orders are checked against torch and chainer."""
import numpy as np
import pytest

import refimpl
from refimpl.nn import Chain, ChainList, Module, Parameter, Sequential


class Leaf(Module):
    chainer_names = {"weight": "W", "bias": "b"}

    def __init__(self, size, bias=True):
        super().__init__()
        self.weight = Parameter(np.arange(size, dtype=np.float32))
        if bias:
            self.bias = Parameter(np.zeros(1, np.float32))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        return x * self.weight


def named_chain():
    chain = Chain()
    chain.zz = Leaf(2)
    chain.aa = Leaf(3, bias=False)
    chain.gamma = Parameter(np.ones(1, np.float32))
    return chain


def test_orders_and_names():
    chain = named_chain()
    # torch: own parameters first, then children, each in registration order
    assert [name for name, _ in chain.named_parameters()] == ["gamma", "zz.weight", "zz.bias", "aa.weight"]
    # chainer: own parameters sorted, then children sorted by name, chainer's names
    assert [name for name, _ in chain.namedparams()] == ["/gamma", "/aa/W", "/zz/W", "/zz/b"]
    assert list(chain.state_dict()) == ["gamma", "zz.weight", "zz.bias", "aa.weight"]
    sequential = Sequential(*[Leaf(1) for _ in range(11)])
    assert [name for name, _ in sequential.namedparams()][-2:] == ["/10/W", "/10/b"]
    assert [name for name, _ in sequential.named_parameters()][-2:] == ["10.weight", "10.bias"]


def test_shared_parameter_appears_once_in_parameters():
    shared = Leaf(2)
    model = Sequential(shared, shared)
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_fresh_parameter_grad_follows_policy():
    with refimpl.semantics("torch"):
        assert Parameter(np.ones(2, np.float32)).grad is None
    with refimpl.semantics("chainer"):
        parameter = Parameter(np.ones(2, np.float32))
        assert np.isnan(parameter.grad).all()
        (parameter * 2.0).sum().backward()
        assert np.isnan(parameter.grad).all()  # a backward adds into the NaN
        parameter.cleargrad()
        (parameter * 2.0).sum().backward()
        assert parameter.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("policy", ["torch", "chainer"])
def test_clearing(policy):
    with refimpl.semantics(policy):
        model = Sequential(Leaf(2), Leaf(2, bias=False))
        model.cleargrads()
        x = refimpl.Variable(np.ones(2, np.float32))
        model(x).sum().backward()
        assert model[1].weight.grad.tolist() == [0.0, 1.0]
        model.zero_grad(set_to_none=False)
        assert model[1].weight.grad.tolist() == [0.0, 0.0]
        assert model[0].bias.grad is None  # unused: never got a grad, stays None
        model.zerograds()
        assert model[0].bias.grad.tolist() == [0.0]
        model.zero_grad()
        assert all(p.grad is None for p in model.parameters())


def test_load_state_dict_copies_in_place_and_reports_problems():
    model = Sequential(Leaf(2))
    weight = model[0].weight.data
    model.load_state_dict({"0.weight": np.array([5.0, 6.0]), "0.bias": np.array([1.0])})
    assert weight.tolist() == [5.0, 6.0] and weight.dtype == np.float32
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0.bias"'):
        model.load_state_dict({"0.weight": np.zeros(2)})
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        model.load_state_dict({"0.weight": np.zeros(3), "0.bias": np.zeros(1)})
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "extra"'):
        model.load_state_dict({"0.weight": np.zeros(2), "0.bias": np.zeros(1), "extra": np.zeros(1)})
    assert model.load_state_dict({"0.weight": np.zeros(2)}, strict=False) == (["0.bias"], [])
    with pytest.raises(TypeError, match="state_dict must be a mapping"):
        model.load_state_dict([1, 2])


def test_lazy_parameter_and_errors():
    parameter = Parameter()
    assert not parameter.is_initialized
    with pytest.raises(RuntimeError, match="not initialised"):
        parameter.shape
    with pytest.raises(TypeError, match="parameter must be a Parameter or None"):
        Module().register_parameter("w", np.zeros(2))
    with pytest.raises(TypeError, match="ChainList.append takes a Module"):
        ChainList().append(3)

    class Forgot(Module):
        def __init__(self):
            self.w = 1

    with pytest.raises(RuntimeError, match="must call super"):
        Forgot()


@pytest.mark.frameworks
def test_orders_match_torch_and_chainer():
    torch = pytest.importorskip("torch")
    chainer = pytest.importorskip("chainer")
    net = torch.nn.Module()
    net.gamma = torch.nn.Parameter(torch.ones(1))
    net.zz = torch.nn.Linear(2, 1)
    net.aa = torch.nn.Linear(3, 1, bias=False)
    assert [name for name, _ in net.named_parameters()] == \
        [name for name, _ in named_chain().named_parameters()]
    link = chainer.Chain()
    with link.init_scope():
        link.gamma = chainer.Parameter(np.ones(1, np.float32))
        link.zz = chainer.links.Linear(2, 1)
        link.aa = chainer.links.Linear(3, 1, nobias=True)
    assert [name for name, _ in link.namedparams()] == \
        [name for name, _ in named_chain().namedparams()]
    chain_list = chainer.ChainList(*[chainer.links.Linear(1, 1) for _ in range(11)])
    ours = ChainList(*[Leaf(1) for _ in range(11)])
    assert [name for name, _ in chain_list.namedparams()] == [name for name, _ in ours.namedparams()]
