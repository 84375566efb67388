"""``python -m conformance run``: run the property suites (pytest + hypothesis) and record cells.

    python -m conformance run --frameworks refimpl,torch,chainer --device cpu \\
        --profile dev --out reports/results [--jobs 2] [--list] [-k EXPR] [--seed N]

pytest runs in a subprocess (with pytest-xdist when ``--jobs`` > 1) with the plugin
``conformance.pytest_plugin``, which appends each finished cell to the result file. The
result file is ``OUT/properties-<framework>-<version>+...-<device>.jsonl``: one file per
combination of frameworks, versions and device, so several runs (one per tox env) can share
``reports/results/`` without clobbering each other, and a rerun of the same combination
replaces its own file. It holds the run header first, then one line per cell.

A crash of the test process (even a segfault of an xdist worker) loses no finished cell: the
cells that never finished are written as ``error`` cells with the reason; without xdist the
runner restarts pytest (up to 3 times) on the cells that never started.

Exit status: 0 when no cell failed or errored (failing cells that are documented known
upstream defects, ``conformance/known_issues``, do not count unless ``--strict``); 1
otherwise; 2 for bad arguments.
"""
import argparse
import collections
import glob
import importlib.metadata
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

from .recorder import SCHEMA, dumps, header

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROPERTIES = os.path.join("conformance", "properties")
DEVICES = {"cpu": ("cpu",), "cuda": ("cuda",), "all": ("cpu", "cuda")}
PROFILES = ("dev", "ci", "thorough")
MAX_RESTARTS = 3


class UsageError(ValueError):
    """A bad command-line argument (the message names it and its value)."""


def add_parser(commands):
    parser = commands.add_parser(
        "run", help="run the property suites (hypothesis) and record cells",
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frameworks", default=None,
                        help="comma-separated framework plugins (default: every registered "
                             "plugin whose framework is installed)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or all (default: cpu)")
    parser.add_argument("--profile", default="dev",
                        help="hypothesis profile: dev (seconds), ci (derandomized), thorough")
    parser.add_argument("--out", default=os.path.join("reports", "results"),
                        help="directory of the result file (default: reports/results)")
    parser.add_argument("--jobs", default="1", help="pytest-xdist workers (default: 1: no xdist)")
    parser.add_argument("--list", action="store_true", help="print the cells and exit")
    parser.add_argument("-k", dest="keyword", default=None, help="pytest -k expression on cell ids")
    parser.add_argument("--seed", default=None, help="hypothesis seed (default: random; "
                                                     "the ci profile is derandomized)")
    parser.add_argument("--strict", action="store_true",
                        help="known upstream defects count as failures for the exit status")
    parser.set_defaults(handler=main)


# --- arguments ------------------------------------------------------------------------------

def parse_frameworks(text):
    """The framework names of ``--frameworks`` (None: the usable plugins)."""
    from . import frameworks
    if text is None:
        return frameworks.usable()
    known = frameworks.names()
    names = [name.strip() for name in str(text).split(",") if name.strip()]
    if not names:
        raise UsageError(f"--frameworks={text!r} names no framework; known: {', '.join(known)}")
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(f"--frameworks={text!r}: unknown framework {unknown[0]!r}; known: "
                         f"{', '.join(known)}")
    if len(set(names)) != len(names):
        raise UsageError(f"--frameworks={text!r} repeats a framework")
    return names


def validate(args):
    """(frameworks, devices, jobs, seed) from the parsed arguments, or UsageError."""
    frameworks = parse_frameworks(args.frameworks)
    if args.device not in DEVICES:
        raise UsageError(f"--device={args.device!r}: expected one of {', '.join(DEVICES)}")
    if args.profile not in PROFILES:
        raise UsageError(f"--profile={args.profile!r}: expected one of {', '.join(PROFILES)}")
    try:
        jobs = int(args.jobs)
    except ValueError:
        raise UsageError(f"--jobs={args.jobs!r}: expected a whole number >= 1") from None
    if jobs < 1:
        raise UsageError(f"--jobs={args.jobs!r}: expected a whole number >= 1")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out={args.out!r} exists and is not a directory")
    seed = None
    if args.seed is not None:
        try:
            seed = int(args.seed)
        except ValueError:
            raise UsageError(f"--seed={args.seed!r}: expected an integer") from None
    return frameworks, DEVICES[args.device], jobs, seed


