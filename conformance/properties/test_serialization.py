"""Save and load across frameworks, through refimpl (``refimpl.serializers``).

``serialization.module`` (a conv + linear network; each framework's export and import runs
are its plugin's ``SERIALIZATION`` bindings, what it exports its ``SERIALIZATION_FORMAT``):

- subject ``round_trip``: the cell's framework initialises the network (torch seeds its own
  initialisers; chainer NumPy's), exports it (torch: ``state_dict()``; chainer: the npz file
  of ``chainer.serializers.save_npz``), refimpl loads it (layout 'torch' / 'chainer'),
  computes the forward pass and saves its own npz in the same layout, and a fresh network of
  the framework loads refimpl's file (torch: ``load_state_dict`` of the arrays; chainer:
  ``load_npz``);
- subject ``ported``: another framework exports (one with another layout, those with a
  ``porting_role`` first: chainer for torch, torch for chainer), refimpl loads its layout and
  saves the cell framework's layout, and the cell's framework loads it (porting a model
  between torch and chainer through refimpl).

Compared: refimpl's forward pass with the exporter's (the dtype's 'grad' tolerance: a
forward pass of float32 weights that are not on a grid, summed in another order; see
``FORWARD``); the arrays of refimpl's file with the exported parameters (exactly: names,
dtypes, values); and the importer's parameters and forward pass with the exporter's
(exactly for a round trip; the forward tolerance when ported).

``serialization.optimizer`` (subjects ``adam``, ``momentum_sgd``): the framework's optimizer
takes some steps and saves its state (torch: ``state_dict()`` flattened as refimpl's npz
layout; chainer: ``save_npz`` of the optimizer); refimpl's optimizer of the same style loads
it, saves it again and takes the next step; a fresh framework optimizer loads refimpl's
file and takes the next step. Compared: refimpl's step with the framework's own next step
(the 'value' tolerance of one step), and the reloaded framework's step with it (exactly).
"""
import io

import numpy
from hypothesis import strategies as st

from .. import frameworks
from ..checks import layers, repro, tolerances
from ..harness import HarnessError, run_examples
from ..subjects.layer_strategies import grid_values, optimizer_style
from ..checks.tolerances import EXACT, Tolerance
from .common import cells as subject_cells
from .common import compare_arrays, framework_call, reference_name, skip, unavailable
from .layers import describe_case

PROPERTIES = ("serialization.module", "serialization.optimizer")
MODULE_SUBJECTS = tuple(e.subject for e in layers.layer_entries("serializer",
                                                                prop="serialization.module"))
OPTIMIZER_SUBJECTS = tuple(e.subject for e in layers.layer_entries(
    "optimizer", prop="serialization.optimizer"))
DTYPE = "float32"  # the frameworks' parameter dtype

FORWARD = Tolerance(*[getattr(tolerances.tolerance(DTYPE, "grad"), k) for k in ("rtol", "atol")],
                    "float32 'grad' tolerance for a forward pass: the weights come from the "
                    "frameworks' initialisers (not a grid), and a conv + linear output sums "
                    "up to ~100 float32 products in another order on each side")


def cells(session):
    return (subject_cells(session, "serialization.module", MODULE_SUBJECTS, dtypes=(DTYPE,))
            + subject_cells(session, "serialization.optimizer", OPTIMIZER_SUBJECTS,
                            dtypes=(DTYPE,)))


# --- strategies ---------------------------------------------------------------------------------

@st.composite
def network_cases(draw):
    ksize = draw(st.integers(1, 3), label="ksize")
    case = {"channels": draw(st.integers(1, 2), label="channels"),
            "filters": draw(st.integers(1, 3), label="filters"), "ksize": ksize,
            "out": draw(st.integers(1, 3), label="out"),
            "seed": draw(st.integers(0, 2 ** 16), label="seed")}
    shape = (draw(st.integers(1, 2), label="batch"), case["channels"],
             draw(st.integers(ksize, ksize + 2), label="H"),
             draw(st.integers(ksize, ksize + 2), label="W"))
    case["x"] = draw(grid_values(shape=shape, label="x"))
    return case


