"""``conformance.siblings``: sibling cells share one hypothesis run.

The claim to prove: a sibling that stays in a shared run to the end sees exactly the examples
and draws its own run would have given it, and so gets the record its own run would have
given; a sibling that fails, errs, skips or draws differently leaves, and its own run then
gives its record (shrunk failure included) as before.
"""
import json
import time

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from conformance import harness, pytest_plugin, siblings
from conformance.harness import Cell, CellFailure, CellStats
from conformance.properties import test_double_backward, test_forward, test_grad, test_retain_graph
from conformance.siblings import Siblings, _Member

SAMPLES = st.integers(0, 9)
DRAWS = st.integers(0, 3)
OTHER_DRAWS = DRAWS.map(lambda value: value)  # DRAWS' values, but another strategy object


def a_check(seen, *, draws=(DRAWS,), fail_at=None):
    """A check that draws ``draws`` after the sample, notes what it saw in ``seen`` and
    fails at its ``fail_at``-th example."""
    def check(data, sample, stats):
        stats.begin_example()
        drawn = [data.draw(strategy, label=f"draw {index}") for index, strategy in enumerate(draws)]
        seen.append((sample, drawn))
        if fail_at is not None and len(seen) == fail_at:
            raise CellFailure("a made-up failure")
    return check


def alone(**kwargs):
    """What ``a_check(**kwargs)`` sees in its own hypothesis run."""
    seen = []
    harness._examples(SAMPLES, a_check(seen, **kwargs), CellStats(_cell("alone")))
    return seen


def _cell(framework):
    return Cell("made_up", "subject", framework, "cpu", "float32")


def shared_run(*specs):
    """One shared run of members ``a_check(**spec)``: (Siblings, members, what each saw, the
    leader stayed)."""
    seen = [[] for _ in specs]
    members = [_Member(CellStats(_cell(f"f{index}")), SAMPLES, a_check(seen[index], **spec))
               for index, spec in enumerate(specs)]
    together = Siblings()
    stayed = together.run(members, lambda check: harness._examples(SAMPLES, check, None))
    return together, members, seen, stayed


def test_siblings_that_stay_see_what_their_own_runs_see(deterministic_profile):
    _, members, seen, stayed = shared_run({}, {}, {"draws": (DRAWS, SAMPLES)})
    assert stayed is True
    # the third draws more than the first: it leaves at the first example
    assert [member.staying for member in members] == [True, True, False]
    assert seen[0] == seen[1] == alone()
    assert len(seen[0]) > 3 and members[0].stats.examples == len(seen[0])
    assert len({drawn[0] for _, drawn in seen[0]}) > 1  # the draws did vary


def test_a_sibling_that_draws_differently_leaves(deterministic_profile):
    _, members, seen, _ = shared_run({}, {"draws": (OTHER_DRAWS,)}, {"draws": ()})
    assert [member.staying for member in members] == [True, False, False]
    assert seen[0] == alone()
    assert seen[1] == []  # it left at the first draw it asked for
    assert len(seen[2]) == 1  # it drew less than the tape: left after its first example


def test_a_failing_sibling_leaves_and_the_others_see_their_own_runs(deterministic_profile):
    together, members, seen, stayed = shared_run({"fail_at": 3}, {}, {"fail_at": 5}, {})
    assert stayed is False and [m.staying for m in members] == [False, True, False, True]
    assert seen[1] == seen[3] == alone()
    assert seen[0] == alone()[:3]  # the examples before its failure
    # the leader's stats are as before the shared run (its own run starts afresh); the others
    # that stayed are kept for their items, with their time
    assert members[0].stats.examples == 0 and members[0].stats.seconds_shift < 0
    assert set(together.kept) == {members[1].stats.cell, members[3].stats.cell}


def test_the_shared_run_time_is_shared_out(deterministic_profile):
    _, members, _, stayed = shared_run({}, {}, {})
    assert stayed is True
    shifts = [member.stats.seconds_shift for member in members]
    assert shifts[0] < 0 < min(shifts[1:])  # the leader's item gives the others their share
    assert abs(sum(shifts)) < 1e-9


def test_outside_a_pytest_item_a_cell_runs_alone():
    assert Siblings().gather_or_adopt(CellStats(_cell("f0")), SAMPLES, a_check([])) is None


def test_siblings_share_a_run_only_under_one_seed_for_every_run(monkeypatch):
    """With a random seed per run, a sibling that failed in a shared run might not meet its
    failure again in its own run: then siblings run alone."""
    import hypothesis.core
    harness.register_profiles()
    previous = settings.get_current_profile_name()
    try:
        monkeypatch.setattr(hypothesis.core, "global_force_seed", None)
        settings.load_profile("conformance-dev")  # not derandomized
        assert not siblings.reproducible()
        monkeypatch.setattr(hypothesis.core, "global_force_seed", 7)  # --hypothesis-seed
        assert siblings.reproducible()
        monkeypatch.setattr(hypothesis.core, "global_force_seed", None)
        settings.load_profile("conformance-ci")  # derandomized
        assert siblings.reproducible()
        settings.load_profile("conformance-dev")
        gathered = []
        together = Siblings()
        cell = _cell("f0")
        together.begin(cell, lambda session, sibling, stats: gathered.append(sibling), None,
                       (cell, _cell("f1")))
        assert together.gather_or_adopt(CellStats(cell), SAMPLES, a_check([])) is None
        assert gathered == []  # its sibling was not even gathered
        monkeypatch.setattr(hypothesis.core, "global_force_seed", 7)
        together.begin(cell, lambda session, sibling, stats: gathered.append(sibling), None,
                       (cell, _cell("f1")))
        together.gather_or_adopt(CellStats(cell), SAMPLES, a_check([]))
        assert gathered == [_cell("f1")]  # under one seed it is
    finally:
        settings.load_profile(previous)


