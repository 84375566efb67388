"""refimpl's semantics policies against the real frameworks, one test per (case, framework).

Each behaviour case (``conformance.behaviours``) runs on torch / chainer and on refimpl under
the policy modelling that framework's version; the observations must agree. A framework that
is not installed skips its tests with the reason. The self-tests at the end show that the
comparison can fail: a wrong policy, or a single mutated policy field, is detected.
"""
import dataclasses
import functools

import pytest

import refimpl
from conformance import behaviours, frameworks, verify
from conformance.checks.observations import compare, observe
from conformance.frameworks.base import AdapterUnavailable, NotSupported

FRAMEWORKS = tuple(name for name in frameworks.names() if not frameworks.get(name).reference)


def RefimplAdapter(semantics):  # noqa: N802 - reads as the adapter it makes
    return frameworks.reference().adapter(semantics)


POLICY_FIELDS = sorted(f.name for f in dataclasses.fields(refimpl.Policy)
                       if f.name not in ("name", "framework"))

# Fields no case can observe in refimpl, with the reason. A field leaves this list when refimpl
# starts consulting it (test_each_policy_field_is_observable then fails until it is removed).
UNOBSERVABLE_IN_REFIMPL = {}

CASES = list(behaviours.CASES)
#: the cases of the fields that replaced refimpl's branches on the framework's name
NEW_FIELD_CASES = ("backward_seed_from_output_grad", "leaf_backward",
                   "grad_input_without_requires_grad")


def case_by_name(name):
    return behaviours.by_name()[name]


@functools.lru_cache(maxsize=None)
def _framework(name):
    try:
        return verify.load(name)
    except AdapterUnavailable as reason:
        return str(reason)


def framework_adapter(name):
    adapter = _framework(name)
    if isinstance(adapter, str):
        pytest.skip(adapter)
    return adapter


PAIRS = [(case, framework) for case in CASES for framework in FRAMEWORKS
         if case.applies_to(frameworks.get(framework))]


@pytest.mark.frameworks
@pytest.mark.parametrize("case, framework", PAIRS,
                         ids=[f"{case.name}-{framework}" for case, framework in PAIRS])
def test_refimpl_matches_framework(case, framework):
    adapter = framework_adapter(framework)
    cell = verify.run_case(case, adapter)
    if cell["outcome"] == "skip":
        pytest.skip(cell["message"])
    assert cell["outcome"] == "pass", (
        f"{case.name} [{adapter.name} {adapter.version} vs refimpl semantics "
        f"{cell['semantics']}]: {cell['message']}")


def test_every_policy_field_is_covered():
    covered = {field for case in CASES for field in case.fields}
    assert sorted(set(POLICY_FIELDS) - covered) == []
    assert sorted(covered - set(POLICY_FIELDS)) == []  # none misspelt or retired


def test_case_names_and_frameworks_are_valid():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
    declared = {capability for name in FRAMEWORKS for capability in frameworks.get(name).capabilities}
    for case in CASES:
        assert set(case.requires) <= declared, (case.name, case.requires)  # none misspelt
        assert any(case.applies_to(frameworks.get(name)) for name in FRAMEWORKS), case.name
        assert case.applies_to(frameworks.reference()), case.name  # refimpl models every one
        assert case.doc, f"{case.name} has no docstring"


def test_a_case_applies_where_the_plugin_has_its_capabilities_and_ops():
    """Capabilities and ops decide where a case applies; the reference has them all."""
    by_name = behaviours.by_name()
    torch, chainer = frameworks.get("torch"), frameworks.get("chainer")
    assert by_name["seed_retain_graph_8_then_16"].applies_to(torch)
    assert not by_name["seed_retain_graph_8_then_16"].applies_to(chainer)  # no retain_graph
    assert by_name["seed_retain_then_plain_backward"].applies_to(chainer)
    assert not by_name["seed_retain_then_plain_backward"].applies_to(torch)
    assert not by_name["seed_topk"].applies_to(chainer)  # chainer lacks the op
    assert by_name["second_backward"].applies_to(torch) and by_name["second_backward"].applies_to(chainer)


