"""``python -m conformance run``: argument errors, result naming, --list, the header and
footer of a run, and a crash that must not lose finished cells (a property calling
os.abort(), switched on by an environment variable), with and without xdist."""
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
    (["-k", "("], "-k '(': not a valid expression"),
    (["-k", "tanh and"], "-k 'tanh and': not a valid expression"),
    (["--list", "-k", "not"], "-k 'not': not a valid expression"),
])
def test_bad_arguments_name_the_argument_and_value(argv, message, capsys):
    assert cli.main(["run", *argv]) == 2
    assert message in capsys.readouterr().err


def test_out_must_be_a_directory(tmp_path, capsys):
    path = tmp_path / "file"
    path.write_text("")
    assert cli.main(["run", "--out", str(path)]) == 2
    assert f"--out={str(path)!r}: exists and is not a directory" in capsys.readouterr().err
    assert cli.main(["run", "--out", str(path / "below")]) == 2
    assert f"--out={str(path / 'below')!r}: cannot create the directory: " in \
        capsys.readouterr().err


def test_result_paths():
    paths = runner.ResultPaths("out", "properties-refimpl-0.1.0-cpu.jsonl")
    assert paths.final == os.path.join("out", "properties-refimpl-0.1.0-cpu.jsonl")
    assert paths.partial == os.path.join("out", "properties-refimpl-0.1.0-cpu.partial.jsonl")
    assert paths.incomplete == os.path.join("out", "properties-refimpl-0.1.0-cpu.incomplete.jsonl")


def test_footer_shape():
    from conformance import recorder
    record = recorder.footer("abc", "crashed", 5, 3, "pytest killed by signal SIGSEGV")
    assert list(record) == ["schema", "kind", "run_id", "status", "planned", "finished",
                            "ended_at", "reason"]
    assert record["schema"] == recorder.SCHEMA == "conformance-result/2"
    assert (record["kind"], record["status"], record["planned"], record["finished"]) == \
        ("footer", "crashed", 5, 3)
    with pytest.raises(ValueError):
        recorder.footer("abc", "done", 1, 1)
    head = recorder.header("dev", {"refimpl": "0.1.0"})
    assert len(head["run_id"]) == 32 and head["planned"] is None
    assert head["run_id"] != recorder.header("dev", {"refimpl": "0.1.0"})["run_id"]


def test_result_names_keep_runs_apart():
    versions = {"refimpl": "0.1.0", "torch": "2.13.0", "chainer": None}
    assert runner.result_name(["refimpl", "torch", "chainer"], versions, "cpu") == \
        "properties-refimpl-0.1.0+torch-2.13.0+chainer-unavailable-cpu.jsonl"
    assert runner.result_name(["torch"], versions, "cuda") != runner.result_name(["torch"], versions, "cpu")


def run_cli(*argv, env=None):
    environment = dict(os.environ, SETUPTOOLS_USE_DISTUTILS="stdlib", **(env or {}))
    return subprocess.run([sys.executable, "-m", "conformance", "run", *argv], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=300)


#: The forward cells of tanh alone (arctanh, hardtanh and tanhshrink contain its name too).
TANH = "test_forward and tanh and not arctanh and not hardtanh and not tanhshrink"


