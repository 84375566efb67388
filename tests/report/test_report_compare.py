"""compare: regressions, fixes, new and removed cells; the CLI's exit statuses and JSON."""
import json
import os
import shutil

from report_cells import BASELINE, cell, header, write_jsonl

from conformance.__main__ import main
from conformance.report.compare import compare
from conformance.report.load import load


def results_of(tmp_path, name, records):
    return load([str(write_jsonl(tmp_path / f"{name}.jsonl", [header()] + records))])


def test_each_kind_of_change_lands_in_its_section(tmp_path):
    base = results_of(tmp_path, "base", [
        cell(subject="a", outcome="pass"), cell(subject="b", outcome="fail"),
        cell(subject="c", outcome="pass"), cell(subject="d", outcome="pass"),
        cell(subject="e", outcome="error"), cell(subject="f", outcome="pass")])
    new = results_of(tmp_path, "new", [
        cell(subject="a", outcome="fail"), cell(subject="b", outcome="pass"),
        cell(subject="d", outcome="pass"), cell(subject="e", outcome="pass"),
        cell(subject="f", outcome="skip"), cell(subject="g", outcome="error")])
    result = compare(base, new)

    def subjects(pairs):
        return [(after or before)["subject"] for before, after in pairs]
    assert subjects(result.regressions) == ["a"]
    assert subjects(result.fixes) == ["b", "e"]
    assert subjects(result.new) == ["g"]
    assert subjects(result.missing) == ["c"]      # passed in BASE, absent from NEW
    assert subjects(result.removed) == []
    assert subjects(result.changed) == ["f"]
    assert result.unchanged == 1


def test_error_after_pass_is_a_regression_and_dtype_is_part_of_the_key(tmp_path):
    base = results_of(tmp_path, "base", [cell(dtype="float32"), cell(dtype="float64")])
    new = results_of(tmp_path, "new", [cell(dtype="float32", outcome="error"), cell(dtype="float16")])
    result = compare(base, new)
    assert [a["dtype"] for _, a in result.regressions] == ["float32"]
    assert [a["dtype"] for _, a in result.new] == ["float16"]
    assert [b["dtype"] for b, _ in result.missing] == ["float64"]


def test_ignore_version_matches_across_versions(tmp_path):
    base = results_of(tmp_path, "base", [cell(version="2.13.0")])
    new = results_of(tmp_path, "new", [cell(version="2.14.1", outcome="fail")])
    assert compare(base, new).regressions == []
    (pair,) = compare(base, new, ignore_version=True).regressions
    assert pair[1]["framework_version"] == "2.14.1"


def planted_regression(tmp_path):
    """The real baseline with one passing cell flipped to fail."""
    source = os.path.join(BASELINE, "semantics.jsonl")
    with open(source, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    for index, line in enumerate(lines):
        record = json.loads(line)
        if record.get("kind") == "cell" and record["outcome"] == "pass":
            record.update(outcome="fail", failures=1, message="planted: <b>differs</b>")
            lines[index] = json.dumps(record)
            break
    new = tmp_path / "new"
    new.mkdir()
    (new / "semantics.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(new), record


def test_cli_catches_a_planted_regression_in_real_cells(tmp_path, capsys):
    new, flipped = planted_regression(tmp_path)
    out = tmp_path / "cmp.json"
    status = main(["compare", BASELINE, new, "--json", str(out)])
    printed = capsys.readouterr().out
    assert status == 1
    assert printed.startswith("REGRESSIONS (pass -> fail/error): 1")
    assert flipped["property"] in printed and "planted" in printed
    data = json.loads(out.read_text())
    assert data["counts"]["regressions"] == 1 and data["counts"]["unchanged"] > 60
    assert data["regressions"][0]["property"] == flipped["property"]
    assert data["regressions"][0]["base_outcome"] == "pass" and data["regressions"][0]["new_outcome"] == "fail"


def test_cli_exit_zero_without_regressions_and_sections_in_order(tmp_path, capsys):
    base = write_jsonl(tmp_path / "b.jsonl", [cell(subject="x", outcome="fail"), cell(subject="gone")])
    new = write_jsonl(tmp_path / "n.jsonl", [cell(subject="x"), cell(subject="fresh")])
    assert main(["compare", str(base), str(new), "--removed", "gone"]) == 0
    printed = capsys.readouterr().out
    positions = [printed.index(h) for h in ("fixes", "new cells", "removed cells", "summary:")]
    assert positions == sorted(positions)
    assert "REGRESSIONS" not in printed


def test_identical_real_results_compare_clean(tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(BASELINE, copy)
    assert main(["compare", BASELINE, str(copy)]) == 0
    assert "0 regressions" in capsys.readouterr().out


def test_cli_bad_input_exits_2_naming_the_argument(tmp_path, capsys):
    good = write_jsonl(tmp_path / "g.jsonl", [cell()])
    assert main(["compare", str(tmp_path / "nope"), str(good)]) == 2
    assert f"BASE: {str(tmp_path / 'nope')!r} does not exist" in capsys.readouterr().err
    header_only = write_jsonl(tmp_path / "crashed" / "h.jsonl", [header()])
    assert main(["compare", str(good), str(header_only.parent)]) == 2
    assert "holds no result cells" in capsys.readouterr().err
    not_jsonl = tmp_path / "notes.jsonl"
    not_jsonl.write_text("hello\n")
    assert main(["compare", str(good), str(not_jsonl)]) == 2
    assert "NEW: " in capsys.readouterr().err
