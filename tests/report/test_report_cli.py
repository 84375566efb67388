"""``python -m conformance report``: defaults, named outputs, bad input."""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

from report_cells import ROOT, cell, header, rich_run, write_jsonl

from conformance.__main__ import main


def test_defaults_read_reports_results_and_write_four_files(tmp_path, monkeypatch, capsys):
    rich_run(tmp_path / "reports" / "results")
    monkeypatch.chdir(tmp_path)
    assert main(["report"]) == 1          # the rich run has failing and erroring cells
    for name in ("index.html", "summary.json", "junit.xml", "ctrf.json"):
        assert (tmp_path / "reports" / name).stat().st_size > 0, name
    ET.parse(tmp_path / "reports" / "junit.xml")
    assert json.loads((tmp_path / "reports" / "summary.json").read_text())["baseline"] is None
    printed = capsys.readouterr()
    assert "cells from 4 file(s)" in printed.out and "truncated" in printed.err


def test_default_baseline_is_used_when_present(tmp_path, monkeypatch, capsys):
    write_jsonl(tmp_path / "reports" / "baseline" / "b.jsonl", [header(), cell()])
    write_jsonl(tmp_path / "reports" / "results" / "n.jsonl", [header(), cell(outcome="error")])
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--json", "s.json"]) == 1      # a regression (and an erroring cell)
    assert not (tmp_path / "reports" / "index.html").exists()     # only the named output
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["baseline"]["paths"] == [os.path.join("reports", "baseline")]
    assert len(data["regressions"]["baseline"]) == 1
    assert "1 regression(s)" in capsys.readouterr().out
    assert main(["report", "--json", "s2.json", "--no-baseline"]) == 1   # the erroring cell
    assert json.loads((tmp_path / "s2.json").read_text())["baseline"] is None


def test_several_results_arguments_merge(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [header(), cell(subject="tanh")])
    write_jsonl(tmp_path / "b" / "b.jsonl", [header(), cell(subject="exp", framework="chainer", version="7.8.1")])
    out = tmp_path / "out" / "r.html"
    assert main(["report", "--results", str(a), "--results", str(tmp_path / "b"), "--out", str(out),
                 "--no-baseline"]) == 0
    page = out.read_text()
    assert "chainer" in page and "tanh" in page and "exp" in page


def test_bad_input_exits_2_with_the_argument_and_value(tmp_path, capsys):
    missing = str(tmp_path / "nowhere")
    assert main(["report", "--results", missing, "--out", str(tmp_path / "x.html")]) == 2
    assert f"--results: {missing!r} does not exist" in capsys.readouterr().err
    bogus = tmp_path / "summary.jsonl"
    bogus.write_text(json.dumps({"a": 1}, indent=2))
    assert main(["report", "--results", str(bogus), "--out", str(tmp_path / "x.html")]) == 2
    assert "is not a JSONL result file" in capsys.readouterr().err
    good = write_jsonl(tmp_path / "g.jsonl", [cell()])
    assert main(["report", "--results", str(good), "--baseline", missing, "--out", str(tmp_path / "x.html")]) == 2
    assert "--baseline: " in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def test_module_entry_point_runs_in_a_subprocess(tmp_path):
    results = tmp_path / "results"
    rich_run(results)
    env = dict(os.environ, SETUPTOOLS_USE_DISTUTILS="stdlib")
    done = subprocess.run([sys.executable, "-m", "conformance", "report", "--results", str(results),
                           "--out", str(tmp_path / "r.html"), "--no-baseline"],
                          check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr     # the rich run has failing cells
    assert "out: " in done.stdout and (tmp_path / "r.html").exists()
