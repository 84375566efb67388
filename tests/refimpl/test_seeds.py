"""Every worked example of ../shared/seeds reproduced under the policy of the framework it
was written for (file names as in shared/seeds/README.md)."""
import numpy as np
import pytest

import refimpl
import refimpl.functions as F

f32 = np.float32


def arr(values):
    return np.array(values, dtype=f32)


@pytest.fixture
def chainer():
    with refimpl.semantics("chainer"):
        yield


@pytest.fixture
def torch():
    with refimpl.semantics("torch"):
        yield


def _seed000_graph():
    x = refimpl.Variable(arr([1, 2, 3]))
    y = x ** 2 + 2 * x + 1
    z = y ** 3 - 4 * y ** 2 + 2
    return x, y, z


def values(variable):
    return None if variable is None else np.asarray(variable.data if hasattr(variable, "data") else variable).tolist()


class TestSeed000ChainerGrad:
    """000: chainer.grad(outputs, inputs, grad_outputs, grad_inputs, set_grad, retain_grad)."""

    def test_grad_touches_no_grad(self, chainer):
        x, y, z = _seed000_graph()
        assert values(refimpl.grad([z], [x])[0]) == [64, 1026, 5120]
        assert values(refimpl.grad([z], [y])[0]) == [16, 171, 640]
        assert (x.grad, y.grad, z.grad) == (None, None, None)

    def test_set_grad_fills_inputs_only(self, chainer):
        x, y, z = _seed000_graph()
        refimpl.grad([z], [x], set_grad=True)
        assert (values(x.grad), y.grad, z.grad) == ([64, 1026, 5120], None, None)

    def test_retain_grad_fills_the_path(self, chainer):
        # Observed on chainer 7.8.1 and 5.4.0: intermediates and the output, not the inputs
        # (the seed note shows x.grad set only because set_grad ran before).
        x, y, z = _seed000_graph()
        refimpl.grad([z], [x], retain_grad=True)
        assert (x.grad, values(y.grad), values(z.grad)) == (None, [16, 171, 640], [1, 1, 1])

    def test_preset_grad_is_ignored_and_kept(self, chainer):
        x, y, z = _seed000_graph()
        x.grad = arr([2, 3, 4])
        assert values(refimpl.grad([z], [x])[0]) == [64, 1026, 5120]
        assert values(x.grad) == [2, 3, 4]

    def test_grad_inputs_are_added(self, chainer):
        x, y, z = _seed000_graph()
        result = refimpl.grad([z], [x], grad_inputs=[arr([2, 3, 4])])
        assert values(result[0]) == [66, 1029, 5124] and x.grad is None
        refimpl.grad([z], [x], grad_inputs=[arr([2, 3, 4])], set_grad=True)
        assert values(x.grad) == [66, 1029, 5124]

    def test_backward_scalar_seed_and_parameter_accumulation(self, chainer):
        w = refimpl.Variable(arr([1.0, 2.0]))
        for expected in ([3, 6], [6, 12]):
            F.sum(3 * w * w / 2).backward()
            assert values(w.grad) == expected


class TestSeed001Torch:
    """001: PyTorch notes."""

    def test_dot(self, torch):
        a = refimpl.Variable(arr([1, 2, 3]), requires_grad=True)
        b = refimpl.Variable(arr([2, 3, 4]), requires_grad=True)
        f = F.dot(a, b)
        assert values(f) == 20
        f.backward()
        assert (values(a.grad), values(b.grad), f.grad) == ([2, 3, 4], [1, 2, 3], None)
        assert (a.is_leaf, b.is_leaf, f.is_leaf) == (True, True, False)

    def test_max_returns_values_with_graph_and_indices_without(self, torch):
        a = refimpl.Variable(arr([1, 2, 3]), requires_grad=True)
        value, index = F.max(a, 0)
        assert (values(value), values(index)) == (3, 2)
        assert value.creator is not None and index.creator is None and not index.requires_grad

    def test_numpy_needs_detach(self, torch):
        t = refimpl.Variable(arr([1, 2]), requires_grad=True)
        with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
            t.numpy()
        assert t.detach().numpy().tolist() == [1, 2]

    def test_second_backward_needs_retain_graph(self, torch):
        w = refimpl.Variable(arr(1.0), requires_grad=True)
        f = w * w * 4  # df/dw = 8w = 8 at w=1
        f.backward(retain_graph=True)
        assert values(w.grad) == 8
        f.backward(retain_graph=True)
        assert values(w.grad) == 16
        f.backward()
        with pytest.raises(RuntimeError, match="Specify retain_graph=True"):
            f.backward()

    def test_boolean_mask_and_topk_and_cat(self, torch):
        x = refimpl.Variable(arr([[-0.07, -1.17, 0.44], [-2.28, 0.96, -0.25]]), requires_grad=True)
        mask = (x.data > -5.0) & (x.data < -1.0)
        picked = x[mask]
        assert values(picked) == values(arr([-1.17, -2.28]))
        F.sum(picked).backward()
        assert values(x.grad) == [[0, 1, 0], [1, 0, 0]]
        top_values, top_indices = F.topk(refimpl.Variable(arr([[-0.09, 1.24, 0.37], [0.66, 0.45, 1.13]])), 2)
        assert values(top_indices) == [[1, 2], [2, 0]]
        t1 = refimpl.Variable(np.ones((3, 3), np.int64))
        t2 = refimpl.Variable(np.full((3, 2), 2, np.int64))
        assert F.cat([t1, t2], 1).data.tolist() == [[1, 1, 1, 2, 2]] * 3
        with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0. "
                                               "Expected size 3 but got size 2 for tensor number 1"):
            F.cat([t1, t2], 0)
        with refimpl.semantics("chainer"), pytest.raises(refimpl.InvalidType, match=r"shape\[1\]"):
            F.concat([t1, t2], 0)


