"""``python -m conformance run`` stopped at random moments (SIGINT, SIGTERM, SIGKILL of the
runner): 2 s later no process of the run is alive, no temporary directory is left, the last
complete result file is byte for byte what it was, and the stopped run is recognisable as
incomplete (``NAME.incomplete.jsonl`` with an ``interrupted`` footer, or, after SIGKILL,
``NAME.partial.jsonl`` with no footer). A later complete run replaces the result file and
removes the stale incomplete file.

Every process of a run is found by a marker in its environment (xdist workers have no
telling command line). The default kill points (6, with ``--jobs 2``) take about 30 s;
``CONFORMANCE_KILL_POINTS=N`` tries N random ones instead (random signal, moment and
``--jobs``), ``CONFORMANCE_KILL_SEED`` replays a sequence.
"""
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARK = "CONFORMANCE_KILL_TEST_MARK"
SMALL = "test_forward and tanh"                                    # 2 cells, about 2 s
SELECTION = "test_grad or test_double_backward or test_forward"   # ~375 cells, about 5 s
DEFAULT_POINTS = [(signal.SIGINT, "moment", 2), (signal.SIGTERM, "moment", 2),
                  (signal.SIGKILL, "moment", 2), (signal.SIGINT, "cells", 2),
                  (signal.SIGTERM, "cells", 2), (signal.SIGKILL, "cells", 2)]


def kill_points(rng):
    count = os.environ.get("CONFORMANCE_KILL_POINTS")
    if not count:
        return DEFAULT_POINTS
    return [(rng.choice([signal.SIGINT, signal.SIGTERM, signal.SIGKILL]),
             rng.choice(["moment", "cells"]), rng.choice([1, 2])) for _ in range(int(count))]


