"""Forward values of every registry op.

The framework computes in the cell's dtype; the oracle is refimpl in float64 under the
framework's semantics policy, on the same (rounded) inputs. Compared: the number of outputs,
their shapes, their dtypes (against refimpl in the cell's dtype: index dtypes, promotion) and
their values (``tolerances``: quantity 'value'). Other frameworks of the run are consulted
where refimpl says the call means the same to them; a failing verdict says which side they
take.
"""
from .calls import check_values
from .common import op_cells

PROPERTY = "forward"


def cells(session):
    """The reference's own float64 forward values are the specification, so that cell (which
    would compare refimpl with itself) is not generated; tests/refimpl checks them against
    NumPy."""
    return op_cells(session, PROPERTY, reference_dtypes=("float32", "float16"))


def check_cell(session, cell, stats):
    check_values(session, cell, stats)


def test_forward(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
