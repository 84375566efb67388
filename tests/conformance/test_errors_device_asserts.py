"""Error inputs that a GPU framework checks with a device-side assert: left out on that device
with the plugin's reason (``Plugin.device_side_asserts``), never run (one would leave the
worker's GPU context unusable and turn every later cell of the worker into an error)."""
import numpy

from conformance import harness
from conformance.harness import Cell
from conformance.properties import test_errors
from conformance.subjects import error_inputs

CELL = Cell("errors.exception_class", "getitem-advanced", "torch", "cpu", "float32")


def test_the_out_of_range_index_array_runs_where_no_assert_is_declared(session, needs):
    needs("torch")
    record = harness.run_cell(test_errors, session, CELL)
    assert record["outcome"] == "pass", record["message"]
    assert "left_out" not in record


def test_it_is_left_out_with_the_reason_where_the_plugin_declares_asserts(session, needs,
                                                                          monkeypatch):
    needs("torch")
    monkeypatch.setattr(type(session.plugin("torch")), "device_side_asserts",
                        {"cpu": "a device-side assert here"})
    record = harness.run_cell(test_errors, session, CELL)
    # getitem_array is the subject's only error input: nothing is left to compare
    assert record["outcome"] == "skip", record
    assert "getitem_array not run on cpu: a device-side assert here" in record["message"]


def test_every_out_of_range_index_array_is_marked():
    """An 'index' error input with an integer index array among its arguments has its bad
    value inside array data: it must say so, or it would run on a GPU that asserts."""
    def has_index_array(value):
        if isinstance(value, (tuple, list)):
            return any(has_index_array(v) for v in value)
        return isinstance(value, numpy.ndarray) and value.dtype.kind in "iu" and value.ndim > 0

    unmarked = [item.name for item in error_inputs.ERROR_INPUTS
                if item.kind == "index" and not item.in_array_data
                and any(has_index_array(v) for v in item.sample.kwargs.values())]
    assert not unmarked
    assert any(item.in_array_data for item in error_inputs.ERROR_INPUTS)
