"""Fuzzing the loader and the ``report``/``compare`` commands with hypothesis: random bytes and
mutated real result lines (tests/report/data). Never a traceback, an exit status in 0..3,
never an empty or truncated output. ``scripts/fuzz_report.py N`` runs the same checks on N
files and prints the counts."""
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_fuzz import check_file, mutated_file

from conformance.report.load import LoadError, load

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _load_bytes(data):
    with tempfile.TemporaryDirectory() as directory:
        path = f"{directory}/r.jsonl"
        with open(path, "wb") as handle:
            handle.write(data)
        try:
            results = load([path])
        except LoadError:
            return None
        assert len(results.cells) + results.skipped_total <= max(1, data.count(b"\n") + 1)
        return results


@SETTINGS
@given(st.binary(max_size=2000))
def test_loader_never_raises_on_random_bytes(data):
    _load_bytes(data)


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_loader_never_raises_on_mutated_real_lines(rng):
    results = _load_bytes(mutated_file(rng))
    if results is not None:
        for cell in results.cells:
            assert cell["outcome"] in ("pass", "fail", "error", "skip")
            for name in ("message", "subject", "property"):
                if cell[name] is not None:
                    cell[name].encode("utf-8")     # no lone surrogate reaches a writer


@settings(SETTINGS, max_examples=40)
@given(st.one_of(st.binary(max_size=600), st.randoms(use_true_random=False).map(mutated_file)))
def test_report_and_compare_never_crash_and_never_leave_a_truncated_output(data):
    with tempfile.TemporaryDirectory() as directory:
        found = check_file(data, directory)
    assert found["problems"] == []
    assert {found["report"], found["compare_new"], found["compare_base"]} <= {0, 1, 2, 3}
