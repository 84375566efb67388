"""Kill `conformance run` at random moments, then check what a CI maintainer relies on.

    python scripts/kill_check.py N [--seed S] [-k EXPR]

For each of N kill points: seed OUT with a complete result file from a first run, start a
rerun, send SIGINT, SIGTERM or SIGKILL after a random delay, and check that (1) no process of
the run is alive 2 s later, (2) no temporary directory of the run is left, (3) the complete
result file of the first run is byte-identical, (4) `report` says the results are incomplete
(exit 3) and (5) `compare` against the first run exits non-zero. Prints one line per kill
point and a summary; exit status 1 if any check failed.
"""
import argparse
import glob
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PYTHON = sys.executable
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)


def run_processes(marker):
    """pids of processes whose command line contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if marker.encode() in handle.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def conformance(*args, **kwargs):
    return subprocess.run([PYTHON, "-m", "conformance", *args], capture_output=True, text=True,
                          **kwargs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("points", type=int)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("-k", dest="keyword", default="forward or grad.first_order")
    parser.add_argument("--frameworks", default="refimpl,torch,chainer")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    root = tempfile.mkdtemp(prefix="kill-check-")
    first = os.path.join(root, "first")
    common = ["--frameworks", args.frameworks, "--profile", "dev", "--jobs", "2", "-k",
              args.keyword]
    result = conformance("run", *common, "--out", first)
    if result.returncode not in (0, 1):
        sys.exit(f"the first run failed: exit {result.returncode}\n{result.stderr[-2000:]}")
    complete = [p for p in glob.glob(os.path.join(first, "*.jsonl"))
                if not p.endswith((".incomplete.jsonl", ".partial.jsonl"))]
    failures = 0
    for point in range(args.points):
        out = os.path.join(root, f"kill-{point}")
        shutil.copytree(first, out)
        before = {path: open(os.path.join(out, os.path.basename(path)), "rb").read()
                  for path in complete}
        temp = os.path.join(root, f"tmp-{point}")  # the run's own TMPDIR: other runs on
        os.makedirs(temp)                              # the machine do not count as leaks
        delay = rng.uniform(0.3, 12.0)
        sig = rng.choice(SIGNALS)
        process = subprocess.Popen([PYTHON, "-m", "conformance", "run", *common, "--out", out],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   env={**os.environ, "TMPDIR": temp})
        time.sleep(delay)
        finished_first = process.poll() is not None
        if not finished_first:
            process.send_signal(sig)
        process.wait()
        time.sleep(2.0)
        problems = []
        alive = run_processes(out)
        if alive:
            problems.append(f"{len(alive)} process(es) alive 2 s later")
        leaked = os.listdir(temp)
        if leaked:
            problems.append(f"temporary directories left: {sorted(leaked)}")
        for path, data in before.items():
            if open(os.path.join(out, os.path.basename(path)), "rb").read() != data:
                problems.append(f"{os.path.basename(path)} changed")
        if "Traceback" in (process.stderr.read() if process.stderr else ""):
            problems.append("the runner printed a traceback")
        report = conformance("report", "--results", out, "--out", os.path.join(out, "index.html"))
        compare = conformance("compare", first, out)
        if finished_first:
            verdict = "finished before the signal"
        else:
            if report.returncode != 3:
                problems.append(f"report exit {report.returncode} (expected 3: incomplete)")
            html = open(os.path.join(out, "index.html"), encoding="utf-8").read()
            if "Incomplete results" not in html:
                problems.append("the page does not say incomplete")
            if compare.returncode == 0:
                problems.append("compare passed an incomplete run")
            verdict = (f"{signal.Signals(sig).name} after {delay:.1f}s: report {report.returncode}, "
                       f"compare {compare.returncode}")
        for text in (report.stderr, compare.stderr):
            if "Traceback" in text:
                problems.append("report/compare printed a traceback")
        failures += bool(problems)
        print(f"{point:3d} {verdict}: {'OK' if not problems else 'FAIL: ' + '; '.join(problems)}",
              flush=True)
        shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    print(f"{args.points} kill points, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
