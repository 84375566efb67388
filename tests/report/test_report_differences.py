"""The porting guide (one differences table per pair of frameworks) and the version diff."""
import dataclasses

from report_cells import BASELINE, cell, rich_run

from conformance.report import catalog, differences, versions
from conformance.report.load import latest, load, normalise
from refimpl import policies

PAIR = ("chainer", "torch")
POLICIES = ["chainer", "chainer5", "torch"]


def cells_of(*records):
    return [normalise(r, "mem", i, 0) for i, r in enumerate(records)]


def semantics_cell(field, framework, outcome, version=None):
    version = version or {"torch": "2.13.0", "chainer": "7.8.1"}[framework]
    return cell(prop=f"semantics.case_{field}", subject=field, framework=framework, version=version,
                outcome=outcome, policy_fields=[field], semantics=framework, max_abs_err=None)


def row_for(rows, field):
    (row,) = [r for r in rows if r.field == field]
    return row


def build(*records, table=None):
    return differences.build(cells_of(*records), PAIR, POLICIES, table)


def test_a_row_is_proven_only_when_both_sides_pass():
    field = "concat_default_axis"
    both = build(semantics_cell(field, "torch", "pass"), semantics_cell(field, "chainer", "pass"))
    assert row_for(both, field).status == "proven"
    one_side = build(semantics_cell(field, "torch", "pass"))
    assert row_for(one_side, field).status == "unproven"
    assert row_for(one_side, field).sides == {"chainer": "untested", "torch": "pass"}
    skipped = build(semantics_cell(field, "torch", "pass"), semantics_cell(field, "chainer", "skip"))
    assert row_for(skipped, field).status == "unproven"
    failing = build(semantics_cell(field, "torch", "pass"), semantics_cell(field, "chainer", "pass"),
                    semantics_cell(field, "chainer", "error", version="5.4.0"))
    assert row_for(failing, field).status == "contradicted"


def test_a_cell_of_a_third_framework_is_no_evidence_for_the_pair():
    field = "concat_default_axis"
    rows = build(semantics_cell(field, "torch", "pass"), semantics_cell(field, "chainer", "pass"),
                 cell(prop="semantics.case", subject=field, framework="mygrad", version="2.5.0",
                      outcome="fail", policy_fields=[field], semantics="mygrad"))
    row = row_for(rows, field)
    assert row.status == "proven" and {c["framework"] for c in row.evidence} == set(PAIR)


def test_rows_carry_the_reference_policies_values_and_docs():
    rows = build()
    fields = [f.name for f in policies.dataclasses.fields(policies.Policy)][2:]
    assert sorted(r.field for r in rows) == sorted(fields)
    concat = row_for(rows, "concat_default_axis")
    assert concat.values == {"chainer": "1", "chainer5": "1", "torch": "0"} and concat.differs
    assert "torch.cat: 0" in concat.doc
    assert row_for(rows, "output_grad_after_backward").values["chainer5"] == "'keep'"


def test_differing_rows_come_first_and_only_the_pairs_policies_count():
    table = {"same": ("same everywhere", {"chainer": 1, "chainer5": 1, "torch": 1, "other": 2}),
             "differs": ("differs", {"chainer": 1, "chainer5": 1, "torch": 2})}
    rows = build(table=table)
    assert [r.field for r in rows] == ["differs", "same"]
    assert not row_for(rows, "same").differs            # 'other' is no policy of the pair
    assert row_for(rows, "same").values == {"chainer": "1", "chainer5": "1", "torch": "1"}


def test_a_field_unknown_to_the_reference_still_gets_a_row():
    rows = build(semantics_cell("future_field", "torch", "pass"))
    row = row_for(rows, "future_field")
    assert row.doc == "" and row.values == {} and row.sides["torch"] == "pass"


def test_real_baseline_rows():
    cells = latest(load([BASELINE]))
    guide = differences.porting_guide(cells, catalog.build(cells))
    assert [(pair.first, pair.second, pair.headline) for pair in guide] == [("chainer", "torch", True)]
    rows = guide[0].rows
    concat = row_for(rows, "concat_default_axis")
    assert concat.status == "proven"
    assert {c["framework"] for c in concat.evidence} == {"torch", "chainer"}
    assert row_for(rows, "fresh_parameter_grad").status == "unproven"   # skipped on both sides


def test_version_diff_lists_regressions_and_changed_policy_fields(tmp_path):
    rich_run(tmp_path)
    diffs = {(d.framework, d.old, d.new): d for d in versions.diff_versions(latest(load([str(tmp_path)])))}
    torch = diffs[("torch", "2.13.0", "2.14.1")]
    kinds = {(kind, (new or old)["subject"], (new or old)["device"]) for kind, old, new in torch.changes}
    assert ("regression", "matmul", "cpu") in kinds
    assert ("regression", "conv2d", "cpu") in kinds
    assert ("only_new", "tanh", "cuda") in kinds
    assert torch.count("regression") == 2 and torch.unchanged == 7
    chainer = diffs[("chainer", "5.4.0", "7.8.1")]
    assert chainer.old_policies == ["chainer5"] and chainer.new_policies == ["chainer"]
    changed = {name for name, *_ in chainer.policy_fields}
    assert {"intermediate_grads_without_retain", "output_grad_after_backward",
            "backward_without_graph", "clip_none_bound"} <= changed
    # exactly the fields whose values differ between the two policies (more join as the
    # chainer5 policy models more of 5.4.0)
    assert changed == {field.name for field in dataclasses.fields(policies.Policy)
                       if field.name != "name" and getattr(policies.CHAINER5, field.name)
                       != getattr(policies.CHAINER, field.name)}
    policy_changes = [new["property"] for kind, _, new in chainer.changes if kind == "policy"]
    # second_backward checks free_graph_after_backward, the same in chainer5 and chainer
    assert policy_changes == ["semantics.output_grad_after_backward"]
    assert chainer.count("only_new") == 1
