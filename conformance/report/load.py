"""Reading result files: JSON lines of headers and cells, tolerant of crashed runs.

A result file holds one JSON object per line: header records (``"kind": "header"``), one per
run, and cells (``"kind": "cell"``, or no kind). Everything but the cell key may be missing;
a truncated last line (a run that crashed while writing) is skipped with a warning. A file
in which no line is a result record is bad input (``LoadError``).
"""
import dataclasses
import json
import os

OUTCOMES = ("pass", "fail", "error", "skip")
KEY_FIELDS = ("property", "subject", "framework", "framework_version", "device", "dtype")
NUMBER_FIELDS = ("max_abs_err", "max_rel_err", "atol", "rtol", "duration_s")
COUNT_FIELDS = ("examples", "failures")


class LoadError(ValueError):
    """Bad input: a path that does not exist, or a file that is not JSON lines of results."""


@dataclasses.dataclass
class Run:
    """One run: its header record (empty for cells written before any header)."""

    index: int
    source: str
    line: int
    header: dict

    @property
    def started_at(self):
        return str(self.header.get("started_at") or "")

    def label(self):
        """A short name: the file's base name and the header's start time."""
        name = os.path.basename(self.source)
        return f"{name} ({self.started_at})" if self.started_at else name


@dataclasses.dataclass
class Results:
    """Everything read from a set of files: runs, cells (in reading order) and warnings."""

    files: list = dataclasses.field(default_factory=list)
    runs: list = dataclasses.field(default_factory=list)
    cells: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)

    def run_of(self, cell):
        return self.runs[cell["_run"]]


def cell_key(cell):
    """The identity of a cell: (property, subject, framework, framework_version, device, dtype)."""
    return tuple(cell.get(name) for name in KEY_FIELDS)


def key_text(key):
    """``property[subject] framework version device dtype`` for messages."""
    prop, subject, framework, version, device, dtype = key
    return f"{prop}[{subject}] {framework} {version or '?'} {device or '?'} {dtype or '?'}"


def find_files(path, argument="--results"):
    """The JSONL files ``path`` names: itself, or every ``*.jsonl`` under a directory (sorted)."""
    if not os.path.exists(path):
        raise LoadError(f"{argument}: {path!r} does not exist")
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise LoadError(f"{argument}: {path!r} is neither a file nor a directory")
    found = []
    for root, dirs, names in os.walk(path):
        dirs.sort()
        found.extend(os.path.join(root, name) for name in sorted(names) if name.endswith(".jsonl"))
    if not found:
        raise LoadError(f"{argument}: {path!r} holds no .jsonl result files")
    return found


def load(paths, argument="--results"):
    """Read every file or directory in ``paths`` into one ``Results``."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    results = Results()
    for path in paths:
        for file in find_files(os.fspath(path), argument):
            read_file(file, results, argument)
    return results


def read_file(path, results, argument="--results"):
    """Add the runs and cells of one file to ``results``."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise LoadError(f"{argument}: cannot read {path!r}: {error.strerror or error}") from None
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    ends_cleanly = text.endswith("\n")
    records = 0
    bad = []
    run = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            last = number == len(lines) and not ends_cleanly
            bad.append((number, "truncated last line (an interrupted run?)" if last
                        else f"not JSON ({error.msg})"))
            continue
        if not isinstance(record, dict):
            bad.append((number, f"a JSON {type(record).__name__}, not an object"))
            continue
        kind = record.get("kind")
        if kind == "header":
            run = Run(len(results.runs), path, number, record)
            results.runs.append(run)
            records += 1
        elif kind == "cell" or (kind is None and ("outcome" in record or "property" in record)):
            if run is None:
                run = Run(len(results.runs), path, 0, {})
                results.runs.append(run)
            results.cells.append(normalise(record, path, number, run.index))
            records += 1
        elif kind is None:
            bad.append((number, "an object with neither 'kind' nor 'outcome'/'property'"))
        else:
            records += 1   # a record kind this reader does not show (future schema)
    if records == 0 and bad:
        number, why = bad[0]
        raise LoadError(f"{argument}: {path!r} is not a JSONL result file (line {number}: {why})")
    results.files.append(path)
    for number, why in bad:
        results.warnings.append(f"{path}:{number}: skipped: {why}")


def _number(value):
    """A float from a number or the recorder's strings for non-finite values; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)   # the recorder writes NaN and infinities as strings
        except ValueError:
            return None
    return None


def _text(value):
    """``value`` as display text (None stays None)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def normalise(record, source="", line=0, run=0):
    """A cell with every field present: key fields as strings (None where missing), outcome
    one of OUTCOMES (an unknown outcome becomes 'error', the original kept in
    ``raw_outcome``), numbers as floats or None, and where it came from (``_source``,
    ``_line``, ``_run``)."""
    cell = dict(record)
    for name in KEY_FIELDS:
        value = record.get(name)
        cell[name] = None if value is None else str(value)
    if cell["property"] is None:
        cell["property"] = "(no property)"
    if cell["subject"] is None:
        cell["subject"] = "(no subject)"
    if cell["framework"] is None:
        cell["framework"] = "(no framework)"
    outcome = str(record.get("outcome") or "").strip().lower()
    if outcome not in OUTCOMES:
        cell["raw_outcome"] = record.get("outcome")
        outcome = "error"
        note = f"unknown outcome {record.get('outcome')!r} in the result file"
        cell["message"] = f"{note}; {_text(record.get('message'))}" if record.get("message") else note
    cell["outcome"] = outcome
    for name in NUMBER_FIELDS:
        cell[name] = _number(record.get(name))
    for name in COUNT_FIELDS:
        value = record.get(name)
        cell[name] = value if isinstance(value, int) and not isinstance(value, bool) else None
    for name in ("message", "repro", "reproduce_blob"):
        if name in cell:
            cell[name] = _text(cell[name])
        else:
            cell[name] = None
    fields = record.get("policy_fields")
    cell["policy_fields"] = [str(f) for f in fields] if isinstance(fields, (list, tuple)) else []
    cell["_source"], cell["_line"], cell["_run"] = source, line, run
    return cell


def latest(results):
    """One cell per key: the one from the latest run (header ``started_at``, then reading
    order). Each kept cell lists the others it replaced in ``_superseded``."""
    def order(cell):
        return (results.runs[cell["_run"]].started_at, cell["_run"], cell["_line"])

    chosen = {}
    for cell in sorted(results.cells, key=order):
        key = cell_key(cell)
        earlier = chosen.get(key)
        kept = dict(cell)
        kept["_superseded"] = []
        if earlier is not None:
            kept["_superseded"] = earlier["_superseded"] + [
                {"source": earlier["_source"], "line": earlier["_line"], "outcome": earlier["outcome"]}]
        chosen[key] = kept
    return list(chosen.values())