# --- versions, file name, header ---------------------------------------------------------

def installed_version(framework):
    """The installed version of ``framework`` without importing it (None: not installed)."""
    from . import frameworks
    return frameworks.get(framework).installed_version()


def result_name(frameworks, versions, device):
    parts = [f"{name}-{versions[name] or 'unavailable'}" for name in frameworks]
    return f"properties-{'+'.join(parts)}-{device}.jsonl"


def device_header(frameworks, devices):
    """{device: {'model', 'driver'}} from the first framework that has the device, or
    {device: {'unavailable': reasons}}."""
    from .harness import Session
    session = Session(frameworks, devices)
    info = {}
    for device in devices:
        reasons = []
        for framework in frameworks:
            adapter = session.adapter(framework)
            reason = adapter if isinstance(adapter, str) else adapter.device_reason(device)
            if reason is None:
                info[device] = adapter.device_info(device)
                break
            reasons.append(reason)
        else:
            info[device] = {"unavailable": "; ".join(reasons)}
    return info


# --- running pytest -------------------------------------------------------------------------

def pytest_command(frameworks, devices, profile, work, results, jobs, keyword, seed, only=None,
                   collect_only=False):
    command = [sys.executable, "-m", "pytest", "-p", "conformance.pytest_plugin", PROPERTIES,
               "-q", "--no-header", "-p", "no:cacheprovider", "-p", "no:warnings",
               "-o", "addopts=", "--rootdir", ROOT,
               f"--conformance-frameworks={','.join(frameworks)}",
               f"--conformance-devices={','.join(devices)}",
               f"--conformance-profile={profile}",
               f"--conformance-collected={os.path.join(work, 'collected')}",
               f"--conformance-progress={os.path.join(work, 'progress.jsonl')}"]
    if results:
        command.append(f"--conformance-results={results}")
    if seed is not None:
        command.append(f"--hypothesis-seed={seed}")
    if keyword:
        command += ["-k", keyword]
    if only:
        command.append(f"--conformance-only={only}")
    if collect_only:
        command.append("--collect-only")
    elif jobs > 1:
        command += ["-n", str(jobs), "--dist", "worksteal"]
    return command


def environment():
    env = dict(os.environ)
    env.setdefault("SETUPTOOLS_USE_DISTUTILS", "stdlib")
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONWARNINGS"] = "ignore"
    # Arrays here hold at most a few dozen elements: intra-op threads only add overhead, and
    # with --jobs N every worker's thread pool would compete for the same cores.
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(name, "1")
    return env


def run_pytest(command, log_path):
    """Run pytest, echoing its output and keeping it in ``log_path``; returns its status."""
    with open(log_path, "a", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment(), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, bufsize=1)
        for line in process.stdout:
            log.write(line)
            sys.stdout.write(line)
            sys.stdout.flush()
        return process.wait()


def collected_cells(work):
    """{nodeid: cell dict} from every process's collected list."""
    cells = {}
    for path in sorted(glob.glob(os.path.join(work, "collected", "*.json"))):
        with open(path, encoding="utf-8") as handle:
            for cell in json.load(handle):
                cells[cell["nodeid"]] = cell
    return cells


def read_records(path):
    records = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if line:
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError:
                        pass  # a line cut short by a crash
    return records


def started_nodeids(work):
    started = {}
    path = os.path.join(work, "progress.jsonl")
    for record in read_records(path):
        started[record["started"]] = record
    return started


def crash_lines(log_path, nodeid):
    """Lines of the pytest log that mention a crash while running ``nodeid``."""
    if not os.path.exists(log_path):
        return []
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        return [line.strip() for line in handle
                if ("crashed" in line or "Fatal Python error" in line) and
                (nodeid in line or "Fatal" in line)][:3]


