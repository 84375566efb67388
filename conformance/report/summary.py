"""The JSON summary: counts per (framework, version, device, property area) and outcome,
the porting guide (``porting_guide``: one table per pair of frameworks other than the
reference, the headline pair first; ``differences``: the first table's rows), version changes, and regressions (against the baseline, and between
versions of one framework)."""
import json
import math

from . import port
from .load import KEY_FIELDS
from .model import Counts

SCHEMA = "conformance-summary/1"


def _clean(value):
    """JSON-safe: non-finite floats as strings (as the recorder writes them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _public_header(header):
    return {key: value for key, value in header.items() if not key.startswith("_")}


def build(analysis):
    matrix = analysis.matrix
    columns = []
    counts = []
    for column in matrix.columns:
        column_cells = [c for row in matrix.rows() for c in row.entries.get(column, ())]
        columns.append({"framework": column.framework, "framework_version": column.version,
                        "device": column.device, **Counts(column_cells).as_dict()})
        for area, _ in matrix.areas:
            area_counts = matrix.area_counts(area, column)
            if area_counts.cells:
                counts.append({"framework": column.framework, "framework_version": column.version,
                               "device": column.device, "area": area, **area_counts.as_dict()})
    regressions = {
        "baseline": analysis.baseline.as_dict()["regressions"] if analysis.baseline else None,
        "versions": [{
            "framework": diff.framework, "old": diff.old, "new": diff.new,
            **{name: (new or old)[name] for name in ("property", "subject", "device", "dtype")},
            "old_outcome": old["outcome"], "new_outcome": new["outcome"],
            "message": new.get("message")} for diff, old, new in analysis.version_regressions()],
    }
    summary = {
        "schema": SCHEMA,
        "generated_at": analysis.generated_at,
        "files": analysis.results.files,
        "warnings": analysis.warnings,
        "skipped": {"count": analysis.results.skipped_total,
                    "by_category": dict(sorted(analysis.results.skipped_counts.items())),
                    "lines": [{"source": s.source, "line": s.line, "category": s.category, "why": s.why}
                              for s in analysis.results.skipped]},
        "completeness": {
            "status": analysis.results.completeness(),
            "runs": [{"source": run.source, "line": run.line, "run_id": run.run_id, "status": run.status,
                      "planned": run.planned, "finished": run.finished, "reason": run.reason}
                     for run in analysis.runs]},
        "totals": analysis.totals().as_dict(),
        "columns": columns,
        "counts": counts,
        "reference": analysis.catalog.reference,
        "porting_guide": [pair.as_dict() for pair in analysis.porting],
        "port_checks": port.summary(analysis),  # issue 18: conformance.port results
        "differences": [row.as_dict() for row in analysis.differences],
        "version_diffs": [diff.as_dict() for diff in analysis.version_diffs],
        "baseline": ({"paths": analysis.baseline_paths, **analysis.baseline.as_dict()}
                     if analysis.baseline else None),
        "regressions": regressions,
        "not_passing": [{**{name: cell[name] for name in KEY_FIELDS}, "outcome": cell["outcome"],
                         "message": cell.get("message"), "source": cell["_source"],
                         "known_issue": analysis.known(cell)}
                        for cell in analysis.cells if cell["outcome"] in ("fail", "error")],
        "runs": [{"source": run.source, "line": run.line, **_public_header(run.header)}
                 for run in analysis.runs],
    }
    return _clean(summary)


def render(analysis):
    return json.dumps(build(analysis), indent=2, allow_nan=False) + "\n"
