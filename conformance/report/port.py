"""Port checks in the report (issue 18): result files of ``python -m conformance port``
(``conformance-port/1`` JSON, by default ``reports/port/*.json``) rendered as a section of the
HTML page (the layer table with the divergence marked, the explanation, the fix) and a list
in the JSON summary. The section is absent when there is no port result."""
import glob
import json
import os

from ..port.conventions import CONVENTIONS
from ..port.explain import diagnosis_lines
from .text import e

SCHEMA = "conformance-port/1"
DEFAULT = os.path.join("reports", "port")


def load(paths=None):
    """(results, warnings): the port results in ``paths`` (files or directories of *.json;
    default ``reports/port`` when it exists)."""
    if paths is None:
        paths = [DEFAULT] if os.path.isdir(DEFAULT) else []
    files = []
    for path in paths:
        files += sorted(glob.glob(os.path.join(path, "*.json"))) if os.path.isdir(path) else [path]
    results, warnings = [], []
    for path in files:
        try:
            with open(path, encoding="utf-8") as handle:
                result = json.load(handle)
        except (OSError, ValueError) as error:
            warnings.append(f"port result {path}: {error}")
            continue
        if not isinstance(result, dict) or result.get("schema") != SCHEMA:
            warnings.append(f"port result {path}: not a {SCHEMA} object")
            continue
        results.append(dict(result, _source=path))
    return results, warnings


def attach(analysis, paths=None):
    """Load the port results into ``analysis.port_results`` (read by ``section``/``summary``)."""
    analysis.port_results, analysis.port_warnings = load(paths)
    return analysis


def summary(analysis):
    """The JSON summary's list: one entry per port check."""
    return [{"name": r.get("name"), "source": r.get("source"), "target": r.get("target"),
             "verdict": r.get("verdict"), "diagnosis": r.get("diagnosis"), "file": r["_source"]}
            for r in getattr(analysis, "port_results", ())]


def section(analysis):
    results = getattr(analysis, "port_results", ())
    if not results:
        return ""
    parts = ['<section id="port"><h2>Port checks</h2><p class="lede">A model and its port run '
             'on the same inputs with the same weights, compared layer by layer, then their '
             'gradients and one optimizer step. The first divergent layer is marked; the '
             'explanation names the semantics policy fields that reproduce it in the '
             'reference.</p>']
    for result in results:
        parts.append(_check(result))
    parts.append(_conventions())
    parts.append("</section>")
    return "".join(parts)


def _check(result):
    source, target = result.get("source", {}), result.get("target", {})
    verdict = result.get("verdict", "?")
    head = (f'<h3>{e(result.get("name") or result["_source"])}: '
            f'<span class="badge st-{"pass" if verdict == "pass" else "fail"}">{e(verdict)}</span></h3>'
            f'<p>{e(source.get("model"))} ({e(source.get("framework"))} {e(source.get("version"))}) '
            f'&rarr; {e(target.get("model"))} ({e(target.get("framework"))} '
            f'{e(target.get("version"))}), {e(result.get("dtype"))}</p>')
    return head + _diagnosis(result.get("diagnosis")) + _layers(result) + _gradients(result)


def _diagnosis(diagnosis):
    if not diagnosis:
        return "<p>Forward, gradients and the step agree within tolerance.</p>"
    return f"<ul>{''.join(f'<li>{e(line)}</li>' for line in diagnosis_lines(diagnosis))}</ul>"


def _layers(result):
    rows = []
    for row in result.get("layers", []):
        status = row.get("status", "")
        output = row.get("output") or {}
        mark = ' class="st-fail"' if status == "diverges" else ""
        rows.append(f"<tr{mark}><td>{row.get('index')}</td><td>{e(row.get('source'))}</td>"
                    f"<td>{e(row.get('target'))}</td><td>{e(row.get('kind'))}</td>"
                    f"<td>{e(_number(output.get('max_abs_err')))}</td>"
                    f"<td>{e(_number(output.get('allowed')))}</td><td>{e(status)}</td></tr>")
    return ('<details><summary>Layers</summary><div class="scroll"><table class="plain">'
            '<thead><tr><th>#</th><th>source</th><th>target</th><th>kind</th>'
            '<th>max abs diff</th><th>tolerance</th><th>status</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></details>')


def _gradients(result):
    """The parameter gradients layer by layer (forward order; the backward computes them from
    the last), the located layer marked."""
    rows = result.get("gradient_layers") or []
    if not rows:
        return ""
    located = (result.get("diagnosis") or {}).get("source_layer") \
        if (result.get("diagnosis") or {}).get("stage") == "gradients" else None
    body = []
    for row in rows:
        mark = ' class="st-fail"' if row.get("source") == located else ""
        body.append(f"<tr{mark}><td>{row.get('index')}</td><td>{e(row.get('source'))}</td>"
                    f"<td>{e(row.get('target'))}</td><td>{e(row.get('role'))}</td>"
                    f"<td>{e(_number(row.get('max_abs_err')))}</td>"
                    f"<td>{e(_number(row.get('allowed')))}</td><td>{e(row.get('status'))}</td></tr>")
    return ('<details><summary>Parameter gradients (forward order; the backward reaches the '
            'last row first)</summary><div class="scroll"><table class="plain"><thead><tr>'
            '<th>#</th><th>source</th><th>target</th><th>worst parameter</th>'
            '<th>max abs diff</th><th>tolerance</th><th>status</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div></details>')


def _conventions():
    """The model conventions the port checker names (``conformance.port.conventions``)."""
    rows = "".join(f"<tr><td>{e(c.name)}</td><td>{e(value)}</td><td>{e(meaning)}</td></tr>"
                   for c in CONVENTIONS for value, meaning in c.values.items())
    return ('<details><summary>Model conventions (architecture choices, not op semantics: '
            'named by the checker where the layers show them)</summary><table class="plain">'
            '<thead><tr><th>convention</th><th>value</th><th>meaning</th></tr></thead>'
            f'<tbody>{rows}</tbody></table></details>')


def _number(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
