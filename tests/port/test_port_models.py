"""The five model pairs of issue 18: the naive port (defaults on both sides) is diagnosed at
the right layer with the right policy field(s); the corrected port passes forward, gradients
and one optimizer step."""
import json

import numpy
import pytest

pytest.importorskip("torch")
pytest.importorskip("chainer")

from conformance.frameworks.chainer import port_models as source_models
from conformance.frameworks.torch import port_models as target_models
from conformance.port import check
from tests.port.conftest import MOMENTUM

SGD_CLIPPED = {"source": {"name": "SGD", "lr": 1.0, "clip_grad_norm": 5.0},   # train_ptb.py
               "target": {"name": "SGD", "lr": 1.0, "clip_grad_norm": 5.0}}


def fields(result):
    return [field["field"] for field in result["diagnosis"]["policy_fields"]]


def assert_passes(result):
    assert result["verdict"] == "pass", result["diagnosis"]
    assert not [row for row in result["mapping"] if row.get("problem")]
    assert result["layers"] and all(row["status"] == "ok" for row in result["layers"])
    assert result["gradients"] and all(entry["ok"] for entry in result["gradients"])
    assert result["step"] and result["step"]["params"]
    assert all(entry["ok"] for entry in result["step"]["params"])
    json.dumps(result, allow_nan=False)   # standard JSON as it is


def test_mlp_naive_port_fails_at_l1_linear_input_layout(mnist_batch):
    result = check(source_models.MLP(n_units=100), target_models.MLP(n_units=100), mnist_batch,
                   train_step=MOMENTUM)
    diagnosis = result["diagnosis"]
    assert (result["verdict"], diagnosis["stage"], diagnosis["source_layer"]) == \
        ("diverges", "forward", "l1")
    assert diagnosis["target_layer"] == "l1"
    assert "mat1 and mat2" in diagnosis["target_error"]
    assert fields(result) == ["linear_input_layout"]
    assert "flatten" in diagnosis["fix"]


def test_mlp_corrected_port_passes(mnist_batch):
    result = check(source_models.MLP(n_units=100), target_models.MLP(n_units=100, flatten=True),
                   mnist_batch, train_step=MOMENTUM)
    assert_passes(result)
    assert "v = mu v - lr g" in result["step"]["formula_differences"]
    # the same after one step at a constant lr; the policy field that models where they part
    assert [field["field"] for field in result["step"]["policy_fields"]] == ["momentum_lr_form"]


def test_convnet_naive_port_diverges_in_the_pooling_before_fc(mnist_batch):
    result = check(source_models.ConvNet(), target_models.ConvNet(), mnist_batch,
                   train_step=MOMENTUM)
    diagnosis = result["diagnosis"]
    assert (diagnosis["where"], diagnosis["source_layer"], diagnosis["target_layer"]) == \
        ("before the layer", "fc", "fc")
    assert fields(result) == ["max_pooling_cover_all"]
    assert any("MaxPoolingND" in call for call in diagnosis["functions"])
    assert "ceil_mode=True" in diagnosis["fix"]
    fc = next(row for row in result["mapping"] if row["target"] == "fc")
    assert "[10, 2304] (source) vs [10, 1600]" in fc["params"][0]["problem"]


def test_convnet_corrected_port_passes(mnist_batch):
    assert_passes(check(source_models.ConvNet(), target_models.ConvNet(ceil_mode=True),
                        mnist_batch, train_step=MOMENTUM))


def ptb_words():
    return numpy.random.default_rng(1).integers(0, 50, (3, 2))   # (time, batch) word ids


def test_ptb_naive_port_diverges_in_the_step_at_the_lstm_biases():
    result = check(source_models.PTBUnrolled(), target_models.PTBUnrolled(), ptb_words(),
                   train_step=SGD_CLIPPED, train=False)
    diagnosis = result["diagnosis"]
    assert all(row["status"] == "ok" for row in result["layers"])     # the gate order is mapped
    assert all(entry["ok"] for entry in result["gradients"])
    assert (diagnosis["stage"], diagnosis["target_layer"], diagnosis["error"]["role"]) == \
        ("step", "predictor.l1", "bias")
    assert fields(result) == ["lstm_cell_biases"]     # one trained bias (chainer) vs two (torch)
    assert "bias_hh" in diagnosis["fix"] and "requires_grad_(False)" in diagnosis["fix"]
    assert "1e-6" in result["step"]["formula_differences"]   # clip_grad_norm_'s epsilon named


def test_ptb_corrected_port_passes():
    assert_passes(check(source_models.PTBUnrolled(), target_models.PTBUnrolled(single_bias=True),
                        ptb_words(), train_step=SGD_CLIPPED, train=False))


def test_vgg16_naive_port_diverges_at_pool4(vgg_trunk, images):
    """At 40 x 40, pool4 sees 5 x 5: chainer's cover_all gives 3 x 3, torch's floor 2 x 2."""
    result = check(vgg_trunk, target_models.VGG16Trunk(), images(40), train_step=MOMENTUM)
    diagnosis = result["diagnosis"]
    assert (diagnosis["where"], diagnosis["source_layer"], diagnosis["target_layer"]) == \
        ("before the layer", "conv5_1", "features.24")
    assert fields(result) == ["max_pooling_cover_all"]


def test_vgg16_corrected_port_passes(vgg_trunk, images):
    assert_passes(check(vgg_trunk, target_models.VGG16Trunk(ceil_mode=True), images(40),
                        train_step=MOMENTUM))


