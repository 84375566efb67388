"""``conformance.checks.shared``: the calls the cells of one subject share.

A shared result must be exactly what the call would have returned (keys tell apart every
argument a deterministic call can tell apart), nobody may change it for another cell, a call
that raises is not kept, and the results of a cell patched or re-run never leak into it. The
trio of cells (refimpl, torch, chainer) then gives the same records with and without sharing.
"""
import numpy
import pytest

from conformance import harness
from conformance.checks import shared
from conformance.checks.shared import SharedCalls, key_of
from conformance.harness import Cell, CellStats
from conformance.properties import test_double_backward, test_forward, test_grad
from conformance.subjects.strategies import Sample


def differ(a, b):
    return key_of(a) != key_of(b)


def test_keys_tell_apart_what_a_call_can_tell_apart():
    assert differ(0.0, -0.0)
    assert differ(1, 1.0) and differ(1, True) and differ(1.0, numpy.float64(1.0))
    assert differ(numpy.zeros(2), numpy.zeros(2, dtype="float32"))
    assert differ(numpy.zeros(2), numpy.zeros((2, 1)))
    assert differ(numpy.array([0.0]), numpy.array([-0.0]))
    assert differ((1, 2), [1, 2])
    assert differ(slice(None, 2), slice(None, 2, 1))
    assert differ({"a": 1, "b": 2}, {"b": 2, "a": 1})  # keyword order reaches the call
    assert differ(Sample({"x": numpy.ones(2)}), Sample({"x": numpy.ones(2)}, {"axis": 0}))
    assert differ(numpy.float32(0.5), numpy.float64(0.5))
    # and equal where the call cannot tell
    assert key_of(Sample({"x": [numpy.ones(2)]}, {"axis": (0, None, Ellipsis)})) == key_of(
        Sample({"x": [numpy.ones(2)]}, {"axis": (0, None, Ellipsis)}))
    assert key_of(float("nan")) == key_of(float("nan"))


def test_an_argument_it_cannot_key_runs_the_call_every_time():
    calls = []

    def count(value):
        calls.append(value)
        return [numpy.ones(1)]

    memo = SharedCalls()
    memo.enter("group", "cell")
    for value in (object(), numpy.array([object()], dtype=object)):
        memo.call(count, value)
        memo.call(count, value)
    assert len(calls) == 4 and memo.hits == 0


def test_a_result_is_computed_once_and_nobody_can_change_it():
    calls = []

    def outputs(sample, *, dtype):
        calls.append(dtype)
        return [numpy.arange(3.0)], [dtype]

    memo = SharedCalls()
    memo.enter(("forward", "tanh"), "refimpl")
    sample = Sample({"x": numpy.ones(3)})
    first = memo.call(outputs, sample, dtype="float32")
    arrays, dtypes = memo.call(outputs, Sample({"x": numpy.ones(3)}), dtype="float32")
    assert calls == ["float32"] and (memo.hits, memo.misses) == (1, 1)
    with pytest.raises(ValueError):
        arrays[0][0] = 7.0  # read-only: another cell reads the same array
    dtypes.append("float64")  # a caller's list is its own
    assert memo.call(outputs, sample, dtype="float32")[1] == ["float32"]
    assert first[0][0].tolist() == [0.0, 1.0, 2.0]
    memo.call(outputs, sample, dtype="float64")
    assert calls == ["float32", "float64"]


def test_the_result_is_a_copy_of_what_the_call_returned():
    buffer = numpy.zeros(2)
    memo = SharedCalls()
    memo.enter("group", "cell")

    def outputs():
        return [buffer]

    kept = memo.call(outputs)
    buffer[:] = 5.0  # the framework reuses its buffer
    assert memo.call(outputs)[0].tolist() == [0.0, 0.0] == kept[0].tolist()


def test_a_call_that_raises_is_not_kept():
    calls = []

    def failing():
        calls.append(1)
        raise ValueError("no")

    memo = SharedCalls()
    memo.enter("group", "cell")
    for _ in range(2):
        with pytest.raises(ValueError):
            memo.call(failing)
    assert len(calls) == 2


def test_a_new_group_or_a_cell_run_again_forgets_every_result():
    calls = []
    memo = SharedCalls()

    def one():
        calls.append(1)
        return 1

    memo.enter("tanh", "torch cell")
    memo.call(one)
    memo.enter("tanh", "chainer cell")
    memo.call(one)
    assert len(calls) == 1
    memo.enter("tanh", "torch cell")  # re-run (perhaps patched since): nothing is reused
    memo.call(one)
    memo.enter("exp", "torch cell")
    memo.call(one)
    assert len(calls) == 3


TRIO = [(module, Cell(name, subject, framework, "cpu", dtype))
        for module, name in ((test_forward, "forward"), (test_grad, "grad.first_order"),
                             (test_double_backward, "double_backward"))
        for subject in ("tanh", "matmul")
        for dtype in ("float32", "float64")
        for framework in ("refimpl", "torch", "chainer")]


def _shared_records(session):
    """The records of TRIO run one after the other as a run does (sharing calls)."""
    shared.SHARED.forget()
    records = {}
    for module, cell in TRIO:
        stats = CellStats(cell)
        try:
            module.check_cell(session, cell, stats)
            exception = None
        except BaseException as error:  # noqa: BLE001 - pytest's skip too
            exception = error
        outcome, _ = harness.verdict(exception, stats)
        records[cell] = (outcome, stats.examples, stats.max_abs_err, stats.max_rel_err)
    return records


def test_cells_sharing_calls_give_the_records_of_cells_that_do_not(session, needs,
                                                                   deterministic_profile):
    needs("torch", "chainer")
    hits = shared.SHARED.hits
    together = _shared_records(session)
    assert shared.SHARED.hits > hits  # the trio did share
    alone = {}
    for module, cell in TRIO:  # run_cell forgets before each cell: nothing shared
        record = harness.run_cell(module, session, cell)
        alone[cell] = (record["outcome"], record["examples"], record["max_abs_err"],
                       record["max_rel_err"])
    assert together == alone
    assert {outcome for outcome, *_ in together.values()} <= {"pass", "skip"}
    assert sum(examples for _, examples, *_ in together.values()) > 0