@pytest.mark.frameworks
@pytest.mark.parametrize("framework, wrong, case_name", [
    ("torch", "chainer", "second_backward"),
    ("torch", "chainer", "grad_unused_input"),
    ("chainer", "torch", "max_tie_gradient"),
    ("chainer", "torch", "requires_grad_default"),
] + [(framework, wrong, name) for name in NEW_FIELD_CASES
     for framework, wrong in (("torch", "chainer"), ("chainer", "torch"))])
def test_wrong_policy_is_reported(framework, wrong, case_name):
    """The comparison can fail: refimpl under another framework's policy disagrees."""
    adapter = framework_adapter(framework)
    case = case_by_name(case_name)
    cell = verify.run_case(case, adapter, RefimplAdapter(wrong))
    assert cell["outcome"] == "fail", cell
    assert cell["message"] and "refimpl" in cell["message"]


@pytest.mark.frameworks
def test_wrong_chainer_version_policy_is_reported():
    """chainer 7.x and 5.x differ in output/intermediate grad lifetimes: the other version's
    policy is caught."""
    adapter = framework_adapter("chainer")
    wrong = "chainer" if adapter.semantics == "chainer5" else "chainer5"
    for case_name in ("seed_retain_then_plain_backward", "output_grad_after_backward",
                      "backward_under_no_grad"):
        cell = verify.run_case(behaviours.by_name()[case_name], adapter, RefimplAdapter(wrong))
        assert cell["outcome"] == "fail", (case_name, cell["message"])


def _observations_differ(case, policy_a, policy_b):
    try:
        first = observe(case.run, RefimplAdapter(policy_a))
        second = observe(case.run, RefimplAdapter(policy_b))
    except NotSupported:
        return False
    return bool(compare(first, second))


#: Values of fields that only a plugin's policy uses (MyGrad 2.5.0's, conformance-mygrad): the
#: mutation test switches to them too, so the cases must tell them from the built-ins' values.
OTHER_ENGINE_VALUES = {
    "cast_differentiable": {False}, "grad_accumulation": {"overwrite"},
    "free_graph_after_backward": {"dismantle"}, "nonscalar_backward_without_grad": {"ones"},
    "max_tie_gradient": {"first"}, "requires_grad_default": {"floats"},
    "integer_requires_grad": {"raise_constant"}, "mixed_dtypes": {"numpy"},
    "number_operands": {"numpy"}, "empty_softmax_axis": {"log_raise"},
    "outputs_require_grad": {"inputs_floats"},
}


@pytest.mark.parametrize("field", POLICY_FIELDS)
def test_each_policy_field_is_observable(field):
    """Mutation test (refimpl only): changing this one field of a policy to another policy's
    value changes what at least one of the field's cases observes."""
    policies = [refimpl.policies.TORCH, refimpl.policies.TORCH215, refimpl.policies.TORCH214,
                refimpl.policies.TORCH29,
                refimpl.policies.CHAINER,
                refimpl.policies.CHAINER6, refimpl.policies.CHAINER5]
    values = {getattr(policy, field) for policy in policies} | OTHER_ENGINE_VALUES.get(field, set())
    cases = [case for case in CASES if field in case.fields]
    detected = any(
        _observations_differ(case, base, dataclasses.replace(base, name=f"{base.name}-mutant",
                                                             **{field: value}))
        for base in policies for value in values if value != getattr(base, field)
        for case in cases)
    if field in UNOBSERVABLE_IN_REFIMPL:
        assert not detected, f"{field} is observable now: remove it from UNOBSERVABLE_IN_REFIMPL"
    else:
        assert detected, f"no case observes a change of {field} (values {values})"


def test_comparison_flags_each_kind_of_difference():
    from conformance.checks.observations import Observation, Raised
    import numpy
    base = Observation({"a": numpy.ones(2, numpy.float32), "e": Raised("RuntimeError", "boom"),
                        "n": None, "l": [numpy.zeros(1), None]})
    assert compare(base, base) == []
    variants = {
        "value": {"a": numpy.array([1, 2], numpy.float32)},
        "dtype": {"a": numpy.ones(2, numpy.float64)},
        "shape": {"a": numpy.ones(3, numpy.float32)},
        "exception class": {"e": Raised("ValueError", "boom")},
        "exception message": {"e": Raised("RuntimeError", "bang")},
        "none vs value": {"n": 0.0},
        "nested": {"l": [numpy.zeros(1), numpy.zeros(1)]},
    }
    for what, change in variants.items():
        other = Observation({**base.values, **change})
        assert compare(base, other), what
    assert compare(base, Observation(dict(base.values), exception=("RuntimeError", "x")))
    assert compare(base, Observation({k: v for k, v in base.values.items() if k != "n"}))