class TestSeed002And003ChainerTutorial:
    """002 (Chainer 1.5 tutorial) and 003 (the same on newer Chainer)."""

    def test_scalar_backward(self, chainer):
        x = refimpl.Variable(arr([5]))
        y = x ** 2 - 2 * x + 1
        assert values(y) == [16]
        y.backward()
        assert values(x.grad) == [8]

    def test_retain_grad_and_accumulation_8_16_24(self, chainer):
        x = refimpl.Variable(arr([5]))
        (x ** 2 - 2 * x + 1).backward()
        z = 2 * x
        y = x ** 2 - z + 1
        y.backward(retain_grad=True)
        assert values(z.grad) == [-1] and values(x.grad) == [16]
        y.backward()
        assert values(x.grad) == [24]

    def test_nonscalar_needs_explicit_seed(self, chainer):
        x = refimpl.Variable(arr([[1, 2, 3], [4, 5, 6]]))
        y = x ** 2 - 2 * x + 1
        y.grad = np.ones((2, 3), f32)
        y.backward()
        assert values(x.grad) == [[0, 2, 4], [6, 8, 10]]
        x2 = refimpl.Variable(arr([[1, 2, 3], [4, 5, 6]]))
        (x2 ** 2 - 2 * x2 + 1).backward()
        assert x2.grad is None

    def test_linear_grads_and_cleargrads(self, chainer):
        x = refimpl.Variable(arr([[1, 2, 3], [4, 5, 6]]))
        W = refimpl.Variable(np.random.default_rng(0).normal(size=(2, 3)).astype(f32))
        b = refimpl.Variable(np.zeros(2, f32))
        y = F.matmul(x, F.transpose(W)) + b  # F.linear(x, W, b) = x W^T + b
        np.testing.assert_allclose(y.data, x.data @ W.data.T, rtol=1e-6)
        y.grad = np.ones((2, 2), f32)
        y.backward()
        assert values(W.grad) == [[5, 7, 9], [5, 7, 9]] and values(b.grad) == [2, 2]
        y.grad = np.ones((2, 2), f32)  # chainer 7 clears the output's grad after backward
        y.backward()
        assert values(W.grad) == [[10, 14, 18], [10, 14, 18]] and values(b.grad) == [4, 4]
        W.cleargrad()
        b.cleargrad()
        y.grad = np.ones((2, 2), f32)
        y.backward()
        assert values(W.grad) == [[5, 7, 9], [5, 7, 9]]


class TestSeed004TorchAutograd:
    """004: torch.autograd tutorial."""

    def test_no_grad_and_detach(self, torch):
        x = refimpl.Variable(np.ones(5, f32))
        w = refimpl.Variable(np.ones((5, 3), f32), requires_grad=True)
        b = refimpl.Variable(np.ones(3, f32), requires_grad=True)
        assert (F.matmul(x, w) + b).requires_grad
        with refimpl.no_grad():
            assert not (F.matmul(x, w) + b).requires_grad
        assert not (F.matmul(x, w) + b).detach().requires_grad

    def test_vector_jacobian_product_accumulates(self, torch):
        inp = refimpl.Variable(np.eye(5, dtype=f32), requires_grad=True)
        out = (inp + 1) ** 2
        ones = np.ones((5, 5), f32)
        out.backward(ones, retain_graph=True)
        assert inp.grad[0, 0] == 4 and inp.grad[0, 1] == 2
        out.backward(ones, retain_graph=True)
        assert inp.grad[0, 0] == 8 and inp.grad[0, 1] == 4
        inp.zerograd()
        out.backward(ones, retain_graph=True)
        assert inp.grad[0, 0] == 4 and inp.grad[0, 1] == 2

    def test_leaf_only_grads(self, torch):
        x = refimpl.Variable(np.ones(3, f32), requires_grad=True)
        y = x * 2
        F.sum(y).backward()
        assert values(x.grad) == [2, 2, 2] and y.grad is None


