"""CTRF JSON (Common Test Report Format, https://ctrf.io): one test per cell.

Statuses: pass -> passed, fail -> failed, error -> failed (``rawStatus`` keeps 'error' so a
gate on failed tests also stops on errors), skip -> skipped. Durations are milliseconds.
"""
import datetime
import json
import math
import secrets
from importlib import metadata

from .junit import details, testcase_name
from .model import area_of

STATUS = {"pass": "passed", "fail": "failed", "error": "failed", "skip": "skipped"}
TOOL = "autograd-conformance"
SPEC_VERSION = "0.0.0"


def _millis(iso_text):
    try:
        moment = datetime.datetime.fromisoformat(str(iso_text))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return int(moment.timestamp() * 1000)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _ms(seconds):
    """Whole milliseconds of a duration in seconds; 0 where it is missing or not finite."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return 0
    value = float(seconds) * 1000
    return round(value) if math.isfinite(value) else 0


def _tool_version():
    try:
        return metadata.version(TOOL)
    except metadata.PackageNotFoundError:   # a source checkout, not installed
        return None


def test_entry(cell):
    entry = {
        "name": f"{testcase_name(cell)} [{cell['framework']} {cell['framework_version'] or '?'} "
                f"{cell['device'] or '?'}]",
        "status": STATUS[cell["outcome"]],
        "duration": _ms(cell["duration_s"]),
        "rawStatus": str(cell.get("raw_outcome") or cell["outcome"]),
        "suite": [f"{cell['framework']} {cell['framework_version'] or '?'} {cell['device'] or '?'}",
                  area_of(cell["property"])],
        "filePath": cell["_source"],
        "tags": [cell["framework"], str(cell["device"]), area_of(cell["property"])],
        "labels": {name: str(cell[name]) for name in
                   ("property", "subject", "framework", "framework_version", "device", "dtype")
                   if cell[name] is not None},
    }
    if cell.get("message"):
        entry["message"] = cell["message"]
    if cell["outcome"] in ("fail", "error"):
        entry["trace"] = details(cell)
    if cell.get("repro"):
        entry["snippet"] = cell["repro"]
    extra = {name: cell[name] for name in ("examples", "failures", "max_abs_err", "max_rel_err",
                                           "atol", "rtol", "reproduce_blob", "semantics")
             if cell.get(name) is not None}
    if extra:
        entry["extra"] = extra
    return entry


def _ordered(cells):
    return sorted(cells, key=lambda c: (c["framework"], str(c["framework_version"]), str(c["device"]),
                                        c["property"], c["subject"], str(c["dtype"])))


def build(analysis, tests=None):
    """The CTRF document; ``tests`` replaces the list of tests (``chunks`` streams them)."""
    cells = analysis.cells
    statuses = [STATUS[cell["outcome"]] for cell in cells]
    counts = {status: statuses.count(status) for status in ("passed", "failed", "skipped", "pending", "other")}
    if tests is None:
        tests = [test_entry(cell) for cell in _ordered(cells)]
    starts = [m for m in (_millis(run.header.get("started_at")) for run in analysis.runs) if m]
    stop = _millis(analysis.generated_at) or 0
    start = min(starts) if starts else stop
    duration = _ms(sum(cell["duration_s"] or 0.0 for cell in cells))
    tool = {"name": TOOL}
    version = _tool_version()
    if version:
        tool["version"] = version
    commits = sorted({str(run.header["harness_commit"]) for run in analysis.runs
                      if run.header.get("harness_commit")})
    environment = {"reportName": "autograd conformance",
                   "extra": {"completeness": analysis.results.completeness(),
                             "runs": [{"source": run.source, "status": run.status, "planned": run.planned,
                                       "finished": run.finished, **{k: run.header.get(k) for k in (
                                           "started_at", "profile", "python", "platform", "frameworks",
                                           "device_model", "driver", "harness_commit")}}
                                      for run in analysis.runs]}}
    if len(commits) == 1:
        environment["commit"] = commits[0]
    return {
        "reportFormat": "CTRF",
        "specVersion": SPEC_VERSION,
        "timestamp": analysis.generated_at,
        "generatedBy": TOOL,
        "results": {
            "tool": tool,
            "summary": {"tests": len(cells), **counts, "start": start, "stop": stop,
                        "duration": duration,
                        "suites": len({(c["framework"], c["framework_version"], c["device"]) for c in cells})},
            "tests": tests,
            "environment": environment,
        },
    }


def render(analysis):
    return "".join(chunks(analysis))


def chunks(analysis):
    """The CTRF JSON as strings, one test at a time (a large run's document is never held
    whole). Compact: CTRF files of full runs are large, and json's C encoder only runs
    without indent."""
    from .summary import _clean
    token = f"@@ctrf-tests-{secrets.token_hex(8)}"
    head, tail = json.dumps(_clean(build(analysis, tests=token)), separators=(",", ":"),
                            allow_nan=False).split(json.dumps(token), 1)
    yield head + "["
    for index, cell in enumerate(_ordered(analysis.cells)):
        text = json.dumps(_clean(test_entry(cell)), separators=(",", ":"), allow_nan=False)
        yield text if index == 0 else "," + text
    yield "]" + tail + "\n"
