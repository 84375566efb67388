"""N frameworks in one report: a framework the report was never told about (a third one,
with no plugin installed here) gets its matrix columns and porting-guide pairs; the headline
pair is found through the plugins' porting roles, never through names; the reference is the
plugin's flag, else the run header's; the reference's version is never shown as the version
of a policy it ran under."""
import dataclasses
import os
import re
import types

from report_cells import cell, complete_run, write_jsonl

from conformance import frameworks, recorder
from conformance.report import catalog, differences, html, schemas, summary
from conformance.report.analysis import analyse
from conformance.report.load import load

THIRD = "nanograd"   # a framework no plugin here knows (a third-party engine)
VERSIONS = {"refimpl": "0.1.0", "torch": "2.13.0", "chainer": "7.8.1", THIRD: "2.5.0"}
SEMANTICS = {"refimpl": "torch", "torch": "torch", "chainer": "chainer", THIRD: THIRD}


def mixed_run(directory, semantics=SEMANTICS, **header_fields):
    """One complete /2 run with cells of the reference, torch, chainer and a third framework:
    a gradient cell each, and a semantics cell of ``concat_default_axis`` for the others."""
    cells = []
    for framework, version in VERSIONS.items():
        cells.append(cell(framework=framework, version=version, semantics=semantics[framework]))
        if framework != "refimpl":
            cells.append(cell(prop="semantics.concat_default_axis", subject="concat_default_axis",
                              framework=framework, version=version, semantics=semantics[framework],
                              policy_fields=["concat_default_axis"], max_abs_err=None))
    header_fields.setdefault("frameworks", dict(VERSIONS))
    path = os.path.join(directory, "mixed.jsonl")
    write_jsonl(path, complete_run(cells, **header_fields))
    return path


def plugin(name, display_name=None, reference=False, porting_role=None, policies=(), table=None):
    """A stand-in for a framework plugin (only what the report reads)."""
    return types.SimpleNamespace(name=name, display_name=display_name or name, reference=reference,
                                 porting_role=porting_role, policies=tuple(policies),
                                 semantics_policies=lambda: dict(table or {}))


def section(page, section_id):
    start = page.index(f'<section id="{section_id}">')
    return page[start:page.index("</section>", start)]


def test_a_third_framework_gets_its_matrix_columns_and_every_pair(tmp_path):
    analysis = analyse(load([mixed_run(str(tmp_path))]))
    # the reference, the porting source, the target, then the others by name
    assert [c.framework for c in analysis.matrix.columns] == ["refimpl", "chainer", "torch", THIRD]
    assert [(p.first, p.second, p.headline) for p in analysis.porting] == [
        ("chainer", "torch", True), ("chainer", THIRD, False), ("torch", THIRD, False)]
    page = html.render(analysis)
    assert f'<div class="fw">{THIRD}</div>' in page
    guide = section(page, "differences")
    titles = re.findall(r'(?:<h3 id="[^"]*">|<summary><b>)([^<]*↔[^<]*)<', guide)
    assert titles == ["Chainer ↔ PyTorch", f"Chainer ↔ {THIRD}", f"PyTorch ↔ {THIRD}"]
    assert guide.index("Chainer ↔ PyTorch") < guide.index('<details class="block pair"')
    assert '<a href="#differences">Chainer ↔ PyTorch</a>' in page
    # the third framework's side: its name (no plugin here), its version, its cells as evidence
    assert f'<th class="v">{THIRD} (2.5.0)</th>' in guide
    data = summary.build(analysis)
    assert [p["pair"] for p in data["porting_guide"]] == [["chainer", "torch"], ["chainer", THIRD],
                                                         ["torch", THIRD]]
    third = data["porting_guide"][1]["rows"]
    concat = [row for row in third if row["field"] == "concat_default_axis"][0]
    assert concat["sides"] == {"chainer": "pass", THIRD: "pass"} and concat["status"] == "proven"
    assert data["differences"] == data["porting_guide"][0]["rows"] and data["reference"] == "refimpl"


def test_the_headline_pair_comes_from_porting_roles_not_names():
    cells = [dict(c, _source="mem", _line=i, _run=0) for i, c in enumerate(
        cell(framework=name, version=VERSIONS[name]) for name in ("torch", "chainer", THIRD))]
    by_role = {"refimpl": plugin("refimpl", reference=True), "torch": plugin("torch", porting_role="target"),
               THIRD: plugin(THIRD, "NanoGrad", porting_role="source"), "chainer": plugin("chainer")}
    guide = differences.porting_guide(cells, catalog.build(cells, plugins=by_role), table={})
    assert [(p.first, p.second, p.headline) for p in guide][0] == (THIRD, "torch", True)
    assert sum(p.headline for p in guide) == 1
    no_roles = {name: plugin(name, reference=name == "refimpl") for name in VERSIONS}
    guide = differences.porting_guide(cells, catalog.build(cells, plugins=no_roles), table={})
    assert [(p.first, p.second) for p in guide] == [("chainer", THIRD), ("chainer", "torch"), (THIRD, "torch")]
    assert not any(p.headline for p in guide)


