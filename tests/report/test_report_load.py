"""Loading result files: headers, cells, truncated lines, missing fields, bad input."""
import math
import os

import pytest
from report_cells import BASELINE, cell, header, rich_run, write_jsonl

from conformance.report.load import LoadError, cell_key, latest, load


def test_header_and_cells_are_told_apart_and_cells_belong_to_their_run(tmp_path):
    path = write_jsonl(tmp_path / "r.jsonl", [
        header(started_at="2026-01-01T00:00:00+00:00"), cell(subject="tanh"),
        header(started_at="2026-01-02T00:00:00+00:00"), cell(subject="exp")])
    results = load([str(path)])
    assert len(results.runs) == 2 and len(results.cells) == 2
    assert [results.run_of(c).started_at for c in results.cells] == [
        "2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00"]
    assert results.warnings == []


def test_truncated_last_line_is_skipped_with_a_warning(tmp_path):
    path = write_jsonl(tmp_path / "crashed.jsonl", [header(), cell(), cell(subject="exp")],
                       tail='{"kind": "cell", "property": "grad.fir')
    results = load([str(path)])
    assert [c["subject"] for c in results.cells] == ["tanh", "exp"]
    assert len(results.warnings) == 1
    assert "crashed.jsonl:4" in results.warnings[0] and "truncated" in results.warnings[0]


def test_a_bad_line_in_the_middle_is_skipped_and_named(tmp_path):
    path = write_jsonl(tmp_path / "r.jsonl", [cell()], tail="not json at all\n[1, 2]\n")
    with open(path, "a") as handle:
        handle.write('{"kind": "cell", "property": "values", "subject": "exp", "outcome": "pass"}\n')
    results = load([str(path)])
    assert [c["subject"] for c in results.cells] == ["tanh", "exp"]
    assert any(":2:" in w and "not JSON" in w for w in results.warnings)
    assert any(":3:" in w and "list" in w for w in results.warnings)


def test_missing_optional_fields_get_defaults_and_cells_without_kind_count(tmp_path):
    minimal = {"property": "values", "subject": "exp", "framework": "torch", "outcome": "pass"}
    results = load([str(write_jsonl(tmp_path / "m.jsonl", [minimal]))])
    (only,) = results.cells
    assert only["framework_version"] is None and only["device"] is None and only["dtype"] is None
    assert only["max_abs_err"] is None and only["duration_s"] is None and only["examples"] is None
    assert only["message"] is None and only["repro"] is None and only["policy_fields"] == []
    assert results.runs[only["_run"]].header == {}


def test_unknown_outcome_becomes_error_keeping_the_original(tmp_path):
    results = load([str(write_jsonl(tmp_path / "u.jsonl", [cell(outcome="xfail", message="m")]))])
    (only,) = results.cells
    assert only["outcome"] == "error" and only["raw_outcome"] == "xfail"
    assert "xfail" in only["message"] and only["message"].endswith("m")


def test_non_finite_numbers_written_as_strings_are_read_back(tmp_path):
    results = load([str(write_jsonl(tmp_path / "n.jsonl", [cell(max_abs_err="nan", max_rel_err="inf",
                                                                atol="oops")]))])
    (only,) = results.cells
    assert math.isnan(only["max_abs_err"]) and math.isinf(only["max_rel_err"]) and only["atol"] is None


def test_a_directory_is_read_recursively(tmp_path):
    rich_run(tmp_path)
    results = load([str(tmp_path)])
    assert len(results.files) == 4
    assert any(f.endswith(os.path.join("sub", "chainer-5.4.0.jsonl")) for f in results.files)


@pytest.mark.parametrize("make, expected", [
    (lambda d: str(d / "missing"), "does not exist"),
    (lambda d: str(d), "holds no .jsonl result files"),
    (lambda d: str(write_jsonl(d / "x.jsonl", [], tail="<html>not results</html>\n")),
     "is not a JSONL result file"),
])
def test_bad_input_names_the_argument_and_the_value(tmp_path, make, expected):
    path = make(tmp_path)
    with pytest.raises(LoadError) as raised:
        load([path], "--results")
    assert str(raised.value).startswith("--results: ")
    assert repr(path) in str(raised.value) and expected in str(raised.value)


def test_latest_keeps_one_cell_per_key_from_the_latest_run(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [header(started_at="2026-01-02T00:00:00+00:00"), cell(outcome="pass")])
    write_jsonl(tmp_path / "b.jsonl", [header(started_at="2026-01-01T00:00:00+00:00"), cell(outcome="fail")])
    results = load([str(tmp_path)])
    (kept,) = latest(results)
    assert kept["outcome"] == "pass"
    assert [s["outcome"] for s in kept["_superseded"]] == ["fail"]


def test_the_committed_baseline_is_real_verify_semantics_output():
    results = load([BASELINE])
    assert results.warnings == []
    assert results.runs[0].header["frameworks"] == {"torch": "2.13.0", "chainer": "7.8.1"}
    assert len(results.cells) == len({cell_key(c) for c in results.cells}) > 60
    assert all(c["property"].startswith("semantics.") and c["policy_fields"] is not None
               for c in results.cells)
