"""The same framework on the CPU and on a GPU: every registry op, the same inputs, results
within tolerance.

Two properties, one cell per (op, framework, device other than 'cpu', dtype):

- ``cross_device.forward``: the outputs on the device against the outputs on the CPU, both
  computed by the framework in the cell's dtype: count, shapes and dtypes equal, values
  within twice the dtype's 'value' tolerance (each side is within the tolerance of the
  truth, ``tolerances``), integer outputs (indices) equal;
- ``cross_device.grad``: first-order gradients (random output gradients, as
  ``grad.first_order``) on the device against the CPU's, within twice the 'grad' tolerance.

The oracle is the framework itself on the CPU (named '<framework> <version> cpu' in a
verdict); an example where both sides raise the same exception class agrees, one where only
one side raises does not. Arguments that are arrays but not differentiated (index arrays,
masks) go to the device too (``Adapter.constant``), so no framework sees host and device
data mixed. A cell whose framework has no such device here is a skip with the adapter's
reason (no CuPy, ``torch.cuda.is_available()`` False, chainer's own import error).

``check_cell(..., under_test=Side(adapter, device))`` replaces the side under test: the
harness's tests run it with a second CPU adapter (and with one made wrong) to show that the
comparison passes and fails where it should without a GPU.
"""
import dataclasses

from .. import subjects
from ..checks import repro
from ..checks.numeric import call_op, first_order
from ..harness import Cell, run_examples
from ..subjects.strategies import Sample
from .calls import draw_grad_outputs
from .common import OP_DTYPES, compare_arrays, pairwise, prepare, round_to, skip

PROPERTIES = ("cross_device.forward", "cross_device.grad")
REFERENCE_DEVICE = "cpu"


@dataclasses.dataclass(frozen=True)
class Side:
    """One side of the comparison: a framework's adapter and the device it computes on."""

    adapter: object
    device: str

    @property
    def name(self):
        return f"{self.adapter.name} {self.adapter.version} {self.device}"


def cells(session):
    devices = [device for device in session.devices if device != REFERENCE_DEVICE]
    return [Cell(property_name, entry.subject, framework, device, dtype)
            for entry in subjects.entries("op")
            for property_name in PROPERTIES
            if entry.differentiable or property_name == "cross_device.forward"
            for framework in session.frameworks for device in devices for dtype in OP_DTYPES]


def on_device(side, sample):
    """``sample`` with its non-differentiated array arguments on ``side``'s device."""
    return Sample(sample.inputs, {name: side.adapter.constant(value, side.device)
                                  for name, value in sample.kwargs.items()})


def _attempt(function):
    """(result, None) or (None, the exception's class name and message)."""
    try:
        return function(), None
    except Exception as error:  # noqa: BLE001 - the behaviour compared may be an exception
        return None, f"{type(error).__name__}: {' '.join(str(error).split())[:300]}"


def check_cell(session, cell, stats, *, under_test=None):
    """Run ``cell``; ``under_test`` (a ``Side``) replaces the framework on ``cell.device``."""
    if under_test is None:
        reason = session.unavailable(cell)
        if reason:
            skip(reason)
        under_test = Side(session.adapter(cell.framework), cell.device)
    ctx = prepare(session, dataclasses.replace(cell, device=REFERENCE_DEVICE), stats)
    reference = Side(ctx.adapter, REFERENCE_DEVICE)
    function = under_test.adapter.op(cell.subject)
    forward = cell.property == "cross_device.forward"
    tolerance = stats.tolerance = pairwise(ctx.tolerance("value" if forward else "grad"))
    stats.extra["reference_device"] = REFERENCE_DEVICE

    def outputs(side, op, sample):
        _, ys = call_op(side.adapter, op, on_device(side, sample), dtype=cell.dtype,
                        device=side.device)
        return [side.adapter.to_numpy(y) for y in ys], [side.adapter.dtype_of(y) for y in ys]

    def gradients(side, op, sample, grad_outputs):
        return first_order(side.adapter, op, on_device(side, sample), grad_outputs,
                           dtype=cell.dtype, device=side.device), None

    def check(data, sample, stats):
        stats.begin_example()
        sample = round_to(sample, cell.dtype)
        where = ctx.describe(sample).replace(
            f", {REFERENCE_DEVICE}, ", f", {under_test.device} vs {REFERENCE_DEVICE}, ", 1)
        grad_outputs = None if forward else draw_grad_outputs(data, ctx, sample, where)

        def run(side, op):
            if forward:
                return outputs(side, op, sample)
            return gradients(side, op, sample, grad_outputs)

        (expected, expected_dtypes), expected_error = _pair(_attempt(
            lambda: run(reference, ctx.function)))
        (actual, actual_dtypes), actual_error = _pair(_attempt(lambda: run(under_test, function)))
        what = "output" if forward else "gradient of input"
        if expected_error or actual_error:
            same_class = (expected_error and actual_error
                          and expected_error.split(":")[0] == actual_error.split(":")[0])
            stats.oracle(reference.name, bool(same_class))
            if not same_class:
                stats.problem(f"{under_test.device}: {actual_error or 'no exception'} vs "
                              f"{REFERENCE_DEVICE}: {expected_error or 'no exception'}")
        else:
            if forward and expected_dtypes != actual_dtypes:
                stats.problem(f"output dtypes: {actual_dtypes} on {under_test.device} vs "
                              f"{expected_dtypes} on {REFERENCE_DEVICE}")
            compare_arrays(stats, what, actual, expected, tolerance, reference.name)
        stats.end_example(
            lambda: where + ("" if forward else
                             f", grad_outputs={[g.tolist() for g in grad_outputs]}"),
            lambda: _repro(ctx, cell, under_test, sample, expected, expected_dtypes,
                           tolerance, grad_outputs))

    run_examples(stats, ctx.strategy(), check)


def _pair(attempt):
    """(values, dtypes), error from ``_attempt`` of a (values, dtypes) function."""
    result, error = attempt
    return (result if result is not None else (None, None)), error


def _repro(ctx, cell, under_test, sample, expected, expected_dtypes, tolerance, grad_outputs):
    """A standalone script running the framework on the device and comparing with the values
    it gave on the CPU (pasted as literals)."""
    if expected is None:
        return None
    title = (f"{cell.property} of {cell.subject} on {cell.framework} {ctx.version} "
             f"({under_test.device} vs its own {REFERENCE_DEVICE} values, {cell.dtype})")
    return repro.script("forward" if grad_outputs is None else "grad", title=title,
                        framework=cell.framework, source=ctx.repro_source(),
                        device=under_test.device, dtype=cell.dtype, inputs=sample.inputs,
                        kwargs=sample.kwargs, expected=expected, tolerance=tolerance,
                        policy=ctx.policy, expected_dtypes=expected_dtypes,
                        grad_outputs=grad_outputs)


def test_cross_device(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
