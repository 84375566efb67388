"""The HTML report: one self-contained page (inline CSS, JS and SVG; nothing fetched when it
is viewed, so it works from ``file://``). Every string that comes from a result file is
escaped, and its bidirectional control characters are shown as escapes (``\u202e``), so that
no text reads differently from what it holds. Without JavaScript the page shows everything; the script only adds filtering,
opening a linked drill-down and copy buttons.
"""
import hashlib
import json
import re

from . import charts, port
from .model import Counts, column_of, tolerance_ratio
from .text import e
from .versions import CHANGE_ORDER

STATE_ICON = {"pass": "✓", "fail": "✗", "error": "!", "skip": "–", "absent": ""}
STATUS_CLASS = {"proven": "pass", "contradicted": "fail", "unproven": "skip"}
KNOWN_CELL_FIELDS = {
    "schema", "kind", "property", "subject", "framework", "framework_version", "device", "dtype",
    "outcome", "examples", "failures", "max_abs_err", "max_rel_err", "atol", "rtol", "message",
    "repro", "reproduce_blob", "duration_s", "policy_fields", "seed_note", "semantics",
    "observed", "raw_outcome"}
OBSERVED_LIMIT = 8000
CHANGE_LABEL = {"regression": "regression", "fix": "fix", "outcome": "outcome changed",
                "policy": "policy changed", "only_old": "only in old", "only_new": "only in new"}
CHANGE_STATE = {"regression": "fail", "fix": "pass", "outcome": "error", "policy": "skip",
                "only_old": "skip", "only_new": "skip"}


def fmt(value):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def anchor(prop, subject, column):
    digest = hashlib.sha1(repr((prop, subject, column.framework, column.version,
                                column.device)).encode()).hexdigest()[:12]
    return f"d-{digest}"


def badge(state, text=None):
    return f'<span class="badge st-{e(state)}">{e(STATE_ICON.get(state, ""))} {e(text or state)}</span>'


def row_label(prop, subject):
    """The matrix row label: the property without its area, then the subject."""
    if "." not in prop:   # the property is its area (``forward``): the subject names the row
        return f'<span class="prop">{e(subject)}</span>'
    name = prop.split(".", 1)[1]
    if subject == name:
        return f'<span class="prop">{e(name)}</span>'
    return f'<span class="prop">{e(name)}</span> <span class="subject">{e(subject)}</span>'


def counts_text(counts):
    """``passing/total`` (cells that ran), plus skips apart."""
    if counts.state == "absent":
        return "—"
    if counts.ran == 0:
        return "skip"
    return f"{counts['pass']}/{counts.ran}"


def counts_title(counts, cells=()):
    parts = [f"{counts[o]} {o}" for o in ("pass", "fail", "error", "skip") if counts[o]]
    reasons = sorted({c.get("message") for c in cells if c["outcome"] == "skip" and c.get("message")})
    if reasons:
        parts.append("skipped: " + "; ".join(reasons))
    return ", ".join(parts) if parts else "no cell for this column"


# --- page ---------------------------------------------------------------------------------

def render(analysis, title="Autograd conformance report"):
    return "".join(chunks(analysis, title))


def chunks(analysis, title="Autograd conformance report"):
    """The page as a sequence of strings (written one by one: a large run's page is never
    held whole)."""
    columns = analysis.matrix.columns
    colors = charts.column_colors(columns)
    body = [
        _header(analysis, title),
        _warnings(analysis),
        _regressions(analysis),
        _columns(analysis, colors),
        _matrix(analysis),
        _differences(analysis),
        port.section(analysis),  # issue 18: port checks, when there are results
        _versions(analysis),
        _charts(analysis, colors),
        _details(analysis),
        _environment(analysis),
        _reading_guide(),
    ]
    yield ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
           '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
           f"<title>{e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n")
    first = True
    for part in body:       # strings, or generators of strings (the long sections)
        if not part:
            continue
        if not first:
            yield "\n"
        first = False
        if isinstance(part, str):
            yield part
        else:
            yield from part
    yield f"\n<script>{SCRIPT}</script>\n</body>\n</html>\n"


def _header(analysis, title):
    totals = analysis.totals()
    regressions = analysis.baseline.regressions if analysis.baseline else []
    upgrades = analysis.version_regressions()
    broken = totals["fail"] + totals["error"]
    findings = []
    if regressions:
        findings.append(f"{len(regressions)} regression(s) against the baseline")
    if upgrades:
        findings.append(f"{len(upgrades)} regression(s) between framework versions")
    missing = analysis.baseline.missing if analysis.baseline else []
    if missing:
        findings.append(f"{len(missing)} cell(s) that passed in the baseline are missing")
    if broken:
        known = sum(1 for cell in analysis.cells if analysis.known(cell))
        known_note = f" ({known} of them documented upstream defects)" if known else ""
        findings.append(f"{totals['fail']} failing{known_note} and {totals['error']} erroring cell(s)")
    incomplete = analysis.incomplete_runs
    if incomplete:   # never the green banner: the cells that did not run are not here
        verdict = (f"Incomplete results: {len(incomplete)} of {len(analysis.runs)} run(s) did not finish; "
                   f"the cells they did not reach are not in this report")
        verdict, state = "; ".join([verdict] + findings), "incomplete"
    elif findings:
        verdict, state = "; ".join(findings), "fail"
    elif totals.ran:
        verdict, state = "Every cell that ran passed", "pass"
    else:
        verdict, state = "No cell ran", "skip"
    tiles = "".join(
        f'<div class="tile st-{o}"><div class="num">{totals[o]}</div><div>{o}</div></div>'
        for o in ("pass", "fail", "error", "skip"))
    frameworks = ", ".join(c.label() for c in analysis.matrix.columns) or "none"
    nav = "".join(f'<a href="#{anchor_id}">{e(text)}</a>' for anchor_id, text in (
        ("matrix", "Matrix"), ("differences", _porting_nav(analysis)), ("versions", "Version changes"),
        ("charts", "Charts"), ("details", "Cell details"), ("environment", "Environment"),
        ("guide", "How to read")))
    return (
        f'<header class="top"><h1>{e(title)}</h1>'
        f'<p class="meta">Generated {e(analysis.generated_at)} from {len(analysis.results.files)} '
        f'result file(s), {len(analysis.runs)} run(s): {totals.cells} cells. Columns: {e(frameworks)}.</p>'
        f'<div class="verdict st-{state}">{e(verdict)}</div>{_completeness(analysis)}'
        f'<div class="tiles">{tiles}</div><nav>{nav}</nav></header>')


