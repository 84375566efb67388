"""``python -m conformance run`` with a user's mistake: exit status 2, one line on stderr
(``error: ...``), no traceback, no pytest started, nothing written (a ``-k`` that does not
parse used to run pytest and write an error cell for every cell)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_cli(*argv):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["SETUPTOOLS_USE_DISTUTILS"] = "stdlib"
    return subprocess.run([sys.executable, "-m", "conformance", "run", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def only_an_error_line(completed, expected):
    assert completed.returncode == 2, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert "Traceback" not in completed.stderr + completed.stdout
    (line,) = completed.stderr.strip().splitlines()
    assert line.startswith("error: ") and expected in line, line
    assert "cells in" not in completed.stdout  # no run summary: nothing ran
    return line


@pytest.mark.parametrize("argv, expected", [
    (["-k", "("], "-k '(': not a valid expression"),
    (["-k", "tanh and (grad"], "-k 'tanh and (grad': not a valid expression"),
    (["--profile", "fast"], "--profile='fast': expected one of dev, ci, thorough"),
    (["--jobs", "-1"], "--jobs='-1': expected a whole number >= 1"),
    (["--jobs", "many"], "--jobs='many': expected a whole number >= 1 or 'auto'"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, argv, expected):
    out = tmp_path / "results"
    only_an_error_line(run_cli("--frameworks", "refimpl", *argv, "--out", str(out)), expected)
    assert not out.exists()


def test_jobs_auto_is_one_worker_per_usable_core():
    import argparse
    from conformance import runner
    args = argparse.Namespace(frameworks="refimpl", device="cpu", profile="dev", jobs="auto",
                              out="reports/results", keyword=None, seed=None)
    assert runner.validate(args)[2] == runner.usable_cores() >= 1


def test_an_out_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    out = blocker / "results"
    line = only_an_error_line(run_cli("--frameworks", "refimpl", "--out", str(out)),
                              f"--out={str(out)!r}: ")
    assert "Not a directory" in line
    assert blocker.read_text() == "not a directory"
    only_an_error_line(run_cli("--frameworks", "refimpl", "--out", str(blocker)),
                       f"--out={str(blocker)!r}: exists and is not a directory")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can write to a read-only directory")
def test_an_out_that_cannot_be_written(tmp_path):
    out = tmp_path / "read-only"
    out.mkdir()
    out.chmod(0o500)
    try:
        only_an_error_line(run_cli("--frameworks", "refimpl", "--out", str(out)),
                           f"--out={str(out)!r}: cannot write there: ")
        assert not list(out.iterdir())
    finally:
        out.chmod(0o700)


def test_a_keyword_that_selects_no_cell_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "results"
    only_an_error_line(run_cli("--frameworks", "refimpl", "-k", "no_such_cell_anywhere",
                               "--out", str(out)),
                       "-k 'no_such_cell_anywhere' selects no cell")
    assert not list(out.iterdir())


def test_help_documents_the_exit_statuses():
    completed = run_cli("--help")
    assert completed.returncode == 0
    for line in ("exit status:", "  0  the run is complete", "  1  the run is complete",
                 "  2  usage or input error", "  3  incomplete run"):
        assert line in completed.stdout
