"""Completeness and the gate: conformance-result/2 footers, incomplete runs (report banner,
exit 3), cells missing from NEW (exit 1; --removed, --renames), known issues on both sides,
schema versions, exit statuses."""
import json

import pytest
from report_cells import (BASELINE, V2, cell, complete_run, footer, header, header2,
                          write_jsonl)

from conformance.__main__ import main
from conformance.report import html
from conformance.report.analysis import analyse
from conformance.report.compare import compare
from conformance.report.load import load

PASSING = [cell(subject=name) for name in ("tanh", "exp", "sin", "cos")]


def partial_run(finished=2, planned=818, status=None, reason="KeyboardInterrupt"):
    """A /2 run that finished ``finished`` of ``planned`` cells; with a footer of ``status``,
    or none (killed)."""
    records = [header2(planned=planned)] + [dict(c, schema=V2) for c in PASSING[:finished]]
    if status:
        records.append(footer(status=status, planned=planned, finished=finished, reason=reason))
    return records


# --- completeness of a run -----------------------------------------------------------------

@pytest.mark.parametrize("records, name, status", [
    (complete_run(PASSING), "r.jsonl", "complete"),
    (partial_run(status="interrupted"), "r.jsonl", "interrupted"),
    (partial_run(status="crashed", reason="worker died"), "r.jsonl", "crashed"),
    (partial_run(status=None), "r.jsonl", "crashed"),                 # /2 without a footer
    ([header()] + PASSING, "r.jsonl", "unknown"),                     # legacy /1
    (complete_run(PASSING), "r.incomplete.jsonl", "interrupted"),     # the name says so
    ([header()] + PASSING, "r.partial.jsonl", "crashed"),
])
def test_each_run_gets_its_completeness(tmp_path, records, name, status):
    results = load([str(write_jsonl(tmp_path / name, records))])
    (run,) = results.runs
    assert run.status == status
    assert results.completeness() == status


def test_planned_and_finished_come_from_the_footer_or_the_header(tmp_path):
    killed = load([str(write_jsonl(tmp_path / "k.jsonl", partial_run(finished=3, planned=818)))])
    assert (killed.runs[0].planned, killed.runs[0].finished) == (818, 3)
    assert "finished 3 of 818 planned" in killed.runs[0].describe()
    stopped = load([str(write_jsonl(tmp_path / "s.jsonl", partial_run(finished=2, status="interrupted")))])
    assert "KeyboardInterrupt" in stopped.runs[0].describe()


def test_two_runs_in_one_file_each_get_their_footer(tmp_path):
    records = (complete_run(PASSING[:2], run_id="aa")
               + [header2("bb", planned=10), dict(PASSING[2], schema=V2)])
    results = load([str(write_jsonl(tmp_path / "two.jsonl", records))])
    assert [run.status for run in results.runs] == ["complete", "crashed"]
    assert [run.cells for run in results.runs] == [2, 1]


def test_a_footer_without_its_header_is_skipped_and_named(tmp_path):
    records = complete_run(PASSING[:1], run_id="aa") + [footer("ff", "complete", 1, 1)]
    results = load([str(write_jsonl(tmp_path / "f.jsonl", records))])
    assert results.skipped_counts["orphan_footer"] == 1
    assert any("f.jsonl:4:" in w and "'ff'" in w for w in results.warnings)


# --- the report of an incomplete run ---------------------------------------------------------

def test_report_of_an_incomplete_run_shows_no_green_banner_and_exits_3(tmp_path, capsys):
    path = write_jsonl(tmp_path / "r.jsonl", partial_run(finished=2, planned=818, status=None))
    out = tmp_path / "index.html"
    assert main(["report", "--results", str(path), "--out", str(out), "--no-baseline"]) == 3
    page = out.read_text(encoding="utf-8")
    assert "Every cell that ran passed" not in page
    assert 'class="verdict st-incomplete"' in page and "Incomplete results" in page
    assert "finished 2 of 818 planned" in page
    assert "finished 2 of 818 planned" in capsys.readouterr().err


def test_report_of_legacy_results_says_completeness_is_unknown_and_stays_green(tmp_path):
    page = html.render(analyse(load([BASELINE])))
    assert "Every cell that ran passed" in page
    assert "Completeness unknown for 1 run(s)" in page