def _eye_grads(diagonal, off_diagonal):
    import numpy
    return numpy.where(numpy.eye(5, dtype=bool), diagonal, off_diagonal).tolist()


# The numbers the seed notes print (/work/shared/seeds), as an oracle independent of both
# refimpl and the frameworks: (case, the policies under which the note's value holds,
# recorded value, expected as nested lists).
TORCH, C5, CHAINER_ANY = ("torch",), ("chainer5",), ("chainer", "chainer5")
SEED_EXPECTATIONS = [
    ("seed_grad_worked_example", CHAINER_ANY, "dz/dx", [[64, 1026, 5120]]),
    ("seed_grad_worked_example", TORCH, "dz/dx", [[64, 1026, 5120]]),
    ("seed_grad_worked_example", TORCH, "dz/dy", [[16, 171, 640]]),
    ("seed_grad_worked_example", CHAINER_ANY, "dz/dy", [[16, 171, 640]]),
    ("seed_grad_worked_example", CHAINER_ANY, "preset.x.grad", [2, 3, 4]),
    ("seed_chainer_grad_options", CHAINER_ANY, "set_grad.x.grad", [64, 1026, 5120]),
    ("seed_chainer_grad_options", CHAINER_ANY, "set_grad.y.grad", None),
    ("seed_chainer_grad_options", CHAINER_ANY, "retain_grad.y.grad", [16, 171, 640]),
    ("seed_chainer_grad_options", CHAINER_ANY, "retain_grad.x.grad", None),
    ("seed_chainer_grad_options", CHAINER_ANY, "grad_inputs.result", [[66, 1029, 5124]]),
    ("seed_chainer_grad_options", CHAINER_ANY, "preset.x.grad", [2, 3, 4]),
    ("seed_retain_grad_intermediate", CHAINER_ANY, "retained_1.z.grad", [-1]),
    ("seed_retain_grad_intermediate", TORCH, "retained_1.z.grad", [-1]),
    ("seed_accumulation_8_16_24", CHAINER_ANY, "x.grad_3", [24]),
    ("seed_accumulation_8_16_24", TORCH, "x.grad_1", [8]),
    ("seed_retain_then_plain_backward", C5, "plain.z.grad", None),  # the notebook
    ("seed_retain_then_plain_backward", CHAINER_ANY, "plain.x.grad", [24]),
    ("seed_nonscalar_ones_seed", CHAINER_ANY, "x.grad", [[0, 2, 4], [6, 8, 10]]),
    ("nonscalar_backward_implicit_seed", CHAINER_ANY, "plus_const.x.grad", None),
    ("seed_dot_grads", TORCH, "dot.a.grad", [2, 3, 4]),
    ("seed_dot_grads", TORCH, "dot.b.grad", [1, 2, 3]),
    ("seed_dot_grads", TORCH, "dot.f.grad", None),
    ("seed_retain_graph_8_then_16", TORCH, "w.grad_1", 8),
    ("seed_retain_graph_8_then_16", TORCH, "w.grad_2", 16),
    ("seed_max_values_indices", TORCH, "1d.values", 3),
    ("seed_max_values_indices", TORCH, "1d.indices", 2),
    ("seed_max_values_indices", TORCH, "1d.indices.has_graph", False),
    ("seed_max_values_indices", TORCH, "1d.values.has_graph", True),
    ("seed_boolean_mask", TORCH, "x[mask]", [1, 3]),
    ("seed_boolean_mask", CHAINER_ANY, "x.grad", [1, 0, 1]),
    ("seed_topk", TORCH, "indices", [[1, 2], [2, 0], [2, 0], [0, 2]]),
    ("seed_topk", TORCH, "values", [[1.2384, 0.3714], [1.1292, 0.6582], [0.9428, 0.7334],
                                    [1.9731, 0.6539]]),
    ("seed_cat_shapes_and_error", TORCH, "axis1.value", [[1, 1, 1, 2, 2]] * 3),
    ("seed_eye5_accumulation", TORCH, "inp.grad_1", _eye_grads(4, 2)),
    ("seed_eye5_accumulation", CHAINER_ANY, "inp.grad_1", _eye_grads(4, 2)),
    ("seed_eye5_accumulation", TORCH, "inp.grad_2", _eye_grads(8, 4)),
    ("seed_eye5_accumulation", TORCH, "inp.grad_after_zeroing", _eye_grads(4, 2)),
    ("seed_torch_no_grad_detach", TORCH, "no_grad.z.requires_grad", False),
    ("seed_torch_no_grad_detach", TORCH, "z.detach().requires_grad", False),
]


