"""Everything a report shows, computed once from loaded results (and an optional baseline)."""
import dataclasses
import datetime

from . import catalog as catalog_module
from . import compare, differences, model, versions
from .load import latest


@dataclasses.dataclass
class Analysis:
    results: object            # load.Results
    cells: list                # one per key, latest run first choice
    matrix: model.Matrix
    catalog: object            # catalog.Catalog: the frameworks of the results
    porting: list              # differences.PortingTable, the headline pair first
    version_diffs: list        # versions.VersionDiff
    baseline: object           # compare.Comparison or None
    baseline_paths: list
    generated_at: str
    case_docs: dict

    @property
    def differences(self):
        """The rows of the porting guide's first table (the headline pair's), or []."""
        return self.porting[0].rows if self.porting else []

    @property
    def runs(self):
        return self.results.runs

    @property
    def warnings(self):
        return self.results.warnings

    def totals(self):
        return model.Counts(self.cells)

    @property
    def incomplete_runs(self):
        return self.results.incomplete_runs()

    @property
    def unknown_runs(self):
        return self.results.unknown_runs()

    def known(self, cell):
        """The documented upstream defect explaining a failing cell, or None."""
        return compare.known_issue(cell)

    def failing(self, strict=False):
        """Failing and erroring cells, less those a documented upstream defect explains
        (unless ``strict``)."""
        return [cell for cell in self.cells if cell["outcome"] in ("fail", "error")
                and (strict or not self.known(cell))]

    def version_regressions(self):
        return [(diff, old, new) for diff in self.version_diffs
                for kind, old, new in diff.changes if kind == "regression"]


def case_docs():
    """{case name: what it checks} from ``conformance.behaviours`` when importable."""
    try:
        from conformance import behaviours
        return {case.name: case.doc for case in behaviours.CASES}
    except ImportError:   # the report still renders without the harness's dependencies
        return {}


def analyse(results, baseline_results=None, baseline_paths=(), now=None, ignore_version=False):
    cells = latest(results)
    catalog = catalog_module.build(cells, results.runs)
    table = differences.policy_table()
    comparison = (compare.compare(baseline_results, results, ignore_version, new_cells=cells)
                  if baseline_results is not None else None)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return Analysis(
        results=results,
        cells=cells,
        matrix=model.build_matrix(cells, catalog.rank),
        catalog=catalog,
        porting=differences.porting_guide(cells, catalog, table),
        version_diffs=versions.diff_versions(cells, table),
        baseline=comparison,
        baseline_paths=list(baseline_paths),
        generated_at=now.isoformat(timespec="seconds"),
        case_docs=case_docs(),
    )