def test_report_exit_statuses(tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", complete_run(PASSING))
    failing = write_jsonl(tmp_path / "failing.jsonl", complete_run([cell(outcome="fail")]))
    out = ["--out", str(tmp_path / "o.html"), "--no-baseline"]
    assert main(["report", "--results", str(good)] + out) == 0
    assert main(["report", "--results", str(failing)] + out) == 1
    assert main(["report", "--results", str(tmp_path / "none")] + out) == 2
    with pytest.raises(SystemExit) as raised:   # argparse: a bad flag
        main(["report", "--no-such-flag"])
    assert raised.value.code == 2


def test_report_with_an_unwritable_out_exits_2_and_keeps_the_old_file(tmp_path, capsys):
    good = write_jsonl(tmp_path / "good.jsonl", complete_run(PASSING))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["report", "--results", str(good), "--out", str(blocker / "index.html"), "--no-baseline"]) == 2
    assert "--out: cannot write" in capsys.readouterr().err
    directory = tmp_path / "adir"
    directory.mkdir()
    assert main(["report", "--results", str(good), "--out", str(directory), "--no-baseline"]) == 2


def test_outputs_are_replaced_atomically(tmp_path, monkeypatch):
    good = write_jsonl(tmp_path / "good.jsonl", complete_run(PASSING))
    out = tmp_path / "index.html"
    out.write_text("the previous report")
    from conformance.report import html as html_module

    def broken(analysis, title=None):
        yield "<!DOCTYPE html><html>"
        raise RuntimeError("a crash mid-write")
    monkeypatch.setattr(html_module, "chunks", broken)
    assert main(["report", "--results", str(good), "--out", str(out), "--no-baseline"]) == 2
    assert out.read_text() == "the previous report"          # not truncated, not empty
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.jsonl", "index.html"]   # no temporary left


# --- compare: completeness, missing cells, renames ---------------------------------------------

def test_compare_fails_3_when_new_is_incomplete(tmp_path, capsys):
    base = write_jsonl(tmp_path / "base.jsonl", complete_run(PASSING))
    for name, records in (("killed", partial_run(finished=2)),
                          ("interrupted", partial_run(finished=2, status="interrupted"))):
        new = write_jsonl(tmp_path / name / "new.jsonl", records)
        assert main(["compare", str(base), str(new.parent)]) == 3, name
        assert "NEW is incomplete" in capsys.readouterr().err
    header_only = write_jsonl(tmp_path / "h" / "new.jsonl", [header2(planned=818)])
    assert main(["compare", str(base), str(header_only)]) == 3


def test_compare_new_with_an_incomplete_file_beside_the_good_one_is_incomplete(tmp_path):
    base = write_jsonl(tmp_path / "base.jsonl", complete_run(PASSING))
    write_jsonl(tmp_path / "new" / "r.jsonl", complete_run(PASSING))
    write_jsonl(tmp_path / "new" / "r.incomplete.jsonl", partial_run(finished=1, status=None))
    assert main(["compare", str(base), str(tmp_path / "new")]) == 3


def test_compare_incomplete_base_is_a_warning_and_legacy_new_is_unknown_not_a_failure(tmp_path, capsys):
    base = write_jsonl(tmp_path / "base.jsonl", partial_run(finished=4, status="interrupted"))
    new = write_jsonl(tmp_path / "new.jsonl", [header()] + PASSING)
    assert main(["compare", str(base), str(new)]) == 0
    printed = capsys.readouterr()
    assert "BASE is incomplete" in printed.err
    assert "NEW: completeness unknown for 1 run(s)" in printed.out


def test_a_passed_cell_missing_from_new_fails_unless_removed(tmp_path, capsys):
    base = write_jsonl(tmp_path / "base.jsonl", complete_run(PASSING + [cell(subject="gone", outcome="fail")]))
    new = write_jsonl(tmp_path / "new.jsonl", complete_run(PASSING[:3]))
    assert main(["compare", str(base), str(new)]) == 1
    printed = capsys.readouterr().out
    assert "MISSING" in printed and "grad.first_order[cos]" in printed
    assert "1 missing" in printed and "1 removed" in printed    # the failing 'gone' cell is just removed
    assert main(["compare", str(base), str(new), "--removed", "cos"]) == 0
    assert "0 missing" in capsys.readouterr().out


