"""Planted errors are located where they were planted: a wrong mapping of one weight, a
transposed kernel, a wrong eps, LSTM weights copied without reordering the gates."""
import numpy
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("chainer")

from conformance.frameworks.chainer import port_models as source_models  # noqa: E402
from conformance.frameworks.torch import port_models as target_models  # noqa: E402
from conformance.port import check  # noqa: E402


def test_a_wrong_mapping_of_one_weight_is_located_at_that_layer(vgg_trunk, images):
    """conv3_3's weights mapped to torch's conv3_2 (features.12), same shape: the automatic
    order fills the rest, so conv3_2's go to features.14."""
    result = check(vgg_trunk, target_models.VGG16Trunk(ceil_mode=True), images(40),
                   mapping={"features.12": "conv3_3"})
    diagnosis = result["diagnosis"]
    assert (diagnosis["where"], diagnosis["source_layer"], diagnosis["target_layer"]) == \
        ("in the layer", "conv3_2", "features.12")
    assert any("weights of source layer 'conv3_3'" in note for note in diagnosis["weights"])
    explicit = next(row for row in result["mapping"] if row["target"] == "features.12")
    assert (explicit["source"], explicit["how"]) == ("conv3_3", "explicit")


def copy_convnet(chainer_model, torch_model, transpose=()):
    """Port the weights by hand, transposing the kernels of the layers named in ``transpose``."""
    with torch.no_grad():
        for name in ("conv1", "conv2", "fc"):
            link, module = getattr(chainer_model, name), getattr(torch_model, name)
            weight = numpy.asarray(link.W.array, dtype=numpy.float64)
            if name in transpose:
                weight = weight.swapaxes(-1, -2)
            module.weight.copy_(torch.from_numpy(weight.copy()))
            module.bias.copy_(torch.from_numpy(numpy.asarray(link.b.array, dtype=numpy.float64)))


def test_a_transposed_kernel_is_located_at_that_layer(mnist_batch):
    chainer_model = source_models.ConvNet()
    chainer_model(mnist_batch.astype(numpy.float32))            # initialise fc's lazy weights
    torch_model = target_models.ConvNet(ceil_mode=True).double()
    copy_convnet(chainer_model, torch_model, transpose=("conv2",))
    result = check(chainer_model, torch_model, mnist_batch, copy_weights=False)
    diagnosis = result["diagnosis"]
    assert (diagnosis["where"], diagnosis["source_layer"], diagnosis["target_layer"]) == \
        ("in the layer", "conv2", "conv2")
    assert diagnosis["weights"] == ["weight is the source's with its last two axes swapped "
                                    "(a transposed kernel/matrix)"]
    assert result["layers"][0]["status"] == "ok"


def test_the_hand_port_without_a_transposed_kernel_passes(mnist_batch):
    """The control of the test above: the same hand port, nothing transposed."""
    chainer_model = source_models.ConvNet()
    chainer_model(mnist_batch.astype(numpy.float32))
    torch_model = target_models.ConvNet(ceil_mode=True).double()
    copy_convnet(chainer_model, torch_model)
    assert check(chainer_model, torch_model, mnist_batch, copy_weights=False)["verdict"] == "pass"


def test_a_wrong_eps_is_located_at_that_layer(resnet50, images):
    torch_model = target_models.resnet50_v1()
    torch_model.layer1[1].bn2.eps = 1e-3
    result = check(resnet50, torch_model, images(32))
    diagnosis = result["diagnosis"]
    assert (diagnosis["where"], diagnosis["source_layer"], diagnosis["target_layer"]) == \
        ("in the layer", "res2/b1/bn2", "layer1.1.bn2")
    assert diagnosis["config"] == {"eps": [2e-05, 1e-03]}
    assert diagnosis["policy_fields"] == []       # torch's default is 1e-5, not 1e-3
    assert diagnosis["fix"] == "construct BatchNorm2d with eps=2e-05"


def test_lstm_weights_copied_in_chainers_gate_order_are_named():
    """A hand port that copies L.LSTM's upward/lateral weights into LSTMCell as they are."""
    chainer_model = source_models.PTBUnrolled()
    torch_model = target_models.PTBUnrolled(single_bias=True).double()
    predictor, port = chainer_model.predictor, torch_model.predictor
    with torch.no_grad():
        port.embed.weight.copy_(torch.from_numpy(predictor.embed.W.array.astype(numpy.float64)))
        port.l3.weight.copy_(torch.from_numpy(predictor.l3.W.array.astype(numpy.float64)))
        port.l3.bias.copy_(torch.from_numpy(predictor.l3.b.array.astype(numpy.float64)))
        for name in ("l1", "l2"):
            link, cell = getattr(predictor, name), getattr(port, name)
            cell.weight_ih.copy_(torch.from_numpy(link.upward.W.array.astype(numpy.float64)))
            cell.weight_hh.copy_(torch.from_numpy(link.lateral.W.array.astype(numpy.float64)))
            cell.bias_ih.copy_(torch.from_numpy(link.upward.b.array.astype(numpy.float64)))
    words = numpy.random.default_rng(1).integers(0, 50, (3, 2))
    result = check(chainer_model, torch_model, words, copy_weights=False, train=False)
    diagnosis = result["diagnosis"]
    assert (diagnosis["source_layer"], diagnosis["target_layer"]) == \
        ("predictor/l1", "predictor.l1")
    assert any("gates a, i, f, o interleaved" in note for note in diagnosis["weights"])