def test_the_reference_version_is_never_the_version_of_a_policy(tmp_path):
    # the third framework runs under the torch policy too: torch's column keeps torch's version
    semantics = dict(SEMANTICS, **{THIRD: "torch"})
    analysis = analyse(load([mixed_run(str(tmp_path), semantics=semantics)]))
    found = analysis.catalog
    assert found.reference == "refimpl"
    assert found.versions_under("torch", "torch") == ["2.13.0"]
    assert found.versions_under(THIRD, "torch") == ["2.5.0"]
    assert found.versions_under("refimpl", "torch") == []
    guide = section(html.render(analysis), "differences")
    assert "0.1.0" not in guide
    assert '<th class="v">PyTorch (2.13.0)</th>' in guide and f'<th class="v">{THIRD} (2.5.0)</th>' in guide


def test_without_plugins_the_run_header_names_the_reference(tmp_path, monkeypatch):
    path = mixed_run(str(tmp_path), reference="refimpl")
    monkeypatch.setattr(catalog, "installed_plugins", lambda: {})
    analysis = analyse(load([path]))
    assert analysis.catalog.reference == "refimpl"
    assert analysis.matrix.columns[0].framework == "refimpl"
    assert all("refimpl" not in (p.first, p.second) for p in analysis.porting)
    assert analysis.catalog.versions_under("refimpl", "torch") == []
    # no plugin: no roles (no headline), names as display names, rows from the cells alone
    assert [(p.first, p.second) for p in analysis.porting] == [("chainer", THIRD), ("chainer", "torch"),
                                                               (THIRD, "torch")]
    page = html.render(analysis)
    guide = section(page, "differences")
    assert "<h3" in guide and '<th class="v">torch (2.13.0)</th>' in guide
    assert "not a policy field of refimpl" in guide


def test_without_plugins_or_a_header_reference_the_report_still_renders(tmp_path, monkeypatch):
    path = mixed_run(str(tmp_path))
    monkeypatch.setattr(catalog, "installed_plugins", lambda: {})
    analysis = analyse(load([path]))
    assert analysis.catalog.reference is None
    assert len(analysis.porting) == 6        # four frameworks, none known as the reference
    assert "Porting guide" in html.render(analysis)


def test_an_older_policy_equal_to_the_current_one_reads_as_it(tmp_path):
    path = mixed_run(str(tmp_path))
    base = analyse(load([path]))
    table = {"field_a": ("doc a", {"torch": 0, "chainer": 1, "chainer5": 1, f"{THIRD}-old": 2, THIRD: 2}),
             "field_b": ("doc b", {"torch": 0, "chainer": 1, "chainer5": 3, f"{THIRD}-old": 5, THIRD: 4})}
    plugins = {"refimpl": plugin("refimpl", reference=True),
               "torch": plugin("torch", "PyTorch", porting_role="target", policies=["torch"]),
               "chainer": plugin("chainer", "Chainer", porting_role="source", policies=["chainer", "chainer5"]),
               THIRD: plugin(THIRD, "NanoGrad", policies=[THIRD, f"{THIRD}-old"])}
    found = catalog.build(base.cells, base.runs, plugins=plugins)
    assert found.policies_of(THIRD) == [THIRD, f"{THIRD}-old"]
    analysis = dataclasses.replace(base, catalog=found,
                                   porting=differences.porting_guide(base.cells, found, table))
    guide = section(html.render(analysis), "differences")
    assert guide.count("as chainer") == 2        # field_a in two pairs; field_b's chainer5 differs
    assert guide.count(f"as {THIRD}") == 2       # field_a in two pairs; field_b's old value differs
    assert f'<th class="v">NanoGrad [{THIRD}-old]</th>' in guide and '<th class="v">NanoGrad (2.5.0)</th>' in guide


def test_the_run_header_names_the_reference_and_the_schema_takes_it():
    record = recorder.header("ci", {"torch": "2.13.0"})
    assert record["reference"] == frameworks.reference().name
    assert schemas.problem(schemas.V2, "header", record) is None
    assert "reference" in schemas.problem(schemas.V2, "header", dict(record, reference=3))
