"""The layer-level records and the plugins' bindings of them: every subject bound or absent
with a reason, one-API subjects only where the API has their feature, the strategies drawing
only what an API can express, and the porting pairs of the save/load cells."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance import frameworks, harness
from conformance.checks import layers
from conformance.properties import test_losses, test_serialization
from conformance.properties.common import reference_policy
from conformance.subjects import layer_strategies

PLUGINS = ["refimpl", "torch", "chainer"]
TABLES = {"function": "FUNCTIONS", "layer": "RUNS", "optimizer": "OPTIMIZERS"}


@pytest.mark.parametrize("framework", ["torch", "chainer"])
@pytest.mark.parametrize("kind", sorted(TABLES))
def test_every_layer_subject_is_bound_or_absent_with_a_reason(framework, kind):
    plugin = frameworks.get(framework)
    for entry in layers.layer_entries(kind):
        found = layers.binding(plugin, TABLES[kind], entry.subject)
        if isinstance(found, layers.Absent):
            assert found.reason.strip() and "has no binding" not in found.reason, entry.subject
        elif kind == "optimizer":
            assert isinstance(found, str), (entry.subject, found)
        else:
            assert callable(found), (entry.subject, found)


def test_the_reference_binds_every_function_and_run():
    reference = frameworks.reference()
    for kind in ("function", "layer"):
        for entry in layers.layer_entries(kind):
            found = layers.binding(reference, TABLES[kind], entry.subject)
            assert not isinstance(found, layers.Absent), entry.subject
    assert callable(layers.optimizer_run(reference, "adam"))


def test_a_plugin_declares_the_subjects_named_after_it():
    rnn = [entry.subject for entry in layers.layer_entries("layer", "rnn")]
    assert rnn == ["rnn_tanh", "rnn_relu", "lstm", "gru_cell", "gru", "chainer_lstm"]


def test_a_one_api_subject_has_cells_only_where_the_api_has_its_feature():
    session = harness.Session(PLUGINS, ["cpu"])
    cells = {(c.subject, c.framework) for c in test_losses.cells(session)}
    assert ("mse_loss", "torch") in cells and ("mse_loss", "chainer") not in cells
    assert ("mean_squared_error", "chainer") in cells
    assert ("mean_squared_error", "torch") not in cells
    assert ("mse_loss", "refimpl") in cells and ("mean_squared_error", "refimpl") in cells


def test_the_reference_cells_of_a_one_api_subject_run_under_its_owner_policy():
    session = harness.Session(PLUGINS, ["cpu"])
    assert reference_policy(session, "refimpl", "mean_squared_error") == "chainer"
    assert reference_policy(session, "refimpl", "mse_loss") == "torch"
    assert reference_policy(session, "refimpl", None) == frameworks.reference().default_policy


def test_ported_cells_port_between_the_two_layouts():
    session = harness.Session(PLUGINS, ["cpu"])
    assert test_serialization.porting_source(session, "torch") == "chainer"
    assert test_serialization.porting_source(session, "chainer") == "torch"


def test_parameter_names_convert_between_layouts():
    torch_format = layers.serialization_format(frameworks.get("torch"))
    chainer_format = layers.serialization_format(frameworks.get("chainer"))
    exported = {"state/conv/W": 1, "state/fc/b": 2, "y": 3}
    assert test_serialization._state(exported, chainer_format, torch_format) == {
        "conv.weight": 1, "fc.bias": 2}


def _features(framework):
    return frameworks.get(framework).features


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_drawn_call_carries_only_what_its_api_expresses(data):
    torch_config = data.draw(layer_strategies.conv_configs(features=_features("torch")))
    chainer_config = data.draw(layer_strategies.conv_configs(features=_features("chainer")))
    assert "cover_all" not in torch_config.kwargs
    assert "cover_all" in chainer_config.kwargs
    assert not isinstance(chainer_config.kwargs["pad"], str)
    assert len(chainer_config.x_shape) == 4
    pooling = data.draw(layer_strategies.pooling_samples(features=_features("chainer"),
                                                         kind="average"))
    assert set(pooling.kwargs) == {"ksize", "stride", "pad"}
    case = data.draw(layer_strategies.optimizer_cases(
        subject="weight_decay", features=_features("chainer"), optimizer="MomentumSGD",
        mode="step"))
    assert case["hooks"][0][0] == "WeightDecay" and "weight_decay" not in case["hyper"]


def test_the_invalid_kinds_follow_the_api():
    torch_kinds = layer_strategies.invalid_conv_kinds(_features("torch"))
    chainer_kinds = layer_strategies.invalid_conv_kinds(_features("chainer"))
    assert "same_strided" in torch_kinds and "x_ndim3" not in torch_kinds
    assert "kernel_empty" not in chainer_kinds and "x_ndim3" in chainer_kinds
    assert "outsize_mismatch" in layer_strategies.invalid_transpose_kinds(_features("chainer"))
    assert "output_padding_too_large" in layer_strategies.invalid_transpose_kinds(
        _features("torch"))