def error_cell(cell, versions, reason):
    return {"schema": SCHEMA, "kind": "cell",
            **{k: cell[k] for k in ("property", "subject", "framework", "device", "dtype")},
            "framework_version": versions.get(cell["framework"]), "outcome": "error",
            "examples": 0, "failures": 0, "max_abs_err": None, "max_rel_err": None,
            "atol": None, "rtol": None, "message": reason, "repro": None,
            "reproduce_blob": None, "duration_s": 0.0, "nodeid": cell["nodeid"]}


def describe_status(status):
    if status < 0:
        try:
            import signal
            return f"killed by signal {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"


# --- summary -----------------------------------------------------------------------------

def area_of(record):
    prop = record["property"]
    if prop.startswith("semantics."):
        return "semantics"
    return prop.split(".")[0]


def summarize(records, started, elapsed, results, strict):
    """Print the summary; returns the exit status."""
    cells = [r for r in records if r.get("kind") == "cell"]
    outcomes = collections.Counter(r["outcome"] for r in cells)
    print(f"\n{len(cells)} cells in {elapsed:.1f} s: " +
          ", ".join(f"{outcomes.get(k, 0)} {k}" for k in ("pass", "fail", "error", "skip")))
    per_framework = collections.defaultdict(collections.Counter)
    for record in cells:
        per_framework[(record["framework"], record.get("framework_version"))][record["outcome"]] += 1
    for (framework, version), counts in sorted(per_framework.items(), key=lambda kv: kv[0][0]):
        print(f"  {framework} {version or '(unavailable)'}: " +
              ", ".join(f"{counts.get(k, 0)} {k}" for k in ("pass", "fail", "error", "skip")))
    print("\nexamples per second per area (examples / summed cell duration):")
    areas = collections.defaultdict(lambda: [0, 0.0, 0])
    for record in cells:
        if record["outcome"] == "skip":
            continue
        area = areas[area_of(record)]
        area[0] += record.get("examples") or 0
        area[1] += record.get("duration_s") or 0.0
        area[2] += 1
    for name, (examples, duration, count) in sorted(areas.items()):
        rate = examples / duration if duration else 0.0
        print(f"  {name:<18} {count:5d} cells {examples:7d} examples {duration:8.1f} s "
              f"{rate:8.1f} examples/s")
    skipped = collections.Counter(r.get("message") or "(no reason)" for r in cells
                                  if r["outcome"] == "skip")
    if skipped:
        print("\nskipped (cells: reason):")
        for reason, count in skipped.most_common():
            print(f"  {count:4d}: {reason[:300]}")
    known = [r for r in cells if r["outcome"] == "fail" and r.get("known_issue")]
    unexpected = [r for r in cells if r["outcome"] in ("fail", "error")
                  and (strict or not r.get("known_issue"))]
    if known:
        print(f"\nknown upstream defects ({len(known)} cells):")
        for record in known:
            print(f"  {record['property']} {record['subject']} [{record['framework']} "
                  f"{record['framework_version']}, {record['device']}, {record['dtype']}]: "
                  f"{record['known_issue']['link']}")
    if unexpected:
        print(f"\nfailures and errors ({len(unexpected)} cells):")
        for record in unexpected[:40]:
            print(f"- {record['property']} {record['subject']} [{record['framework']} "
                  f"{record.get('framework_version')}, {record['device']}, {record['dtype']}] "
                  f"{record['outcome'].upper()}: {(record.get('message') or '')[:500]}")
        if len(unexpected) > 40:
            print(f"  ... and {len(unexpected) - 40} more (see {results})")
    print(f"\nresults: {results}")
    return 1 if unexpected else 0


# --- the command -----------------------------------------------------------------------------