def _as_plain(value):
    import numpy
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    if isinstance(value, list):
        return [_as_plain(v) for v in value]
    return value


def _check_seed_value(observation, name, expected):
    import numpy
    assert observation.exception is None, observation.exception
    got = _as_plain(observation.values[name])
    if expected is None or isinstance(expected, bool):
        assert got is expected, (name, got)
    else:
        assert numpy.allclose(numpy.array(got, dtype=float), numpy.array(expected, dtype=float),
                              rtol=1e-4), (name, got, expected)


SEED_IDS = [f"{case}-{name}-{'/'.join(policies)}" for case, policies, name, _ in SEED_EXPECTATIONS]


@pytest.mark.parametrize("case_name, policies, name, expected", SEED_EXPECTATIONS, ids=SEED_IDS)
def test_refimpl_reproduces_seed_numbers(case_name, policies, name, expected):
    for semantics in policies:
        observation = observe(behaviours.by_name()[case_name].run, RefimplAdapter(semantics))
        _check_seed_value(observation, name, expected)


@pytest.mark.frameworks
@pytest.mark.parametrize("case_name, policies, name, expected", SEED_EXPECTATIONS, ids=SEED_IDS)
def test_framework_reproduces_seed_numbers(case_name, policies, name, expected):
    adapter = framework_adapter(frameworks.owner_of_policy(policies[0]).name)
    if adapter.semantics not in policies:
        pytest.skip(f"{name} is the seed's value under {policies}; installed: "
                    f"{adapter.name} {adapter.version} (semantics {adapter.semantics})")
    _check_seed_value(observe(behaviours.by_name()[case_name].run, adapter), name, expected)


def test_a_case_that_breaks_on_the_framework_is_an_error_not_a_pass():
    """A case raising on the framework without recording it (here: on both sides alike) must
    not pass silently."""
    def broken(adapter, record):
        record("before", 1)
        adapter.no_such_method()

    case = behaviours.Case("broken", ("grad_returns",), broken, "broken on purpose")
    cell = verify.run_case(case, RefimplAdapter("torch"), RefimplAdapter("torch"))
    assert cell["outcome"] == "error"
    assert "AttributeError" in cell["message"]


def test_unavailable_framework_gives_skip_cells_and_a_header(tmp_path, monkeypatch):
    import json
    from conformance import __main__ as cli
    from conformance.frameworks.base import AdapterUnavailable as Unavailable

    def unavailable(name, semantics=None):
        raise Unavailable(f"{name} cannot be imported: ModuleNotFoundError: test")

    monkeypatch.setattr(verify, "load", unavailable)
    out = tmp_path / "semantics.jsonl"
    status = cli.main(["verify-semantics", "--frameworks", "torch", "--out", str(out), "-q"])
    assert status == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["kind"] == "header" and lines[0]["schema"] == "conformance-result/2"
    assert lines[0]["frameworks"] == {"torch": None}
    assert lines[-1]["kind"] == "footer" and lines[-1]["status"] == "complete"
    cells = lines[1:-1]
    assert len(cells) == sum(case.applies_to(frameworks.get("torch")) for case in behaviours.CASES)
    for cell in cells:
        assert cell["outcome"] == "skip" and "torch cannot be imported" in cell["message"]
        assert cell["property"].startswith("semantics.") and cell["framework"] == "torch"
        assert cell["device"] == "cpu" and cell["dtype"] == "float32"
