"""``python -m conformance run``: run the property suites (pytest + hypothesis) and record cells.

    python -m conformance run --frameworks refimpl,torch,chainer --device cpu \\
        --profile dev --out reports/results [--jobs 2] [--list] [-k EXPR] [--seed N]

pytest runs in a subprocess (with pytest-xdist when ``--jobs`` > 1) with the plugin
``conformance.pytest_plugin``, which appends each finished cell to the result file. The
result file is ``OUT/properties-<framework>-<version>+...-<device>.jsonl``: one file per
combination of frameworks, versions and device, so several runs (one per tox env) can share
``reports/results/`` without clobbering each other. It holds the run header first (with a
``run_id``), then one line per cell, then the footer (``kind: footer``, ``status``
complete, interrupted or crashed, ``planned`` and ``finished`` cells).

A run writes ``NAME.partial.jsonl`` while it runs. Complete (every planned cell has a
result), it replaces ``NAME.jsonl`` and removes a stale ``NAME.incomplete.jsonl``.
Interrupted (SIGINT, SIGTERM) or crashed, it becomes ``NAME.incomplete.jsonl`` (header,
finished cells, footer) and ``NAME.jsonl``, the last complete run, is left untouched. A
runner killed outright (SIGKILL) leaves ``NAME.partial.jsonl`` with no footer.

A crash of the test process (even a segfault of an xdist worker) loses no finished cell: the
cell a process died running is written as an ``error`` cell with the reason; without xdist
the runner restarts pytest (up to 3 times) on the cells that never started; cells that never
ran are missing, and the run is crashed.

The runner owns its children: pytest runs in its own process group and dies with the runner
(``PR_SET_PDEATHSIG`` on Linux, as do the xdist workers); on SIGINT/SIGTERM the runner stops
the group (SIGTERM, then SIGKILL), writes the footer, removes its temporary directory and
exits 3; a small guardian process does the same cleanup if the runner is killed outright.
"""
import argparse
import collections
import contextlib
import ctypes
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from .recorder import SCHEMA, dumps, examples_scale, footer, header

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROPERTIES = os.path.join("conformance", "properties")
DEVICES = {"cpu": ("cpu",), "cuda": ("cuda",), "all": ("cpu", "cuda")}
PROFILES = ("dev", "ci", "thorough")
MAX_RESTARTS = 3
EXIT_GREEN, EXIT_FAILED, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
EXIT_STATUSES = """\
exit status:
  0  the run is complete and no cell failed or errored (documented known upstream
     defects, conformance/known_issues, do not count unless --strict)
  1  the run is complete and some cell failed or errored
  2  usage or input error: a bad flag or value, a -k expression that does not parse or
     selects no cell, an --out that cannot be created or written; nothing is recorded
  3  incomplete run: interrupted (SIGINT, SIGTERM) or crashed (pytest died, cells are
     missing); the finished cells are in NAME.incomplete.jsonl, NAME.jsonl is unchanged
"""


class UsageError(ValueError):
    """A bad command-line argument (the message names it and its value)."""


def add_parser(commands):
    parser = commands.add_parser(
        "run", help="run the property suites (hypothesis) and record cells",
        description=__doc__.split("\n\n")[0], epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frameworks", default=None,
                        help="comma-separated framework plugins (default: every registered "
                             "plugin whose framework is installed)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or all (default: cpu)")
    parser.add_argument("--profile", default="dev",
                        help="hypothesis profile: dev (seconds), ci (derandomized), thorough")
    parser.add_argument("--out", default=os.path.join("reports", "results"),
                        help="directory of the result file (default: reports/results)")
    parser.add_argument("--jobs", default="1", help="pytest-xdist workers, or 'auto': one per "
                                                    "usable core (default: 1: no xdist)")
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


