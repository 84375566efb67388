"""Reading result files: JSON lines of headers, cells and footers, validated, streamed.

A result file holds one JSON object per line: per run a header (``"kind": "header"``), its
cells (``"kind": "cell"``) and, from ``conformance-result/2`` on, a terminal footer
(``"kind": "footer"``: complete, interrupted or crashed, planned and finished cells). Each
line is validated against the schema of its version and kind (``schemas``); a line that is
not JSON, not valid, of an unknown schema version or of an unknown kind is skipped, counted
and listed with its file and line (``Results.skipped``, ``Results.warnings``): never silently.
Any byte sequence is read without an exception: invalid UTF-8, lone surrogates, integers too
long for Python, deep nesting, NaN and Infinity literals, lines too long to hold.

Lines are streamed (a file is never held whole): a cell keeps its fields, not its text.

Completeness of each run (``Run.status``): ``complete``, ``interrupted`` or ``crashed`` from
its footer; a ``/2`` run without a footer is ``crashed`` (killed before it could write one);
a run in a file named ``*.incomplete.jsonl`` or ``*.partial.jsonl`` is incomplete whatever it
says; a legacy ``/1`` run is ``unknown``. A file in which no line is a result record (of
any version) is bad input (``LoadError``).
"""
import collections
import dataclasses
import glob
import json
import math
import os
import re
import sys

from . import schemas

OUTCOMES = ("pass", "fail", "error", "skip")
KEY_FIELDS = schemas.KEY_FIELDS
NUMBER_FIELDS = schemas.NUMBER_FIELDS
COUNT_FIELDS = ("examples", "failures")
STATUSES = ("complete", "interrupted", "crashed", "unknown")
INCOMPLETE = ("interrupted", "crashed")
INCOMPLETE_SUFFIXES = (".incomplete.jsonl", ".partial.jsonl")
# Fields ``compare`` needs; ``load(..., slim=True)`` keeps only these (large runs, two sides).
SLIM_FIELDS = frozenset(KEY_FIELDS + ("outcome", "raw_outcome", "message", "known_issue", "schema",
                                      "kind", "run_id"))
MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 32
MAX_INT_DIGITS = 1000
MAX_LISTED = 1000            # skipped lines kept with their reason; all are counted
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_INTERNED = frozenset(KEY_FIELDS + ("outcome", "schema", "kind", "semantics", "tolerance_reason"))


class LoadError(ValueError):
    """Bad input: a path that does not exist, or a file that is not JSON lines of results."""


@dataclasses.dataclass
class Run:
    """One run: its header record (empty for cells written before any header), its footer
    (``/2`` runs that finished writing), and how many cells were read for it."""

    index: int
    source: str
    line: int
    header: dict
    schema: str = ""
    footer: dict = None
    footer_line: int = 0
    cells: int = 0
    incomplete_name: bool = False     # the file name marks an incomplete run

    @property
    def started_at(self):
        return str(self.header.get("started_at") or "")

    @property
    def run_id(self):
        value = self.header.get("run_id")
        return value if isinstance(value, str) else None

    @property
    def status(self):
        """complete, interrupted, crashed or unknown (legacy records have no footer)."""
        status = self.footer.get("status") if self.footer else None
        if self.incomplete_name and status not in INCOMPLETE:
            return "interrupted" if status == "complete" else "crashed"
        if status:
            return status
        return "crashed" if self.schema == schemas.V2 else "unknown"

    @property
    def complete(self):
        return self.status == "complete"

    @property
    def planned(self):
        for record in (self.footer or {}, self.header):
            if isinstance(record.get("planned"), int):
                return record["planned"]
        return None

    @property
    def finished(self):
        if self.footer and isinstance(self.footer.get("finished"), int):
            return self.footer["finished"]
        return self.cells

    @property
    def reason(self):
        """Why the run is incomplete or unknown, in words (None for a complete run)."""
        status = self.status
        if status == "complete":
            return None
        if status == "unknown":
            return f"legacy {self.schema or 'result'} records have no footer"
        notes = []
        if self.footer and self.footer.get("reason"):
            notes.append(str(self.footer["reason"]))
        if self.incomplete_name:
            notes.append(f"the file name marks an incomplete run ({os.path.basename(self.source)})")
        if not self.footer:
            notes.append("no footer record: the run was killed or crashed before it finished")
        return "; ".join(notes) or status

    def progress(self):
        """``finished 32 of 818 planned cells`` (or ``of an unknown number``)."""
        planned = self.planned
        return (f"finished {self.finished} of {planned} planned cell(s)" if planned is not None
                else f"finished {self.finished} cell(s) of an unknown number planned")

    def label(self):
        """A short name: the file's base name and the header's start time."""
        name = os.path.basename(self.source)
        return f"{name} ({self.started_at})" if self.started_at else name

    def describe(self):
        """One line: the run, its status, its progress and why."""
        if self.status == "unknown":
            return f"{self.label()}: completeness unknown, {self.cells} cell(s) read ({self.reason})"
        text = f"{self.label()}: {self.status}"
        if self.status != "complete":
            text += f", {self.progress()}"
            if self.reason:
                text += f" ({self.reason})"
        return text


