"""Merging result files from anywhere (the version matrix spread over machines): ``report
--results`` takes files, directories and glob patterns, several after one flag or the flag
repeated; ``compare`` takes a glob for either side."""
import json

from report_cells import cell, header, write_jsonl

from conformance.__main__ import main
from conformance.report.load import LoadError, find_files

import pytest


def machines(tmp_path):
    """Result files as copied back from three machines: one file each, in their own folders."""
    return [write_jsonl(tmp_path / "m1" / "torch-2.13.0.jsonl", [header(), cell(subject="tanh")]),
            write_jsonl(tmp_path / "m2" / "torch-2.14.1.jsonl",
                        [header(frameworks={"torch": "2.14.1"}), cell(subject="tanh", version="2.14.1")]),
            write_jsonl(tmp_path / "m3" / "deep" / "chainer-7.8.1.jsonl",
                        [header(frameworks={"chainer": "7.8.1"}),
                         cell(subject="tanh", framework="chainer", version="7.8.1")])]


def columns(summary_path):
    data = json.loads(summary_path.read_text())
    return sorted((c["framework"], c["framework_version"]) for c in data["columns"])


ALL = [("chainer", "7.8.1"), ("torch", "2.13.0"), ("torch", "2.14.1")]


def test_a_glob_pattern_merges_the_files_it_matches(tmp_path):
    machines(tmp_path)
    out = tmp_path / "s.json"
    assert main(["report", "--results", str(tmp_path / "m*" / "*.jsonl"), "--json", str(out),
                 "--no-baseline"]) == 0
    assert columns(out) == ALL[1:]            # m3's file is one folder deeper: not matched
    assert main(["report", "--results", str(tmp_path / "**" / "*.jsonl"), "--json", str(out),
                 "--no-baseline"]) == 0
    assert columns(out) == ALL


def test_several_paths_after_one_results_flag_merge(tmp_path, capsys):
    """What the shell passes for an unquoted glob: every file after one --results."""
    files = machines(tmp_path)
    out = tmp_path / "s.json"
    assert main(["report", "--results", *map(str, files[:2]), "--results", str(tmp_path / "m3"),
                 "--json", str(out), "--no-baseline"]) == 0
    assert columns(out) == ALL
    assert "from 3 file(s)" in capsys.readouterr().out


def test_a_directory_and_a_glob_naming_the_same_file_read_it_once(tmp_path):
    machines(tmp_path)
    found = find_files(str(tmp_path / "**"))   # every directory and file under tmp_path
    assert [name.rsplit("/", 1)[1] for name in found] == [
        "torch-2.13.0.jsonl", "torch-2.14.1.jsonl", "chainer-7.8.1.jsonl"]


def test_a_glob_that_matches_nothing_is_an_input_error(tmp_path, capsys):
    pattern = str(tmp_path / "nowhere" / "*.jsonl")
    with pytest.raises(LoadError, match="matches no file"):
        find_files(pattern)
    assert main(["report", "--results", pattern, "--json", str(tmp_path / "s.json")]) == 2
    assert f"--results: {pattern!r} matches no file" in capsys.readouterr().err


def test_compare_takes_a_glob_for_new(tmp_path, capsys):
    machines(tmp_path)
    base = write_jsonl(tmp_path / "base" / "b.jsonl",
                       [header(frameworks={"torch": "2.14.1"}), cell(subject="tanh", version="2.14.1"),
                        cell(subject="exp", version="2.14.1")])
    assert main(["compare", str(base), str(tmp_path / "m*" / "*.jsonl")]) == 1   # exp is missing
    assert "grad.first_order[exp] torch 2.14.1" in capsys.readouterr().out
    write_jsonl(tmp_path / "m4" / "exp.jsonl", [header(frameworks={"torch": "2.14.1"}),
                                                 cell(subject="exp", version="2.14.1")])
    assert main(["compare", str(base), str(tmp_path / "m*" / "*.jsonl")]) == 0
