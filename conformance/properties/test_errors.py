"""Error inputs: the framework and refimpl under its policy refuse the same calls with the
same exception class.

One cell per (op subject with error inputs, framework, device); each cell runs every error
input of its subject (``subjects.error_inputs``): the framework's binding and refimpl's op,
with the arrays as tensors of their own dtype. The verdict compares what each did: the
class name of what it raised, or 'ok'. Messages are not compared (refimpl's name the
argument and its value; the frameworks' are their own). An input the framework's binding
cannot express (NotSupported) is left out, and so is one whose bad value is inside array
data on a device where the plugin says the framework checks it with a device-side assert
(``Plugin.device_side_asserts``); the cell skips when that leaves none, with the reasons.
"""
from ..checks import repro
from ..frameworks.base import NotSupported
from ..subjects import error_inputs
from .common import Cell, skip, unavailable

PROPERTY = "errors.exception_class"
DTYPE = "float32"  # the cell's label: each input carries its own dtype


def cells(session):
    return [Cell(PROPERTY, subject, framework, device, DTYPE)
            for subject in error_inputs.subjects_with_error_inputs()
            for framework in session.frameworks if not session.is_reference(framework)
            for device in session.devices]


def outcome(adapter, function, item, device):
    """The class name of what ``function`` raised on ``item``, or 'ok'."""
    sample = item.sample
    try:  # a framework may refuse the input already when it becomes a tensor (complex)
        leaves = [adapter.tensor(array, requires_grad=False, dtype=str(array.dtype),
                                 device=device) for array in sample.leaves()]
        call = sample.with_leaves(leaves)
        kwargs = {name: adapter.constant(value, device) for name, value in call.kwargs.items()}
        function(**call.inputs, **kwargs)
    except NotSupported:
        raise
    except Exception as error:  # noqa: BLE001 - the class is the behaviour under test
        return type(error).__name__
    return "ok"


def check_cell(session, cell, stats):
    unavailable(session, cell)
    plugin = session.plugin(cell.framework)
    reason = plugin.absent_op(cell.subject)
    if reason:
        skip(reason)
    adapter = session.adapter(cell.framework)
    policy = session.policy_name(cell.framework)
    reference = session.reference(policy)
    stats.version, stats.semantics = adapter.version, policy
    try:
        function = adapter.op(cell.subject)
    except NotSupported as error:
        skip(str(error))
    reference_function = reference.op(cell.subject)
    compared, unsupported, mismatches = 0, [], []
    asserts = plugin.device_side_asserts.get(cell.device)
    for item in error_inputs.for_subject(cell.subject):
        if asserts and item.in_array_data:
            unsupported.append(f"{item.name} not run on {cell.device}: {asserts}")
            continue
        stats.begin_example()
        try:
            theirs = outcome(adapter, function, item, cell.device)
        except NotSupported as error:
            unsupported.append(f"{item.name}: {error}")
            continue
        ours = outcome(reference, reference_function, item, "cpu")
        compared += 1
        stats.oracle(f"{reference.name} {policy}", theirs == ours)
        if theirs != ours:
            mismatches.append(f"{item.name} ({item.kind}): {cell.framework} {theirs} vs "
                              f"{reference.name} {ours} [{cell.subject}({_show(item)})]")
        stats.end_example(lambda: item.name)
    if not compared:
        skip("; ".join(unsupported) or f"no error input of {cell.subject}")
    for text in mismatches:  # every input is run; the cell fails once, naming each
        stats.problem(text)
    left_out = f" ({'; '.join(unsupported)})" if unsupported else ""
    if unsupported:  # recorded with the cell, pass or fail
        stats.extra["left_out"] = unsupported
    stats.end_example(lambda: f"{len(mismatches)} of {compared} error inputs of {cell.subject}"
                              f"{left_out}")


def _show(item):
    inputs = ", ".join(f"{name}={repro.literal(value)}" for name, value in item.sample.inputs.items())
    kwargs = ", ".join(f"{name}={value!r}" for name, value in item.sample.kwargs.items())
    return ", ".join(part for part in (inputs, kwargs) if part)


def test_errors(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