#: Hyperparameters of the saved optimizers, by subject and optimizer style (the class is the
#: framework's ``OPTIMIZERS`` binding).
OPTIMIZER_HYPERPARAMETERS = {
    ("adam", "optimizer_over_params"): st.fixed_dictionaries({
        "lr": st.floats(1e-3, 0.3), "betas": st.tuples(st.floats(0.0, 0.95), st.floats(0.5, 0.999)),
        "eps": st.sampled_from([1e-8, 1e-4, 1e-2]), "weight_decay": st.sampled_from([0.0, 0.01]),
        "amsgrad": st.booleans()}),
    ("adam", "optimizer_over_link"): st.fixed_dictionaries({
        "alpha": st.floats(1e-3, 0.3), "beta1": st.floats(0.0, 0.95),
        "beta2": st.floats(0.5, 0.999), "eps": st.sampled_from([1e-8, 1e-4, 1e-2]),
        "weight_decay_rate": st.sampled_from([0.0, 0.01]), "amsgrad": st.booleans()}),
    ("momentum_sgd", "optimizer_over_params"): st.fixed_dictionaries({
        "lr": st.floats(1e-3, 0.3), "momentum": st.floats(0.05, 0.95)}),
    ("momentum_sgd", "optimizer_over_link"): st.fixed_dictionaries({
        "lr": st.floats(1e-3, 0.3), "momentum": st.floats(0.05, 0.95)}),
}


@st.composite
def optimizer_state_cases(draw, *, subject, style, optimizer):
    hyper = OPTIMIZER_HYPERPARAMETERS[(subject, style)]
    shapes = ((3,), (2, 2))
    steps = draw(st.integers(2, 4), label="steps (the last after the round trip)")
    return {"optimizer": optimizer, "hyper": draw(hyper, label="hyperparameters"),
            "params": [draw(grid_values(shape=s, label=f"param{i}")) for i, s in enumerate(shapes)],
            "grads": [[draw(grid_values(shape=s, label=f"grad {t}.{i}"))
                       for i, s in enumerate(shapes)] for t in range(steps)]}


# --- parameter names ------------------------------------------------------------------------------

def _split(name, layout):
    """(link, neutral parameter name) of a parameter ``name`` in ``layout``'s naming."""
    link, own = name.split(layout["separator"])
    return link, {v: k for k, v in layout["names"].items()}[own]


def _state(results, source, target):
    """{parameter name in ``target``'s naming: array} of an export/import result in
    ``source``'s (``SERIALIZATION_FORMAT`` dicts)."""
    state = {k[len("state/"):]: v for k, v in results.items() if k.startswith("state/")}
    if source is target:
        return state
    renamed = {}
    for name, value in state.items():
        link, parameter = _split(name, source)
        renamed[f"{link}{target['separator']}{target['names'][parameter]}"] = value
    return renamed


def _compare_states(stats, what, actual, expected):
    if sorted(actual) != sorted(expected):
        stats.problem(f"{what}: parameter names {sorted(actual)} vs {sorted(expected)}")
        return
    for name in sorted(expected):
        a, e = numpy.asarray(actual[name]), numpy.asarray(expected[name])
        if a.dtype != e.dtype:
            stats.problem(f"{what} {name}: dtype {a.dtype} vs {e.dtype}")
        compare_arrays(stats, f"{what} {name}", [a], [e], EXACT, "exact round trip")


def porting_source(session, framework):
    """The framework a ``ported`` cell of ``framework`` ports from: another non-reference
    framework that saves and loads a module in another layout (those with a porting role
    first, then by name), or None."""
    own = layers.serialization_format(session.plugin(framework))
    candidates = []
    for name, plugin in frameworks.discover().items():
        theirs = layers.serialization_format(plugin)
        if plugin.reference or name == framework or theirs is None or own is None:
            continue
        if theirs["layout"] != own["layout"] and \
                not isinstance(layers.serialization(plugin, "module"), layers.Absent):
            candidates.append((plugin.porting_role is None, name))
    return min(candidates)[1] if candidates else None


