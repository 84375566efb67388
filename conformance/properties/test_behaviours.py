"""Every behaviour case of ``conformance.behaviours`` (each policy field and each seed
example) as a cell: the case runs on the framework and on refimpl under the framework's
policy, and the two observations are compared (``conformance.verify.run_case``).

Property ``semantics.<case>``, subject: the first policy field the case verifies ('common'
for behaviours both frameworks share), dtype float32 (the cases' own data). A case that does
not apply to a framework (it lacks a capability or an op the case needs, e.g. chainer has no
topk) has no cell for it; the reference has no cells of its own (it is the oracle).
"""
import pytest

from .. import behaviours, verify
from ..harness import Cell, CellFailure, HarnessError

PREFIX = "semantics."


def cells(session):
    return [Cell(PREFIX + case.name, case.subject, framework, device, verify.DTYPE)
            for case in behaviours.CASES for framework in session.frameworks
            if not session.is_reference(framework) and case.applies_to(session.plugin(framework))
            for device in session.devices]


def check_cell(session, cell, stats):
    reason = session.unavailable(cell)
    if reason:
        pytest.skip(reason)
    if cell.device != "cpu":
        pytest.skip(f"behaviour cases run on the CPU only (device {cell.device!r})")
    case = behaviours.by_name()[cell.property[len(PREFIX):]]
    adapter = session.adapter(cell.framework)
    reference = session.reference(session.policy_name(cell.framework))
    stats.version = adapter.version
    stats.semantics = reference.semantics
    result = verify.run_case(case, adapter, reference)
    stats.extra.update(policy_fields=result["policy_fields"], seed_note=result["seed_note"],
                       observed=result["observed"])
    from ..checks.tolerances import Tolerance
    stats.tolerance = Tolerance(verify.RTOL, verify.ATOL, "behaviour cases: verify.RTOL/ATOL")
    if result["outcome"] == "skip":
        pytest.skip(result["message"])
    stats.begin_example()
    stats.oracle(f"{reference.name} {reference.semantics}", result["outcome"] == "pass")
    if result["outcome"] == "error":
        raise HarnessError(result["message"])
    if result["outcome"] == "fail":
        stats.failures = 1
        stats.message = result["message"]
        stats.repro = result["repro"]
        raise CellFailure(result["message"])


def test_behaviour(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
