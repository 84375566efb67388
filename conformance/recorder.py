"""Result records: one JSON object per line, a header first, each line flushed as written, and
a footer (``kind: footer``) last when the run ended: ``status`` complete, interrupted or
crashed. A run killed outright (SIGKILL, power loss) leaves no footer: readers treat a run
without one as incomplete. ``conformance-result/1`` files (no footer, no run id) are legacy."""
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import uuid

import numpy

from . import frameworks as framework_plugins

SCHEMA = "conformance-result/2"
STATUSES = ("complete", "interrupted", "crashed")


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _jsonable(value):
    """``value`` with NaN/infinities as strings and NumPy scalars/arrays as Python values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, numpy.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, numpy.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def dumps(record):
    return json.dumps(_jsonable(record), allow_nan=False, sort_keys=False)


def harness_commit():
    """(commit, dirty) of the git checkout holding this package, or (None, None)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
        status = subprocess.run(["git", "-C", root, "status", "--porcelain"], capture_output=True,
                                text=True, check=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, bool(status.strip())


def examples_scale():
    """The factor on every profile's examples per cell: ``CONFORMANCE_EXAMPLES_SCALE`` (a
    positive number; 1 when unset), for throughput benchmarks (scripts/benchmark_harness.py).
    A run records it in its header (``examples_scale``). ValueError for anything else."""
    text = os.environ.get("CONFORMANCE_EXAMPLES_SCALE", "1")
    try:
        scale = float(text)
    except ValueError:
        scale = 0.0
    if not scale > 0 or scale != scale or scale == float("inf"):
        raise ValueError(f"CONFORMANCE_EXAMPLES_SCALE={text!r}: expected a positive number")
    return scale


def header(profile, frameworks, **extra):
    """The header record of a run; ``frameworks`` maps name -> version (or None: unavailable).
    ``run_id`` (new for each run) pairs it with its footer; ``planned`` is the number of cells
    the run will write when known at header time, else None (the footer has it)."""
    commit, dirty = harness_commit()
    record = {
        "schema": SCHEMA,
        "kind": "header",
        "run_id": uuid.uuid4().hex,
        "planned": None,
        "harness_commit": commit,
        "harness_dirty": dirty,
        "profile": profile,
        "examples_scale": examples_scale(),
        "seed": None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "frameworks": dict(frameworks),
        "reference": framework_plugins.reference().name,
        "numpy": numpy.__version__,
        "device_model": "cpu",
        "driver": None,
        "started_at": now(),
        "argv": list(sys.argv),
    }
    record.update(extra)
    return record


def footer(run_id, status, planned, finished, reason=None):
    """The terminal record of run ``run_id``: ``status`` is complete (every planned cell has a
    result line), interrupted (SIGINT/SIGTERM) or crashed (the test process died, or cells are
    missing); ``planned`` and ``finished`` count cells; ``reason`` says why it is not complete."""
    if status not in STATUSES:
        raise ValueError(f"footer status {status!r}: expected one of {', '.join(STATUSES)}")
    return {"schema": SCHEMA, "kind": "footer", "run_id": run_id, "status": status,
            "planned": int(planned), "finished": int(finished), "ended_at": now(),
            "reason": reason}


class Recorder:
    """Writes records to ``path`` as JSON lines, flushing after each one.

    ``append=False`` starts the file afresh; ``append=True`` adds this run (its own header
    first) after whatever the file holds. ``path=None`` keeps records in memory only.
    """

    def __init__(self, path=None, append=False):
        self.path = path
        self.records = []
        self._file = None
        if path is not None:
            directory = os.path.dirname(os.path.abspath(path))
            os.makedirs(directory, exist_ok=True)
            self._file = open(path, "a" if append else "w", encoding="utf-8")

    def write(self, record):
        self.records.append(record)
        if self._file is not None:
            self._file.write(dumps(record) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
