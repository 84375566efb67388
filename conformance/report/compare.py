"""Two result sets, cell by cell: regressions, fixes, new cells, removed cells.

Cells are matched by their key (property, subject, framework, framework_version, device,
dtype); with ``ignore_version`` the framework version is left out of the key, so that a
run on torch 2.14.1 is compared with a baseline on 2.13.0. Where one set holds a key more
than once, its latest cell counts (``load.latest``).

- regression: pass -> fail or error;
- fix: fail or error -> pass;
- new: a key only in NEW (its outcome is shown: a new failing cell is no regression, but it
  is listed);
- removed: a key only in BASE;
- changed: any other change of outcome (pass -> skip, fail -> error, skip -> fail, ...).
"""
import dataclasses

from .load import KEY_FIELDS, latest
from .model import version_key

BROKEN = ("fail", "error")
SECTIONS = ("regressions", "fixes", "new", "removed", "changed")


@dataclasses.dataclass
class Comparison:
    regressions: list = dataclasses.field(default_factory=list)   # [(base cell, new cell)]
    fixes: list = dataclasses.field(default_factory=list)
    new: list = dataclasses.field(default_factory=list)            # [(None, new cell)]
    removed: list = dataclasses.field(default_factory=list)        # [(base cell, None)]
    changed: list = dataclasses.field(default_factory=list)
    unchanged: int = 0
    ignore_version: bool = False

    def as_dict(self):
        def entry(base, new):
            cell = new or base
            data = {name: cell[name] for name in KEY_FIELDS}
            if self.ignore_version:
                data["framework_version"] = {"base": base and base["framework_version"],
                                             "new": new and new["framework_version"]}
            data["base_outcome"] = base["outcome"] if base else None
            data["new_outcome"] = new["outcome"] if new else None
            data["message"] = cell.get("message")
            data["source"] = cell["_source"]
            return data
        result = {name: [entry(*pair) for pair in getattr(self, name)] for name in SECTIONS}
        result["counts"] = {name: len(getattr(self, name)) for name in SECTIONS}
        result["counts"]["unchanged"] = self.unchanged
        result["ignore_version"] = self.ignore_version
        return result


def match_key(cell, ignore_version=False):
    return tuple(None if (ignore_version and name == "framework_version") else cell[name]
                 for name in KEY_FIELDS)


def _index(cells, ignore_version):
    indexed = {}
    for cell in cells:
        indexed[match_key(cell, ignore_version)] = cell   # cells come latest-last
    return indexed


def compare(base_results, new_results, ignore_version=False):
    """A Comparison of two ``load.Results``."""
    base = _index(_chronological(base_results), ignore_version)
    new = _index(_chronological(new_results), ignore_version)
    result = Comparison(ignore_version=ignore_version)
    for key in sorted(set(base) | set(new), key=lambda k: tuple(map(str, k))):
        before, after = base.get(key), new.get(key)
        if before is None:
            result.new.append((None, after))
        elif after is None:
            result.removed.append((before, None))
        elif before["outcome"] == "pass" and after["outcome"] in BROKEN:
            result.regressions.append((before, after))
        elif before["outcome"] in BROKEN and after["outcome"] == "pass":
            result.fixes.append((before, after))
        elif before["outcome"] != after["outcome"]:
            result.changed.append((before, after))
        else:
            result.unchanged += 1
    return result


def _chronological(results):
    """The latest cell per exact key, the highest version last, so that it wins on a
    version-less key."""
    cells = latest(results)
    return sorted(cells, key=lambda c: (version_key(c["framework_version"]),
                                        results.runs[c["_run"]].started_at, c["_run"], c["_line"]))