class TestSeedLayersAndOptimizers:
    """Layers, optimizers and serializers in seeds 001-004 (Linear, Chain, SGD, update(lossfun),
    WeightDecay, npz, manual SGD vs torch.optim, RNN layout, BCE with logits)."""

    def test_chain_sgd_update_with_lossfun_clears_grads_itself(self, chainer):
        # seed 002: optimizer.setup(model); optimizer.update(lossfun, x, t)
        from refimpl.nn import Chain, Linear
        from refimpl.optimizers import chainer_style

        model = Chain()
        model.l1 = Linear(2, 1, initial_weight=[[1.0, 1.0]], initial_bias=[0.0])
        assert np.isnan(model.l1.W.grad).all() and model.l1.W is model.l1.weight
        optimizer = chainer_style.SGD(lr=0.1)
        optimizer.setup(model)
        x, t = arr([[1, 2]]), arr([[0]])

        def lossfun(x, t):
            return F.mean_squared_error(model.l1(x), t)

        optimizer.update(lossfun, x, t)  # no cleargrads() needed: the NaN grads are cleared
        # y = 3, loss = (y - t)^2, dloss/dW = 2 * 3 * x = [6, 12]; W -= 0.1 * grad
        np.testing.assert_allclose(model.l1.weight.data, [[0.4, -0.2]], rtol=1e-6)
        np.testing.assert_allclose(model.l1.bias.data, [-0.6], rtol=1e-6)
        assert optimizer.t == 1

    def test_weight_decay_hook(self, chainer):
        from refimpl.nn import Linear
        from refimpl.optimizers import chainer_style, hooks

        layer = Linear(1, 1, initial_weight=[[2.0]], initial_bias=[0.0])
        optimizer = chainer_style.SGD(lr=0.5)
        optimizer.setup(layer)
        optimizer.add_hook(hooks.WeightDecay(0.1))
        layer.cleargrads()
        layer(arr([[0.0]])).backward(arr([[1.0]]))  # input 0: W's grad is 0, only decay moves W
        optimizer.update()
        np.testing.assert_allclose(layer.weight.data, [[2.0 - 0.5 * 0.1 * 2.0]], rtol=1e-6)

    def test_manual_sgd_equals_torch_optim_sgd(self, torch):
        # seed 001: p.data -= lr * p.grad over model.parameters() vs optim.SGD's step
        from refimpl.nn import Linear
        from refimpl.optimizers import torch_style

        manual, library = Linear(3, 2, rng=0), Linear(3, 2, rng=0)
        optimizer = torch_style.SGD(library.parameters(), lr=0.1)
        x = refimpl.Variable(arr([[1, 2, 3], [0, 1, 0]]))
        for _ in range(3):
            manual.zero_grad()
            (manual(x) ** 2).sum().backward()
            for parameter in manual.parameters():
                parameter.data -= 0.1 * parameter.grad
            optimizer.zero_grad()
            (library(x) ** 2).sum().backward()
            optimizer.step()
        for a, b in zip(manual.parameters(), library.parameters()):
            np.testing.assert_allclose(a.data, b.data, rtol=1e-6)

    def test_rnn_input_layout(self, torch):
        # seed 001: nn.RNN takes (seq_len, batch, input_size); batch_first=True swaps the first two
        from refimpl.nn import RNN

        seq_first = RNN(4, 3, rng=0)
        batch_first = RNN(4, 3, batch_first=True, rng=0)
        x = np.random.default_rng(0).standard_normal((5, 2, 4)).astype(f32)
        out, h_n = seq_first(refimpl.Variable(x))
        out_bf, h_n_bf = batch_first(refimpl.Variable(x.transpose(1, 0, 2).copy()))
        assert out.shape == (5, 2, 3) and out_bf.shape == (2, 5, 3) and h_n.shape == h_n_bf.shape == (1, 2, 3)
        np.testing.assert_allclose(out_bf.data.transpose(1, 0, 2), out.data, rtol=1e-6)
        np.testing.assert_allclose(h_n.data[0], out.data[-1], rtol=1e-6)

    def test_bce_with_logits_on_affine(self, torch):
        # seed 004: z = x @ w + b; loss = binary_cross_entropy_with_logits(z, y); loss.backward()
        x = refimpl.Variable(arr([1, 1, 1, 1, 1]))
        y = refimpl.Variable(arr([0, 0, 0]))
        w = refimpl.Variable(np.full((5, 3), 0.1, f32), requires_grad=True)
        b = refimpl.Variable(arr([0.5, 0.5, 0.5]), requires_grad=True)
        z = F.matmul(x, w) + b
        loss = F.binary_cross_entropy_with_logits(z, y)
        loss.backward()
        sigmoid = 1 / (1 + np.exp(-1.0))  # z = 1 everywhere
        np.testing.assert_allclose(loss.data, np.log1p(np.exp(1.0)), rtol=1e-6)
        np.testing.assert_allclose(b.grad, [sigmoid / 3] * 3, rtol=1e-6)
        np.testing.assert_allclose(w.grad, np.full((5, 3), sigmoid / 3), rtol=1e-6)