def test_the_plugin_groups_siblings_by_property_subject_device_and_dtype():
    cells = [Cell(p, s, f, "cpu", d) for p in ("forward", "grad") for s in ("tanh", "exp")
             for f in ("refimpl", "torch") for d in ("float32", "float64")]
    groups = pytest_plugin.siblings_of(cells)
    assert groups[Cell("grad", "exp", "torch", "cpu", "float32")] == (
        Cell("grad", "exp", "refimpl", "cpu", "float32"),
        Cell("grad", "exp", "torch", "cpu", "float32"))
    assert len(groups) == len(cells) and {len(group) for group in groups.values()} == {2}


# --- real cells, run as the plugin's items run them ---------------------------------------

CELLS = [(module, Cell(name, subject, framework, "cpu", "float32"))
         for module, name, subjects in (
             (test_forward, "forward", ("tanh", "matmul")),
             (test_grad, "grad.first_order", ("tanh", "matmul")),
             (test_double_backward, "double_backward", ("tanh",)),
             (test_retain_graph, "retain_graph.second_backward", ("tanh",)))
         for subject in subjects
         for framework in ("refimpl", "torch", "chainer")]

COMPARED = ("outcome", "examples", "failures", "max_abs_err", "max_rel_err", "oracles",
            "message", "repro", "reproduce_blob", "atol", "rtol", "semantics")


def as_items(session, cells):
    """The records of ``cells`` run one after the other as the plugin's items run them
    (each names its siblings among ``cells``)."""
    groups = pytest_plugin.siblings_of([cell for _, cell in cells])
    records = {}
    for module, cell in cells:
        stats = CellStats(cell)
        siblings.SIBLINGS.begin(cell, module.check_cell, session, groups[cell])
        started, exception = time.perf_counter(), None
        try:
            module.check_cell(session, cell, stats)
        except BaseException as error:  # noqa: BLE001 - pytest's skip too
            exception = error
        finally:
            siblings.SIBLINGS.end()
        outcome, message = harness.verdict(exception, stats)
        records[cell] = harness.cell_record(
            cell, stats, outcome, message, time.perf_counter() - started + stats.seconds_shift,
            exception)
    return records


def compare_with_alone(session, cells, records):
    for module, cell in cells:
        own = harness.run_cell(module, session, cell)
        assert {f: records[cell].get(f) for f in COMPARED} == {f: own.get(f) for f in COMPARED}, cell
        assert records[cell]["duration_s"] >= 0


@pytest.fixture
def fresh_siblings(monkeypatch):
    fresh = Siblings()
    monkeypatch.setattr(siblings, "SIBLINGS", fresh)
    monkeypatch.setattr(harness, "SIBLINGS", fresh)  # run_examples' own name for it
    return fresh


def test_sibling_cells_give_the_records_of_cells_run_alone(session, needs, deterministic_profile,
                                                           fresh_siblings):
    needs("torch", "chainer")
    records = as_items(session, CELLS)
    groups = len({(cell.property, cell.subject) for _, cell in CELLS})
    assert fresh_siblings.shared == groups  # every group shared one run
    assert fresh_siblings.stayed == len(CELLS)
    assert {record["outcome"] for record in records.values()} == {"pass"}
    compare_with_alone(session, CELLS, records)


def test_a_wrong_framework_leaves_the_shared_run_and_fails_as_alone(
        session, needs, deterministic_profile, fresh_siblings, monkeypatch):
    needs("torch", "chainer")
    import torch
    from tests.conformance.test_harness_can_fail import WrongTanh
    monkeypatch.setattr(torch, "tanh", WrongTanh.apply)
    cells = [(module, cell) for module, cell in CELLS
             if cell.subject == "tanh" and module is not test_forward]
    records = as_items(session, cells)
    red = {cell.property for cell, record in records.items() if record["outcome"] == "fail"}
    assert red == {"grad.first_order", "double_backward", "retain_graph.second_backward"}
    assert all(record["outcome"] == "pass" for cell, record in records.items()
               if cell.framework != "torch")
    compare_with_alone(session, cells, records)


def test_a_crash_during_a_shared_run_names_every_sibling_in_it(tmp_path, deterministic_profile):
    """The process may die checking any member: each gets a 'started' marker naming the others,
    and the runner's error cell says so; the leader going on alone gets a plain marker."""
    from conformance import runner
    cells = [_cell(f"f{index}") for index in range(3)]
    nodeids = {cell: f"test[{cell.framework}]" for cell in cells}
    progress = tmp_path / "progress.jsonl"
    calls = []

    def on_shared(shared):
        calls.append(shared)
        pytest_plugin.mark_shared(str(progress), nodeids, shared)

    seen = [[], [], []]
    members = [_Member(CellStats(cell), SAMPLES, a_check(seen[index], fail_at=2 if index == 0
                                                         else None))
               for index, cell in enumerate(cells)]
    together = Siblings()
    together.on_shared = on_shared
    assert together.run(members, lambda check: harness._examples(SAMPLES, check, None)) is False
    assert calls == [cells, [cells[0]]]  # the leader left (its failure): it goes on alone
    markers = {}
    for line in progress.read_text().splitlines():
        marker = json.loads(line)
        markers[marker["started"]] = marker
    assert markers["test[f1]"]["shared_with"] == ["test[f0]", "test[f2]"]
    assert markers["test[f0]"]["shared_with"] == []
    reason = runner.died_reason(markers["test[f1]"], None, [])
    assert "died while running this cell or a sibling sharing its hypothesis run " \
           "(test[f0], test[f2]" in reason
    assert "sibling" not in runner.died_reason(markers["test[f0]"], None, [])
