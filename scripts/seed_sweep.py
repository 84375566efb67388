"""Run the conformance suite at several hypothesis seeds and say whether any verdict depends on
the seed (issue 15's check): per seed the cells, passes, fails, skips, the failing cells that
are documented upstream defects (known issues) and the ones that are not (unexplained reds,
each listed with its message and repro input), then ``compare`` between consecutive seeds
(a regression between two seeds of unmodified frameworks is a false red of the harness).

    python scripts/seed_sweep.py --seeds 1,2,3 --profile thorough --out reports/seeds
    python scripts/seed_sweep.py --seeds 1-10 --profile dev --out /tmp/dev-seeds
    python scripts/seed_sweep.py --seeds 1,2,3 --out reports/seeds --summarize   # no runs

Each seed's results go to OUT/seed-S (a finished seed is not run again unless --rerun). Exit
status: 0 every run complete, no unexplained red, no regression between seeds; 1 otherwise;
2 a usage error. Run it with ``. scripts/env.sh`` sourced (chainer needs it).
"""
import argparse
import collections
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from conformance.report.compare import BROKEN, known_issue  # noqa: E402
from conformance.report.load import LoadError, find_files, load  # noqa: E402


def seeds_of(text):
    """'1,2,5-7' -> [1, 2, 5, 6, 7]; a clear error for anything else."""
    seeds = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--seeds: not a list of integers or ranges: {text!r}")
        if first < 0 or last < first:
            raise argparse.ArgumentTypeError(f"--seeds: bad range {part.strip()!r} in {text!r}")
        seeds.extend(range(first, last + 1))
    if not seeds:
        raise argparse.ArgumentTypeError(f"--seeds: no seed in {text!r}")
    return seeds


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=seeds_of, required=True, help="e.g. 1,2,3 or 1-10")
    parser.add_argument("--profile", default="thorough", choices=("dev", "ci", "thorough"))
    parser.add_argument("--frameworks", default="refimpl,torch,chainer")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--jobs", default="2", help="pytest workers per run (or 'auto')")
    parser.add_argument("-k", dest="keyword", help="only the cells this expression selects")
    parser.add_argument("--out", default=os.path.join("reports", "seeds"))
    parser.add_argument("--rerun", action="store_true", help="run seeds that already finished")
    parser.add_argument("--summarize", action="store_true", help="only read OUT/seed-S")
    return parser.parse_args(argv)


def seed_dir(args, seed):
    return os.path.join(args.out, f"seed-{seed}")


def finished(directory):
    """Whether ``directory`` holds a complete run (a ``*.jsonl`` that is not partial or
    incomplete)."""
    try:
        files = find_files(directory)
    except LoadError:
        return False
    return any(not f.endswith((".partial.jsonl", ".incomplete.jsonl")) for f in files)


def run_seed(args, seed):
    """Run one seed; returns (exit status, seconds)."""
    command = [sys.executable, "-m", "conformance", "run", "--frameworks", args.frameworks,
               "--device", args.device, "--profile", args.profile, "--seed", str(seed),
               "--jobs", str(args.jobs), "--out", seed_dir(args, seed)]
    if args.keyword:
        command += ["-k", args.keyword]
    print(f"seed {seed}: {' '.join(command[1:])}", flush=True)
    start = time.monotonic()
    completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    return completed.returncode, time.monotonic() - start


def summarize(directory):
    """(counts, known cells, unexplained red cells, completeness) of one seed's results."""
    results = load([directory])
    counts = collections.Counter(cell.get("outcome") for cell in results.cells)
    known, red = [], []
    for cell in results.cells:
        if cell.get("outcome") in BROKEN:
            (known if known_issue(cell) else red).append(cell)
    return counts, known, red, results.completeness()


def describe(cell):
    where = f"{cell.get('property')} {cell.get('subject')} [{cell.get('framework')} " \
            f"{cell.get('framework_version')}, {cell.get('dtype')}]"
    message = " ".join(str(cell.get("message") or "").split())
    return f"{cell.get('outcome')}: {where}\n      {message[:600]}"


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    ok = True
    if not args.summarize:
        for seed in args.seeds:
            if finished(seed_dir(args, seed)) and not args.rerun:
                print(f"seed {seed}: already run ({seed_dir(args, seed)}); --rerun runs it again")
                continue
            status, seconds = run_seed(args, seed)
            print(f"seed {seed}: exit {status} in {seconds:.0f} s", flush=True)
    print(f"\n{'seed':>6} {'cells':>6} {'pass':>6} {'fail':>5} {'error':>5} {'skip':>5} "
          f"{'known':>5} {'unexplained':>11}  run")
    present = []
    for seed in args.seeds:
        directory = seed_dir(args, seed)
        if not finished(directory):
            print(f"{seed:>6}  no complete run in {directory}")
            ok = False
            continue
        counts, known, red, completeness = summarize(directory)
        present.append(seed)
        ok = ok and not red and completeness == "complete"
        print(f"{seed:>6} {sum(counts.values()):>6} {counts['pass']:>6} {counts['fail']:>5} "
              f"{counts['error']:>5} {counts['skip']:>5} {len(known):>5} {len(red):>11}  "
              f"{completeness}")
        for cell in red:
            print("    unexplained " + describe(cell))
    for first, second in zip(present, present[1:]):
        completed = subprocess.run(
            [sys.executable, "-m", "conformance", "compare", seed_dir(args, first),
             seed_dir(args, second), "--limit", "10"], cwd=ROOT, capture_output=True, text=True)
        lines = [line for line in completed.stdout.splitlines() if line.strip()]
        print(f"\ncompare seed {first} -> seed {second}: exit {completed.returncode}")
        print("\n".join("    " + line for line in lines[:30]))
        ok = ok and completed.returncode == 0
    print("\nverdict:", "no verdict depends on the seed" if ok else "NOT clean (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
