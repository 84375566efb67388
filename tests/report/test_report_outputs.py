"""The machine-readable outputs: JSON summary, JUnit XML, CTRF JSON."""
import json
import xml.etree.ElementTree as ET

import pytest
from report_cells import BASELINE, cell, header, rich_run, write_jsonl

from conformance.report import ctrf, junit, summary
from conformance.report.analysis import analyse
from conformance.report.load import load


@pytest.fixture
def rich(tmp_path):
    rich_run(tmp_path)
    return analyse(load([str(tmp_path)]))


def test_summary_counts_per_column_and_area(rich):
    data = json.loads(summary.render(rich))
    assert data["schema"] == "conformance-summary/1"
    assert data["totals"]["cells"] == len(rich.cells)
    by_key = {(c["framework"], c["framework_version"], c["device"], c["area"]): c for c in data["counts"]}
    grad = by_key[("torch", "2.14.1", "cpu", "grad")]
    assert (grad["pass"], grad["fail"], grad["total"], grad["state"]) == (5, 1, 6, "fail")
    assert by_key[("torch", "2.14.1", "cpu", "conv")]["error"] == 1
    assert by_key[("torch", "2.14.1", "cuda", "double_backward")]["skip"] == 1
    assert sum(c["cells"] for c in data["columns"]) == len(rich.cells)
    regressions = data["regressions"]["versions"]
    assert {(r["subject"], r["new_outcome"]) for r in regressions} == {("matmul", "fail"), ("conv2d", "error")}
    assert data["regressions"]["baseline"] is None
    assert any(r["field"] == "concat_default_axis" and r["status"] == "contradicted" for r in data["differences"])
    assert len(data["warnings"]) == 1 and "truncated" in data["warnings"][0]


def test_summary_lists_baseline_regressions(tmp_path):
    base = load([str(write_jsonl(tmp_path / "b.jsonl", [header(), cell()]))])
    new = load([str(write_jsonl(tmp_path / "n.jsonl", [header(), cell(outcome="fail")]))])
    data = summary.build(analyse(new, base, ["b"]))
    assert [r["subject"] for r in data["regressions"]["baseline"]] == ["tanh"]
    assert data["baseline"]["counts"]["regressions"] == 1


def test_junit_is_well_formed_with_one_testcase_per_cell(rich):
    text = junit.render(rich)
    root = ET.fromstring(text.encode("utf-8"))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(rich.cells) == int(root.get("tests"))
    assert len(root.findall(".//testcase/failure")) == int(root.get("failures")) == 2
    assert len(root.findall(".//testcase/error")) == int(root.get("errors")) == 1
    assert len(root.findall(".//testcase/skipped")) == int(root.get("skipped")) == 1
    failure = next(f for f in root.iter("failure") if "script" in f.get("message"))
    assert failure.get("message").startswith("grad.first_order: <script>")   # escaped in XML, parsed back
    assert "import torch" in failure.text and "reproduce_blob: AXic" in failure.text
    suites = {s.get("name") for s in root.findall("testsuite")}
    assert "torch 2.14.1 · cuda" in suites


def test_junit_survives_control_characters(tmp_path):
    results = load([str(write_jsonl(tmp_path / "c.jsonl", [cell(outcome="fail", message="bad\x00\x1b[31m")]))])
    root = ET.fromstring(junit.render(analyse(results)).encode("utf-8"))
    assert root.find(".//failure").get("message").startswith("bad")


def test_ctrf_has_the_required_fields_and_maps_statuses(rich):
    data = json.loads(ctrf.render(rich))
    assert data["reportFormat"] == "CTRF" and data["specVersion"].count(".") == 2
    results = data["results"]
    assert results["tool"]["name"] == "autograd-conformance"
    summary_block = results["summary"]
    for name in ("tests", "passed", "failed", "skipped", "pending", "other", "start", "stop"):
        assert isinstance(summary_block[name], int), name
    assert summary_block["tests"] == len(results["tests"]) == len(rich.cells)
    assert summary_block["failed"] == 3 and summary_block["skipped"] == 1
    assert summary_block["start"] <= summary_block["stop"]
    for test in results["tests"]:
        assert test["name"] and test["status"] in ("passed", "failed", "skipped", "pending", "other")
        assert isinstance(test["duration"], int)
    raw = {t["rawStatus"] for t in results["tests"] if t["status"] == "failed"}
    assert raw == {"fail", "error"}
    failed = next(t for t in results["tests"] if t["labels"]["subject"] == "matmul" and t["status"] == "failed")
    assert failed["message"].startswith("grad.first_order: <script>") and "import torch" in failed["snippet"]


def test_outputs_of_the_real_baseline(tmp_path):
    real = analyse(load([BASELINE]))
    root = ET.fromstring(junit.render(real).encode("utf-8"))
    assert int(root.get("tests")) == 71 and int(root.get("skipped")) == 2
    data = json.loads(ctrf.render(real))
    assert data["results"]["summary"]["passed"] == 69
    assert data["results"]["environment"]["commit"].startswith("8e6d4f8")
