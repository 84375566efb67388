"""Hostile and broken input: any byte sequence is read without an exception, bad records are
skipped visibly, non-finite numbers never crash a writer, bidi controls are neutralised."""
import json
import math
import xml.etree.ElementTree as ET

import pytest
from report_cells import cell, complete_run, header, write_jsonl

from conformance.__main__ import main
from conformance.report import ctrf, html, junit, summary
from conformance.report.analysis import analyse
from conformance.report.load import MAX_DEPTH, load
from conformance.report.text import BIDI_CONTROLS


def lines_file(tmp_path, *raw, name="r.jsonl"):
    """A result file: a header and one good cell, then each of ``raw`` (bytes) as a line."""
    path = tmp_path / name
    good = (json.dumps(header()) + "\n" + json.dumps(cell()) + "\n").encode()
    path.write_bytes(good + b"".join(line + b"\n" for line in raw))
    return path


HOSTILE_LINES = {
    "lone surrogate": json.dumps(cell(subject="s")).replace('"pass"', '"pass", "note": "\\ud800x"').encode(),
    "deep nesting": b'{"a":' * 100000 + b"1" + b"}" * 100000,
    "nesting below the recursion limit": b'{"kind": "cell", "property": "p", "outcome": "pass", "x": '
                                         + b"[" * 500 + b"]" * 500 + b"}",
    "a huge integer": json.dumps(cell(subject="i")).replace('"examples": 30', '"examples": ' + "9" * 5000).encode(),
    "a big integer in a float field": json.dumps(cell(subject="b")).replace(
        '"max_abs_err": 1e-07', '"max_abs_err": 1' + "0" * 400).encode(),
    "NaN and Infinity literals": json.dumps(cell(subject="n")).replace(
        '"duration_s": 0.25', '"duration_s": NaN, "extra": [Infinity, -Infinity]').encode(),
    "invalid UTF-8": b'{"kind": "cell", "property": "p", "subject": "\xff\xfe", "outcome": "pass"}',
    "NUL bytes": b"\x00\x00{\x00",
    "an array": b"[1, 2, 3]",
    "a string": b'"cell"',
    "binary": bytes(b for b in range(256) if b != 10),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_LINES))
def test_hostile_lines_never_raise_and_are_skipped_or_read(tmp_path, name):
    path = lines_file(tmp_path, HOSTILE_LINES[name])
    results = load([str(path)])
    assert any(c["subject"] == "tanh" for c in results.cells)     # the good cell survives
    assert len(results.cells) + results.skipped_total == 2
    report = analyse(results)
    for render in (html.render, summary.render, junit.render, ctrf.render):
        text = render(report)
        text.encode("utf-8")                                       # no lone surrogate left
    json.loads(summary.render(report))
    json.loads(ctrf.render(report))
    ET.fromstring(junit.render(report).encode("utf-8"))


def test_the_reasons_name_the_line(tmp_path):
    path = lines_file(tmp_path, HOSTILE_LINES["deep nesting"], HOSTILE_LINES["a huge integer"],
                      HOSTILE_LINES["an array"])
    warnings = "\n".join(load([str(path)]).warnings)
    assert "r.jsonl:3: skipped: not JSON that can be read (nested too deeply)" in warnings
    assert "r.jsonl:4: skipped: not JSON (an integer of 5000 digits" in warnings
    assert "r.jsonl:5: skipped: a JSON list, not an object" in warnings


def test_records_nested_deeper_than_the_limit_are_skipped(tmp_path):
    deep = {"kind": "cell", "property": "p", "outcome": "pass", "x": 1}
    for _ in range(MAX_DEPTH + 1):
        deep["x"] = {"y": deep["x"]}
    results = load([str(lines_file(tmp_path, json.dumps(deep).encode()))])
    assert results.skipped_counts["invalid"] == 1 and "levels deep" in results.warnings[0]


def test_a_lone_surrogate_is_shown_as_its_escape(tmp_path):
    path = lines_file(tmp_path, HOSTILE_LINES["lone surrogate"])
    (kept,) = [c for c in load([str(path)]).cells if c["subject"] == "s"]
    assert kept["note"] == "\\ud800x"


def test_invalid_utf8_is_replaced_and_noted(tmp_path):
    results = load([str(lines_file(tmp_path, HOSTILE_LINES["invalid UTF-8"]))])
    assert [c["subject"] for c in results.cells][-1] == "\ufffd\ufffd"
    assert any("invalid UTF-8" in w for w in results.warnings)