def test_list_prints_the_cells_without_running_them(tmp_path):
    completed = run_cli("--list", "--frameworks", "refimpl", "-k", TANH,
                        "--out", str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    lines = [line.split() for line in completed.stdout.splitlines()]
    assert ["forward", "tanh", "refimpl", "cpu", "float32"] in lines
    assert "2 cells" in completed.stdout  # float32 and float16: refimpl float64 is the oracle
    assert not list(tmp_path.iterdir())


def records(directory):
    (path,) = directory.glob("properties-*.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_complete_run_has_a_footer_and_replaces_only_its_own_files(tmp_path):
    name = "properties-refimpl-0.1.0-cpu"
    (tmp_path / f"{name}.incomplete.jsonl").write_text("{}\n")   # a stale interrupted run
    (tmp_path / "properties-torch-2.13.0-cpu.jsonl").write_text("other\n")
    completed = run_cli("--frameworks", "refimpl", "--profile", "dev", "-k",
                        TANH, "--out", str(tmp_path))
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        [f"{name}.jsonl", "properties-torch-2.13.0-cpu.jsonl"]
    found = [json.loads(line) for line in (tmp_path / f"{name}.jsonl").read_text().splitlines()]
    head, foot = found[0], found[-1]
    assert head["kind"] == "header" and head["schema"] == "conformance-result/2"
    assert head["planned"] is None and head["keyword"] == TANH
    assert foot == {"schema": "conformance-result/2", "kind": "footer", "run_id": head["run_id"],
                    "status": "complete", "planned": 2, "finished": 2,
                    "ended_at": foot["ended_at"], "reason": None}
    assert [r["kind"] for r in found[1:-1]] == ["cell", "cell"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_crash_loses_no_finished_cell(tmp_path, jobs):
    completed = run_cli("--frameworks", "refimpl", "--profile", "dev", "--jobs", jobs,
                        "-k", f"selftest or ({TANH} and float32)",
                        "--out", str(tmp_path), env={"CONFORMANCE_SELFTEST": "1"})
    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-3000:]
    found = records(tmp_path)
    assert found[0]["kind"] == "header" and found[0]["profile"] == "dev"
    # the crashed cell has its result (an error), so every planned cell has one: complete
    assert found[-1]["kind"] == "footer" and found[-1]["status"] == "complete"
    assert found[-1]["planned"] == found[-1]["finished"] == 3
    cells = {(r["property"], r["subject"]): r for r in found[1:-1]}
    assert cells[("forward", "tanh")]["outcome"] == "pass"
    assert cells[("selftest.pass", "one_plus_one")]["outcome"] == "pass"  # ran after the crash
    aborted = cells[("selftest.abort", "os.abort")]
    assert aborted["outcome"] == "error"
    assert "died while running this cell" in aborted["message"], aborted["message"]
    assert len(found) == 5, [(r.get("property"), r.get("outcome")) for r in found]


def test_the_seed_is_in_the_header_and_a_failing_cells_repro_draws_it_again(tmp_path):
    """--seed N is recorded in the header; a failing cell's repro names the seed, the command
    that draws the example again and the drawn input, and that command gives the same failure.
    The cell is chainer's documented x ** 0 gradient defect (NaN at 0), drawn at seed 1."""
    pytest.importorskip("chainer")
    cell_id = "grad.first_order-pow-int_exponent-chainer-cpu-float64"
    first = tmp_path / "first"
    completed = run_cli("--frameworks", "refimpl,chainer", "--profile", "dev", "--seed", "1",
                        "-k", cell_id, "--out", str(first))
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    found = records(first)
    assert found[0]["seed"] == 1
    (cell,) = [r for r in found if r["kind"] == "cell"]
    assert cell["outcome"] == "fail" and cell["known_issue"], cell["message"]
    lines = cell["repro"].splitlines()
    command = [line[len("#   python -m conformance run "):] for line in lines
               if line.startswith("#   python -m conformance run ")]
    assert command == [f"--frameworks refimpl,chainer --profile dev --seed 1 -k '{cell_id}'"]
    assert "#   Draw 1 (sample): Sample(inputs={'a': array(0.)}, kwargs={'b': 0})" in lines
    again = tmp_path / "again"
    argv = command[0].split(" -k ")[0].split() + ["-k", cell_id, "--out", str(again)]
    completed = run_cli(*argv)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    (second,) = [r for r in records(again) if r["kind"] == "cell"]
    assert (second["outcome"], second["message"], second["falsifying_example"]) == \
        (cell["outcome"], cell["message"], cell["falsifying_example"])
    assert second["repro"] == cell["repro"]