@dataclasses.dataclass
class Skipped:
    source: str
    line: int
    category: str       # not_json, truncated, too_long, not_object, invalid, unknown_schema, unknown_kind, ...
    why: str

    def __str__(self):
        return f"{self.source}:{self.line}: skipped: {self.why}"


@dataclasses.dataclass
class Results:
    """Everything read from a set of files: runs, cells (in reading order), skipped lines and
    warnings (``warnings`` holds one line of text per skipped line and per other note)."""

    files: list = dataclasses.field(default_factory=list)
    runs: list = dataclasses.field(default_factory=list)
    cells: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)
    skipped: list = dataclasses.field(default_factory=list)       # first MAX_LISTED Skipped
    skipped_counts: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    warning_count: int = 0

    def run_of(self, cell):
        return self.runs[cell["_run"]]

    @property
    def skipped_total(self):
        return sum(self.skipped_counts.values())

    def skip(self, source, line, category, why):
        self.skipped_counts[category] += 1
        if len(self.skipped) < MAX_LISTED:
            entry = Skipped(source, line, category, why)
            self.skipped.append(entry)
            self.warn(str(entry))
        else:
            self.warning_count += 1

    def warn(self, text):
        self.warning_count += 1
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append(text)

    def incomplete_runs(self):
        return [run for run in self.runs if run.status in INCOMPLETE]

    def unknown_runs(self):
        return [run for run in self.runs if run.status == "unknown"]

    def completeness(self):
        """The worst status of the runs: crashed, interrupted, unknown, complete (or unknown
        when there is no run)."""
        statuses = {run.status for run in self.runs}
        for status in ("crashed", "interrupted", "unknown"):
            if status in statuses:
                return status
        return "complete" if statuses else "unknown"


def cell_key(cell):
    """The identity of a cell: (property, subject, framework, framework_version, device, dtype)."""
    return tuple(cell.get(name) for name in KEY_FIELDS)


def key_text(key):
    """``property[subject] framework version device dtype`` for messages."""
    prop, subject, framework, version, device, dtype = key
    return f"{prop}[{subject}] {framework} {version or '?'} {device or '?'} {dtype or '?'}"