def start(out, tmpdir, mark, keyword, jobs):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(SETUPTOOLS_USE_DISTUTILS="stdlib", TMPDIR=str(tmpdir), **{MARK: mark})
    return subprocess.Popen(
        [sys.executable, "-m", "conformance", "run", "--frameworks", "refimpl", "--profile", "dev",
         "--jobs", str(jobs), "-k", keyword, "--out", str(out)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def processes_of(mark):
    """Live (not zombie) processes whose environment holds the run's marker."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if needle not in handle.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")[:150]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            found.append((int(entry), state, command))
    return found


def lines(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def cell_lines(path):
    with open(path, encoding="utf-8") as handle:
        return sum('"kind": "cell"' in line for line in handle)


def names(out):
    (final,) = [p for p in out.iterdir() if p.name.endswith("-cpu.jsonl")
                and ".partial." not in p.name and ".incomplete." not in p.name]
    stem = str(final)[:-len(".jsonl")]
    return final, stem + ".partial.jsonl", stem + ".incomplete.jsonl"


def complete_run(out, tmp_path):
    tmpdir = tmp_path / "tmp-complete"
    tmpdir.mkdir(exist_ok=True)
    process = start(out, tmpdir, uuid.uuid4().hex, SMALL, 2)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr[-3000:]
    assert not list(tmpdir.iterdir())
    final, partial, incomplete = names(out)
    records = lines(final)
    assert records[0]["kind"] == "header" and records[-1]["kind"] == "footer"
    assert records[-1]["status"] == "complete" and records[-1]["run_id"] == records[0]["run_id"]
    assert not os.path.exists(partial) and not os.path.exists(incomplete)
    return final


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="scans /proc")
def test_a_stopped_run_leaves_no_process_no_temporary_directory_and_the_last_good_results(tmp_path):
    seed = int(os.environ.get("CONFORMANCE_KILL_SEED") or random.randrange(2 ** 32))
    rng = random.Random(seed)
    out = tmp_path / "results"
    final = complete_run(out, tmp_path)
    good = final.read_bytes()
    _, partial, incomplete = names(out)
    tried = []
    for number, (signum, trigger, jobs) in enumerate(kill_points(rng)):
        where = f"seed {seed}, point {number}: {signum.name} at {trigger}, --jobs {jobs}"
        for path in (partial, incomplete):
            if os.path.exists(path):
                os.remove(path)
        tmpdir = tmp_path / f"tmp-{number}"
        tmpdir.mkdir()
        mark = uuid.uuid4().hex
        process = start(out, tmpdir, mark, SELECTION, jobs)
        started = time.monotonic()
        if trigger == "moment":  # anywhere from start-up to the middle of the run
            time.sleep(rng.uniform(0.4, 3.5))
        else:  # while cells are being written
            wanted = rng.randint(1, 40)
            while time.monotonic() - started < 60 and process.poll() is None and not (
                    os.path.exists(partial) and cell_lines(partial) >= wanted):
                time.sleep(0.01)
        if process.poll() is not None:  # finished first: it is a complete run then
            _, stderr = process.communicate()
            assert process.returncode == 0, f"{where}: {stderr[-3000:]}"
            good = final.read_bytes()
            tried.append(f"{where}: finished before the signal")
            continue
        signalled = time.monotonic()
        process.send_signal(signum)
        while processes_of(mark) and time.monotonic() - signalled < 2.0:
            time.sleep(0.05)
        left = processes_of(mark)
        for pid, _, _ in left:  # not to outlive a failed test
            os.kill(pid, signal.SIGKILL)
        assert not left, f"{where}: alive 2 s after the signal: {left}"
        _, stderr = process.communicate(timeout=10)
        tried.append(f"{where} after {signalled - started:.2f} s")

        assert not list(tmpdir.iterdir()), f"{where}: left {list(tmpdir.rglob('*'))}"
        assert final.read_bytes() == good, f"{where}: the last complete results changed"
        assert "Traceback" not in stderr, f"{where}: {stderr}"
        if signum == signal.SIGKILL:
            assert process.returncode == -signal.SIGKILL
            assert not os.path.exists(incomplete), where
            if trigger == "cells" or os.path.exists(partial):
                records = lines(partial)  # a header, cells, no footer: incomplete
                assert records[0]["kind"] == "header", where
                assert all(r["kind"] == "cell" for r in records[1:]), where
        else:
            assert process.returncode == 3, f"{where}: status {process.returncode}: {stderr}"
            assert stderr.strip().splitlines()[-1].startswith(f"interrupted ({signum.name})"), \
                f"{where}: {stderr}"
            assert not os.path.exists(partial), where
            if trigger == "cells" or os.path.exists(incomplete):
                records = lines(incomplete)
                head, foot = records[0], records[-1]
                assert head["kind"] == "header" and foot["kind"] == "footer", where
                assert foot["status"] == "interrupted" and foot["run_id"] == head["run_id"], where
                cells = [r for r in records[1:-1] if r["kind"] == "cell"]
                assert foot["finished"] == len(cells) <= foot["planned"], where
                assert foot["schema"] == head["schema"] == "conformance-result/2", where
                assert foot["reason"].startswith(signum.name), where
    print("\n".join(tried))
    assert os.path.exists(incomplete) or os.path.exists(partial) or not tried
    # a complete run of the same combination replaces the results and clears the leftovers
    complete_run(out, tmp_path)


# The mechanisms one by one, with processes that never write to the runner's pipe (so that
# nothing but them takes the processes down): a SIGKILL of the runner takes its pytest down
# (the parent-death signal), the rest of pytest's process group and the temporary directory
# (the guardian); an xdist worker dies with its controller (the parent-death signal, or the
# watchdog thread where there is none).
RUNNER = """
import subprocess, sys, time
from conformance import runner
children = runner.Children()
grandchild = "import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', " \\
    "'import time; time.sleep(60)']); open(sys.argv[1], 'w').write(str(p.pid)); time.sleep(60)"
children.popen([sys.executable, "-c", grandchild, sys.argv[1]])
print(children.work, children.process.pid, flush=True)
time.sleep(60)
"""

WORKER = """
import os, sys, time
from conformance import runner
if sys.argv[1] == "watchdog":
    runner.set_parent_death_signal = lambda *args: False
runner.die_with_parent(os.getppid(), "worker")
print("armed", flush=True)
time.sleep(60)
"""

CONTROLLER = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]], stdout=subprocess.PIPE,
                         text=True)
print(child.pid, child.stdout.readline().strip(), flush=True)
time.sleep(60)
"""


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def gone_within(pids, seconds):
    """The pids still alive after ``seconds`` (killed then, not to outlive a failed test)."""
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    left = [pid for pid in pids if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left


def helper(code, *argv, tmpdir):
    env = dict(os.environ, PYTHONPATH=ROOT, TMPDIR=str(tmpdir))
    return subprocess.Popen([sys.executable, "-c", code, *argv], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, text=True)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="scans /proc")
def test_a_killed_runner_takes_its_process_group_and_temporary_directory_along(tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    runner_process = helper(RUNNER, str(pidfile), tmpdir=tmpdir)
    work, child = runner_process.stdout.readline().split()
    deadline = time.monotonic() + 30
    while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    grandchild = int(pidfile.read_text())
    assert os.path.isdir(work) and alive(int(child)) and alive(grandchild)
    runner_process.kill()
    runner_process.wait()
    assert not gone_within([int(child), grandchild], 2.0)
    deadline = time.monotonic() + 2.0
    while os.path.exists(work) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not os.path.exists(work) and not list(tmpdir.iterdir())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="scans /proc")
@pytest.mark.parametrize("how", ["pdeathsig", "watchdog"])
def test_a_worker_dies_with_its_controller(tmp_path, how):
    controller = helper(CONTROLLER, WORKER, how, tmpdir=tmp_path)
    worker, armed = controller.stdout.readline().split()
    assert armed == "armed" and alive(int(worker))
    controller.kill()
    controller.wait()
    assert not gone_within([int(worker)], 2.0)