def test_renames_match_a_base_cell_under_its_new_subject(tmp_path, capsys):
    base = write_jsonl(tmp_path / "base.jsonl", complete_run(PASSING))
    new = write_jsonl(tmp_path / "new.jsonl", complete_run(PASSING[:3] + [cell(subject="cosine", outcome="fail")]))
    renames = tmp_path / "renames.txt"
    renames.write_text("# subjects renamed in this change\ncos -> cosine\n\n")
    assert main(["compare", str(base), str(new)]) == 1                        # cos missing
    capsys.readouterr()
    out = tmp_path / "cmp.json"
    assert main(["compare", str(base), str(new), "--renames", str(renames), "--json", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "REGRESSIONS" in printed and "cos->cosine" in printed              # matched, and it regressed
    data = json.loads(out.read_text())
    assert data["regressions"][0]["renamed_from"] == "cos" and data["counts"]["missing"] == 0
    assert data["exit_status"] == 1


@pytest.mark.parametrize("text", ["cos cosine\n", "a -> b -> c\n", " -> b\n"])
def test_a_bad_renames_file_exits_2_naming_its_line(tmp_path, capsys, text):
    base = write_jsonl(tmp_path / "base.jsonl", complete_run(PASSING))
    renames = tmp_path / "renames.txt"
    renames.write_text("# ok\n" + text)
    assert main(["compare", str(base), str(base), "--renames", str(renames)]) == 2
    assert f"{renames}:2:" in capsys.readouterr().err
    assert main(["compare", str(base), str(base), "--renames", str(tmp_path / "nowhere")]) == 2


# --- known issues on both sides ------------------------------------------------------------------

ISSUE = {"reason": "an upstream defect that shows only at some inputs", "link": "https://example.org/1"}
# A real entry of conformance/frameworks/chainer/known_issues.toml, found by known_issues.match.
MATCHED = dict(prop="grad.first_order", subject="pow-int_exponent", framework="chainer", version="7.8.1",
               dtype="float32")


@pytest.mark.parametrize("failing", [
    cell(outcome="fail", message="differs", known_issue=ISSUE),             # the record says so
    cell(outcome="fail", message="grad: nan vs 0.0", **MATCHED),            # known_issues.match says so
])
def test_a_known_issue_is_not_a_regression_on_either_side(tmp_path, capsys, failing):
    passing = dict(failing, outcome="pass", message=None, failures=0)
    passing.pop("known_issue", None)
    one = write_jsonl(tmp_path / "pass.jsonl", complete_run([passing]))
    other = write_jsonl(tmp_path / "fail.jsonl", complete_run([failing]))
    assert main(["compare", str(one), str(other)]) == 0           # pass -> known fail
    printed = capsys.readouterr().out
    assert "known upstream defects" in printed and "0 regressions" in printed and "1 known" in printed
    assert main(["compare", str(other), str(one)]) == 0           # known fail -> pass: not a fix either
    assert "0 fixes" in capsys.readouterr().out
    assert main(["compare", str(one), str(other), "--strict"]) == 1
    result = compare(load([str(one)]), load([str(other)]))
    assert result.known and not result.regressions


def test_an_error_is_never_a_known_issue(tmp_path):
    base = load([str(write_jsonl(tmp_path / "b.jsonl", complete_run([cell()])))])
    new = load([str(write_jsonl(tmp_path / "n.jsonl", complete_run([cell(outcome="error", known_issue=ISSUE)])))])
    assert len(compare(base, new).regressions) == 1


def test_report_exit_ignores_known_issues_unless_strict(tmp_path):
    path = write_jsonl(tmp_path / "r.jsonl", complete_run([cell(outcome="fail", known_issue=ISSUE), cell(subject="exp")]))
    out = ["--out", str(tmp_path / "o.html"), "--no-baseline"]
    assert main(["report", "--results", str(path)] + out) == 0
    assert main(["report", "--results", str(path), "--strict"] + out) == 1


# --- schema versions and kinds -------------------------------------------------------------------

def test_unknown_schema_versions_and_kinds_are_skipped_counted_and_named(tmp_path, capsys):
    records = complete_run(PASSING[:2]) + [
        dict(cell(subject="future"), schema="conformance-result/3"),
        dict(cell(subject="odd"), schema=V2, kind="telemetry"),
        dict(cell(subject="bad"), schema=V2, outcome="maybe"),
        dict(cell(subject="other"), schema="something-else/1")]
    path = write_jsonl(tmp_path / "r.jsonl", records)
    results = load([str(path)])
    assert [c["subject"] for c in results.cells] == ["tanh", "exp"]
    assert dict(results.skipped_counts) == {"unknown_schema": 1, "unknown_kind": 1, "invalid": 2}
    text = "\n".join(results.warnings)
    assert "r.jsonl:5: skipped: unknown schema version 'conformance-result/3'" in text
    assert "r.jsonl:6: skipped: unknown record kind 'telemetry'" in text
    assert "r.jsonl:7: skipped: invalid conformance-result/2 cell record: ['outcome']" in text
    out = tmp_path / "index.html"
    assert main(["report", "--results", str(path), "--out", str(out), "--no-baseline"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "4 line(s) were skipped" in page and "1 unknown schema version" in page
    assert "4 line(s) skipped" in capsys.readouterr().out
    assert main(["compare", str(path), str(path)]) == 0
    assert "NEW: 4 line(s) skipped while reading" in capsys.readouterr().out


def test_a_file_of_a_future_version_only_is_read_as_empty_not_rejected(tmp_path):
    path = write_jsonl(tmp_path / "future.jsonl", [dict(header(), schema="conformance-result/7"),
                                                   dict(cell(), schema="conformance-result/7")])
    results = load([str(path)])
    assert results.cells == [] and results.skipped_counts["unknown_schema"] == 2
