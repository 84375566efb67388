"""Self-test cells of the harness itself, collected only when ``CONFORMANCE_SELFTEST`` is set
(``tests/conformance`` sets it): ``selftest.abort`` calls ``os.abort()`` (a framework crash,
as a segfault would be) and ``selftest.pass`` compares 1 + 1 with 2. The runner must keep
every finished cell, write the aborted one as an ``error`` with the reason, and still run
the cells after it."""
import os

from .. import frameworks
from ..harness import Cell

ENVIRONMENT = "CONFORMANCE_SELFTEST"


def cells(session):
    if not os.environ.get(ENVIRONMENT):
        return []
    reference = frameworks.reference().name  # the cells run on the reference (refimpl)
    return [Cell("selftest.abort", "os.abort", reference, "cpu", "float64"),
            Cell("selftest.pass", "one_plus_one", reference, "cpu", "float64")]


def check_cell(session, cell, stats):
    if cell.property == "selftest.abort":
        os.abort()
    stats.begin_example()
    stats.oracle("arithmetic", 1 + 1 == 2)
    if 1 + 1 != 2:
        stats.problem("1 + 1 != 2")
    stats.end_example(lambda: "1 + 1")


def test_selftest(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
