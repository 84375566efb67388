"""Fuzz ``conformance report`` and ``compare`` with N mutated result files.

Each file is real lines of tests/report/data/semantics.jsonl, mutated byte-wise and
structurally (truncations, flipped bytes, lone surrogates, bidi controls, huge integers,
NaN/Infinity, deep nesting, invalid UTF-8, unknown schema versions and kinds, footers), or
random bytes (tests/report/report_fuzz.py). Each goes through ``report`` (all four outputs)
and ``compare`` both ways against the real file. Prints the exit statuses counted per
command, the tracebacks seen (must be 0) and the empty or truncated outputs (must be 0);
exits 1 when either is not 0.

    .venv/bin/python scripts/fuzz_report.py [N] [--seed S] [--jobs J] [--keep DIR]
"""
import argparse
import collections
import concurrent.futures
import os
import random
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "report"))

from report_fuzz import check_file, mutated_file  # noqa: E402


def one(seed):
    """(seed, findings) for the file of ``seed``."""
    data = mutated_file(random.Random(seed))
    with tempfile.TemporaryDirectory(prefix="fuzz-report-") as directory:
        return seed, check_file(data, directory), data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=1000, help="files to try (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="the first file's seed (file i: seed + i)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", metavar="DIR", help="write each failing file here")
    args = parser.parse_args(argv)
    os.environ.setdefault("SETUPTOOLS_USE_DISTUTILS", "stdlib")
    started = time.perf_counter()
    statuses = {name: collections.Counter() for name in ("report", "compare_new", "compare_base")}
    tracebacks = truncated = 0
    failing = []
    seeds = range(args.seed, args.seed + args.n)
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for seed, found, data in pool.map(one, seeds, chunksize=8):
            for name in statuses:
                statuses[name][found[name]] += 1
            problems = found["problems"]
            tracebacks += sum(1 for p in problems if "traceback" in p.split("\n", 1)[0])
            truncated += sum(1 for p in problems if "traceback" not in p.split("\n", 1)[0])
            if problems:
                failing.append((seed, problems))
                if args.keep:
                    os.makedirs(args.keep, exist_ok=True)
                    with open(os.path.join(args.keep, f"fuzz-{seed}.jsonl"), "wb") as handle:
                        handle.write(data)
    print(f"{args.n} mutated result files (seeds {args.seed}..{args.seed + args.n - 1}), "
          f"{time.perf_counter() - started:.1f} s")
    labels = {"report": "report", "compare_new": "compare REAL FILE", "compare_base": "compare FILE REAL"}
    for name, counts in statuses.items():
        print(f"  {labels[name]:<18} exit " + ", ".join(f"{status}: {count}" for status, count in sorted(
            counts.items(), key=lambda item: (item[0] is None, item[0] or 0))))
    print(f"tracebacks: {tracebacks}")
    print(f"empty, truncated or unreadable outputs: {truncated}")
    for seed, problems in failing[:10]:
        print(f"--- seed {seed}:")
        for problem in problems:
            print("  " + problem.replace("\n", "\n  ")[:3000])
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
