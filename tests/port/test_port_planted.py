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