def test_non_finite_and_huge_numbers_never_crash_the_writers(tmp_path):
    records = [header(), cell(subject="a", duration_s=1e308, max_abs_err="inf"),
               cell(subject="b", duration_s=1e308, atol=1e-300, max_abs_err=1e300)]
    path = write_jsonl(tmp_path / "r.jsonl", records, tail=HOSTILE_LINES["NaN and Infinity literals"].decode() + "\n")
    report = analyse(load([str(path)]))
    data = json.loads(ctrf.render(report))
    assert all(isinstance(t["duration"], int) for t in data["results"]["tests"])
    assert isinstance(data["results"]["summary"]["duration"], int)       # the sum overflowed: 0, no crash
    root = ET.fromstring(junit.render(report).encode("utf-8"))
    assert all(math.isfinite(float(case.get("time"))) for case in root.iter("testcase"))
    def no_literal(name):
        raise AssertionError(f"a bare {name} in the JSON summary")
    json.loads(summary.render(report), parse_constant=no_literal)      # non-finite as strings
    html.render(report)


def test_a_line_longer_than_the_limit_is_skipped(tmp_path, monkeypatch):
    from conformance.report import load as load_module
    monkeypatch.setattr(load_module, "MAX_LINE_BYTES", 1000)
    long_line = json.dumps(cell(subject="long", message="x" * 5000)).encode()
    results = load([str(lines_file(tmp_path, long_line, json.dumps(cell(subject="after")).encode()))])
    assert [c["subject"] for c in results.cells] == ["tanh", "after"]
    assert results.skipped_counts["too_long"] == 1 and "r.jsonl:3:" in results.warnings[0]


def test_bidi_controls_are_neutralised_everywhere_on_the_page(tmp_path):
    evil = "access\u202e\u2066level\u2069\u200f\u061c"
    records = [header(platform=evil), cell(subject=f"s{evil}", outcome="fail", message=evil, repro=evil,
                                           oracle=evil, framework_version=f"2{evil}")]
    path = write_jsonl(tmp_path / "b.jsonl", records, tail="not json " + evil + "\n")
    page = html.render(analyse(load([str(path)])))
    assert not any(ch in page for ch in BIDI_CONTROLS)
    assert "access\\u202e\\u2066level\\u2069\\u200f\\u061c" in page


def test_bidi_controls_are_neutralised_in_compare_output(tmp_path, capsys):
    base = write_jsonl(tmp_path / "b.jsonl", complete_run([cell()]))
    new = write_jsonl(tmp_path / "n.jsonl", complete_run([cell(outcome="fail", message="a\u202eb\x1b[2J")]))
    assert main(["compare", str(base), str(new)]) == 1
    printed = capsys.readouterr().out
    assert "\u202e" not in printed and "\x1b" not in printed and "a\\u202eb\\u001b[2J" in printed


def test_tolerance_chart_separates_passing_from_failing_cells(tmp_path):
    records = [header(),
               cell(subject="close", max_abs_err=4.98e-4, atol=1e-5, max_rel_err=1e-3, rtol=1e-5),   # pass, ratio 49.8
               cell(subject="far", outcome="fail", max_abs_err=1e-2, atol=1e-5, max_rel_err=1.0, rtol=1e-4),
               cell(subject="fine", max_abs_err=1e-8)]
    page = html.render(analyse(load([str(write_jsonl(tmp_path / "t.jsonl", records))])))
    chart = page[page.index('<h3>Error relative to tolerance'):page.index('<h3>Time per property area')]
    assert chart.index("Failing and erroring cells") < chart.index("Passing cells")
    failing, passing = chart.split("Passing cells", 1)
    assert ">far<" in failing and ">close<" not in failing
    assert ">close<" in passing and ">fine<" in passing and ">far<" not in passing
    assert "log10 scale from 1e" in failing and "to 1 (the tolerance)" in passing
    assert "ratio 49.8" in passing and "drawn at the tolerance" in passing   # capped, labelled


def test_report_and_compare_reject_a_path_with_a_nul_as_input_errors(tmp_path, capsys):
    assert main(["report", "--results", "a\x00b", "--out", str(tmp_path / "o.html")]) == 2
    good = write_jsonl(tmp_path / "g.jsonl", [cell()])
    assert main(["report", "--results", str(good), "--out", str(tmp_path / "o\x00.html"), "--no-baseline"]) == 2
    assert main(["compare", str(good), "a\x00b"]) == 2
    assert "Traceback" not in capsys.readouterr().err
