"""The op registry, counterparts, tolerances and strategies: the data the properties run on."""
import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import refimpl.functions as F
from conformance import counterparts, registry, strategies, tolerances
from conformance.registry import Absent, OpEntry


def test_every_refimpl_op_has_an_entry():
    assert sorted(set(F.OPS) - registry.covered_ops()) == []


@pytest.mark.parametrize("framework", ["refimpl", "torch", "chainer"])
def test_every_counterpart_exists_or_is_absent_with_a_reason(framework):
    try:
        counterparts.module(framework)
    except ImportError as error:
        pytest.skip(f"{framework} cannot be imported: {error}")
    for entry in registry.entries("op"):
        counterpart = entry.counterpart(framework)
        if isinstance(counterpart, Absent):
            assert counterpart.reason.strip(), entry.subject
        else:
            assert counterparts.lookup(framework, counterpart) is not None, (entry.subject, framework)


def test_an_absent_op_says_why():
    assert "topk" in registry.get("topk").counterpart("chainer").reason


def test_unknown_subject_is_named():
    with pytest.raises(ValueError, match="subject='nope'"):
        registry.get("nope")


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


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_samples_stay_in_the_domain_and_away_from_kinks(data):
    entry = registry.get(data.draw(st.sampled_from(["relu", "abs", "log", "div", "clip"])))
    api = registry.Api("torch", __import__("refimpl").policies.get_policy("torch"))
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
