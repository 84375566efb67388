"""Save and load across frameworks, through refimpl (``refimpl.serializers``).

``serialization.module`` (a conv + linear network, ``layer_drivers``' save/load runs):

- subject ``round_trip``: the cell's framework initialises the network (torch seeds its own
  initialisers; chainer NumPy's), exports it (torch: ``state_dict()``; chainer: the npz file
  of ``chainer.serializers.save_npz``), refimpl loads it (layout 'torch' / 'chainer'),
  computes the forward pass and saves its own npz in the same layout, and a fresh network of
  the framework loads refimpl's file (torch: ``load_state_dict`` of the arrays; chainer:
  ``load_npz``);
- subject ``ported``: the *other* framework exports, refimpl loads its layout and saves the
  cell framework's layout, and the cell's framework loads it (porting a model between
  torch and chainer through refimpl).

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

from .. import layer_drivers, layer_repro, tolerances
from ..harness import Cell, HarnessError, run_examples
from ..layer_strategies import grid_values
from ..tolerances import EXACT, Tolerance
from .common import compare_arrays, framework_call, skip
from .layers import describe_case, unavailable

PROPERTIES = ("serialization.module", "serialization.optimizer")
MODULE_SUBJECTS = ("round_trip", "ported")
OPTIMIZER_SUBJECTS = ("adam", "momentum_sgd")
DTYPE = "float32"  # the frameworks' parameter dtype
CHAINER_NAMES = {"W": "weight", "b": "bias"}

FORWARD = Tolerance(*[getattr(tolerances.tolerance(DTYPE, "grad"), k) for k in ("rtol", "atol")],
                    "float32 'grad' tolerance for a forward pass: the weights come from the "
                    "frameworks' initialisers (not a grid), and a conv + linear output sums "
                    "up to ~100 float32 products in another order on each side")


def cells(session):
    return [Cell(name, subject, framework, device, DTYPE)
            for name, subjects in (("serialization.module", MODULE_SUBJECTS),
                                   ("serialization.optimizer", OPTIMIZER_SUBJECTS))
            for subject in subjects for framework in session.frameworks
            if framework != "refimpl" for device in session.devices]


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


OPTIMIZER_HYPERPARAMETERS = {
    ("adam", "torch"): ("Adam", st.fixed_dictionaries({
        "lr": st.floats(1e-3, 0.3), "betas": st.tuples(st.floats(0.0, 0.95), st.floats(0.5, 0.999)),
        "eps": st.sampled_from([1e-8, 1e-4, 1e-2]), "weight_decay": st.sampled_from([0.0, 0.01]),
        "amsgrad": st.booleans()})),
    ("adam", "chainer"): ("Adam", st.fixed_dictionaries({
        "alpha": st.floats(1e-3, 0.3), "beta1": st.floats(0.0, 0.95),
        "beta2": st.floats(0.5, 0.999), "eps": st.sampled_from([1e-8, 1e-4, 1e-2]),
        "weight_decay_rate": st.sampled_from([0.0, 0.01]), "amsgrad": st.booleans()})),
    ("momentum_sgd", "torch"): ("SGD", st.fixed_dictionaries({
        "lr": st.floats(1e-3, 0.3), "momentum": st.floats(0.05, 0.95)})),
    ("momentum_sgd", "chainer"): ("MomentumSGD", st.fixed_dictionaries({
        "lr": st.floats(1e-3, 0.3), "momentum": st.floats(0.05, 0.95)})),
}


@st.composite
def optimizer_state_cases(draw, *, subject, framework):
    name, hyper = OPTIMIZER_HYPERPARAMETERS[(subject, framework)]
    shapes = ((3,), (2, 2))
    steps = draw(st.integers(2, 4), label="steps (the last after the round trip)")
    return {"optimizer": name, "hyper": draw(hyper, label="hyperparameters"),
            "params": [draw(grid_values(shape=s, label=f"param{i}")) for i, s in enumerate(shapes)],
            "grads": [[draw(grid_values(shape=s, label=f"grad {t}.{i}"))
                       for i, s in enumerate(shapes)] for t in range(steps)]}


# --- refimpl in the middle ------------------------------------------------------------------------

def _refimpl_module_relay(case, policy, exported, source, target):
    """refimpl loads ``exported`` (source 'torch': parameter arrays; 'chainer': the npz
    file), computes y, and saves its npz in ``target``'s layout: (y, the npz file's bytes)."""
    import refimpl
    from refimpl import serializers
    with refimpl.semantics(policy):
        net, forward = layer_drivers.refimpl_net(case)
        if source == "torch":
            serializers.load_named_arrays(net, {k[len("state/"):]: v for k, v in exported.items()
                                                if k.startswith("state/")}, layout="torch")
        else:
            serializers.load_npz(io.BytesIO(exported["file"].tobytes()), net, layout="chainer")
        y = numpy.array(forward(refimpl.Variable(case["x"].astype(numpy.float32))).data)
        buffer = io.BytesIO()
        serializers.save_npz(buffer, net, layout=target)
    return y, buffer.getvalue()


def _torch_name(chainer_name):
    link, name = chainer_name.split("/")
    return f"{link}.{CHAINER_NAMES[name]}"


def _chainer_name(torch_name):
    link, name = torch_name.split(".")
    return f"{link}/{dict((v, k) for k, v in CHAINER_NAMES.items())[name]}"


def _state(results, source, target):
    """{parameter name in ``target``'s naming: array} of an export/import result."""
    state = {k[len("state/"):]: v for k, v in results.items() if k.startswith("state/")}
    if source == "chainer" and target == "torch":
        return {_torch_name(k): v for k, v in state.items()}
    if source == "torch" and target == "chainer":
        return {_chainer_name(k): v for k, v in state.items()}
    return state


def _compare_states(stats, what, actual, expected):
    if sorted(actual) != sorted(expected):
        stats.problem(f"{what}: parameter names {sorted(actual)} vs {sorted(expected)}")
        return
    for name in sorted(expected):
        a, e = numpy.asarray(actual[name]), numpy.asarray(expected[name])
        if a.dtype != e.dtype:
            stats.problem(f"{what} {name}: dtype {a.dtype} vs {e.dtype}")
        compare_arrays(stats, f"{what} {name}", [a], [e], EXACT, "exact round trip")


def check_module(session, cell, stats):
    framework = cell.framework
    source = framework if cell.subject == "round_trip" else \
        ("chainer" if framework == "torch" else "torch")
    if source != framework:
        other = session.adapter(source)
        if isinstance(other, str):
            skip(f"porting from {source} needs it: {other}")
    export, _ = layer_drivers.SERIALIZATION_RUNS[("module", source)]
    _, load = layer_drivers.SERIALIZATION_RUNS[("module", framework)]
    policy = session.policy_name(framework)
    stats.tolerance = FORWARD

    def check(data, case, stats):
        stats.begin_example()
        where = f"{framework}, {cell.subject} (from {source}): {describe_case(case)}"
        exported = framework_call(stats, f"{source} export", lambda: export(case))
        if exported is None:
            stats.end_example(lambda: where)
            return
        try:
            y, file = _refimpl_module_relay(case, policy, exported, source, framework)
        except Exception as error:  # noqa: BLE001 - refimpl failing to load is a finding
            stats.problem(f"refimpl could not load/save the {source} export: "
                          f"{type(error).__name__}: {error}")
            stats.end_example(lambda: where)
            return
        compare_arrays(stats, f"refimpl forward vs {source}'s", [y], [exported["y"]], FORWARD,
                       f"{source} forward")
        with numpy.load(io.BytesIO(file), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        _compare_states(stats, f"refimpl's npz ({framework} layout)",
                        {k.replace("/", ".") if framework == "torch" else k: v
                         for k, v in arrays.items()},
                        _state(exported, source, framework))
        imported_case = dict(case, arrays=arrays, file=numpy.frombuffer(file, numpy.uint8).copy())
        imported = framework_call(stats, f"{framework} import", lambda: load(imported_case))
        if imported is not None:
            _compare_states(stats, f"{framework} after loading", _state(imported, framework,
                                                                        framework),
                            _state(exported, source, framework))
            compare_arrays(stats, f"{framework} forward after loading", [imported["y"]],
                           [exported["y"]], EXACT if source == framework else FORWARD,
                           f"{source} forward")
        stats.end_example(lambda: where, lambda: layer_repro.run_script(
            title=f"{cell.property} {cell.subject}: {framework} loads refimpl's npz",
            framework=framework, run=load, case=imported_case,
            expected={k: v for k, v in exported.items() if k != "file"} if source == framework
            else {"y": exported["y"]}, tolerance=FORWARD))

    run_examples(stats, network_cases(), check)


def _refimpl_optimizer_relay(case, policy, exported, framework):
    """refimpl's optimizer on the saved parameters loads the framework's saved state, saves
    it again, and takes the last step: (its parameters after the step, the state it saved:
    torch flat arrays, chainer npz bytes)."""
    import refimpl
    from refimpl import nn, optimizers, serializers
    saved = [exported[f"saved_param{i}"] for i in range(len(case["params"]))]
    with refimpl.semantics(policy):
        target = nn.Chain()
        for index, array in enumerate(saved):
            setattr(target, f"p{index}", nn.Parameter(numpy.array(array, numpy.float32)))
        params = [getattr(target, f"p{i}") for i in range(len(saved))]
        if framework == "torch":
            optimizer = getattr(optimizers.torch_style, case["optimizer"])(params, **case["hyper"])
            serializers.load_named_arrays(optimizer, {
                k: v for k, v in exported.items() if k.startswith(("state/", "param_groups/"))})
            resaved = serializers.named_arrays(optimizer)
        else:
            optimizer = getattr(optimizers.chainer_style, case["optimizer"])(**case["hyper"])
            optimizer.setup(target)
            serializers.load_npz(io.BytesIO(exported["file"].tobytes()), optimizer)
            buffer = io.BytesIO()
            serializers.save_npz(buffer, optimizer)
            resaved = buffer.getvalue()
        for p, g in zip(params, case["grads"][-1]):
            p.grad = numpy.array(g, numpy.float32)
        if framework == "torch":
            optimizer.step()
        else:
            optimizer.update()
    return {f"param{i}": numpy.array(p.data) for i, p in enumerate(params)}, saved, resaved


def check_optimizer(session, cell, stats):
    framework = cell.framework
    export, load = layer_drivers.SERIALIZATION_RUNS[("optimizer", framework)]
    policy = session.policy_name(framework)
    step = stats.tolerance = tolerances.tolerance(DTYPE, "value")

    def check(data, case, stats):
        stats.begin_example()
        where = f"{framework}, {cell.subject}: {describe_case(case)}"
        exported = framework_call(stats, f"{framework} export", lambda: export(case))
        if exported is None:
            stats.end_example(lambda: where)
            return
        try:
            stepped, saved, resaved = _refimpl_optimizer_relay(case, policy, exported, framework)
        except Exception as error:  # noqa: BLE001
            raise HarnessError(f"refimpl could not load the {framework} optimizer state: "
                               f"{type(error).__name__}: {error} [{where}]") from error
        for name in sorted(stepped):
            compare_arrays(stats, f"refimpl's step after loading: {name}", [stepped[name]],
                           [exported[name]], step, f"{framework}'s own next step")
        imported_case = dict(case, saved_params=saved)
        if framework == "torch":
            imported_case["arrays"] = resaved
        else:
            imported_case["file"] = numpy.frombuffer(resaved, numpy.uint8).copy()
        imported = framework_call(stats, f"{framework} import", lambda: load(imported_case))
        if imported is not None:
            for name in sorted(stepped):
                compare_arrays(stats, f"{framework}'s step after loading refimpl's state: {name}",
                               [imported[name]], [exported[name]], EXACT,
                               f"{framework}'s own next step")
        stats.end_example(lambda: where, lambda: layer_repro.run_script(
            title=f"{cell.property} {cell.subject}: {framework} loads refimpl's optimizer state",
            framework=framework, run=load, case=imported_case,
            expected={k: exported[k] for k in stepped}, tolerance=EXACT))

    run_examples(stats, optimizer_state_cases(subject=cell.subject, framework=framework), check)


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