def find_files(path, argument="--results"):
    """The JSONL files ``path`` names: itself, every ``*.jsonl`` under a directory (sorted), or,
    for a path that does not exist but is a glob pattern (``*``, ``?``, ``[``; ``**`` spans
    directories), what the pattern matches: each file, and each directory's ``*.jsonl``
    files, in sorted order."""
    try:
        exists, is_file, is_dir = os.path.exists(path), os.path.isfile(path), os.path.isdir(path)
    except (OSError, ValueError) as error:   # e.g. an embedded NUL
        raise LoadError(f"{argument}: {path!r} is not a usable path: {error}") from None
    if not exists and glob.has_magic(path):
        return _glob_files(path, argument)
    if not exists:
        raise LoadError(f"{argument}: {path!r} does not exist")
    if is_file:
        return [path]
    if not is_dir:
        raise LoadError(f"{argument}: {path!r} is neither a file nor a directory")
    found = []
    for root, dirs, names in os.walk(path):
        dirs.sort()
        found.extend(os.path.join(root, name) for name in sorted(names)   # regular files: no FIFO
                     if name.endswith(".jsonl") and os.path.isfile(os.path.join(root, name)))
    if not found:
        raise LoadError(f"{argument}: {path!r} holds no .jsonl result files")
    return found


def _glob_files(pattern, argument):
    matches = sorted(glob.glob(pattern, recursive=True))
    if not matches:
        raise LoadError(f"{argument}: {pattern!r} matches no file")
    found = []
    for match in matches:
        for file in find_files(match, argument):
            if file not in found:       # '**' matches a directory and the files under it
                found.append(file)
    return found


def load(paths, argument="--results", slim=False):
    """Read every file or directory in ``paths`` into one ``Results``. ``slim`` keeps only the
    fields ``compare`` needs (``SLIM_FIELDS``)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    results = Results()
    for path in paths:
        for file in find_files(os.fspath(path), argument):
            read_file(file, results, argument, slim=slim)
    return results


def _parse_int(text):
    if len(text) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits (more than {MAX_INT_DIGITS})")
    return int(text)


def _shape_problem(value):
    """Why ``value`` is too deep to handle (None when it is not), without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return None