def test_resnet50_naive_port_diverges_at_bn1_eps(resnet50, images):
    result = check(resnet50, target_models.resnet50(), images(32))
    diagnosis = result["diagnosis"]
    assert (diagnosis["where"], diagnosis["source_layer"], diagnosis["target_layer"]) == \
        ("in the layer", "bn1", "bn1")
    assert fields(result) == ["batch_norm_eps"]
    assert diagnosis["config"] == {"eps": [2e-05, 1e-05]}
    assert "eps=2e-5" in diagnosis["fix"] and "momentum=0.1" in diagnosis["fix"]
    error = diagnosis["error"]
    assert error["max_abs_err"] > 10 * error["allowed"]
    conv1 = next(row for row in result["mapping"] if row["target"] == "conv1")
    assert any("no target counterpart (all zeros" in p.get("problem", "") for p in conv1["params"])
    assert not [row for row in result["mapping"] if row.get("problem")]   # every layer copied


def test_resnet50_with_eps_fixed_diverges_at_the_stem_pooling(resnet50, images):
    """chainer's max_pooling_2d(x, 3, stride=2) has pad 0 and cover_all; torchvision's
    MaxPool2d pads 1 without ceil_mode: the target's pooling argument (pad) and the policy
    field max_pooling_cover_all together explain it (the source's pooling re-run in refimpl
    with the target's pad and the field switched gives the target's output)."""
    result = check(resnet50, target_models.resnet50(eps=2e-5), images(32))
    diagnosis = result["diagnosis"]
    assert (diagnosis["where"], diagnosis["source_layer"], diagnosis["target_layer"]) == \
        ("before the layer", "res2/a/conv1", "layer1.0.conv1")
    assert fields(result) == ["max_pooling_cover_all"]
    assert diagnosis["config"] == {"pad": [[0, 0], [1, 1]]}
    assert any("pad=(0, 0)" in call and "cover_all=True" in call
               for call in diagnosis["functions"])
    assert "construct MaxPool2d with padding=(0, 0)" in diagnosis["fix"]
    assert "ceil_mode=True" in diagnosis["fix"]


def test_resnet50_stem_pooling_with_ceil_mode_but_padding_1_is_the_argument_alone(resnet50,
                                                                                  images):
    result = check(resnet50, target_models.resnet50(eps=2e-5, ceil_mode=True), images(32))
    diagnosis = result["diagnosis"]
    assert (diagnosis["where"], diagnosis["source_layer"]) == ("before the layer", "res2/a/conv1")
    assert fields(result) == [] and diagnosis["config"] == {"pad": [[0, 0], [1, 1]]}
    assert diagnosis["explanation_note"] == "the target's arguments alone explain it"
    assert diagnosis["fix"] == "construct MaxPool2d with padding=(0, 0)"


def test_resnet50_v1_stride_placement(resnet50, images):
    """chainer's ResNet50Layers is v1 (stride on the 1x1 conv1 of res3a/res4a/res5a),
    torchvision's resnet50 v1.5 (on the 3x3 conv2)."""
    result = check(resnet50,
                   target_models.resnet50(eps=2e-5, pool_padding=0, ceil_mode=True), images(32))
    diagnosis = result["diagnosis"]
    assert (diagnosis["where"], diagnosis["source_layer"], diagnosis["target_layer"]) == \
        ("in the layer", "res3/a/conv1", "layer2.0.conv1")
    assert diagnosis["config"] == {"stride": [[2, 2], [1, 1]]}
    (convention,) = diagnosis["conventions"]
    assert (convention["name"], convention["source"], convention["target"]) == \
        ("bottleneck_stride_placement", "1x1", "3x3")
    assert [blocks[0][1] for blocks in convention["blocks"]] == \
        ["layer2.0.conv1", "layer3.0.conv1", "layer4.0.conv1"]
    assert [blocks[1][1] for blocks in convention["blocks"]] == \
        ["layer2.0.conv2", "layer3.0.conv2", "layer4.0.conv2"]
    assert diagnosis["fix"].startswith("put each downsampling block's stride on its 1x1 conv1")
    assert "layer2.0, layer3.0, layer4.0 set conv1.stride = (2, 2)" in diagnosis["fix"]


def test_resnet50_corrected_port_passes(resnet50, images):
    """40 x 40: res5 sees 2 x 2 maps, 8 values per channel for its batch statistics (at 32 x 32
    it normalises 2 values per channel: forward differences are amplified ~1e5 (see the next
    test) and the gradients reach 1e10, where float64 rounding differences exceed any fixed
    relative tolerance)."""
    assert_passes(check(resnet50, target_models.resnet50_v1(), images(40),
                        train_step=MOMENTUM))


def test_a_layer_that_only_amplifies_its_inputs_difference_is_not_blamed(resnet50, images):
    """At 32 x 32 the res5 batch normalisations see 2 values per channel and amplify the
    rounding difference of their input past the tolerance; run on the source's input, the
    torch layer gives the source's output, so the forward passes (rows marked amplified)."""
    result = check(resnet50, target_models.resnet50_v1(), images(32))
    assert all(row["status"] == "ok" for row in result["layers"])
    amplified = [row for row in result["layers"] if row.get("isolated")]
    assert amplified and all(row["source"].startswith("res5") or row["source"] == "fc6"
                             for row in amplified)
    assert all(not row["output"]["ok"] and row["isolated"]["ok"] for row in amplified)
    assert result["diagnosis"] is None or result["diagnosis"]["stage"] == "gradients"