# --- errors in the backward only: the forward agrees, the parameter gradients do not -------

def mlp_pair():
    return (source_models.MLP(n_units=100),
            target_models.MLP(n_units=100, flatten=True).double())


def gradient_rows(result):
    return [(row["source"], row["status"]) for row in result["gradient_layers"]]


def test_a_scaled_weight_gradient_is_located_at_that_layer(mnist_batch):
    """A hook on l2.weight scales its gradient by 1.5: the forward passes; l2 is named, with
    the size of the divergence against its tolerance; l1 and l3 agree."""
    source, target = mlp_pair()
    target.l2.weight.register_hook(lambda grad: grad * 1.5)
    result = check(source, target, mnist_batch)
    diagnosis = result["diagnosis"]
    assert all(row["status"] == "ok" for row in result["layers"])
    assert (diagnosis["stage"], diagnosis["layer_index"], diagnosis["source_layer"],
            diagnosis["target_layer"]) == ("gradients", 1, "l2", "l2")
    assert diagnosis["error"]["role"] == "weight"
    assert diagnosis["error"]["max_abs_err"] > 10 * diagnosis["error"]["allowed"]
    assert gradient_rows(result) == [("l1", "ok"), ("l2", "diverges"), ("l3", "ok")]
    assert "layer 1 (forward order): l2" in diagnosis["summary"]
    assert "l2.weight has 1 gradient hook(s)" in diagnosis["fix"]


def test_a_scaled_backward_of_a_layer_is_located_at_it_not_before_it(mnist_batch):
    """A backward pre-hook scales the gradient reaching l2's output: l2's and l1's parameter
    gradients differ, l3's agree, and so does the gradient l3 passes back. l2 is named (l1,
    first in forward order, only receives the error through it)."""
    source, target = mlp_pair()
    target.l2.register_full_backward_pre_hook(lambda module, grad_output:
                                              (grad_output[0] * 1.5,))
    result = check(source, target, mnist_batch)
    diagnosis = result["diagnosis"]
    assert all(row["status"] == "ok" for row in result["layers"])
    assert (diagnosis["stage"], diagnosis["where"], diagnosis["source_layer"],
            diagnosis["target_layer"], diagnosis["layer_index"]) == \
        ("gradients", "gradient reaching the layer", "l2", "l2", 1)
    assert gradient_rows(result) == [("l1", "diverges"), ("l2", "diverges"), ("l3", "ok")]
    assert "backward pre-hook" in diagnosis["fix"]


def test_without_a_backward_error_the_gradients_agree_layer_by_layer(mnist_batch):
    """The control: the same pair, no hook."""
    result = check(*mlp_pair(), mnist_batch)
    assert result["verdict"] == "pass", result["diagnosis"]
    assert gradient_rows(result) == [("l1", "ok"), ("l2", "ok"), ("l3", "ok")]


def test_a_layer_passing_back_a_scaled_input_gradient_is_located_at_it(mnist_batch):
    """A backward hook on l3 scales the gradient it passes to its input: l3's own parameter
    gradients agree, l2's and l1's differ. The gradient reaching l3's output agrees and the
    one reaching l2's output does not: l3 is named (the parameters alone would blame l2)."""
    source, target = mlp_pair()
    target.l3.register_full_backward_hook(lambda module, grad_input, grad_output:
                                          (grad_input[0] * 1.5,))
    result = check(source, target, mnist_batch)
    diagnosis = result["diagnosis"]
    assert all(row["status"] == "ok" for row in result["layers"])
    assert (diagnosis["stage"], diagnosis["where"], diagnosis["source_layer"],
            diagnosis["target_layer"], diagnosis["layer_index"]) == \
        ("gradients", "gradient passed back", "l3", "l3", 2)
    assert gradient_rows(result) == [("l1", "diverges"), ("l2", "diverges"), ("l3", "ok")]
    assert [row["ok"] for row in result["output_gradients"]] == [False, False, True]
    assert diagnosis["error"]["max_abs_err"] > 10 * diagnosis["error"]["allowed"]
    assert "l3 has 1 backward hook(s)" in diagnosis["fix"]


def test_a_scaled_gradient_without_a_hook_is_located_by_the_gradients_alone(mnist_batch):
    """No hook to point at: a custom autograd function doubles the gradient l2 passes back
    (its forward is the identity around l2). The gradient reaching l2's output agrees, the
    one reaching l1's output does not: l2 (or the calls between it and l1) is named."""
    class DoubleBack(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.view_as(x)

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    source, target = mlp_pair()
    forward = target.l2.forward
    target.l2.forward = lambda x: forward(DoubleBack.apply(x))
    result = check(source, target, mnist_batch)
    diagnosis = result["diagnosis"]
    assert all(row["status"] == "ok" for row in result["layers"])
    assert (diagnosis["where"], diagnosis["source_layer"], diagnosis["target_layer"]) == \
        ("gradient passed back", "l2", "l2")
    assert diagnosis["fix"] is None