def _porting_nav(analysis):
    """The porting guide's link text: its first pair ('Chainer ↔ PyTorch'), else 'Porting guide'."""
    if not analysis.porting:
        return "Porting guide"
    first = analysis.porting[0]
    return f"{analysis.catalog.display(first.first)} ↔ {analysis.catalog.display(first.second)}"


def _completeness(analysis):
    """Each incomplete run with planned vs finished cells; a note for runs of unknown
    completeness (legacy records have no footer)."""
    parts = []
    incomplete = analysis.incomplete_runs
    if incomplete:
        items = "".join(
            f'<li><a href="#run-{run.index}">run {run.index + 1}</a> <code>{e(run.source)}</code>: '
            f'<b>{e(run.status)}</b>, {e(run.progress())}. {e(run.reason)}</li>' for run in incomplete)
        parts.append(f'<ul class="completeness st-incomplete">{items}</ul>')
    unknown = analysis.unknown_runs
    if unknown:
        parts.append(f'<p class="meta completeness-unknown">Completeness unknown for {len(unknown)} run(s) '
                     f'({e(", ".join(sorted({run.label() for run in unknown})[:5]))}'
                     f'{", …" if len(unknown) > 5 else ""}): legacy <code>conformance-result/1</code> '
                     f'records have no footer saying whether the run finished.</p>')
    return "".join(parts)


SKIP_LABEL = {"not_json": "not JSON", "truncated": "truncated last line", "too_long": "line too long",
              "not_object": "not a JSON object", "invalid": "invalid for its schema",
              "unknown_schema": "unknown schema version", "unknown_kind": "unknown record kind",
              "orphan_footer": "footer without its run"}


def _warnings(analysis):
    results = analysis.results
    if not analysis.warnings and not results.skipped_total:
        return ""
    items = "".join(f"<li><code>{e(w)}</code></li>" for w in analysis.warnings[:200])
    more = max(results.warning_count, len(analysis.warnings)) - min(200, len(analysis.warnings))
    extra = f"<li>… and {more} more</li>" if more > 0 else ""
    counts = ", ".join(f"{count} {e(SKIP_LABEL.get(category, category))}"
                       for category, count in sorted(results.skipped_counts.items()))
    skipped = (f'{results.skipped_total} line(s) were skipped ({counts}); every other cell is shown.'
               if results.skipped_total else "No line was skipped.")
    return (f'<section class="callout" id="warnings"><h2>Reading the result files</h2>'
            f'<p>{skipped}</p><ul>{items}{extra}</ul></section>')


def _regressions(analysis):
    comparison = analysis.baseline
    parts = []
    if comparison is not None:
        counts = comparison.as_dict()["counts"]
        chips = "".join(f'<span class="chip">{e(name)}: <b>{counts[name]}</b></span>'
                        for name in ("regressions", "missing", "fixes", "known", "new", "removed",
                                     "changed", "unchanged"))
        paths = ", ".join(analysis.baseline_paths)
        parts.append(f'<p>Against the baseline <code>{e(paths)}</code>'
                     f'{" (framework versions ignored)" if comparison.ignore_version else ""}: {chips}</p>')
        titles = {"regressions": "regressions", "missing": "cells that passed in the baseline and are missing",
                  "fixes": "fixes", "known": "changes explained by documented upstream defects (not regressions)"}
        for name, text in titles.items():
            pairs = getattr(comparison, name)
            if pairs:
                parts.append(_collapsible(f"{len(pairs)} {text} against the baseline",
                                          _pair_table(analysis, pairs), len(pairs)))
    version_regressions = analysis.version_regressions()
    if version_regressions:
        rows = "".join(
            f'<tr><td>{e(diff.framework)} {e(diff.old)} → {e(diff.new)}</td>'
            f'<td>{_cell_link(analysis, new, row_label(new["property"], new["subject"]))}</td>'
            f'<td>{e(new["device"])}</td><td>{e(new["dtype"])}</td>'
            f'<td>{badge(old["outcome"])} → {badge(new["outcome"])}</td>'
            f'<td class="msg">{e(_clip(new.get("message"), 300))}</td></tr>'
            for diff, old, new in version_regressions)
        per_pair = {}
        for diff, _, _ in version_regressions:
            label = f"{diff.framework} {diff.old} → {diff.new}"
            per_pair[label] = per_pair.get(label, 0) + 1
        title = (f"{len(version_regressions)} regression(s) between versions of one framework ("
                 + ", ".join(f"{label}: {count}" for label, count in per_pair.items()) + ")")
        table = ('<table class="plain"><thead><tr><th>versions</th><th>cell</th><th>device</th><th>dtype</th>'
                 f'<th>outcome</th><th>message</th></tr></thead><tbody>{rows}</tbody></table>')
        parts.append(_collapsible(title, table, len(version_regressions)))
    if not parts:
        return ""
    return f'<section id="regressions"><h2>Regressions</h2>{"".join(parts)}</section>'


def _collapsible(title, body, count, open_up_to=15):
    """A titled block, open when it lists at most ``open_up_to`` rows."""
    opened = " open" if count <= open_up_to else ""
    return (f'<details class="block"{opened}><summary><b>{e(title)}</b></summary>'
            f'<div class="scroll">{body}</div></details>')


