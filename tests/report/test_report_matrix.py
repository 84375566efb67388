"""The matrix: columns, rows by area, counts and states, tolerance ratio."""
import math

import pytest
from report_cells import cell, rich_run

from conformance.report.load import latest, load, normalise
from conformance.report.model import (
    Column,
    Counts,
    build_matrix,
    tolerance_ratio,
    version_key,
)


def cells_of(*records):
    return [normalise(r, "mem", i, 0) for i, r in enumerate(records)]


def test_counts_exclude_skips_from_total_and_state_is_the_worst():
    counts = Counts(cells_of(cell(outcome="pass"), cell(outcome="pass"), cell(outcome="skip")))
    assert (counts["pass"], counts.ran, counts["skip"], counts.state) == (2, 2, 1, "pass")
    assert Counts(cells_of(cell(outcome="pass"), cell(outcome="fail"))).state == "fail"
    assert Counts(cells_of(cell(outcome="fail"), cell(outcome="error"))).state == "error"
    assert Counts(cells_of(cell(outcome="skip"))).state == "skip"
    assert Counts([]).state == "absent"


def test_matrix_rows_columns_and_entries(tmp_path):
    rich_run(tmp_path)
    matrix = build_matrix(latest(load([str(tmp_path)])))
    labels = [c.label() for c in matrix.columns]   # no rank: frameworks by name
    assert labels == ["chainer 5.4.0 · cpu", "chainer 7.8.1 · cpu",
                      "torch 2.13.0 · cpu", "torch 2.14.1 · cpu", "torch 2.14.1 · cuda"]
    areas = [area for area, _ in matrix.areas]
    assert areas.index("grad") < areas.index("semantics") and "conv" in areas
    rows = {(r.prop, r.subject): r for r in matrix.rows()}
    matmul = rows[("grad.first_order", "matmul")]
    new_cpu = Column("torch", "2.14.1", "cpu")
    counts = matmul.counts(new_cpu)
    assert (counts["pass"], counts.ran, counts.state) == (1, 2, "fail")
    assert matmul.counts(Column("chainer", "7.8.1", "cpu")).state == "absent"
    assert rows[("conv.shape", "conv2d")].counts(new_cpu).state == "error"
    assert rows[("double_backward", "tanh")].counts(Column("torch", "2.14.1", "cuda")).state == "skip"
    grad = matrix.area_counts("grad", Column("torch", "2.13.0", "cpu"))
    assert (grad["pass"], grad.ran) == (6, 6)


def test_version_order_is_numeric():
    assert sorted(["2.13.0", "2.9.1", "2.14.1", "10.0"], key=version_key) == ["2.9.1", "2.13.0", "2.14.1", "10.0"]


@pytest.mark.parametrize("fields, expected", [
    ({"max_abs_err": 1e-6, "atol": 1e-5, "max_rel_err": 1e-2, "rtol": 1e-4}, 0.1),
    ({"max_abs_err": 1e-3, "atol": 1e-5, "max_rel_err": 1e-5, "rtol": 1e-4}, 0.1),
    ({"max_abs_err": 1e-3, "atol": 0.0, "max_rel_err": None, "rtol": 1e-4}, None),
    ({"max_abs_err": None, "atol": 1e-5, "max_rel_err": None, "rtol": 1e-4}, None),
])
def test_tolerance_ratio_is_the_smaller_of_the_two_bounds(fields, expected):
    (only,) = cells_of(cell(**fields))
    ratio = tolerance_ratio(only)
    assert ratio == pytest.approx(expected) if expected is not None else ratio is None


def test_tolerance_ratio_of_nan_error_is_infinite():
    (only,) = cells_of(cell(max_abs_err="nan", max_rel_err=None))
    assert math.isinf(tolerance_ratio(only))