def usable_cores():
    """The cores this process may run on (its CPU affinity; os.cpu_count() where there is none)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def validate(args):
    """(frameworks, devices, jobs, seed) from the parsed arguments, or UsageError."""
    frameworks = parse_frameworks(args.frameworks)
    if args.device not in DEVICES:
        raise UsageError(f"--device={args.device!r}: expected one of {', '.join(DEVICES)}")
    if args.profile not in PROFILES:
        raise UsageError(f"--profile={args.profile!r}: expected one of {', '.join(PROFILES)}")
    try:
        jobs = usable_cores() if args.jobs == "auto" else int(args.jobs)
    except ValueError:
        raise UsageError(f"--jobs={args.jobs!r}: expected a whole number >= 1 or 'auto'") from None
    if jobs < 1:
        raise UsageError(f"--jobs={args.jobs!r}: expected a whole number >= 1 or 'auto'")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out={args.out!r}: exists and is not a directory")
    check_keyword(args.keyword)
    try:
        examples_scale()
    except ValueError as error:
        raise UsageError(str(error)) from None
    seed = None
    if args.seed is not None:
        try:
            seed = int(args.seed)
        except ValueError:
            raise UsageError(f"--seed={args.seed!r}: expected an integer") from None
    return frameworks, DEVICES[args.device], jobs, seed


def check_keyword(keyword):
    """UsageError unless ``keyword`` parses as a pytest ``-k`` expression (checked before
    anything runs: pytest would report it as an error of every test)."""
    if keyword is None:
        return
    try:
        from _pytest.mark.expression import Expression
    except ImportError:  # pytest moved it; pytest itself then rejects the expression
        return
    try:
        Expression.compile(keyword)
    except Exception as error:  # SyntaxError (pytest >= 8.3) or ParseError (older)
        reason = getattr(error, "msg", None) or getattr(error, "message", None) or str(error)
        column = getattr(error, "offset", None) or getattr(error, "column", None)
        where = f" (column {column})" if column else ""
        raise UsageError(f"-k {keyword!r}: not a valid expression: {reason}{where}") from None


def prepare_out(out):
    """Create the --out directory and check that a file can be written there (UsageError)."""
    try:
        os.makedirs(out, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"--out={out!r}: exists and is not a directory") from None
    except OSError as error:
        raise UsageError(f"--out={out!r}: cannot create the directory: "
                         f"{error.strerror or error}") from None
    try:
        handle, probe = tempfile.mkstemp(prefix=".conformance-write-test-", dir=out)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise UsageError(f"--out={out!r}: cannot write there: {error.strerror or error}") from None


class ResultPaths:
    """The files of one combination in ``out``: ``final`` (the last complete run),
    ``partial`` (the run in progress; what a SIGKILL leaves) and ``incomplete`` (the last
    interrupted or crashed run)."""

    def __init__(self, out, name):
        stem = name[:-len(".jsonl")] if name.endswith(".jsonl") else name
        self.final = os.path.join(out, stem + ".jsonl")
        self.partial = os.path.join(out, stem + ".partial.jsonl")
        self.incomplete = os.path.join(out, stem + ".incomplete.jsonl")


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
               # its exit collects garbage several times (~1.5 s per process with torch loaded)
               "-p", "no:unraisableexception",
               "-o", "addopts=", "--rootdir", ROOT,
               f"--basetemp={os.path.join(work, 'basetemp')}",  # removed with work, not in /tmp
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
    env["CONFORMANCE_RUNNER_PID"] = str(os.getpid())  # the plugin: die with the runner
    return env


# --- owning the children ----------------------------------------------------------------

PR_SET_PDEATHSIG = 1


def _prctl():
    """libc's prctl (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def set_parent_death_signal(signum=signal.SIGKILL, prctl=None):
    """Have the kernel send ``signum`` to this process when its parent dies (Linux); returns
    whether it could. The parent is the thread that started this process."""
    prctl = prctl or _prctl()
    return bool(prctl) and prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0


def die_with_parent(parent_pid, what="process"):
    """Make this process die when ``parent_pid`` does: the parent-death signal on Linux,
    elsewhere a daemon thread that watches ``os.getppid()``. Already orphaned: die now."""
    if set_parent_death_signal(signal.SIGKILL):
        if os.getppid() != parent_pid:  # the parent died before the signal was armed
            os.kill(os.getpid(), signal.SIGKILL)
        return

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name=f"conformance-{what}-watchdog", daemon=True).start()


def _child_preexec(parent_pid):
    """preexec_fn of pytest: the parent-death signal (prctl is looked up before the fork)."""
    prctl = _prctl()

    def preexec():
        if set_parent_death_signal(signal.SIGKILL, prctl) and os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGKILL)
    return preexec


