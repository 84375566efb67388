"""Harness throughput: examples per second and cells per second, per area and per framework.

Runs ``python -m conformance run`` (the same cells, the same profile) and reads its result
file: wall time of the whole run, and per cell its examples and duration. ``--scale 1,2,4``
repeats the run with the profile's examples per cell multiplied (environment variable
``CONFORMANCE_EXAMPLES_SCALE``), to show how the cost grows; ``--against REV`` runs the same
command on a checkout of git revision REV (a temporary worktree) interleaved with this tree,
and prints the ratio of examples per second (this tree / REV), measured side by side, with
MET or MISSED against ``--target`` (issue 19: 2.0), and whether every cell has the same outcome
in both trees. ``--repeat N`` runs each tree N times, alternating which goes first, and takes
the median. Each run also reports the CPU seconds of its process tree (examples per CPU
second: less sensitive to other load than wall time) and the CPU other processes used
meanwhile ("other processes used X of N CPU cores"): on a shared machine compare the ratios of
one invocation, never figures of two.

    python scripts/benchmark_harness.py -k "forward or grad" --jobs 2
    python scripts/benchmark_harness.py --scale 1,2,4 -k forward
    python scripts/benchmark_harness.py --against HEAD~5 -k "accumulation" --repeat 3
"""
import argparse
import collections
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Load:
    """CPU seconds used meanwhile, from /proc/stat (Linux; else None): by this process's
    finished children (the run's process tree) and by every other process, in cores."""

    def __init__(self):
        self.start = self._sample()

    @staticmethod
    def _sample():
        times = os.times()
        own = times.user + times.system + times.children_user + times.children_system
        try:
            with open("/proc/stat") as stat:
                fields = [int(v) for v in stat.readline().split()[1:]]
        except (OSError, ValueError):
            return None, own, time.monotonic()
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK"), own, time.monotonic()

    def finish(self):
        """(CPU seconds of the run's process tree, other processes' cores or None)."""
        end = self._sample()
        own = end[1] - self.start[1]
        wall = end[2] - self.start[2]
        if self.start[0] is None or end[0] is None or wall <= 0:
            return own, None
        return own, max(0.0, (end[0] - self.start[0] - own) / wall)


def run(tree, args, scale, out):
    """(wall seconds, CPU seconds of its process tree, other processes' cores, cell records)
    of one conformance run in ``tree``."""
    env = dict(os.environ, SETUPTOOLS_USE_DISTUTILS="stdlib", CONFORMANCE_EXAMPLES_SCALE=str(scale),
               PYTHONPATH=tree)
    command = [sys.executable, "-m", "conformance", "run", "--frameworks", args.frameworks,
               "--profile", args.profile, "--jobs", str(args.jobs), "--out", out]
    if args.k:
        command += ["-k", args.k]
    load = Load()
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    cpu, other = load.finish()
    files = glob.glob(os.path.join(out, "*.jsonl"))
    if completed.returncode not in (0, 1) or not files:
        sys.exit(f"error: the run in {tree} exited {completed.returncode}:\n"
                 f"{completed.stdout[-2000:]}{completed.stderr[-2000:]}")
    cells = []
    for path in files:
        with open(path) as handle:
            cells += [r for r in map(json.loads, handle) if r.get("kind") == "cell"]
    return wall, cpu, other, cells


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


def show(title, wall, cpu, other, cells):
    """Print a run's figures; returns (examples per wall second, per CPU second)."""
    groups = summary(wall, cells)
    total = groups[("all", "all")]
    load = ("" if other is None else
            f"; other processes used {other:.2f} of {os.cpu_count()} CPU cores meanwhile")
    print(f"\n{title}: {total[0]} cells, {total[1]} examples in {wall:.1f} s wall: "
          f"{total[1] / wall:.1f} examples/s, {total[0] / wall:.2f} cells/s; "
          f"{cpu:.1f} CPU s: {total[1] / cpu:.1f} examples per CPU s{load}")
    print(f"  {'group':<28}{'cells':>7}{'examples':>10}{'cell s':>9}{'examples/s':>12}"
          f"{'cells/s':>9}")
    for (kind, name), (count, examples, seconds) in sorted(groups.items()):
        if kind == "all":
            continue
        rate = examples / seconds if seconds else float("nan")
        cell_rate = count / seconds if seconds else float("nan")
        print(f"  {kind + ' ' + name:<28}{count:>7}{examples:>10}{seconds:>9.1f}{rate:>12.1f}"
              f"{cell_rate:>9.2f}")
    return total[1] / wall, total[1] / cpu


KEY = ("property", "subject", "framework", "device", "dtype")


def outcomes(cells):
    return {tuple(cell[k] for k in KEY): cell["outcome"] for cell in cells}


