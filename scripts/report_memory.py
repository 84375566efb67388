"""Peak memory of ``conformance report`` and ``compare`` on a large result file.

Builds a result file of about SIZE_MB megabytes (default 30) from the real lines of
``reports/baseline/*.jsonl``, repeated with varied subjects (so every cell is distinct), then
runs ``python -m conformance report`` (all four outputs) and ``compare`` on it in child
processes and prints each one's peak resident memory (``ru_maxrss`` of the child) and time.

    .venv/bin/python scripts/report_memory.py [SIZE_MB] [--keep DIR]

Exits 1 when a child fails or its peak exceeds --limit-mb (default 300).
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build(path, size_mb):
    """Write about ``size_mb`` MB of real cell lines with varied subjects; return the count."""
    lines = []
    header = None
    for source in sorted(glob.glob(os.path.join(ROOT, "reports", "baseline", "*.jsonl"))):
        with open(source, encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record.get("kind") == "header":
                    header = header or record
                elif record.get("kind", "cell") == "cell":
                    lines.append(record)
    target = size_mb * 1024 * 1024
    written = cells = 0
    with open(path, "w", encoding="utf-8") as out:
        if header is not None:
            text = json.dumps(header) + "\n"
            out.write(text)
            written += len(text)
        copy = 0
        while written < target:
            for record in lines:
                varied = dict(record, subject=f"{record.get('subject')}~{copy}")
                text = json.dumps(varied) + "\n"
                out.write(text)
                written += len(text)
                cells += 1
                if written >= target:
                    break
            copy += 1
    return cells


def measure(argv):
    """Run ``argv`` in a child; return (exit status, its peak RSS in MiB, seconds, stderr)."""
    started = time.perf_counter()
    env = dict(os.environ, SETUPTOOLS_USE_DISTUTILS="stdlib")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)   # this child's own rusage
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return child.returncode, usage.ru_maxrss / 1024, seconds, stderr   # ru_maxrss: KiB on Linux


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size_mb", nargs="?", type=int, default=30)
    parser.add_argument("--limit-mb", type=float, default=300.0)
    parser.add_argument("--keep", metavar="DIR", help="write the file and outputs here and keep them")
    args = parser.parse_args(argv)
    directory = args.keep or tempfile.mkdtemp(prefix="report-memory-")
    os.makedirs(directory, exist_ok=True)
    results = os.path.join(directory, "big.jsonl")
    cells = build(results, args.size_mb)
    print(f"{results}: {os.path.getsize(results) / 1024 / 1024:.1f} MiB, {cells} cells")
    python = sys.executable
    failed = False
    for name, command in (
            ("report", [python, "-m", "conformance", "report", "--results", results, "--no-baseline",
                        "--out", os.path.join(directory, "index.html"),
                        "--json", os.path.join(directory, "summary.json"),
                        "--junit", os.path.join(directory, "junit.xml"),
                        "--ctrf", os.path.join(directory, "ctrf.json")]),
            ("compare", [python, "-m", "conformance", "compare", results, results,
                         "--json", os.path.join(directory, "compare.json")])):
        status, peak, seconds, stderr = measure(command)
        if status not in (0, 1):
            sys.stderr.write(stderr[-3000:])
        ok = status in (0, 1) and peak <= args.limit_mb
        failed |= not ok
        print(f"{name}: exit {status}, peak RSS {peak:.0f} MiB (limit {args.limit_mb:.0f}), {seconds:.1f} s"
              f"{'' if ok else '  <-- FAIL'}")
    for name in ("index.html", "summary.json", "junit.xml", "ctrf.json", "compare.json"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            print(f"  {name}: {os.path.getsize(path) / 1024 / 1024:.1f} MiB")
    if not args.keep:
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
        os.rmdir(directory)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
