"""What changed between the versions of one framework present in the results.

For each framework with several versions, consecutive versions (sorted numerically) are
compared cell by cell, matching (property, subject, device, dtype). A change is one of:
'regression' (pass -> fail/error), 'fix' (fail/error -> pass), 'outcome' (any other change
of outcome, e.g. pass -> skip), 'policy' (same outcome, but refimpl models the two versions
with different semantics policies that differ in a field the cell checks), 'only_old' / 'only_new' (a cell in one version only).
The policy fields whose values differ between the two versions' policies are listed too:
they are the behaviours that changed.
"""
import collections
import dataclasses
import itertools

from .differences import policy_table
from .model import version_key

BROKEN = ("fail", "error")
CHANGE_ORDER = ("regression", "fix", "outcome", "policy", "only_old", "only_new")
PRESENCE = ("only_old", "only_new")


@dataclasses.dataclass
class VersionDiff:
    framework: str
    old: str
    new: str
    changes: list          # [(kind, old cell or None, new cell or None)], CHANGE_ORDER first
    unchanged: int
    policy_fields: list    # [(field, old value, new value, doc)]
    old_policies: list
    new_policies: list

    def count(self, kind):
        return sum(1 for change in self.changes if change[0] == kind)

    @property
    def compared(self):
        """How many cells both versions have (the cells a change could be seen in)."""
        return self.unchanged + sum(1 for kind, *_ in self.changes if kind not in PRESENCE)

    def evidence(self, field):
        """The (old cell, new cell) pairs proving that policy ``field`` changed: cells checking
        it (``policy_fields``) that ran under each version's policy with the same outcome."""
        return [(old, new) for kind, old, new in self.changes if kind == "policy"
                and field in set(old.get("policy_fields") or ()) | set(new.get("policy_fields") or ())]

    def as_dict(self):
        def brief(cell):
            if cell is None:
                return None
            return {"outcome": cell["outcome"], "semantics": cell.get("semantics"),
                    "message": cell.get("message")}
        return {
            "framework": self.framework, "old": self.old, "new": self.new,
            "unchanged": self.unchanged, "compared": self.compared,
            "counts": {kind: self.count(kind) for kind in CHANGE_ORDER},
            "old_policies": self.old_policies, "new_policies": self.new_policies,
            "policy_fields": [{"field": f, "old": o, "new": n, "cells": [
                {name: new[name] for name in ("property", "subject", "device", "dtype")}
                for _, new in self.evidence(f)]} for f, o, n, _ in self.policy_fields],
            "changes": [{
                "kind": kind,
                **{name: (old or new)[name] for name in ("property", "subject", "device", "dtype")},
                "old": brief(old), "new": brief(new)} for kind, old, new in self.changes],
        }


def _classify(old, new, changed_fields=None):
    if old is None:
        return "only_new"
    if new is None:
        return "only_old"
    if old["outcome"] == "pass" and new["outcome"] in BROKEN:
        return "regression"
    if old["outcome"] in BROKEN and new["outcome"] == "pass":
        return "fix"
    if old["outcome"] != new["outcome"]:
        return "outcome"
    if old.get("semantics") != new.get("semantics"):
        checked = set(old.get("policy_fields") or ()) | set(new.get("policy_fields") or ())
        if changed_fields is None or checked & changed_fields:
            return "policy"
    return None


def diff_versions(cells, table=None):
    """A VersionDiff for each pair of consecutive versions of each framework."""
    table = policy_table() if table is None else table
    by_version = collections.defaultdict(dict)
    for cell in cells:
        if cell["framework_version"] is None:
            continue
        key = (cell["property"], cell["subject"], cell["device"], cell["dtype"])
        by_version[(cell["framework"], cell["framework_version"])][key] = cell
    versions = collections.defaultdict(list)
    for framework, version in by_version:
        versions[framework].append(version)
    diffs = []
    for framework in sorted(versions):
        ordered = sorted(versions[framework], key=version_key)
        for old, new in itertools.pairwise(ordered):
            diffs.append(_diff(framework, old, new, by_version[(framework, old)],
                               by_version[(framework, new)], table))
    return diffs


def _policies(cells):
    return sorted({str(c["semantics"]) for c in cells.values() if c.get("semantics")})


def _diff(framework, old, new, old_cells, new_cells, table):
    old_policies, new_policies = _policies(old_cells), _policies(new_cells)
    fields = _changed_fields(old_policies, new_policies, table)
    known = {name for name, *_ in fields} if fields is not None else None
    changes, unchanged = [], 0
    for key in sorted(set(old_cells) | set(new_cells), key=lambda k: tuple(map(str, k))):
        kind = _classify(old_cells.get(key), new_cells.get(key), known)
        if kind is None:
            unchanged += 1
        else:
            changes.append((kind, old_cells.get(key), new_cells.get(key)))
    changes.sort(key=lambda change: CHANGE_ORDER.index(change[0]))
    return VersionDiff(framework, old, new, changes, unchanged, fields or [], old_policies, new_policies)


def _changed_fields(old_policies, new_policies, table):
    """[(field, old value, new value, doc)] between the two versions' policies; None when
    that is unknown (several or no policies on a side, or a policy refimpl does not know)."""
    if len(old_policies) != 1 or len(new_policies) != 1:
        return None
    before_name, after_name = old_policies[0], new_policies[0]
    if before_name == after_name:
        return []
    if not table or any(name not in values for _, values in table.values()
                        for name in (before_name, after_name)):
        return None
    return [(name, repr(values[before_name]), repr(values[after_name]), doc)
            for name, (doc, values) in table.items() if values[before_name] != values[after_name]]
