"""Two result sets, cell by cell: regressions, missing cells, fixes, known issues, new cells,
removed cells.

Cells are matched by their key (property, subject, framework, framework_version, device,
dtype); with ``ignore_version`` the framework version is left out of the key, so that a
run on torch 2.14.1 is compared with a baseline on 2.13.0. Where one set holds a key more
than once, its latest cell counts (``load.latest``). ``renames`` ({old subject: new}) match a
BASE cell under its new subject; ``removed`` subjects were deliberately taken out.

- regression: pass -> fail or error (a fail explained by a documented upstream defect, the
  cell's ``known_issue`` or ``conformance.known_issues.match``, is no regression: see known);
- missing: a key that passed in BASE and is absent from NEW (its subject not ``removed``);
- fix: fail or error -> pass;
- known: pass <-> fail where the failing side is a documented upstream defect, which shows
  only at some inputs (unless ``strict``);
- new: a key only in NEW (its outcome is shown: a new failing cell is no regression, but it
  is listed);
- removed: a key only in BASE that did not pass there, or whose subject is ``removed``;
- changed: any other change of outcome (pass -> skip, fail -> error, skip -> fail, ...).
"""
import dataclasses
import re

from .load import KEY_FIELDS, latest
from .model import version_key

BROKEN = ("fail", "error")
SECTIONS = ("regressions", "missing", "fixes", "known", "new", "removed", "changed")
GATING = ("regressions", "missing")
_FRAMEWORK_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")


def known_issue(cell):
    """The documented upstream defect explaining a failing cell ({'reason', 'link'}), or None:
    the record's own ``known_issue``, else ``conformance.known_issues.match``."""
    if cell.get("outcome") != "fail":
        return None
    issue = cell.get("known_issue")
    if isinstance(issue, dict):
        return issue
    if not _FRAMEWORK_NAME.fullmatch(str(cell.get("framework") or "")):
        return None     # not a name the known-issue files are named by
    try:
        from conformance import known_issues   # lazily: the report runs without the harness
        return known_issues.match(cell)
    except (ImportError, LookupError, TypeError, ValueError, OSError):
        return None


@dataclasses.dataclass
class Comparison:
    regressions: list = dataclasses.field(default_factory=list)   # [(base cell, new cell)]
    missing: list = dataclasses.field(default_factory=list)        # [(base cell, None)]
    fixes: list = dataclasses.field(default_factory=list)
    known: list = dataclasses.field(default_factory=list)
    new: list = dataclasses.field(default_factory=list)            # [(None, new cell)]
    removed: list = dataclasses.field(default_factory=list)        # [(base cell, None)]
    changed: list = dataclasses.field(default_factory=list)
    unchanged: int = 0
    ignore_version: bool = False
    strict: bool = False
    removed_subjects: tuple = ()
    renames: dict = dataclasses.field(default_factory=dict)
    unused: list = dataclasses.field(default_factory=list)         # --removed/--renames naming no BASE subject

    @property
    def failed(self):
        """Whether the gate fails: a regression or a missing cell."""
        return any(getattr(self, name) for name in GATING)

    def as_dict(self):
        def entry(base, new):
            cell = new or base
            data = {name: cell[name] for name in KEY_FIELDS}
            if self.ignore_version:
                data["framework_version"] = {"base": base and base["framework_version"],
                                             "new": new and new["framework_version"]}
            if base is not None and base.get("_renamed_from") is not None:
                data["renamed_from"] = base["_renamed_from"]
            data["base_outcome"] = base["outcome"] if base else None
            data["new_outcome"] = new["outcome"] if new else None
            data["message"] = cell.get("message")
            issue = (known_issue(new) if new else None) or (known_issue(base) if base else None)
            if issue:
                data["known_issue"] = issue
            data["source"] = cell["_source"]
            return data
        result = {name: [entry(*pair) for pair in getattr(self, name)] for name in SECTIONS}
        result["counts"] = {name: len(getattr(self, name)) for name in SECTIONS}
        result["counts"]["unchanged"] = self.unchanged
        result["ignore_version"] = self.ignore_version
        result["strict"] = self.strict
        result["removed_subjects"] = list(self.removed_subjects)
        result["renames"] = dict(self.renames)
        return result


def match_key(cell, ignore_version=False):
    return tuple(None if (ignore_version and name == "framework_version") else cell[name]
                 for name in KEY_FIELDS)


def _index(cells, ignore_version):
    indexed = {}
    for cell in cells:
        indexed[match_key(cell, ignore_version)] = cell   # cells come latest-last
    return indexed


def _renamed(cells, renames):
    """BASE cells with their subjects renamed (a copy of each renamed cell)."""
    if not renames:
        return cells
    out = []
    for cell in cells:
        if cell["subject"] in renames:
            cell = dict(cell, subject=renames[cell["subject"]], _renamed_from=cell["subject"])
        out.append(cell)
    return out


def compare(base_results, new_results, ignore_version=False, removed=(), renames=None, strict=False,
            new_cells=None):
    """A Comparison of two ``load.Results`` (``new_cells``: ``latest(new_results)`` when the
    caller has it already)."""
    renames = dict(renames or {})
    removed = tuple(removed)
    base_cells = _chronological(base_results)
    subjects = {cell["subject"] for cell in base_cells}
    result = Comparison(ignore_version=ignore_version, strict=strict, removed_subjects=removed,
                        renames=renames)
    result.unused = ([f"--removed {name}" for name in removed if name not in subjects]
                     + [f"--renames {old} -> {new}" for old, new in renames.items() if old not in subjects])
    base = _index(_renamed(base_cells, renames), ignore_version)
    new = _index(_chronological(new_results, new_cells), ignore_version)
    gone = set(removed)
    for key in sorted(set(base) | set(new), key=lambda k: tuple(map(str, k))):
        before, after = base.get(key), new.get(key)
        if before is None:
            result.new.append((None, after))
        elif after is None:
            deliberate = before["subject"] in gone or before.get("_renamed_from") in gone
            if before["outcome"] == "pass" and not deliberate:
                result.missing.append((before, None))
            else:
                result.removed.append((before, None))
        elif before["outcome"] == "pass" and after["outcome"] in BROKEN:
            if not strict and known_issue(after):
                result.known.append((before, after))
            else:
                result.regressions.append((before, after))
        elif before["outcome"] in BROKEN and after["outcome"] == "pass":
            if not strict and known_issue(before):
                result.known.append((before, after))
            else:
                result.fixes.append((before, after))
        elif before["outcome"] != after["outcome"]:
            result.changed.append((before, after))
        else:
            result.unchanged += 1
    return result


def _chronological(results, cells=None):
    """The latest cell per exact key, the highest version last, so that it wins on a
    version-less key."""
    cells = latest(results) if cells is None else cells
    return sorted(cells, key=lambda c: (version_key(c["framework_version"]),
                                        results.runs[c["_run"]].started_at, c["_run"], c["_line"]))
