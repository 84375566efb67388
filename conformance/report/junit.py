"""JUnit XML: one <testsuite> per (framework, version, device), one <testcase> per cell.

A failed cell gets <failure>, an errored one <error>, a skipped one <skipped message=reason>.
The text of each holds the message, the error against tolerance and the repro script.
"""
import math
import re
import secrets
import xml.etree.ElementTree as ET

from .model import Counts, area_of, column_of, columns_of

# Characters XML 1.0 cannot hold, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value):
    return _INVALID_XML.sub("\ufffd", "" if value is None else str(value))


def testcase_name(cell):
    return f"{cell['property']}[{cell['subject']}] {cell['dtype'] or '?'}"


def classname(cell):
    version = (cell["framework_version"] or "unknown").replace(".", "_")
    return f"{cell['framework']}-{version}-{cell['device'] or 'unknown'}.{area_of(cell['property'])}"


def details(cell):
    """The body of a failure/error element."""
    lines = []
    if cell.get("message"):
        lines.append(cell["message"])
    for name in ("examples", "failures", "max_abs_err", "max_rel_err", "atol", "rtol", "semantics"):
        if cell.get(name) is not None:
            lines.append(f"{name}: {cell[name]}")
    if cell.get("reproduce_blob"):
        lines.append(f"reproduce_blob: {cell['reproduce_blob']}")
    if cell.get("repro"):
        lines.extend(["repro:", cell["repro"]])
    lines.append(f"source: {cell['_source']}:{cell['_line']}")
    return "\n".join(lines)


def _seconds(value):
    """Seconds as JUnit writes them; 0 where missing or not finite (a sum can overflow)."""
    value = value or 0.0
    return f"{value:.6f}" if math.isfinite(value) else "0.000000"


def testcase(cell):
    """The <testcase> element of one cell."""
    case = ET.Element("testcase", classname=_text(classname(cell)), name=_text(testcase_name(cell)),
                      time=_seconds(cell["duration_s"]))
    outcome = cell["outcome"]
    if outcome in ("fail", "error"):
        element = ET.SubElement(case, "failure" if outcome == "fail" else "error",
                                message=_text(cell.get("message") or outcome),
                                type=_text(cell.get("raw_outcome") or outcome))
        element.text = _text(details(cell))
    elif outcome == "skip":
        ET.SubElement(case, "skipped", message=_text(cell.get("message") or "skipped"))
    return case


def build(analysis, marker=None):
    """The <testsuites> tree. With ``marker``, each suite holds a comment ``marker-N`` where
    its testcases go instead of them, and the cells of each suite are returned too."""
    cells = analysis.cells
    root = ET.Element("testsuites", name="autograd conformance")
    total = Counts(cells)
    root.set("tests", str(total.cells))
    root.set("failures", str(total["fail"]))
    root.set("errors", str(total["error"]))
    root.set("skipped", str(total["skip"]))
    root.set("time", _seconds(total.duration))
    groups = []
    for column in columns_of(cells, analysis.catalog.rank):
        column_cells = sorted((c for c in cells if column_of(c) == column),
                              key=lambda c: (c["property"], c["subject"], str(c["dtype"])))
        counts = Counts(column_cells)
        suite = ET.SubElement(root, "testsuite", name=_text(column.label()))
        for name, value in (("tests", counts.cells), ("failures", counts["fail"]),
                            ("errors", counts["error"]), ("skipped", counts["skip"])):
            suite.set(name, str(value))
        suite.set("time", _seconds(counts.duration))
        header = _header_for(analysis, column_cells)
        if header.get("started_at"):
            suite.set("timestamp", _text(header["started_at"]))
        properties = ET.SubElement(suite, "properties")
        for name in ("framework", "framework_version", "device"):
            ET.SubElement(properties, "property", name=name, value=_text(column_cells[0][name]))
        for name in ("harness_commit", "profile", "python", "platform", "device_model", "driver"):
            if header.get(name) is not None:
                ET.SubElement(properties, "property", name=name, value=_text(header[name]))
        if marker is None:
            suite.extend(testcase(cell) for cell in column_cells)
        else:
            suite.append(ET.Comment(f"{marker}-{len(groups)}"))
            groups.append(column_cells)
    return root if marker is None else (root, groups)


def _header_for(analysis, cells):
    """The header of the run most of these cells came from."""
    runs = [cell["_run"] for cell in cells]
    if not runs:
        return {}
    return analysis.runs[max(set(runs), key=runs.count)].header


def render(analysis):
    return "".join(chunks(analysis))


def chunks(analysis):
    """The XML as strings, one testcase at a time (a large run's tree is never built whole)."""
    marker = f"testcases-{secrets.token_hex(8)}"
    root, groups = build(analysis, marker)
    ET.indent(root)
    rest = ET.tostring(root, encoding="unicode")
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    for index, cells in enumerate(groups):
        head, rest = rest.split(f"<!--{marker}-{index}-->", 1)
        yield head
        for number, cell in enumerate(cells):
            case = testcase(cell)
            ET.indent(case, level=2)
            yield ("" if number == 0 else "\n    ") + ET.tostring(case, encoding="unicode")
    yield rest + "\n"
