"""The report's "Version changes" section: each policy field that changed between two versions
of a framework names the cells proving it; a pair without any change says so, with the number
of cells compared."""
import json

from report_cells import cell, header, write_jsonl

from conformance.__main__ import main
from conformance.report import versions
from conformance.report.analysis import latest
from conformance.report.load import load


def semantics(field, framework, version, policy, outcome="pass"):
    return cell(prop=f"semantics.{field}", subject=field, framework=framework, version=version,
                semantics=policy, policy_fields=[field], max_abs_err=None, outcome=outcome)


def write_versions(tmp_path):
    for version in ("2.13.0", "2.14.1"):
        write_jsonl(tmp_path / f"torch-{version}.jsonl", [
            header(frameworks={"torch": version}),
            cell(subject="tanh", version=version), cell(subject="exp", version=version),
            semantics("free_graph_after_backward", "torch", version, "torch")])
    for version, policy in (("5.4.0", "chainer5"), ("7.8.1", "chainer")):
        write_jsonl(tmp_path / f"chainer-{version}.jsonl", [
            header(frameworks={"chainer": version}),
            cell(subject="tanh", framework="chainer", version=version),
            semantics("output_grad_after_backward", "chainer", version, policy),
            semantics("free_graph_after_backward", "chainer", version, policy)])


def test_a_changed_policy_field_names_its_proving_cells(tmp_path):
    write_versions(tmp_path)
    diffs = {(d.framework, d.old, d.new): d for d in versions.diff_versions(latest(load([str(tmp_path)])))}
    chainer = diffs[("chainer", "5.4.0", "7.8.1")]
    proof = chainer.evidence("output_grad_after_backward")
    assert [new["property"] for _, new in proof] == ["semantics.output_grad_after_backward"]
    assert [old["framework_version"] for old, _ in proof] == ["5.4.0"]
    assert chainer.evidence("free_graph_after_backward") == []   # same value in both policies
    assert chainer.compared == 3
    out = tmp_path / "r.html"
    summary = tmp_path / "s.json"
    assert main(["report", "--results", str(tmp_path), "--out", str(out), "--json", str(summary),
                 "--no-baseline"]) == 0
    section = out.read_text().split('<section id="versions">', 1)[1].split("</section>", 1)[0]
    row = section.split("<code>output_grad_after_backward</code>", 1)[1].split("</tr>", 1)[0]
    assert "output_grad_after_backward</span></a>" in row            # the link to its cell
    assert "no cell checks it in both versions" in section           # a changed field unproven here
    data = {(d["framework"], d["old"]): d for d in json.loads(summary.read_text())["version_diffs"]}
    fields = {f["field"]: f["cells"] for f in data[("chainer", "5.4.0")]["policy_fields"]}
    assert fields["output_grad_after_backward"] == [
        {"property": "semantics.output_grad_after_backward", "subject": "output_grad_after_backward",
         "device": "cpu", "dtype": "float32"}]


def test_a_pair_without_changes_says_so_with_the_cells_compared(tmp_path):
    write_versions(tmp_path)
    out = tmp_path / "r.html"
    assert main(["report", "--results", str(tmp_path), "--out", str(out), "--no-baseline"]) == 0
    page = out.read_text()
    assert ("No behaviour change found between torch 2.13.0 and 2.14.1: 3 cell(s) present in both "
            "versions compared") in page
    assert "No behaviour change found between chainer" not in page   # chainer's policy changed


def test_a_changed_outcome_is_no_none_found(tmp_path):
    write_versions(tmp_path)
    write_jsonl(tmp_path / "torch-2.14.1.jsonl", [
        header(frameworks={"torch": "2.14.1"}), cell(subject="tanh", version="2.14.1"),
        cell(subject="exp", version="2.14.1", outcome="fail", message="exp: 1 vs 2"),
        semantics("free_graph_after_backward", "torch", "2.14.1", "torch")])
    out = tmp_path / "r.html"
    main(["report", "--results", str(tmp_path), "--out", str(out), "--no-baseline"])
    section = out.read_text().split('<section id="versions">', 1)[1].split("</section>", 1)[0]
    assert "No behaviour change found between torch" not in section and "exp: 1 vs 2" in section
