"""Synthetic result records for the report tests, and real cells: ``BASELINE`` is a fixed copy
of a real verify-semantics run (torch 2.13.0, chainer 7.8.1; 71 cells), kept under
``tests/report/data/`` so that refreshing ``reports/baseline/`` does not change these tests."""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASELINE = os.path.join(ROOT, "tests", "report", "data")


def header(**fields):
    record = {"schema": "conformance-result/1", "kind": "header", "harness_commit": "abc123def456",
              "harness_dirty": False, "profile": "ci", "seed": 0, "python": "3.11.7",
              "platform": "Linux-test", "frameworks": {"torch": "2.13.0"}, "numpy": "1.26.4",
              "device_model": "cpu", "driver": None, "started_at": "2026-01-01T00:00:00+00:00"}
    record.update(fields)
    return record


def cell(prop="grad.first_order", subject="tanh", framework="torch", version="2.13.0",
         device="cpu", dtype="float32", outcome="pass", **fields):
    record = {"schema": "conformance-result/1", "kind": "cell", "property": prop, "subject": subject,
              "framework": framework, "framework_version": version, "device": device, "dtype": dtype,
              "outcome": outcome, "examples": 30, "failures": 0 if outcome == "pass" else 1,
              "max_abs_err": 1e-7, "max_rel_err": 1e-6, "atol": 1e-5, "rtol": 1e-4,
              "message": None, "repro": None, "reproduce_blob": None, "duration_s": 0.25}
    record.update(fields)
    return record


def write_jsonl(path, records, tail=""):
    """Write ``records`` as JSON lines, then ``tail`` verbatim (e.g. a truncated record)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(record) + "\n" for record in records)
        handle.write(tail)
    return path


def rich_run(directory):
    """Result files covering every state: two torch and two chainer versions, CPU and CUDA,
    numeric errors, a failure with a hostile message, an error, skips, semantics cells."""
    torch_old = [header(frameworks={"torch": "2.13.0"}, started_at="2026-01-01T00:00:00+00:00")]
    torch_new = [header(frameworks={"torch": "2.14.1"}, started_at="2026-01-02T00:00:00+00:00",
                        device_model="NVIDIA H100", driver="580.1")]
    for subject, abs_err in (("tanh", 2e-7), ("exp", 4e-6), ("matmul", 9e-6)):
        for dtype in ("float32", "float64"):
            torch_old.append(cell(subject=subject, dtype=dtype, max_abs_err=abs_err))
            torch_new.append(cell(subject=subject, version="2.14.1", dtype=dtype, max_abs_err=abs_err))
    torch_new[-1] = cell(subject="matmul", version="2.14.1", dtype="float64", outcome="fail",
                         max_abs_err=3e-3, max_rel_err=2e-2,
                         message="grad.first_order: <script>alert('x')</script> actual vs expected",
                         repro="import torch\nprint(torch.ones(2) < 3)  # & <tag>",
                         reproduce_blob="AXicY2BgYGQAAAAHAAI=")
    torch_new.append(cell(prop="conv.shape", subject="conv2d", version="2.14.1", outcome="error",
                          message="RuntimeError: boom", max_abs_err=None, max_rel_err=None))
    torch_new.append(cell(prop="grad.first_order", subject="tanh", version="2.14.1", device="cuda",
                          max_abs_err=5e-6))
    torch_new.append(cell(prop="double_backward", subject="tanh", version="2.14.1", device="cuda",
                          outcome="skip", message="no CUDA device", max_abs_err=None))
    torch_old.append(cell(prop="conv.shape", subject="conv2d", outcome="pass", max_abs_err=None))
    for version, semantics in (("2.13.0", "torch"), ("2.14.1", "torch")):
        target = torch_old if version == "2.13.0" else torch_new
        target.append(cell(prop="semantics.second_backward", subject="free_graph_after_backward",
                           version=version, semantics="torch",
                           policy_fields=["free_graph_after_backward"], max_abs_err=None))
        target.append(cell(prop="semantics.concat_default_axis", subject="concat_default_axis",
                           version=version, semantics=semantics,
                           policy_fields=["concat_default_axis"], max_abs_err=None))
    chainer = [header(frameworks={"chainer": "7.8.1"}, started_at="2026-01-01T00:00:00+00:00")]
    chainer5 = [header(frameworks={"chainer": "5.4.0"}, started_at="2026-01-01T00:00:00+00:00")]
    for version, records, semantics in (("7.8.1", chainer, "chainer"), ("5.4.0", chainer5, "chainer5")):
        records.append(cell(framework="chainer", version=version, subject="tanh"))
        records.append(cell(prop="semantics.second_backward", subject="free_graph_after_backward",
                            framework="chainer", version=version, semantics=semantics,
                            policy_fields=["free_graph_after_backward"], max_abs_err=None))
        records.append(cell(prop="semantics.output_grad_after_backward", subject="output_grad_after_backward",
                            framework="chainer", version=version, semantics=semantics,
                            policy_fields=["output_grad_after_backward"], max_abs_err=None))
    chainer.append(cell(prop="semantics.concat_default_axis", subject="concat_default_axis",
                        framework="chainer", version="7.8.1", outcome="fail", semantics="chainer",
                        policy_fields=["concat_default_axis"], message="axis 0 vs 1", max_abs_err=None))
    return [write_jsonl(os.path.join(directory, "torch-2.13.0.jsonl"), torch_old),
            write_jsonl(os.path.join(directory, "torch-2.14.1.jsonl"), torch_new,
                        tail='{"schema": "conformance-result/1", "kind": "cell", "prop'),
            write_jsonl(os.path.join(directory, "chainer-7.8.1.jsonl"), chainer),
            write_jsonl(os.path.join(directory, "sub", "chainer-5.4.0.jsonl"), chainer5)]


V2 = "conformance-result/2"


def header2(run_id="0123abcd", planned=None, **fields):
    """A ``conformance-result/2`` header (with ``run_id`` and ``planned``)."""
    return header(schema=V2, run_id=run_id, planned=planned, **fields)


def cell2(**fields):
    """A ``conformance-result/2`` cell."""
    record = cell(**fields)
    record["schema"] = V2
    return record


def footer(run_id="0123abcd", status="complete", planned=0, finished=0, reason=None):
    """The terminal record of a ``conformance-result/2`` run."""
    return {"schema": V2, "kind": "footer", "run_id": run_id, "status": status, "planned": planned,
            "finished": finished, "ended_at": "2026-01-01T00:10:00+00:00", "reason": reason}


def complete_run(cells, run_id="0123abcd", **header_fields):
    """Records of a finished ``/2`` run: header, ``cells`` (made ``/2``), footer."""
    cells = [dict(c, schema=V2) for c in cells]
    return ([header2(run_id, planned=len(cells), **header_fields)] + cells
            + [footer(run_id, "complete", len(cells), len(cells))])