def compare_outcomes(name, ours, theirs):
    """Print whether both trees ran the same cells with the same outcomes; returns True if so."""
    ours, theirs = outcomes(ours), outcomes(theirs)
    changed = sorted(k for k in set(ours) & set(theirs) if ours[k] != theirs[k])
    only_ours, only_theirs = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
    print(f"outcomes this tree vs {name}: {len(set(ours) & set(theirs)) - len(changed)} cells "
          f"the same, {len(changed)} changed, {len(only_ours)} only here, {len(only_theirs)} "
          f"only in {name}")
    for key in changed[:20]:
        print(f"  changed: {' '.join(key)}: {theirs[key]} -> {ours[key]}")
    for key in only_ours[:10]:
        print(f"  only here: {' '.join(key)} ({ours[key]})")
    for key in only_theirs[:10]:
        print(f"  only in {name}: {' '.join(key)} ({theirs[key]})")
    return not changed


def common_cell_rates(name, ours, theirs):
    """Examples per cell-second (summed cell durations: start-up, collection and idle workers
    left out) over the cells both trees ran, and their ratio: the per-example cost alone, on
    the same cells even where the trees' cell sets differ."""
    ours = {tuple(c[k] for k in KEY): c for c in ours}
    theirs = {tuple(c[k] for k in KEY): c for c in theirs}
    common = set(ours) & set(theirs)
    rates = []
    for cells in (ours, theirs):
        examples = sum(cells[k].get("examples") or 0 for k in common)
        seconds = sum(cells[k].get("duration_s") or 0.0 for k in common)
        rates.append((examples, seconds))
    (e1, s1), (e2, s2) = rates
    if s1 and s2:
        print(f"common cells ({len(common)}): examples per cell-second this tree "
              f"{e1 / s1:.1f} ({e1} in {s1:.1f} s), {name} {e2 / s2:.1f} ({e2} in {s2:.1f} s): "
              f"ratio {(e1 / s1) / (e2 / s2):.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", default="refimpl,torch,chainer")
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--jobs", default="2")
    parser.add_argument("-k", default=None, help="pytest -k expression on cell ids")
    parser.add_argument("--scale", default="1", help="comma-separated example multipliers")
    parser.add_argument("--against", default=None, help="git revision to compare with")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per tree and scale, alternating the order (median taken)")
    parser.add_argument("--target", type=float, default=2.0,
                        help="examples/s this tree / --against that counts as MET (default 2)")
    args = parser.parse_args(argv)
    try:
        scales = [float(s) for s in args.scale.split(",")]
    except ValueError:
        parser.error(f"--scale={args.scale!r}: expected numbers separated by commas")
    if args.repeat < 1:
        parser.error(f"--repeat={args.repeat}: expected a whole number >= 1")
    with tempfile.TemporaryDirectory() as work:
        other = None
        if args.against:
            other = os.path.join(work, "against")
            subprocess.run(["git", "worktree", "add", "--detach", other, args.against], cwd=ROOT,
                           check=True, capture_output=True)
        trees = [("this tree", ROOT)] + ([(args.against, other)] if other else [])
        try:
            rates, cpu_rates, loads, cells_of = {}, {}, [], {}
            for scale in scales:
                for repeat in range(args.repeat):
                    order = trees if repeat % 2 == 0 else trees[::-1]
                    for name, tree in order:
                        out = tempfile.mkdtemp(dir=work)
                        wall, cpu, load, cells = run(tree, args, scale, out)
                        rate, cpu_rate = show(f"{name}, examples x{scale:g}, run {repeat + 1}",
                                              wall, cpu, load, cells)
                        rates.setdefault((name, scale), []).append(rate)
                        cpu_rates.setdefault((name, scale), []).append(cpu_rate)
                        cells_of[(name, scale)] = cells
                        if load is not None:
                            loads.append(load)
            print()
            if loads:
                print(f"other processes used {min(loads):.2f} to {max(loads):.2f} of "
                      f"{os.cpu_count()} CPU cores during the runs")
            median = {key: statistics.median(values) for key, values in rates.items()}
            cpu_median = {key: statistics.median(values) for key, values in cpu_rates.items()}
            for scale in scales:
                if args.against:
                    ratio = median[("this tree", scale)] / median[(args.against, scale)]
                    cpu_ratio = cpu_median[("this tree", scale)] / cpu_median[(args.against, scale)]
                    status = "MET" if ratio >= args.target else "MISSED"
                    print(f"x{scale:g}: examples/s this tree / {args.against}: {ratio:.2f} "
                          f"({median[('this tree', scale)]:.1f} / "
                          f"{median[(args.against, scale)]:.1f}, median of {args.repeat}); "
                          f"examples per CPU s: {cpu_ratio:.2f}; target >= {args.target:g}: "
                          f"{status}")
                    compare_outcomes(args.against, cells_of[("this tree", scale)],
                                     cells_of[(args.against, scale)])
                    common_cell_rates(args.against, cells_of[("this tree", scale)],
                                      cells_of[(args.against, scale)])
            if len(scales) > 1:
                for name, _ in trees:
                    base = median[(name, scales[0])]
                    for scale in scales[1:]:
                        print(f"{name}: examples/s at x{scale:g} / x{scales[0]:g}: "
                              f"{median[(name, scale)] / base:.2f} (1.00: cost linear in "
                              f"examples; above 1: fixed costs amortised)")
        finally:
            if other is not None:
                subprocess.run(["git", "worktree", "remove", "--force", other], cwd=ROOT,
                               capture_output=True)


if __name__ == "__main__":
    main()
