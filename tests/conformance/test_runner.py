"""``python -m conformance run``: argument errors, result naming, --list, and a crash that
must not lose finished cells (a property calling os.abort(), switched on by an environment
variable), with and without xdist."""
import json
import os
import subprocess
import sys

import pytest

from conformance import __main__ as cli
from conformance import runner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("argv, message", [
    (["--frameworks", "refimpl,tensorflow"], "--frameworks='refimpl,tensorflow': unknown framework 'tensorflow'"),
    (["--frameworks", ","], "--frameworks=',' names no framework"),
    (["--device", "tpu"], "--device='tpu': expected one of cpu, cuda, all"),
    (["--profile", "fast"], "--profile='fast': expected one of dev, ci, thorough"),
    (["--jobs", "0"], "--jobs='0': expected a whole number >= 1"),
    (["--jobs", "two"], "--jobs='two': expected a whole number >= 1"),
    (["--seed", "x"], "--seed='x': expected an integer"),
])
def test_bad_arguments_name_the_argument_and_value(argv, message, capsys):
    assert cli.main(["run", *argv]) == 2
    assert message in capsys.readouterr().err


def test_out_must_be_a_directory(tmp_path, capsys):
    path = tmp_path / "file"
    path.write_text("")
    assert cli.main(["run", "--out", str(path)]) == 2
    assert f"--out={str(path)!r} exists and is not a directory" in capsys.readouterr().err


def test_result_names_keep_runs_apart():
    versions = {"refimpl": "0.1.0", "torch": "2.13.0", "chainer": None}
    assert runner.result_name(["refimpl", "torch", "chainer"], versions, "cpu") == \
        "properties-refimpl-0.1.0+torch-2.13.0+chainer-unavailable-cpu.jsonl"
    assert runner.result_name(["torch"], versions, "cuda") != runner.result_name(["torch"], versions, "cpu")


def run_cli(*argv, env=None):
    environment = dict(os.environ, SETUPTOOLS_USE_DISTUTILS="stdlib", **(env or {}))
    return subprocess.run([sys.executable, "-m", "conformance", "run", *argv], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=300)


def test_list_prints_the_cells_without_running_them(tmp_path):
    completed = run_cli("--list", "--frameworks", "refimpl", "-k", "test_forward and tanh",
                        "--out", str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    lines = [line.split() for line in completed.stdout.splitlines()]
    assert ["forward", "tanh", "refimpl", "cpu", "float32"] in lines
    assert "2 cells" in completed.stdout  # float32 and float16: refimpl float64 is the oracle
    assert not list(tmp_path.iterdir())


def records(directory):
    (path,) = directory.glob("properties-*.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_crash_loses_no_finished_cell(tmp_path, jobs):
    completed = run_cli("--frameworks", "refimpl", "--profile", "dev", "--jobs", jobs,
                        "-k", "selftest or (test_forward and tanh and float32)",
                        "--out", str(tmp_path), env={"CONFORMANCE_SELFTEST": "1"})
    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-3000:]
    found = records(tmp_path)
    assert found[0]["kind"] == "header" and found[0]["profile"] == "dev"
    cells = {(r["property"], r["subject"]): r for r in found[1:]}
    assert cells[("forward", "tanh")]["outcome"] == "pass"
    assert cells[("selftest.pass", "one_plus_one")]["outcome"] == "pass"  # ran after the crash
    aborted = cells[("selftest.abort", "os.abort")]
    assert aborted["outcome"] == "error"
    assert "died while running this cell" in aborted["message"], aborted["message"]
    assert len(found) == 4, [(r.get("property"), r.get("outcome")) for r in found]
