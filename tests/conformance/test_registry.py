"""The op registry, the plugins' bindings, tolerances and strategies: the data the properties
run on."""
import dataclasses
import importlib

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import refimpl
import refimpl.functions as F
from conformance import frameworks, subjects
from conformance.frameworks.chainer import ops_math_absent as chainer_ops_math_absent
from conformance.frameworks.chainer import ops_shape2_absent as chainer_ops_shape2_absent
from conformance.checks import tolerances
from conformance.subjects import strategies
from conformance.subjects.ops import OpEntry, covered_ops

PLUGINS = ["refimpl", "torch", "chainer"]


def test_every_refimpl_op_has_an_entry():
    assert sorted(set(F.OPS) - covered_ops()) == []


@pytest.mark.parametrize("framework", PLUGINS)
def test_every_binding_exists_or_is_absent_with_a_reason(framework):
    plugin = frameworks.get(framework)
    try:
        module = importlib.import_module(plugin.ops_module)
    except ImportError as error:
        pytest.skip(f"{framework} cannot be imported: {error}")
    for entry in subjects.entries("op"):
        reason = plugin.absent_op(entry.subject)
        if reason is not None:
            assert reason.strip(), entry.subject
        else:
            assert callable(getattr(module, entry.op, None)), (entry.subject, framework)


@pytest.mark.parametrize("framework", PLUGINS)
def test_absences_name_registered_subjects_and_dtypes(framework):
    plugin = frameworks.get(framework)
    op_subjects = {entry.subject for entry in subjects.entries("op")}
    # layer-level functions and layers (issue 17) may lack a dtype or double backprop too
    called = op_subjects | {entry.subject for kind in ("function", "layer")
                            for entry in subjects.entries(kind)}
    assert set(plugin.ops_absent) <= op_subjects
    assert set(plugin.gradgrad_absent) <= called
    assert set(plugin.dtypes_absent) <= called
    for dtypes in plugin.dtypes_absent.values():
        assert set(dtypes) <= set(subjects.ops.DTYPES)


def test_only_topk_and_where_scalar_are_absent():
    """What the registry listed as absent before the records became framework-neutral."""
    absent = {(name, subject) for name in PLUGINS
              for subject in frameworks.get(name).ops_absent}
    breadth = {("chainer", subject) for subject in chainer_ops_math_absent.ABSENT}  # issue 17
    breadth |= {("chainer", subject) for subject in chainer_ops_shape2_absent.ABSENT}
    breadth |= {("torch", "crelu")}  # chainer's F.crelu (issue 17)
    assert absent - breadth == {("chainer", "topk"), ("chainer", "where-scalar")}


def test_an_absent_op_says_why():
    assert "topk" in frameworks.get("chainer").absent_op("topk")
    assert frameworks.get("torch").absent_op("topk") is None


def test_op_records_name_no_framework():
    fields = {field.name for field in dataclasses.fields(OpEntry)}
    assert not fields & {"counterparts", "dtypes", "gradgrad"}


def test_unknown_subject_is_named():
    with pytest.raises(ValueError, match="subject='nope'"):
        subjects.get("nope")


def test_overrides_need_a_reason():
    with pytest.raises(ValueError, match="reason"):
        tolerances.Override(rtol=1e-3, atol=1e-3, reason=" ")
    with pytest.raises(ValueError, match="central-difference step override needs a reason"):
        OpEntry("x", op="exp", family="elementwise", central_difference_eps=1e-3)
    with pytest.raises(ValueError, match="family"):
        OpEntry("x", op="exp", family="nowhere")


def test_tolerance_is_derived_from_dtype_quantity_and_override():
    assert (tolerances.tolerance("float32", "grad").rtol,
            tolerances.tolerance("float32", "grad").atol) == (1e-4, 1e-5)
    assert tolerances.tolerance("float64", "value").rtol < tolerances.tolerance("float16", "value").rtol
    override = tolerances.Override(rtol=0.5, atol=0.5, reason="because", dtypes=("float16",))
    assert tolerances.tolerance("float16", "grad", [override]).rtol == 0.5
    assert tolerances.tolerance("float32", "grad", [override]).rtol == 1e-4
    with pytest.raises(ValueError, match="dtype='int32'"):
        tolerances.tolerance("int32", "grad")


def test_errors_measures_nan_and_relative_error():
    assert tolerances.errors(numpy.array([1.0, 2.0]), numpy.array([1.0, 2.5])) == (0.5, 0.2)
    assert tolerances.errors(numpy.array([numpy.nan]), numpy.array([0.0]))[0] == float("inf")
    assert tolerances.errors(numpy.array([numpy.nan]), numpy.array([numpy.nan])) == (0.0, 0.0)
    inf = numpy.inf
    assert tolerances.errors(numpy.array([inf, -inf]), numpy.array([inf, -inf])) == (0.0, 0.0)
    assert tolerances.errors(numpy.array([-inf]), numpy.array([inf])) == (inf, inf)
    assert tolerances.errors(numpy.array([1.0]), numpy.array([inf])) == (inf, inf)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_samples_stay_in_the_domain_and_away_from_kinks(data):
    entry = subjects.get(data.draw(st.sampled_from(["relu", "abs", "log", "div", "clip"])))
    api = subjects.Api(frameworks.get("torch").features, refimpl.policies.get_policy("torch"))
    sample = data.draw(entry.strategy(api))
    for array in sample.leaves():
        assert numpy.all(numpy.abs(array) <= 5.0)
    if entry.subject in ("relu", "abs"):
        assert numpy.all(numpy.abs(sample.inputs["x"]) >= strategies.KINK_MARGIN)
    if entry.subject == "log":
        assert numpy.all(sample.inputs["x"] >= 0.2)
    if entry.subject == "clip":
        for bound in (sample.kwargs["x_min"], sample.kwargs["x_max"]):
            if bound is not None:
                assert numpy.all(numpy.abs(sample.inputs["x"] - bound) >= strategies.KINK_MARGIN)


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_broadcast_pairs_broadcast(data):
    sample = data.draw(strategies.binary_samples())
    numpy.broadcast_shapes(sample.inputs["a"].shape, sample.inputs["b"].shape)


@pytest.mark.parametrize("features, keepdims, negative_steps", [
    (frozenset(), False, False),
    (frozenset({"reduction_keepdims_everywhere"}), True, False),
    (frozenset({"negative_slice_steps"}), False, True),
])
def test_samples_draw_only_what_the_api_features_express(features, keepdims, negative_steps):
    api = subjects.Api(features, refimpl.policies.get_policy("torch"))
    seen = {"keepdims": False, "negative_step": False}

    @settings(max_examples=60, deadline=None, derandomize=True)
    @given(data=st.data())
    def draw(data):
        seen["keepdims"] |= "keepdims" in data.draw(subjects.get("logsumexp").strategy(api)).kwargs
        key = data.draw(subjects.get("getitem").strategy(api)).kwargs["key"]
        for item in key if isinstance(key, tuple) else (key,):
            if isinstance(item, slice) and item.step is not None and item.step < 0:
                seen["negative_step"] = True
    draw()
    assert seen == {"keepdims": keepdims, "negative_step": negative_steps}