def _pair_table(analysis, pairs):
    rows = []
    for before, after in pairs:
        cell = after or before
        label = row_label(cell["property"], cell["subject"])
        rows.append(
            f'<tr><td>{_cell_link(analysis, cell, label) if after else label}</td>'
            f'<td>{e(cell["framework"])} {e(cell["framework_version"])}</td><td>{e(cell["device"])}</td>'
            f'<td>{e(cell["dtype"])}</td><td>{badge(before["outcome"]) if before else "—"} → '
            f'{badge(after["outcome"]) if after else "—"}</td>'
            f'<td class="msg">{e(_clip(cell.get("message"), 300))}</td></tr>')
    return ('<table class="plain"><thead><tr><th>cell</th><th>framework</th><th>device</th>'
            '<th>dtype</th><th>outcome</th><th>message</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def _cell_link(analysis, cell, label_html):
    return f'<a href="#{anchor(cell["property"], cell["subject"], column_of(cell))}">{label_html}</a>'


def _clip(text, limit):
    if text is None:
        return ""
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _columns(analysis, colors):
    matrix = analysis.matrix
    cards = []
    for column in matrix.columns:
        cells = [c for row in matrix.rows() for c in row.entries.get(column, ())]
        counts = Counts(cells)
        share = (counts["pass"] / counts.ran * 100) if counts.ran else 0
        runs = sorted({analysis.runs[c["_run"]].index for c in cells})
        run_links = " ".join(f'<a href="#run-{i}">run {i + 1}</a>' for i in runs)
        cards.append(
            f'<div class="card st-{counts.state}"><div class="card-title">'
            f'<span class="swatch" style="background:{colors[column]}"></span>'
            f'<b>{e(column.framework)}</b> {e(column.version or "?")} <span class="dev">{e(column.device or "?")}</span></div>'
            f'<div class="big">{counts["pass"]}/{counts.ran} <small>passing</small></div>'
            f'<div class="bar"><div style="width:{share:.1f}%"></div></div>'
            f'<div class="small">{counts["fail"]} fail · {counts["error"]} error · {counts["skip"]} skip'
            f' · {counts.duration:.2f} s</div><div class="small">{run_links}</div></div>')
    if not cards:
        return '<section id="columns"><h2>Columns</h2><p>No cells.</p></section>'
    return f'<section id="columns"><h2>Frameworks, versions and devices</h2><div class="cards">{"".join(cards)}</div></section>'


def _filters():
    boxes = "".join(
        f'<label class="st-{s}"><input type="checkbox" class="state-filter" value="{s}" checked> {s}</label>'
        for s in ("pass", "fail", "error", "skip"))
    return (f'<div class="filters" id="filters" hidden><input type="search" id="q" '
            f'placeholder="Filter by text: property, subject, field, message…" aria-label="filter text">'
            f'{boxes}<span id="filter-count" class="small"></span></div>')


def _matrix(analysis):
    matrix = analysis.matrix
    columns = matrix.columns
    head = "".join(
        f'<th class="col"><div class="fw">{e(c.framework)}</div><div>{e(c.version or "?")}</div>'
        f'<div class="dev">{e(c.device or "?")}</div></th>' for c in columns)
    lede = (f'<section id="matrix"><h2>Matrix</h2><p class="lede">Each entry: cells passing / cells '
            f'that ran (skips apart). Click an entry for its drill-down. States: '
            f'{badge("pass")} {badge("fail")} {badge("error")} {badge("skip")} {badge("absent", "absent: no cell")}</p>'
            f'{_filters()}')
    if not matrix.areas:
        yield f"{lede}<p>No cells in these results.</p></section>"
        return
    yield (f'{lede}<div class="scroll"><table class="matrix"><thead><tr><th class="corner">property · subject</th>'
           f'{head}</tr></thead>')
    for area, rows in matrix.areas:
        area_cells = "".join(_entry(matrix.area_counts(area, c), None) for c in columns)
        yield (f'<tbody class="area" data-area="{e(area)}"><tr class="area-row"><th scope="rowgroup">'
               f'{e(area)} <span class="small">({len(rows)})</span></th>{area_cells}</tr>')
        for row in rows:
            entries = []
            states = set()
            for column in columns:
                cells = row.entries.get(column, [])
                counts = Counts(cells)
                states.add(counts.state)
                entries.append(_entry(counts, anchor(row.prop, row.subject, column) if cells else None, cells))
            text = " ".join([row.prop, row.subject] + [c.get("message") or "" for cs in row.entries.values() for c in cs])
            yield (f'<tr class="row" data-filter data-text="{e(text.lower())}" '
                   f'data-states="{e(" ".join(sorted(states)))}">'
                   f'<th scope="row">{row_label(row.prop, row.subject)}</th>{"".join(entries)}</tr>')
        yield '</tbody>'
    yield "</table></div></section>"


def _entry(counts, target, cells=()):
    state = counts.state
    if state == "absent":
        return '<td class="st-absent" title="no cell for this column">—</td>'
    text = f'{STATE_ICON[state]} {counts_text(counts)}'
    if counts["skip"] and counts.ran:
        text += f' <small>+{counts["skip"]} skip</small>'
    title = counts_title(counts, cells)
    inner = f'<a href="#{target}">{text}</a>' if target else text   # text: counts and icons only
    return f'<td class="st-{state}" title="{e(title)}">{inner}</td>'


def _differences(analysis):
    guide = analysis.porting
    catalog = analysis.catalog
    reference = catalog.reference_label()
    head = '<section id="differences"><h2>Porting guide: what differs between frameworks</h2>'
    if not guide:
        others = catalog.others()
        present = ", ".join(catalog.display(name) for name in others) or "none"
        return (f'{head}<p>The porting guide compares two frameworks other than the reference '
                f'({e(reference)}); these results hold {len(others)} ({e(present)}).</p></section>')
    lede = (f'<p class="lede">One table per pair of frameworks other than the reference, the porting '
            f'source and target first. One row per behaviour where the frameworks may differ: the value of '
            f'the {e(reference)} semantics policy modelling each side (a policy equal to that side\'s current '
            f'one reads <i>as</i> it), what it means, and the <code>semantics.*</code> cells that check it on '
            f'the real frameworks. A row is <b>proven</b> only when its cells pass on both sides; '
            f'<b>contradicted</b> when a cell fails or errors; <b>unproven</b> when a side has no cell that ran.</p>')
    parts = [head, lede]
    for index, pair in enumerate(guide):
        title = f"{catalog.display(pair.first)} ↔ {catalog.display(pair.second)}"
        proven = sum(1 for row in pair.rows if row.status == "proven")
        differing = sum(1 for row in pair.rows if row.differs)
        counts = f"{differing} of {len(pair.rows)} behaviours differ; {proven} rows are proven"
        body = f'<p class="small">{e(counts)}.</p>{_porting_table(analysis, pair)}'
        pair_id = "pair-" + re.sub(r"[^A-Za-z0-9]+", "-", f"{pair.first}-{pair.second}").strip("-")
        if index == 0:
            parts.append(f'<h3 id="{e(pair_id)}">{e(title)}</h3>{body}')
        else:
            parts.append(f'<details class="block pair" id="{e(pair_id)}"><summary><b>{e(title)}</b> '
                         f'<span class="small">({e(counts)})</span></summary>{body}</details>')
    parts.append("</section>")
    return "".join(parts)


def _porting_table(analysis, pair):
    catalog = analysis.catalog
    if not pair.rows:
        return '<p>No semantics policy is known and no cell names a policy field.</p>'
    current = {}
    for framework, policy in pair.columns:
        current.setdefault(framework, policy)
    head_cells = "".join(f'<th class="v">{e(_policy_label(catalog, framework, policy))}</th>'
                         for framework, policy in pair.columns)
    lines = []
    for row in pair.rows:
        values = []
        for framework, policy in pair.columns:
            value = row.values.get(policy, "—")
            same = (policy != current[framework] and policy in row.values
                    and value == row.values.get(current[framework]))
            values.append(f'<td class="{"same" if same else "val"}"><code>'
                          f'{e(f"as {current[framework]}" if same else value)}</code></td>')
        states = " ".join(sorted({c["outcome"] for c in row.evidence})) or "skip"
        text = " ".join([row.field, row.doc] + list(row.values.values())).lower()
        sides = " · ".join(f"{e(side)}: {e(state)}" for side, state in row.sides.items())
        same_row = "" if row.differs else '<div class="small">same in both</div>'
        row_class = "" if row.differs else ' class="same-row"'
        doc = doc_html(row.doc) or f"<i>not a policy field of {e(catalog.reference_label())}</i>"
        lines.append(
            f'<tr data-filter data-text="{e(text)}" data-states="{e(states)}"'
            f'{row_class}>'
            f'<th scope="row"><code class="field">{e(row.field)}</code>{same_row}'
            f'<div><span class="badge st-{STATUS_CLASS[row.status]}">{e(row.status)}</span></div>'
            f'<div class="small">{sides}</div></th>'
            f'{"".join(values)}<td class="doc">{doc}</td><td class="evidence">{_evidence(analysis, row)}</td></tr>')
    columns = ('<colgroup><col class="c-field">' + '<col class="c-val">' * len(pair.columns)
               + '<col class="c-doc"><col class="c-ev"></colgroup>')
    return (f'<table class="plain diff">{columns}<thead><tr><th>behaviour (policy field)</th>{head_cells}'
            f'<th>what it means</th><th>proven by (cells)</th></tr></thead><tbody>{"".join(lines)}</tbody></table>')


def doc_html(doc):
    """A policy field's documentation, escaped, with its ``literals`` as code."""
    return re.sub(r"``(.+?)``", r"<code>\1</code>", e(doc)) if doc else ""


def _policy_label(catalog, framework, policy):
    """A policy column's heading: the framework, then the versions of it whose cells ran under
    the policy, or the policy's name when none did."""
    seen = catalog.versions_under(framework, policy)
    name = catalog.display(framework)
    return f"{name} ({', '.join(seen)})" if seen else f"{name} [{policy}]"


def _evidence(analysis, row):
    if not row.evidence:
        return '<span class="small">no cell</span>'
    by_property = {}
    for cell in row.evidence:
        by_property.setdefault(cell["property"], []).append(cell)
    items = []
    for prop, cells in by_property.items():
        links = " ".join(_cell_link(analysis, c, badge(c["outcome"], f'{c["framework"]} {c["framework_version"] or "?"}'))
                         for c in cells)
        name = prop.split(".", 1)[1] if prop.startswith("semantics.") else prop
        doc = analysis.case_docs.get(name)
        items.append(f'<div class="ev"><code title="{e(doc or "")}">{e(name)}</code> {links}</div>')
    return "".join(items)


def _versions(analysis):
    diffs = analysis.version_diffs
    if not diffs:
        present = sorted({f"{c.framework} {c.version}" for c in analysis.matrix.columns})
        return ('<section id="versions"><h2>Version changes</h2><p>These results hold one version of each '
                f'framework ({e(", ".join(present)) or "none"}); results from a second version of a framework '
                '(e.g. the tox environment of another version) show what changed.</p></section>')
    parts = []
    for diff in diffs:
        chips = "".join(f'<span class="chip st-{CHANGE_STATE[k]}">{e(CHANGE_LABEL[k])}: <b>{diff.count(k)}</b></span>'
                        for k in CHANGE_ORDER) + f'<span class="chip">unchanged: <b>{diff.unchanged}</b></span>'
        policy = ""
        if diff.policy_fields:
            rows = "".join(f'<tr><th scope="row"><code>{e(f)}</code></th><td><code>{e(o)}</code></td>'
                           f'<td><code>{e(n)}</code></td><td>{_evidence_links(analysis, diff, f)}</td>'
                           f'<td class="doc">{doc_html(doc)}</td></tr>'
                           for f, o, n, doc in diff.policy_fields)
            policy = (f'<p>{_policy_sentence(analysis.catalog, diff)}; these behaviours differ:</p>'
                      f'<table class="plain"><thead><tr><th>policy field</th><th>{e(diff.old)}</th><th>{e(diff.new)}</th>'
                      f'<th>proved by (passing in both versions, each under its policy)</th>'
                      f'<th>what it means</th></tr></thead><tbody>{rows}</tbody></table>')
        changed = [c for c in diff.changes if c[0] not in ("only_old", "only_new")]
        presence = [c for c in diff.changes if c[0] in ("only_old", "only_new")]
        changes = _change_table(analysis, diff, changed) if changed else (
            f'<p class="none-found">No behaviour change found between {e(diff.framework)} {e(diff.old)} and '
            f'{e(diff.new)}: {diff.compared} cell(s) present in both versions compared, each with the same '
            f'outcome and policy.</p>')
        if presence:
            changes += (f'<details class="presence"><summary>{len(presence)} cell(s) in one version only '
                        f'({diff.count("only_old")} only in {e(diff.old)}, {diff.count("only_new")} only in '
                        f'{e(diff.new)})</summary>{_change_table(analysis, diff, presence)}</details>')
        parts.append(f'<h3>{e(diff.framework)} {e(diff.old)} → {e(diff.new)}</h3><p>{chips}'
                     f'<span class="chip">compared: <b>{diff.compared}</b></span></p>{policy}{changes}')
    return ('<section id="versions"><h2>Version changes</h2><p class="lede">Consecutive versions of each framework, '
            'cell by cell (same property, subject, device and dtype).</p>' + "".join(parts) + "</section>")


def _evidence_links(analysis, diff, field):
    """Links to the new version's cells proving that ``field`` changed (see ``evidence``)."""
    pairs = diff.evidence(field)
    if not pairs:
        return '<span class="small">no cell checks it in both versions</span>'
    return " ".join(_cell_link(analysis, new, badge(new["outcome"], new["property"].split(".", 1)[-1]))
                    for _, new in pairs)


def _policy_sentence(catalog, diff):
    """Which policies model the two versions; for the reference's own versions, which
    policies its cells ran under (a policy models another framework, not the reference)."""
    old = f'<code>{e(", ".join(diff.old_policies))}</code>'
    new = f'<code>{e(", ".join(diff.new_policies))}</code>'
    if catalog.is_reference(diff.framework):
        return (f"the cells of {e(catalog.display(diff.framework))} {e(diff.old)} ran under the {old} policy "
                f"and those of {e(diff.new)} under {new}")
    return (f"{e(catalog.reference_label())} models {e(catalog.display(diff.framework))} {e(diff.old)} "
            f"with the {old} policy and {e(diff.new)} with {new}")


def _change_table(analysis, diff, changes):
    rows = []
    for kind, old, new in changes:
        cell = new or old
        text = " ".join([kind, cell["property"], cell["subject"], (cell.get("message") or "")]).lower()
        rows.append(
            f'<tr data-filter data-text="{e(text)}" data-states="{e(CHANGE_STATE[kind])}">'
            f'<td><span class="badge st-{CHANGE_STATE[kind]}">{e(CHANGE_LABEL[kind])}</span></td>'
            f'<td>{_cell_link(analysis, cell, row_label(cell["property"], cell["subject"]))}</td>'
            f'<td>{e(cell["device"])}</td><td>{e(cell["dtype"])}</td>'
            f'<td class="nowrap">{_version_side(old)}</td><td class="nowrap">{_version_side(new)}</td>'
            f'<td class="msg">{e(_clip(cell.get("message"), 240))}</td></tr>')
    return (f'<div class="scroll"><table class="plain"><thead><tr><th>change</th><th>cell</th><th>device</th>'
            f'<th>dtype</th><th>{e(diff.old)}</th><th>{e(diff.new)}</th><th>message</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _version_side(cell):
    if cell is None:
        return '<span class="small">no cell</span>'
    policy = f' <span class="small">[{e(cell["semantics"])}]</span>' if cell.get("semantics") else ""
    return badge(cell["outcome"]) + policy


def _charts(analysis, colors):
    columns = analysis.matrix.columns
    tolerance = charts.tolerance_chart(analysis.cells, columns, colors)
    duration = charts.duration_chart(analysis.cells, columns, colors,
                                     [area for area, _ in analysis.matrix.areas])
    legend = charts.legend(columns, colors)
    tolerance_html = tolerance or ('<p class="small">No cell records an error together with a '
                                   'tolerance (the semantics cells compare observations exactly).</p>')
    duration_html = duration or '<p class="small">No cell records a duration.</p>'
    return (
        '<section id="charts"><h2>Charts</h2>'
        '<h3>Error relative to tolerance, per subject</h3>'
        '<p class="lede">Each dot is the worst cell of a subject in one column: '
        '<code>min(max_abs_err / atol, max_rel_err / rtol)</code>, on a log10 scale (each panel states '
        'its range). Failing and erroring cells and passing cells are in separate panels: at or below 1 '
        '(the tolerance line) every element is within <code>atol + rtol·|expected|</code>; a passing cell '
        'whose ratio exceeds 1 passed through both terms together, and is drawn at the tolerance as an '
        'open diamond rather than among the failures. Hover a dot for its numbers.</p>'
        f'{legend}<div class="chart-box">{tolerance_html}</div>'
        f'<h3>Time per property area</h3>{legend}<div class="chart-box">{duration_html}</div></section>')


def _details(analysis):
    matrix = analysis.matrix
    yield ('<section id="details"><h2>Cell details</h2><p class="lede">One block per matrix entry; '
           'failing and erroring ones start open. Each shows the cells (one per dtype) with their '
           'errors against tolerance, message, repro script and reproduce blob.</p>')
    for row in matrix.rows():
        for column in matrix.columns:
            cells = row.entries.get(column)
            if not cells:
                continue
            counts = Counts(cells)
            state = counts.state
            text = " ".join([row.prop, row.subject, column.label()] + [c.get("message") or "" for c in cells])
            skipped = f', {counts["skip"]} skipped' if counts["skip"] else ""
            summary = (f'{badge(state)} {row_label(row.prop, row.subject)} <span class="small">— '
                       f'{e(column.label())} — {counts["pass"]}/{counts.ran} passing{skipped}</span>')
            case_doc = _case_doc(analysis, row.prop)
            body = case_doc + "".join(_cell_detail(analysis, cell) for cell in cells)
            opened = " open" if state in ("fail", "error") else ""
            yield (f'<details class="drill st-{state}" id="{anchor(row.prop, row.subject, column)}" data-filter '
                   f'data-text="{e(text.lower())}" data-states="{state}"{opened}><summary>{summary}</summary>'
                   f'<div class="drill-body">{body}</div></details>')
    yield "</section>"


def _case_doc(analysis, prop):
    if not prop.startswith("semantics."):
        return ""
    doc = analysis.case_docs.get(prop.split(".", 1)[1])
    return f'<p class="case-doc">{e(doc)}</p>' if doc else ""


def _cell_detail(analysis, cell):
    run = analysis.runs[cell["_run"]]
    facts = [("outcome", badge(cell["outcome"]) + (f' <span class="small">(recorded as {e(cell["raw_outcome"])})</span>'
                                                  if cell.get("raw_outcome") is not None else "")),
             ("dtype", e(cell["dtype"])),
             ("examples / failures", f'{e(fmt(cell["examples"]))} / {e(fmt(cell["failures"]))}'),
             ("max abs error vs atol", f'{e(fmt(cell["max_abs_err"]))} vs {e(fmt(cell["atol"]))}'),
             ("max rel error vs rtol", f'{e(fmt(cell["max_rel_err"]))} vs {e(fmt(cell["rtol"]))}'),
             ("tolerance ratio", e(fmt(tolerance_ratio(cell)))),
             ("duration", f'{e(fmt(cell["duration_s"]))} s')]
    if cell.get("semantics"):
        facts.append((f"{analysis.catalog.reference_label()} policy", f'<code>{e(cell["semantics"])}</code>'))
    if cell.get("policy_fields"):
        facts.append(("policy fields", " ".join(f"<code>{e(f)}</code>" for f in cell["policy_fields"])))
    if cell.get("seed_note"):
        facts.append(("seed note", f'<code>{e(cell["seed_note"])}</code>'))
    issue = analysis.known(cell)
    if isinstance(issue, dict):  # a documented upstream defect (a plugin's known_issues.toml)
        link = str(issue.get("link") or "")
        shown = (f' <a href="{e(link)}">{e(link)}</a>' if link.startswith(("https://", "http://"))
                 else e(link))
        facts.append(("known upstream defect", f'{e(issue.get("reason") or "")}{shown}'))
    for name in sorted(k for k in cell if k not in KNOWN_CELL_FIELDS and k != "known_issue"
                       and not k.startswith("_")):
        facts.append((name, _extra_field(cell[name])))
    source = (f'<code>{e(cell["_source"])}:{e(cell["_line"])}</code> '
              f'(<a href="#run-{run.index}">run {run.index + 1}</a>)')
    facts.append(("source", source))
    if cell.get("_superseded"):
        earlier = "; ".join(f'{s["source"]}:{s["line"]} {s["outcome"]}' for s in cell["_superseded"])
        facts.append(("replaces", e(earlier)))
    rows = "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in facts)
    parts = [f'<div class="cell-detail st-{e(cell["outcome"])}"><table class="facts">{rows}</table>']
    if cell.get("message"):
        parts.append(f'<div class="label">message</div><pre class="message">{e(cell["message"])}</pre>')
    if cell.get("repro"):
        parts.append('<div class="label">repro</div><div class="code"><button type="button" class="copy" hidden>'
                     f'Copy</button><pre class="repro">{e(cell["repro"])}</pre></div>')
    if cell.get("reproduce_blob"):
        parts.append('<div class="label">reproduce blob</div><div class="code"><button type="button" '
                     f'class="copy" hidden>Copy</button><pre class="blob">{e(cell["reproduce_blob"])}</pre></div>')
    if cell.get("observed") is not None:
        observed = json.dumps(cell["observed"], indent=1, sort_keys=True, default=str)
        if len(observed) > OBSERVED_LIMIT:
            observed = observed[:OBSERVED_LIMIT] + f"\n… ({len(observed) - OBSERVED_LIMIT} more characters in the result file)"
        parts.append(f'<details class="observed"><summary>observations (framework vs '
                     f'{e(analysis.catalog.reference_label())})</summary>'
                     f'<pre>{e(observed)}</pre></details>')
    parts.append("</div>")
    return "".join(parts)


def _extra_field(value):
    """A field this report does not know (a newer harness): short values inline, the rest in <pre>."""
    text = value if isinstance(value, str) else json.dumps(value, indent=1, sort_keys=True, default=str)
    if len(text) > OBSERVED_LIMIT:
        text = text[:OBSERVED_LIMIT] + f"\n… ({len(text) - OBSERVED_LIMIT} more characters in the result file)"
    if "\n" in text or len(text) > 120:
        return f'<pre class="extra">{e(text)}</pre>'
    return e(text)


def _environment(analysis):
    if not analysis.runs:
        return ""
    rows = []
    for run in analysis.runs:
        header = run.header
        frameworks = header.get("frameworks")
        if isinstance(frameworks, dict):
            frameworks = ", ".join(f"{k} {v or '(unavailable)'}" for k, v in frameworks.items())
        commit = header.get("harness_commit")
        commit_text = f'{str(commit)[:12]}{" (dirty)" if header.get("harness_dirty") else ""}' if commit else "—"
        full = json.dumps(header, indent=1, sort_keys=True, default=str) if header else "(no header: cells before any header record)"
        rows.append(
            f'<tr id="run-{run.index}"><td>{run.index + 1}</td><td><code>{e(run.source)}</code></td>'
            f'<td>{e(header.get("started_at") or "—")}</td>'
            f'<td>{e(header.get("profile") or "—")}{e(" seed " + str(header["seed"])) if header.get("seed") is not None else ""}</td>'
            f'<td>{e(frameworks or "—")}</td>'
            f'<td>Python {e(header.get("python") or "?")} · numpy {e(header.get("numpy") or "?")}</td>'
            f'<td>{e(header.get("platform") or "—")}</td>'
            f'<td>{e(header.get("device_model") or "—")}{e(" · driver " + str(header["driver"])) if header.get("driver") else ""}</td>'
            f'<td><code>{e(commit_text)}</code></td>'
            f'<td><details><summary>header</summary><pre>{e(full)}</pre></details></td></tr>')
    return ('<section id="environment"><h2>Environment of each run</h2><div class="scroll"><table class="plain env">'
            '<thead><tr><th>#</th><th>file</th><th>started</th><th>profile</th><th>frameworks</th><th>python</th>'
            '<th>platform</th><th>device</th><th>harness commit</th><th></th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></section>')


def _reading_guide():
    return (
        '<section id="guide"><h2>How to read this report</h2><ul>'
        '<li>A <b>cell</b> is one (property, subject, framework, version, device, dtype): a property '
        '(e.g. <code>grad.first_order</code>) checked on one subject (an op, a layer, an optimizer, or a '
        'policy field for <code>semantics.*</code>) with hypothesis examples against the oracles.</li>'
        '<li>A <b>matrix entry</b> groups the cells of one row and column (its dtypes): '
        '<code>passing/ran</code>; skipped cells are counted apart and their reason is in the tooltip and the drill-down.</li>'
        '<li><b>pass</b>: every example agreed within tolerance; <b>fail</b>: a disagreement (the message names '
        'the oracle); <b>error</b>: the check itself crashed; <b>skip</b>: framework or device absent, or the '
        'case cannot be expressed there; <b>absent</b>: no cell was recorded for that column.</li>'
        '<li>The <b>repro</b> script of a failing cell runs with the real framework and NumPy only; the '
        '<b>reproduce blob</b> replays the hypothesis example.</li>'
        '<li>Where a key was recorded by several runs, the latest run is shown and the drill-down lists the others.</li>'
        '<li>The filter above the matrix (text and states) also applies to the differences table, the version '
        'changes and the cell details; a link can carry it: <code>index.html?q=conv&amp;state=fail,error</code>.</li>'
        '</ul></section>')


CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;
--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#b3261e;--fail-bg:#ffebe9;--error:#9a3412;--error-bg:#fff1e5;
--skip:#57606a;--skip-bg:#eef1f4;--accent:#0969da}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header.top{padding:20px 28px 12px;background:linear-gradient(180deg,#f6f8fa,#fff);border-bottom:1px solid var(--line)}
h1{margin:0 0 4px;font-size:24px}h2{font-size:19px;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
section{padding:0 28px}
.meta,.small,.lede{color:var(--muted)}.small{font-size:12px}.lede{max-width:980px}
.verdict{display:inline-block;margin:8px 0;padding:6px 12px;border-radius:6px;font-weight:600}
.tiles{display:flex;gap:10px;margin:6px 0 10px}.tile{min-width:84px;padding:6px 12px;border-radius:8px;text-align:center}
.tile .num{font-size:22px;font-weight:700}
nav a{margin-right:14px;color:var(--accent);text-decoration:none}nav a:hover{text-decoration:underline}
.st-pass{background:var(--pass-bg);color:var(--pass)}.st-fail{background:var(--fail-bg);color:var(--fail)}
.st-error{background:var(--error-bg);color:var(--error)}
.verdict.st-incomplete{background:var(--fail-bg);color:var(--fail);border:2px dashed var(--fail)}
ul.completeness{margin:4px 0 8px;padding:6px 12px 6px 28px;border-radius:6px;background:var(--error-bg);color:var(--error);max-width:980px}.st-skip{background:var(--skip-bg);color:var(--skip)}
.st-absent{color:#afb8c1;background:repeating-linear-gradient(135deg,#fff,#fff 4px,#f6f8fa 4px,#f6f8fa 8px)}
.badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
a .badge{text-decoration:none}
.chip{display:inline-block;margin:2px 6px 2px 0;padding:2px 9px;border-radius:12px;background:var(--soft);border:1px solid var(--line);font-size:12px}
.callout{margin:16px 28px;padding:4px 16px;border:1px solid #d4a72c;background:#fff8c5;border-radius:6px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{width:230px;padding:10px 12px;border:1px solid var(--line);border-radius:8px;background:#fff;color:var(--fg)}
.card.st-fail,.card.st-error{border-color:var(--fail)}
.card-title{font-size:14px}.card .big{font-size:22px;font-weight:700;margin:4px 0}.card .big small{font-size:12px;color:var(--muted);font-weight:400}
.bar{height:6px;background:var(--fail-bg);border-radius:3px;overflow:hidden}.bar div{height:100%;background:var(--pass)}
.card.st-skip .bar{background:var(--skip-bg)}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}
.dev{color:var(--muted);font-size:12px}
.scroll{overflow:auto;max-width:100%}
table{border-collapse:collapse}
table.matrix{font-size:13px}
table.matrix th,table.matrix td{border:1px solid var(--line);padding:3px 8px}
table.matrix thead th{position:sticky;top:0;background:#fff;z-index:2;vertical-align:bottom}
table.matrix th.col{text-align:center;min-width:92px}.fw{font-weight:700}
table.matrix tbody th{text-align:left;font-weight:400;position:sticky;left:0;background:#fff;z-index:1;white-space:nowrap}
table.matrix td{text-align:center;white-space:nowrap}
table.matrix td a{color:inherit;text-decoration:none;display:block}table.matrix td a:hover{text-decoration:underline}
tr.area-row th,tr.area-row td{background:var(--soft)!important;font-weight:600;color:var(--fg)}
tr.area-row td{opacity:.85}
.prop{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.subject{color:var(--muted);font-size:12px}
table.plain{font-size:13px;margin:6px 0}
table.plain th,table.plain td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
table.plain thead th{background:var(--soft);position:sticky;top:0}
td.doc{max-width:520px;color:#32383f}td.doc code{font-size:12px;background:#f6f8fa;padding:0 3px;border-radius:3px}
table.diff{width:100%;table-layout:fixed}table.diff col.c-field{width:230px}table.diff col.c-val{width:120px}
table.diff col.c-ev{width:28%}table.diff td.doc{max-width:none}table.diff th .badge{margin:4px 0 2px}
table.diff code.field{font-weight:600;word-break:break-all}table.diff td{word-wrap:break-word}td.msg{max-width:460px;font-size:12px;color:#32383f}
td.val code{background:#eef4ff;padding:1px 4px;border-radius:4px}
td.nowrap{white-space:nowrap}details.block{margin:8px 0}details.block>summary{cursor:pointer;margin:6px 0}
details.presence>summary{cursor:pointer;color:var(--muted);margin:6px 0}
td.same{color:var(--muted)}tr.same-row{opacity:.8}
td.status{font-weight:600;white-space:nowrap}
td.evidence{min-width:260px}.ev{margin-bottom:3px}.ev code{font-size:12px}
.filters{position:sticky;top:0;z-index:5;display:flex;gap:10px;align-items:center;padding:8px 0;background:#fff}
.filters input[type=search]{width:360px;padding:5px 8px;border:1px solid var(--line);border-radius:6px;font-size:13px}
.filters label{padding:2px 8px;border-radius:10px;font-size:12px;cursor:pointer}
.filtered-out{display:none!important}
details.drill{border:1px solid var(--line);border-left-width:5px;border-radius:6px;margin:6px 0;background:#fff;color:var(--fg)}
details.drill.st-pass{border-left-color:var(--pass)}details.drill.st-fail{border-left-color:var(--fail)}
details.drill.st-error{border-left-color:var(--error)}details.drill.st-skip{border-left-color:#afb8c1}
details.drill>summary{padding:6px 10px;cursor:pointer}
details.drill:target{box-shadow:0 0 0 3px #54aeff66}
.drill-body{padding:4px 12px 10px}
.case-doc{margin:4px 0 8px;color:#32383f;max-width:980px}
.cell-detail{border-top:1px dashed var(--line);padding:8px 0;background:#fff;color:var(--fg)}
table.facts th{text-align:left;color:var(--muted);font-weight:400;padding:1px 14px 1px 0;white-space:nowrap}
table.facts td{padding:1px 0}
.label{font-size:12px;color:var(--muted);margin-top:6px}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow:auto;max-height:420px;font-size:12px;margin:2px 0;white-space:pre-wrap;word-break:break-word}
pre.message{background:#fff8f7}
.code{position:relative}.copy{position:absolute;right:6px;top:6px;font-size:11px;padding:2px 8px;border:1px solid var(--line);border-radius:4px;background:#fff;cursor:pointer}
.legend{display:flex;flex-wrap:wrap;gap:12px;margin:4px 0;font-size:12px}.legend-item{white-space:nowrap}
.chart-box{overflow:auto;border:1px solid var(--line);border-radius:6px;padding:8px;max-width:100%}
svg.chart text{font:11px -apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#32383f}
svg.chart .axis{fill:var(--muted)}svg.chart .grid{stroke:#e5e9ee}svg.chart .tol-line{stroke:#b3261e;stroke-dasharray:4 3}
svg.chart .band{fill:#f6f8fa}svg.chart .caption{font-weight:600;fill:#32383f}
table.env td{font-size:12px}
#guide ul{max-width:980px}
footer{padding:20px 28px;color:var(--muted)}
@media print{.filters,.copy{display:none!important}details{page-break-inside:avoid}}
"""

SCRIPT = r"""
(function () {
  var bar = document.getElementById('filters');
  if (bar) {
    bar.hidden = false;
    var query = document.getElementById('q');
    var boxes = Array.prototype.slice.call(document.querySelectorAll('.state-filter'));
    var counter = document.getElementById('filter-count');
    var apply = function () {
      var text = query.value.trim().toLowerCase();
      var wanted = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      var everything = wanted.length === boxes.length;
      var shown = 0, total = 0;
      document.querySelectorAll('[data-filter]').forEach(function (el) {
        var okText = !text || (el.getAttribute('data-text') || '').indexOf(text) >= 0;
        var states = (el.getAttribute('data-states') || '').split(' ');
        var okState = everything || states.some(function (s) { return wanted.indexOf(s) >= 0; });
        el.classList.toggle('filtered-out', !(okText && okState));
        if (el.classList.contains('row')) { total++; if (okText && okState) shown++; }
      });
      document.querySelectorAll('tbody.area').forEach(function (body) {
        body.classList.toggle('filtered-out', !body.querySelector('tr.row:not(.filtered-out)'));
      });
      counter.textContent = shown + ' of ' + total + ' matrix rows shown';
    };
    // A link can carry a filter: index.html?q=conv&state=fail,error
    var params = new URLSearchParams(location.search);
    if (params.get('q')) { query.value = params.get('q'); }
    if (params.get('state')) {
      var states = params.get('state').split(',');
      boxes.forEach(function (b) { b.checked = states.indexOf(b.value) >= 0; });
    }
    query.addEventListener('input', apply);
    boxes.forEach(function (b) { b.addEventListener('change', apply); });
    apply();
  }
  var openTarget = function () {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === 'DETAILS') { el.open = true; el.classList.remove('filtered-out'); }
  };
  window.addEventListener('hashchange', openTarget);
  openTarget();
  document.querySelectorAll('button.copy').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var text = button.parentNode.querySelector('pre').textContent;
      var done = function () { button.textContent = 'Copied'; setTimeout(function () { button.textContent = 'Copy'; }, 1200); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
      } else { fallback(text); done(); }
    });
  });
  function fallback(text) {
    var area = document.createElement('textarea');
    area.value = text; document.body.appendChild(area); area.select();
    try { document.execCommand('copy'); } catch (err) {}
    document.body.removeChild(area);
  }
  document.documentElement.setAttribute('data-js', 'ready');
})();
"""