def _clean_text(value):
    """Strings that UTF-8 can hold: a lone surrogate becomes its visible escape (``\\ud800``)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_clean_text(k): _clean_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_text(v) for v in value]
    return value


def _lines(handle):
    """(number, bytes or None when the line is too long, ends with a newline) per line."""
    number = 0
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            ended = raw.endswith(b"\n")
            while not ended:                     # skip the rest of the line, a piece at a time
                more = handle.readline(MAX_LINE_BYTES)
                ended = not more or more.endswith(b"\n")
            yield number, None, True
            continue
        yield number, raw, raw.endswith(b"\n")


def parse_line(raw, first=False):
    """(record, None, note) or (None, (category, why), None) for one line's bytes; ``note``
    says what was mended (invalid UTF-8), else None."""
    note = None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text, note = raw.decode("utf-8", errors="replace"), "invalid UTF-8 bytes shown as U+FFFD"
    if first:
        text = text.lstrip("\ufeff")
    try:
        record = json.loads(text, parse_int=_parse_int)
    except RecursionError:
        return None, ("not_json", "not JSON that can be read (nested too deeply)"), None
    except ValueError as error:      # JSONDecodeError, or _parse_int's
        why = getattr(error, "msg", None) or str(error)
        return None, ("not_json", f"not JSON ({_clip(why, 160)})"), None
    if not isinstance(record, dict):
        return None, ("not_object", f"a JSON {type(record).__name__}, not an object"), None
    problem = _shape_problem(record)
    if problem:
        return None, ("invalid", f"a record {problem}"), None
    if _SURROGATE_ESCAPE.search(text):
        record = _clean_text(record)
    return record, None, note


def _clip(text, limit):
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _version_of(record):
    """(schema, kind, problem): the version and kind a record claims, resolved."""
    schema = record.get("schema")
    kind = record.get("kind")
    if schema is None:   # legacy lines without a schema: cells as /1 when they look like one
        if kind is None and not ("outcome" in record or "property" in record):
            return None, None, ("invalid", "an object with neither 'schema'/'kind' nor 'outcome'/'property'")
        schema = schemas.V1
    if not isinstance(schema, str) or not schema.startswith(schemas.PREFIX):
        return None, None, ("invalid", f"not a conformance result record (schema {_clip(repr(schema), 80)})")
    if schema not in schemas.KINDS:
        return None, None, ("unknown_schema", f"unknown schema version {_clip(repr(schema), 80)} "
                                              f"(this report reads {', '.join(schemas.KINDS)})")
    if kind is None and schema == schemas.V1:
        kind = "cell"
    if kind not in schemas.KINDS[schema]:
        return None, None, ("unknown_kind", f"unknown record kind {_clip(repr(kind), 80)} for {schema} "
                                            f"(known: {', '.join(schemas.KINDS[schema])})")
    return schema, kind, None


def read_file(path, results, argument="--results", slim=False):
    """Add the runs and cells of one file to ``results``."""
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise LoadError(f"{argument}: cannot read {path!r}: {error.strerror or error}") from None
    incomplete_name = os.path.basename(path).endswith(INCOMPLETE_SUFFIXES)
    records = 0
    bad = []            # (number, category, why): the first MAX_LISTED skipped lines
    more_bad = collections.Counter()    # categories of the skipped lines past those
    run = None
    first_run = len(results.runs)
    by_id = {}
    try:
        with handle:
            for number, raw, ended in _lines(handle):
                if len(bad) > MAX_LISTED:
                    more_bad[bad.pop()[1]] += 1
                if raw is None:
                    bad.append((number, "too_long", f"a line longer than {MAX_LINE_BYTES} bytes"))
                    continue
                if not raw.strip():
                    continue
                record, problem, note = parse_line(raw, first=number == 1)
                if problem is None:
                    schema, kind, problem = _version_of(record)
                if problem is None:
                    records += 1   # a result record (maybe invalid): the file is a result file
                    why = schemas.problem(schema, kind, record)
                    if why:
                        problem = ("invalid", f"invalid {schema} {kind} record: {why}")
                if problem is not None:
                    category, why = problem
                    if category == "not_json" and not ended:
                        category, why = "truncated", "truncated last line (an interrupted run?)"
                    elif category in ("unknown_schema", "unknown_kind"):
                        records += 1
                    bad.append((number, category, why))
                    continue
                if note:
                    results.warn(f"{path}:{number}: {note}")
                if kind == "header":
                    run = Run(len(results.runs), path, number, record, schema=schema,
                              incomplete_name=incomplete_name)
                    results.runs.append(run)
                    if run.run_id:
                        by_id.setdefault(run.run_id, run)
                elif kind == "footer":
                    target = by_id.get(record["run_id"])
                    if target is None:
                        bad.append((number, "orphan_footer", f"a footer for run {record['run_id']!r}, "
                                                             f"which has no header in this file"))
                    elif target.footer is not None:
                        bad.append((number, "orphan_footer", f"a second footer for run {record['run_id']!r} "
                                                             f"(the first is line {target.footer_line})"))
                    else:
                        target.footer, target.footer_line = record, number
                else:
                    owner = run
                    if isinstance(record.get("run_id"), str) and record["run_id"] in by_id:
                        owner = by_id[record["run_id"]]
                    if owner is None:
                        owner = run = Run(len(results.runs), path, 0, {}, schema=schema,
                                          incomplete_name=incomplete_name)
                        results.runs.append(run)
                    if owner.footer is not None:
                        results.warn(f"{path}:{number}: a cell after the footer of its run "
                                     f"(line {owner.footer_line})")
                    owner.cells += 1
                    results.cells.append(normalise(record, path, number, owner.index, slim=slim,
                                                   warn=results.warn))
    except OSError as error:
        raise LoadError(f"{argument}: cannot read {path!r}: {error.strerror or error}") from None
    if records == 0 and bad:
        number, _, why = bad[0]
        raise LoadError(f"{argument}: {path!r} is not a JSONL result file (line {number}: {why})")
    if incomplete_name and len(results.runs) == first_run:   # a run that died before its header
        results.runs.append(Run(len(results.runs), path, 0, {}, schema="", incomplete_name=True))
    results.files.append(path)
    for number, category, why in bad:
        results.skip(path, number, category, why)
    for category, count in more_bad.items():
        results.skipped_counts[category] += count
        results.warning_count += count
    for run in results.runs[first_run:]:
        if run.footer and run.status == "complete" and run.cells < run.finished:
            results.warn(f"{path}:{run.footer_line}: the footer counts {run.finished} finished cells, "
                         f"{run.cells} were read")


def _number(value):
    """A float from a number or the recorder's strings for non-finite values; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:   # an integer beyond the range of a float
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        try:
            return float(value)   # the recorder writes NaN and infinities as strings
        except ValueError:
            return None
    return None