def group_alive(pgid):
    """Whether a live (not zombie) process is in process group ``pgid``."""
    if os.path.isdir("/proc/self"):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                return True
        return False
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_group(process, grace=1.0):
    """SIGTERM to the process group of ``process`` (its leader), SIGKILL to what is left after
    ``grace`` seconds; returns once no process of the group is alive (or after 3 s more)."""
    if process is None:
        return
    pgid = process.pid
    for signum, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 3.0)):
        try:
            os.killpg(pgid, signum)
        except (ProcessLookupError, PermissionError):
            pass
        deadline = time.monotonic() + wait
        while True:
            process.poll()  # reaps the leader once it died
            if process.returncode is not None and not group_alive(pgid):
                return
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)


# Run as ``python -I -S -c GUARDIAN WORK`` in its own session: it reads the process groups
# of the run's pytest processes from stdin, one a line; if stdin ends without "done" (the
# runner died without cleaning up, e.g. SIGKILL), it kills those groups and removes WORK.
GUARDIAN = r"""
import os, shutil, signal, sys, time
work, groups = sys.argv[1], []
while True:
    line = sys.stdin.readline()
    if not line or line.strip() == "done":
        break
    if line.strip().isdigit():
        groups.append(int(line))
if not line:
    for pgid in groups:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
    for attempt in range(100):
        shutil.rmtree(work, ignore_errors=True)
        if not os.path.exists(work):
            break
        time.sleep(0.02)
"""


class Children:
    """The run's child processes and its temporary directory ``work``: pytest in its own
    process group, dying with the runner, and a guardian that cleans up if the runner is
    killed outright."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="conformance-run-")
        self.process = None
        self.guardian = None
        try:
            self.guardian = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", GUARDIAN, self.work], stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                text=True)
        except OSError:
            pass  # no guardian: a SIGKILL of the runner then leaves the directory behind
        except BaseException:
            shutil.rmtree(self.work, ignore_errors=True)
            raise

    def _tell(self, line):
        if self.guardian is not None:
            try:
                self.guardian.stdin.write(line + "\n")
                self.guardian.stdin.flush()
            except (OSError, ValueError):
                pass

    def popen(self, command, **options):
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment(),
                                        start_new_session=True,
                                        preexec_fn=_child_preexec(os.getpid()), **options)
        self._tell(str(self.process.pid))
        return self.process

    def stop(self):
        """Stop the current pytest and everything in its process group."""
        if self.process is not None:
            stop_group(self.process)
            self.process = None

    def close(self):
        self.stop()
        self._tell("done")
        if self.guardian is not None:
            try:
                self.guardian.stdin.close()
            except OSError:
                pass
            try:
                self.guardian.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.guardian.kill()
                self.guardian.wait()
        remove_tree(self.work)


def remove_tree(path, attempts=20):
    """Remove ``path``, retrying while a dying child may still be writing into it."""
    for _ in range(attempts):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.exists(path):
            return
        time.sleep(0.1)


def _raise_interrupt(signum, frame):
    for name in (signal.SIGINT, signal.SIGTERM):  # the cleanup that follows is not interrupted
        signal.signal(name, signal.SIG_IGN)
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextlib.contextmanager
def signals_interrupt():
    """SIGINT and SIGTERM raise KeyboardInterrupt(signal name) inside the block (main thread
    only); the previous handlers are restored after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {name: signal.getsignal(name) for name in (signal.SIGINT, signal.SIGTERM)}
    for name in previous:
        signal.signal(name, _raise_interrupt)
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(name, handler if handler is not None else signal.SIG_DFL)


