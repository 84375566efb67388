"""The porting guide: what differs between two frameworks, for every pair of frameworks other
than the reference present in the results (the pair of a porting source and target first,
e.g. Chainer <-> PyTorch).

A pair's table has one row per field of the reference's semantics ``Policy`` (the policies
are the reference plugin's data: ``Plugin.semantics_policies``): what each side does (the
value of the field in each policy of that side: the policies its cells ran under and those
its plugin declares), the field's documentation, and which cells verify it (the cells of
either side whose ``policy_fields`` name the field). A side is 'pass' when at least one of
its cells passed and none failed or errored, 'fail' when one failed or errored, and
'untested' when it has no cell that ran. A row is 'proven' only when both sides pass,
'contradicted' when a side fails, else 'unproven'.

Fields named by cells but unknown to the reference (another harness version) get a row too,
with no documentation.
"""
import collections
import dataclasses
import itertools

from . import catalog as catalog_module
from .model import version_key

NON_BEHAVIOUR_FIELDS = ("name", "framework")


@dataclasses.dataclass
class DifferenceRow:
    field: str
    doc: str
    values: dict            # policy name -> repr of the value (policies the reference knows)
    differs: bool           # two of the pair's policies disagree
    evidence: list          # cells of either side naming the field
    sides: dict             # framework -> 'pass' | 'fail' | 'untested'

    @property
    def status(self):
        states = list(self.sides.values())
        if "fail" in states:
            return "contradicted"
        if states and all(state == "pass" for state in states):
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


@dataclasses.dataclass
class PortingTable:
    """The differences between two frameworks: ``columns`` are (framework, policy), the first
    side's policies then the second's, each side's current policy first."""
    first: str
    second: str
    columns: list
    rows: list              # DifferenceRow, differing behaviours first
    headline: bool          # a porting source, then a target

    def as_dict(self):
        return {"pair": [self.first, self.second], "headline": self.headline,
                "columns": [{"framework": framework, "policy": policy} for framework, policy in self.columns],
                "rows": [row.as_dict() for row in self.rows]}


def policy_table(policies=None):
    """{field: (doc, {policy name: value})} of the reference's semantics policies ({} when
    no reference plugin is installed, or its policies cannot be imported)."""
    policies = catalog_module.semantics_policies() if policies is None else policies
    if not policies:
        return {}
    table = {}
    for policy_field in dataclasses.fields(type(next(iter(policies.values())))):
        if policy_field.name in NON_BEHAVIOUR_FIELDS:
            continue
        values = {name: getattr(policy, policy_field.name) for name, policy in policies.items()
                  if hasattr(policy, policy_field.name)}
        table[policy_field.name] = (policy_field.metadata.get("doc", ""), values)
    return table


def side_state(cells):
    outcomes = collections.Counter(cell["outcome"] for cell in cells)
    if outcomes["fail"] or outcomes["error"]:
        return "fail"
    if outcomes["pass"]:
        return "pass"
    return "untested"


def build(cells, sides, policies, table=None):
    """The rows of the pair ``sides`` (two framework names) showing the values of
    ``policies`` (names), differing behaviours first, each group in the policy's field order."""
    table = policy_table() if table is None else table
    evidence = collections.defaultdict(list)
    for cell in cells:
        if cell["framework"] in sides:
            for name in cell.get("policy_fields") or ():
                evidence[name].append(cell)
    names = list(table) + sorted(name for name in evidence if name not in table)
    rows = []
    for name in names:
        doc, values = table.get(name, ("", {}))
        shown = {policy: repr(values[policy]) for policy in policies if policy in values}
        differs = len(set(shown.values())) > 1 if shown else True
        proof = sorted(evidence.get(name, ()), key=_evidence_order)
        states = {side: side_state([c for c in proof if c["framework"] == side]) for side in sides}
        rows.append(DifferenceRow(name, doc, shown, differs, proof, states))
    rows.sort(key=lambda row: not row.differs)   # stable: keeps field order within each group
    return rows


def porting_guide(cells, catalog, table=None):
    """A ``PortingTable`` for every pair of frameworks other than the reference, the headline
    pair (a porting source, then a target) first, then in the catalog's order."""
    table = policy_table() if table is None else table
    guide = []
    for first, second in itertools.combinations(catalog.others(), 2):   # a source before a target
        columns = [(side, policy) for side in (first, second) for policy in catalog.policies_of(side)]
        policies = list(dict.fromkeys(policy for _, policy in columns))
        rows = build(cells, (first, second), policies, table)
        guide.append(PortingTable(first, second, columns, rows, catalog.is_headline(first, second)))
    guide.sort(key=lambda pair: not pair.headline)   # stable: the catalog's order otherwise
    return guide


def _evidence_order(cell):
    return (cell["property"], cell["framework"], version_key(cell["framework_version"]),
            str(cell["device"]), str(cell["dtype"]))
