"""Harness throughput: examples per second and cells per second, per area and per framework.

Runs ``python -m conformance run`` (the same cells, the same profile) and reads its result
file: wall time of the whole run, and per cell its examples and duration. ``--scale 1,2,4``
repeats the run with the profile's examples per cell multiplied (environment variable
``CONFORMANCE_EXAMPLES_SCALE``), to show how the cost grows; ``--against REV`` runs the same
command on a checkout of git revision REV (a temporary worktree) interleaved with this tree,
and prints the ratio of examples per second (this tree / REV), measured side by side.

    python scripts/benchmark_harness.py -k "forward or grad" --jobs 2
    python scripts/benchmark_harness.py --scale 1,2,4 -k forward
    python scripts/benchmark_harness.py --against HEAD~5 -k "accumulation"
"""
import argparse
import collections
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(tree, args, scale, out):
    """Wall seconds of one conformance run in ``tree``, and its cell records."""
    env = dict(os.environ, SETUPTOOLS_USE_DISTUTILS="stdlib", CONFORMANCE_EXAMPLES_SCALE=str(scale),
               PYTHONPATH=tree)
    command = [sys.executable, "-m", "conformance", "run", "--frameworks", args.frameworks,
               "--profile", args.profile, "--jobs", str(args.jobs), "--out", out]
    if args.k:
        command += ["-k", args.k]
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    files = glob.glob(os.path.join(out, "*.jsonl"))
    if completed.returncode not in (0, 1) or not files:
        sys.exit(f"error: the run in {tree} exited {completed.returncode}:\n"
                 f"{completed.stdout[-2000:]}{completed.stderr[-2000:]}")
    cells = []
    for path in files:
        with open(path) as handle:
            cells += [r for r in map(json.loads, handle) if r.get("kind") == "cell"]
    return wall, cells


def summary(wall, cells):
    """{(group kind, name): (cells, examples, summed cell seconds)} and the totals."""
    groups = collections.defaultdict(lambda: [0, 0, 0.0])
    for cell in cells:
        examples = cell.get("examples") or 0
        seconds = cell.get("duration_s") or 0.0
        for key in (("area", cell["property"].split(".")[0]), ("framework", cell["framework"]),
                    ("all", "all")):
            group = groups[key]
            group[0] += 1
            group[1] += examples
            group[2] += seconds
    return groups


def show(title, wall, cells):
    groups = summary(wall, cells)
    total = groups[("all", "all")]
    print(f"\n{title}: {total[0]} cells, {total[1]} examples in {wall:.1f} s wall: "
          f"{total[1] / wall:.1f} examples/s, {total[0] / wall:.2f} cells/s")
    print(f"  {'group':<28}{'cells':>7}{'examples':>10}{'cell s':>9}{'examples/s':>12}{'cells/s':>9}")
    for (kind, name), (count, examples, seconds) in sorted(groups.items()):
        if kind == "all":
            continue
        rate = examples / seconds if seconds else float("nan")
        cell_rate = count / seconds if seconds else float("nan")
        print(f"  {kind + ' ' + name:<28}{count:>7}{examples:>10}{seconds:>9.1f}{rate:>12.1f}"
              f"{cell_rate:>9.2f}")
    return total[1] / wall


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", default="refimpl,torch,chainer")
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--jobs", default="2")
    parser.add_argument("-k", default=None, help="pytest -k expression on cell ids")
    parser.add_argument("--scale", default="1", help="comma-separated example multipliers")
    parser.add_argument("--against", default=None, help="git revision to compare with")
    args = parser.parse_args(argv)
    try:
        scales = [float(s) for s in args.scale.split(",")]
    except ValueError:
        parser.error(f"--scale={args.scale!r}: expected numbers separated by commas")
    with tempfile.TemporaryDirectory() as work:
        other = None
        if args.against:
            other = os.path.join(work, "against")
            subprocess.run(["git", "worktree", "add", "--detach", other, args.against], cwd=ROOT,
                           check=True, capture_output=True)
        try:
            rates = {}
            for scale in scales:
                for name, tree in (("this tree", ROOT), (args.against, other)):
                    if tree is None:
                        continue
                    out = tempfile.mkdtemp(dir=work)
                    wall, cells = run(tree, args, scale, out)
                    rates[(name, scale)] = show(f"{name}, examples x{scale:g}", wall, cells)
            print()
            for scale in scales:
                if args.against:
                    ratio = rates[("this tree", scale)] / rates[(args.against, scale)]
                    print(f"x{scale:g}: examples/s this tree / {args.against}: {ratio:.2f}")
            if len(scales) > 1:
                base = rates[("this tree", scales[0])]
                for scale in scales[1:]:
                    print(f"examples/s at x{scale:g} / x{scales[0]:g}: "
                          f"{rates[('this tree', scale)] / base:.2f} (1.00: cost linear in examples)")
        finally:
            if other is not None:
                subprocess.run(["git", "worktree", "remove", "--force", other], cwd=ROOT,
                               capture_output=True)


if __name__ == "__main__":
    main()
