"""The compatibility matrix: rows are property areas and (property, subject); columns are
(framework, version, device); each entry holds the cells of that row and column.

An entry's state, worst first: 'error' (a cell errored), 'fail', 'pass' (at least one cell
passed and none failed; skipped cells beside it are counted apart), 'skip' (every cell
skipped), 'absent' (no cell for that column). ``passing/total`` counts the cells that ran:
skips are not in ``total``.
"""
import collections
import dataclasses
import math
import re

from .load import OUTCOMES

STATES = ("pass", "fail", "error", "skip", "absent")
DEVICE_ORDER = {"cpu": 0, "cuda": 1}


def area_of(prop):
    """The property area: the text before the first dot (``grad.first_order`` -> ``grad``)."""
    return prop.split(".", 1)[0]


def version_key(version):
    """Sort key for version strings: numeric parts as numbers (2.9.1 < 2.13.0)."""
    if version is None:
        return ((1, ""),)
    parts = re.split(r"[.+\-]", str(version))
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in parts)


@dataclasses.dataclass(frozen=True)
class Column:
    framework: str
    version: str
    device: str

    def label(self):
        return f"{self.framework} {self.version or '?'} · {self.device or '?'}"

    def slug(self):
        return re.sub(r"[^A-Za-z0-9]+", "-", f"{self.framework}-{self.version}-{self.device}").strip("-")

    def sort_key(self, rank=None):
        """Frameworks by ``rank`` (a framework name -> sort key; by name without one), then
        versions numerically, then devices."""
        framework = rank(self.framework) if rank else str(self.framework)
        return (framework, version_key(self.version), DEVICE_ORDER.get(self.device, 9), str(self.device))


def column_of(cell):
    return Column(cell["framework"], cell["framework_version"], cell["device"])


def columns_of(cells, rank=None):
    return sorted({column_of(cell) for cell in cells}, key=lambda column: column.sort_key(rank))


class Counts:
    """Outcome counts of a group of cells, and the group's state."""

    def __init__(self, cells=()):
        self.by_outcome = collections.Counter()
        self.duration = 0.0
        for cell in cells:
            self.add(cell)

    def add(self, cell):
        self.by_outcome[cell["outcome"]] += 1
        self.duration += cell.get("duration_s") or 0.0

    def __getitem__(self, outcome):
        return self.by_outcome[outcome]

    @property
    def ran(self):
        """Cells that ran (every outcome but skip)."""
        return sum(self.by_outcome[o] for o in ("pass", "fail", "error"))

    @property
    def cells(self):
        return sum(self.by_outcome.values())

    @property
    def state(self):
        for outcome in ("error", "fail", "pass", "skip"):
            if self.by_outcome[outcome]:
                return outcome
        return "absent"

    def as_dict(self):
        data = {outcome: self.by_outcome[outcome] for outcome in OUTCOMES}
        data.update(total=self.ran, cells=self.cells, state=self.state,
                    duration_s=round(self.duration, 6))
        return data


@dataclasses.dataclass
class Row:
    area: str
    prop: str
    subject: str
    entries: dict          # Column -> list of cells

    def counts(self, column):
        return Counts(self.entries.get(column, ()))

    def states(self):
        return {Counts(cells).state for cells in self.entries.values()}


@dataclasses.dataclass
class Matrix:
    columns: list
    areas: list            # [(area, [Row, ...]), ...]

    def rows(self):
        return [row for _, rows in self.areas for row in rows]

    def area_counts(self, area, column):
        counts = Counts()
        for name, rows in self.areas:
            if name == area:
                for row in rows:
                    for cell in row.entries.get(column, ()):
                        counts.add(cell)
        return counts


def build_matrix(cells, rank=None):
    """The matrix of ``cells`` (one per key: see ``load.latest``); ``rank`` orders the
    frameworks (``catalog.Catalog.rank``)."""
    columns = columns_of(cells, rank)
    grouped = collections.defaultdict(lambda: collections.defaultdict(list))
    for cell in cells:
        grouped[(cell["property"], cell["subject"])][column_of(cell)].append(cell)
    by_area = collections.defaultdict(list)
    for (prop, subject), entries in grouped.items():
        for cells_here in entries.values():
            cells_here.sort(key=lambda c: (str(c["dtype"]), c["_source"], c["_line"]))
        by_area[area_of(prop)].append(Row(area_of(prop), prop, subject, dict(entries)))
    areas = []
    for area in sorted(by_area, key=_area_order):
        areas.append((area, sorted(by_area[area], key=lambda r: (r.prop, r.subject))))
    return Matrix(columns, areas)


# Areas in the order a reader meets them: values and gradients first, semantics last.
AREA_ORDER = ["forward", "values", "grad", "double_backward", "accumulation", "retain_graph", "nonscalar",
              "no_grad", "conv", "linear", "optim", "serialization", "semantics"]


def _area_order(area):
    return (AREA_ORDER.index(area) if area in AREA_ORDER else len(AREA_ORDER), area)


def tolerance_ratio(cell):
    """How close the worst error came to the tolerance: min(max_abs_err / atol,
    max_rel_err / rtol) over the terms that are defined (a tolerance > 0 and an error).

    A ratio <= 1 guarantees ``|actual - expected| <= atol + rtol * |expected|`` at every
    element; a passing cell may show a ratio a little above 1 when it passed through the sum
    of both terms. None when the cell records no error or no tolerance."""
    ratios = []
    for error, tolerance in ((cell.get("max_abs_err"), cell.get("atol")),
                             (cell.get("max_rel_err"), cell.get("rtol"))):
        if error is not None and tolerance:
            ratios.append(float("inf") if math.isnan(error) else abs(error) / tolerance)
    return min(ratios) if ratios else None


def totals(cells):
    return Counts(cells)