def check_module(session, cell, stats):
    framework = cell.framework
    source = framework
    if layers.layer_entry(cell.subject).porting:
        source = porting_source(session, framework)
        if source is None:
            skip(f"no other framework saves a module in another layout than {framework}")
        other = session.adapter(source)
        if isinstance(other, str):
            skip(f"porting from {source} needs it: {other}")
    exporter, importer = session.plugin(source), session.plugin(framework)
    for plugin in (exporter, importer):
        if isinstance(layers.serialization(plugin, "module"), layers.Absent):
            skip(layers.serialization(plugin, "module").reason)
    export, _ = layers.serialization(exporter, "module")
    _, load = layers.serialization(importer, "module")
    source_format = layers.serialization_format(exporter)
    target_format = layers.serialization_format(importer)
    relay = layers.serialization(frameworks.reference(), "module")
    policy = session.policy_name(framework)
    stats.tolerance = FORWARD
    oracle = reference_name()

    def check(data, case, stats):
        stats.begin_example()
        where = f"{framework}, {cell.subject} (from {source}): {describe_case(case)}"
        exported = framework_call(stats, f"{source} export", lambda: export(case))
        if exported is None:
            stats.end_example(lambda: where)
            return
        try:
            y, file = relay(case, policy, exported, source_format, target_format)
        except Exception as error:  # noqa: BLE001 - the reference failing to load is a finding
            stats.problem(f"{oracle} could not load/save the {source} export: "
                          f"{type(error).__name__}: {error}")
            stats.end_example(lambda: where)
            return
        compare_arrays(stats, f"{oracle} forward vs {source}'s", [y], [exported["y"]], FORWARD,
                       f"{source} forward")
        with numpy.load(io.BytesIO(file), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        _compare_states(stats, f"{oracle}'s npz ({framework} layout)", arrays,
                        _state(exported, source_format, target_format))
        imported_case = dict(case, arrays=arrays, file=numpy.frombuffer(file, numpy.uint8).copy())
        imported = framework_call(stats, f"{framework} import", lambda: load(imported_case))
        if imported is not None:
            _compare_states(stats, f"{framework} after loading",
                            _state(imported, target_format, target_format),
                            _state(exported, source_format, target_format))
            compare_arrays(stats, f"{framework} forward after loading", [imported["y"]],
                           [exported["y"]], EXACT if source == framework else FORWARD,
                           f"{source} forward")
        stats.end_example(lambda: where, lambda: repro.run_script(
            title=f"{cell.property} {cell.subject}: {framework} loads {oracle}'s npz",
            framework=framework, run=load, case=imported_case,
            expected={k: v for k, v in exported.items() if k != "file"} if source == framework
            else {"y": exported["y"]}, tolerance=FORWARD))

    run_examples(stats, network_cases(), check)


def check_optimizer(session, cell, stats):
    framework = cell.framework
    plugin = session.plugin(framework)
    runs = layers.serialization(plugin, "optimizer")
    optimizer = layers.binding(plugin, "OPTIMIZERS", cell.subject)
    for found in (runs, optimizer):
        if isinstance(found, layers.Absent):
            skip(found.reason)
    export, load = runs
    container = layers.serialization_format(plugin)["container"]
    style = optimizer_style(session.adapter(framework).features)
    relay = layers.serialization(frameworks.reference(), "optimizer")
    policy = session.policy_name(framework)
    step = stats.tolerance = tolerances.tolerance(DTYPE, "value")
    oracle = reference_name()

    def check(data, case, stats):
        stats.begin_example()
        where = f"{framework}, {cell.subject}: {describe_case(case)}"
        exported = framework_call(stats, f"{framework} export", lambda: export(case))
        if exported is None:
            stats.end_example(lambda: where)
            return
        try:
            stepped, saved, resaved = relay(case, policy, exported, style, container)
        except Exception as error:  # noqa: BLE001
            raise HarnessError(f"{oracle} could not load the {framework} optimizer state: "
                               f"{type(error).__name__}: {error} [{where}]") from error
        for name in sorted(stepped):
            compare_arrays(stats, f"{oracle}'s step after loading: {name}", [stepped[name]],
                           [exported[name]], step, f"{framework}'s own next step")
        imported_case = dict(case, saved_params=saved)
        if container == "arrays":
            imported_case["arrays"] = resaved
        else:
            imported_case["file"] = numpy.frombuffer(resaved, numpy.uint8).copy()
        imported = framework_call(stats, f"{framework} import", lambda: load(imported_case))
        if imported is not None:
            for name in sorted(stepped):
                compare_arrays(stats, f"{framework}'s step after loading {oracle}'s state: "
                               f"{name}", [imported[name]], [exported[name]], EXACT,
                               f"{framework}'s own next step")
        stats.end_example(lambda: where, lambda: repro.run_script(
            title=f"{cell.property} {cell.subject}: {framework} loads {oracle}'s optimizer state",
            framework=framework, run=load, case=imported_case,
            expected={k: exported[k] for k in stepped}, tolerance=EXACT))

    run_examples(stats, optimizer_state_cases(subject=cell.subject, style=style,
                                              optimizer=optimizer), check)


def check_cell(session, cell, stats):
    unavailable(session, cell)
    if cell.device != "cpu":
        skip(f"save/load runs on the CPU only (device {cell.device!r})")
    adapter = session.adapter(cell.framework)
    stats.version = adapter.version
    stats.semantics = session.policy_name(cell.framework)
    if cell.property == "serialization.module":
        check_module(session, cell, stats)
    else:
        check_optimizer(session, cell, stats)


def test_serialization(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