def main(args):
    try:
        frameworks, devices, jobs, seed = validate(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    versions = {name: installed_version(name) for name in frameworks}
    work = tempfile.mkdtemp(prefix="conformance-run-")
    try:
        if args.list:
            return list_cells(frameworks, devices, args, work)
        return run(frameworks, devices, jobs, seed, versions, args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def list_cells(frameworks, devices, args, work):
    command = pytest_command(frameworks, devices, args.profile, work, None, 1, args.keyword,
                             None, collect_only=True)
    completed = subprocess.run(command, cwd=ROOT, env=environment(), capture_output=True,
                               text=True)
    cells = collected_cells(work)
    if completed.returncode not in (0, 5):
        print(completed.stdout[-4000:], completed.stderr[-4000:], file=sys.stderr)
        return 2
    print(f"{'property':<30} {'subject':<22} {'framework':<9} {'device':<6} dtype")
    for cell in cells.values():
        print(f"{cell['property']:<30} {cell['subject']:<22} {cell['framework']:<9} "
              f"{cell['device']:<6} {cell['dtype']}")
    print(f"\n{len(cells)} cells")
    return 0


def run(frameworks, devices, jobs, seed, versions, args, work):
    os.makedirs(args.out, exist_ok=True)
    device_name = args.device
    results = os.path.join(args.out, result_name(frameworks, versions, device_name))
    log_path = os.path.join(work, "pytest.log")
    if seed is None and args.profile != "ci":
        seed = random.randrange(2 ** 32)
    record = header(args.profile, versions, suite="properties", jobs=jobs, keyword=args.keyword,
                    devices=device_header(frameworks, devices))
    record["seed"] = seed if args.profile != "ci" else "derandomized"
    cpu = record["devices"].get("cpu") or next(iter(record["devices"].values()))
    record["device_model"] = cpu.get("model")
    record["driver"] = cpu.get("driver")
    with open(results, "w", encoding="utf-8") as handle:
        handle.write(dumps(record) + "\n")
    started_at = time.perf_counter()
    only = None
    status = 0
    crash_status = None  # the status of the first run that died
    for attempt in range(MAX_RESTARTS + 1):
        command = pytest_command(frameworks, devices, args.profile, work, results, jobs,
                                 args.keyword, seed, only=only)
        status = run_pytest(command, log_path)
        if status not in (0, 1, 5) and crash_status is None:
            crash_status = status
        if status in (0, 1, 5):  # all ran (some may have failed), or nothing collected
            break
        if status in (2, 3, 4):  # interrupted, internal error, usage error: do not retry
            break
        finished = {r.get("nodeid") for r in read_records(results)}
        started = started_nodeids(work)
        remaining = [nodeid for nodeid in collected_cells(work)
                     if nodeid not in finished and nodeid not in started]
        if jobs > 1 or not remaining or attempt == MAX_RESTARTS:
            break
        only = os.path.join(work, f"only-{attempt}.txt")
        with open(only, "w", encoding="utf-8") as handle:
            handle.write("\n".join(remaining))
        print(f"\npytest {describe_status(status)}; restarting on the {len(remaining)} cells "
              f"that never started", flush=True)
    cells = collected_cells(work)
    if not cells:
        print(f"error: pytest collected no cell ({describe_status(status)}); log:\n"
              + open(log_path, encoding="utf-8", errors="replace").read()[-4000:], file=sys.stderr)
        return 2
    finished = {r.get("nodeid") for r in read_records(results)}
    started = started_nodeids(work)
    with open(results, "a", encoding="utf-8") as handle:
        for nodeid, cell in cells.items():
            if nodeid in finished:
                continue
            if nodeid in started:
                lines = crash_lines(log_path, nodeid)
                reason = (f"the test process ({started[nodeid]['worker']}, pid "
                          f"{started[nodeid]['pid']}) died while running this cell"
                          + (f" (pytest {describe_status(crash_status)})" if crash_status else "")
                          + (f": {' | '.join(lines)}" if lines else ""))
            else:
                reason = (f"never ran: the test process died before reaching it (pytest "
                          f"{describe_status(crash_status if crash_status else status)})")
            handle.write(dumps(error_cell(cell, versions, reason)) + "\n")
    records = read_records(results)
    return summarize(records, started, time.perf_counter() - started_at, results, args.strict)