@contextlib.contextmanager
def signals_ignored():
    """SIGINT and SIGTERM are ignored inside the block (the last milliseconds of a run that
    has finished: its files are being put in place)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {name: signal.getsignal(name) for name in (signal.SIGINT, signal.SIGTERM)}
    for name in previous:
        signal.signal(name, signal.SIG_IGN)
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(name, handler if handler is not None else signal.SIG_DFL)


def run_pytest(children, command, log_path):
    """Run pytest, echoing its output and keeping it in ``log_path``; returns its status."""
    with open(log_path, "a", encoding="utf-8") as log:
        process = children.popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, bufsize=1)
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


def died_reason(marker, crash_status, lines):
    """Why a started cell has no result: its process died. ``marker`` is its last 'started'
    marker; one written for a hypothesis run shared with sibling cells (``shared_with``) says
    so, since the process may have died checking any of them (``conformance.siblings``)."""
    shared = marker.get("shared_with") or []
    return (f"the test process ({marker['worker']}, pid {marker['pid']}) died while running "
            f"this cell" + (f" or a sibling sharing its hypothesis run ({', '.join(shared)}; "
                            f"run each alone with -k to tell which)" if shared else "")
            + (f" (pytest {describe_status(crash_status)})" if crash_status else "")
            + (f": {' | '.join(lines)}" if lines else ""))


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

class RunState:
    """How far the run got, for the footer of an interrupted run."""

    def __init__(self):
        self.paths = None          # ResultPaths, once the partial file is being written
        self.header_written = False
        self.run_id = None
        self.work = None
        self.exit_status = None    # set once the run's files are in place


def main(args):
    try:
        frameworks, devices, jobs, seed = validate(args)
        if not args.list:
            prepare_out(args.out)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    state = RunState()
    children = None
    with signals_interrupt():
        try:
            versions = {name: installed_version(name) for name in frameworks}
            children = Children()
            state.work = children.work
            if args.list:
                return list_cells(frameworks, devices, args, children)
            return run(frameworks, devices, jobs, seed, versions, args, children, state)
        except KeyboardInterrupt as stop:
            with signals_ignored():
                if children is not None:
                    children.stop()
                return interrupted(state, stop.args[0] if stop.args else "SIGINT")
        finally:
            with signals_ignored():
                if children is not None:
                    children.close()


def interrupted(state, signame):
    """The footer and files of a run stopped by ``signame``; prints one line; exit status."""
    if state.exit_status is not None:  # it had finished: its files are in place
        return state.exit_status
    paths = state.paths
    if paths is None:
        print(f"interrupted ({signame}) before the run started; nothing recorded", file=sys.stderr)
        return EXIT_INCOMPLETE
    if not state.header_written:
        with contextlib.suppress(OSError):
            os.remove(paths.partial)
        print(f"interrupted ({signame}) before the run started; nothing recorded", file=sys.stderr)
        return EXIT_INCOMPLETE
    planned, finished = count_cells(state)
    kept = finish(state, "interrupted", planned, finished,
                  f"{signame} after {finished} of {planned} cells")
    print(f"interrupted ({signame}): {finished} of {planned} cells finished, kept in {kept}; "
          f"{previous_note(paths)}", file=sys.stderr)
    return EXIT_INCOMPLETE


def previous_note(paths):
    if os.path.exists(paths.final):
        return f"{paths.final} (the last complete run) is unchanged"
    return f"no complete run in {paths.final}"


def count_cells(state):
    """(planned, finished): cells collected, and collected cells with a result line."""
    planned = collected_cells(state.work) if state.work else {}
    finished = {r.get("nodeid") for r in read_records(state.paths.partial)
                if r.get("kind") == "cell"}
    if planned:
        finished &= set(planned)
    return len(planned), len(finished)


def finish(state, status, planned, finished, reason=None):
    """Append the footer to the partial file and put it in place: onto the result file when
    complete (removing a stale incomplete file), else onto the incomplete file. Returns the
    path written (None when the partial file could not be finished)."""
    paths = state.paths
    record = footer(state.run_id, status, planned, finished, reason)
    try:
        with open(paths.partial, "a+b") as handle:
            handle.seek(0, os.SEEK_END)
            ends_a_line = handle.tell() == 0
            if not ends_a_line:
                handle.seek(-1, os.SEEK_END)
                ends_a_line = handle.read(1) == b"\n"
            handle.write((b"" if ends_a_line else b"\n") + (dumps(record) + "\n").encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        target = paths.final if status == "complete" else paths.incomplete
        os.replace(paths.partial, target)
        if status == "complete" and os.path.exists(paths.incomplete):
            os.remove(paths.incomplete)
    except OSError as error:
        print(f"error: cannot finish {paths.partial}: {error}", file=sys.stderr)
        return None
    return target


def list_cells(frameworks, devices, args, children):
    command = pytest_command(frameworks, devices, args.profile, children.work, None, 1,
                             args.keyword, None, collect_only=True)
    process = children.popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = process.communicate()
    cells = collected_cells(children.work)
    if process.returncode not in (0, 5):
        print(stdout[-4000:], stderr[-4000:], file=sys.stderr)
        return EXIT_USAGE
    print(f"{'property':<30} {'subject':<22} {'framework':<9} {'device':<6} dtype")
    for cell in cells.values():
        print(f"{cell['property']:<30} {cell['subject']:<22} {cell['framework']:<9} "
              f"{cell['device']:<6} {cell['dtype']}")
    print(f"\n{len(cells)} cells")
    return EXIT_GREEN


def _write_header(path, record):
    """``path`` holding just the header ``record``, replaced atomically and synced."""
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(dumps(record) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(path + ".tmp", path)


def run(frameworks, devices, jobs, seed, versions, args, children, state):
    work = children.work
    paths = ResultPaths(args.out, result_name(frameworks, versions, args.device))
    log_path = os.path.join(work, "pytest.log")
    if seed is None and args.profile != "ci":
        seed = random.randrange(2 ** 32)
    # The partial file exists from the first moment, so a run stopped while the frameworks
    # load (seconds) is still seen as an incomplete run; the full header replaces this one
    # (device models need the adapters) before any cell is written.
    record = header(args.profile, versions, suite="properties", jobs=jobs, keyword=args.keyword)
    state.paths, state.run_id = paths, record["run_id"]
    _write_header(paths.partial, record)
    state.header_written = True
    record["devices"] = device_header(frameworks, devices)
    record["seed"] = seed if args.profile != "ci" else "derandomized"
    cpu = record["devices"].get("cpu") or next(iter(record["devices"].values()))
    record["device_model"] = cpu.get("model")
    record["driver"] = cpu.get("driver")
    _write_header(paths.partial, record)
    results = paths.partial
    started_at = time.perf_counter()
    only = None
    status = 0
    crash_status = None  # the status of the first run that died
    for attempt in range(MAX_RESTARTS + 1):
        command = pytest_command(frameworks, devices, args.profile, work, results, jobs,
                                 args.keyword, seed, only=only)
        status = run_pytest(children, command, log_path)
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
    with signals_ignored():  # pytest is done: put the files in place
        state.exit_status = conclude(state, versions, args, status, crash_status, log_path,
                                     time.perf_counter() - started_at)
        return state.exit_status


def conclude(state, versions, args, status, crash_status, log_path, elapsed):
    """Error cells for the cells whose process died running them, the footer, the files in
    place, the summary; returns the exit status."""
    paths, work = state.paths, state.work
    cells = collected_cells(work)
    if not cells:
        log = open(log_path, encoding="utf-8", errors="replace").read()[-4000:] \
            if os.path.exists(log_path) else ""
        if status == 5:  # nothing selected: the user's -k, not a crash
            with contextlib.suppress(OSError):
                os.remove(paths.partial)
            what = f"-k {args.keyword!r} selects no cell" if args.keyword else \
                "pytest collected no cell"
            print(f"error: {what}; nothing recorded", file=sys.stderr)
            return EXIT_USAGE
        kept = finish(state, "crashed", 0, 0, f"pytest collected no cell ({describe_status(status)})")
        print(f"{log}\nincomplete run (crashed): pytest collected no cell "
              f"({describe_status(status)}); kept in {kept}; {previous_note(paths)}",
              file=sys.stderr)
        return EXIT_INCOMPLETE
    finished = {r.get("nodeid") for r in read_records(paths.partial) if r.get("kind") == "cell"}
    started = started_nodeids(work)
    missing = []
    with open(paths.partial, "a", encoding="utf-8") as handle:
        for nodeid, cell in cells.items():
            if nodeid in finished:
                continue
            if nodeid not in started:
                missing.append(nodeid)
                continue
            handle.write(dumps(error_cell(cell, versions, died_reason(
                started[nodeid], crash_status, crash_lines(log_path, nodeid)))) + "\n")
    records = read_records(paths.partial)
    planned = len(cells)
    done = len({r.get("nodeid") for r in records if r.get("kind") == "cell"} & set(cells))
    if missing:
        reason = (f"pytest {describe_status(crash_status if crash_status else status)}; "
                  f"{len(missing)} of {planned} cells never ran")
        kept = finish(state, "crashed", planned, done, reason)
        summarize(records, started, elapsed, kept, args.strict)
        print(f"incomplete run (crashed): {reason}; kept in {kept}; {previous_note(paths)}",
              file=sys.stderr)
        return EXIT_INCOMPLETE
    kept = finish(state, "complete", planned, done)
    if kept is None:
        return EXIT_INCOMPLETE
    return summarize(records, started, elapsed, kept, args.strict)
