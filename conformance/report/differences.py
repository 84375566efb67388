"""The Chainer <-> PyTorch differences table (the porting guide).

One row per ``refimpl.Policy`` field: what each framework does (the value of the field in
the ``torch``, ``chainer`` and ``chainer5`` policies and the field's documentation) and
which cells verify it (the cells whose ``policy_fields`` name the field). A side (torch,
chainer) is 'pass' when at least one of its cells passed and none failed or errored, 'fail'
when one failed or errored, and 'untested' when it has no cell that ran. A row is
'proven' only when both sides pass, 'contradicted' when a side fails, else 'unproven'.

Fields named by cells but unknown to refimpl (another harness version) get a row too, with
no documentation.
"""
import collections
import dataclasses

from .model import version_key

SIDES = ("torch", "chainer")
POLICY_NAMES = ("torch", "chainer", "chainer5")
NON_BEHAVIOUR_FIELDS = ("name", "framework")


@dataclasses.dataclass
class DifferenceRow:
    field: str
    doc: str
    values: dict            # policy name -> repr of the value (policies refimpl knows)
    differs: bool           # torch and chainer (or a chainer variant) disagree
    evidence: list          # cells naming the field
    sides: dict             # side -> 'pass' | 'fail' | 'untested'

    @property
    def status(self):
        states = [self.sides[side] for side in SIDES]
        if "fail" in states:
            return "contradicted"
        if all(state == "pass" for state in states):
            return "proven"
        return "unproven"

    def as_dict(self):
        return {
            "field": self.field,
            "differs": self.differs,
            "values": self.values,
            "doc": self.doc,
            "status": self.status,
            "sides": self.sides,
            "evidence": [{
                "property": cell["property"], "subject": cell["subject"],
                "framework": cell["framework"], "framework_version": cell["framework_version"],
                "device": cell["device"], "dtype": cell["dtype"], "semantics": cell.get("semantics"),
                "outcome": cell["outcome"]} for cell in self.evidence],
        }


def policy_table():
    """{field: (doc, {policy name: value})} from refimpl, or {} when refimpl cannot be imported."""
    try:
        from refimpl import policies
    except ImportError:   # a report env without refimpl's dependencies still renders the rest
        return {}
    table = {}
    for policy_field in dataclasses.fields(policies.Policy):
        if policy_field.name in NON_BEHAVIOUR_FIELDS:
            continue
        values = {name: getattr(policies.POLICIES[name], policy_field.name)
                  for name in POLICY_NAMES if name in policies.POLICIES}
        table[policy_field.name] = (policy_field.metadata.get("doc", ""), values)
    return table


def side_state(cells):
    outcomes = collections.Counter(cell["outcome"] for cell in cells)
    if outcomes["fail"] or outcomes["error"]:
        return "fail"
    if outcomes["pass"]:
        return "pass"
    return "untested"


def build(cells, table=None):
    """The rows, differing behaviours first, each group in the policy's field order."""
    table = policy_table() if table is None else table
    evidence = collections.defaultdict(list)
    for cell in cells:
        for name in cell.get("policy_fields") or ():
            evidence[name].append(cell)
    names = list(table) + sorted(name for name in evidence if name not in table)
    rows = []
    for name in names:
        doc, values = table.get(name, ("", {}))
        shown = {policy: repr(value) for policy, value in values.items()}
        differs = len(set(shown.values())) > 1 if shown else True
        proof = sorted(evidence.get(name, ()), key=_evidence_order)
        sides = {side: side_state([c for c in proof if c["framework"] == side]) for side in SIDES}
        rows.append(DifferenceRow(name, doc, shown, differs, proof, sides))
    rows.sort(key=lambda row: not row.differs)   # stable: keeps field order within each group
    return rows


def _evidence_order(cell):
    return (cell["property"], cell["framework"], version_key(cell["framework_version"]),
            str(cell["device"]), str(cell["dtype"]))


def policy_versions(cells):
    """{policy name: sorted versions} seen in cells' ``semantics`` field, e.g. chainer5 -> [5.4.0]."""
    seen = collections.defaultdict(set)
    for cell in cells:
        if cell.get("semantics") and cell.get("framework_version"):
            seen[str(cell["semantics"])].add(cell["framework_version"])
    return {name: sorted(versions, key=version_key) for name, versions in seen.items()}