def _shared_keys(value):
    """``value`` with the keys of its nested objects interned (``oracles`` and the like repeat
    the same few keys in every cell of a large run). Depth is bounded by ``MAX_DEPTH``."""
    if isinstance(value, dict):
        return {sys.intern(k): _shared_keys(v) for k, v in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], (dict, list)):
        return [_shared_keys(v) for v in value]
    return value


def _text(value):
    """``value`` as display text (None stays None)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def normalise(record, source="", line=0, run=0, slim=False, warn=None):
    """A cell with every field present: key fields as strings (None where missing), outcome
    one of OUTCOMES (an unknown outcome becomes 'error', the original kept in
    ``raw_outcome``), numbers as floats or None (a duration that is not a finite number of
    seconds >= 0 becomes None), and where it came from (``_source``, ``_line``, ``_run``).
    ``slim``: only ``SLIM_FIELDS``."""
    intern = sys.intern
    cell = {intern(k): (intern(v) if k in _INTERNED and isinstance(v, str) and len(v) < 200
                        else _shared_keys(v) if isinstance(v, dict) else v)
            for k, v in record.items()
            if (not slim or k in SLIM_FIELDS) and not k.startswith("_")}   # _names are the loader's
    for name in KEY_FIELDS:
        value = record.get(name)
        cell[name] = None if value is None else (value if isinstance(value, str) else str(value))
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
        note = f"unknown outcome {_clip(repr(record.get('outcome')), 80)} in the result file"
        cell["message"] = f"{note}; {_text(record.get('message'))}" if record.get("message") else note
    cell["outcome"] = intern(outcome)
    if not slim:
        for name in NUMBER_FIELDS:
            cell[name] = _number(record.get(name))
        duration = cell["duration_s"]
        if duration is not None and not (math.isfinite(duration) and duration >= 0):
            if warn:
                warn(f"{source}:{line}: duration_s {duration!r} is not a duration: not counted")
            cell["duration_s"] = None
        for name in COUNT_FIELDS:
            value = record.get(name)
            cell[name] = value if isinstance(value, int) and not isinstance(value, bool) else None
        fields = record.get("policy_fields")
        cell["policy_fields"] = [str(f) for f in fields] if isinstance(fields, (list, tuple)) else []
    for name in ("message",) if slim else ("message", "repro", "reproduce_blob"):
        cell[name] = _text(cell[name]) if name in cell else None
    issue = record.get("known_issue")
    cell["known_issue"] = issue if isinstance(issue, dict) and issue.get("reason") else None
    if cell["known_issue"] is None:
        del cell["known_issue"]
    cell["_source"], cell["_line"], cell["_run"] = source, line, run
    return cell


def latest(results):
    """One cell per key: the one from the latest run (header ``started_at``, then reading
    order). Each kept cell lists the others it replaced in ``_superseded`` (set on the cells
    themselves: a large run is not copied)."""
    def order(cell):
        return (results.runs[cell["_run"]].started_at, cell["_run"], cell["_line"])

    chosen = {}
    for cell in sorted(results.cells, key=order):
        key = cell_key(cell)
        earlier = chosen.get(key)
        cell["_superseded"] = [] if earlier is None else earlier["_superseded"] + [
            {"source": earlier["_source"], "line": earlier["_line"], "outcome": earlier["outcome"]}]
        chosen[key] = cell
    return list(chosen.values())
