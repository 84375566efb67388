"""A failing cell carries hypothesis' reproduce blob and a standalone repro script that fails
on its own. The failing cell is a real upstream defect (conformance/known_issues/chainer.toml:
x ** 0 has a NaN gradient at 0 in chainer 7.8.1)."""
import subprocess
import sys

from conformance import harness, known_issues
from conformance.checks import repro
from conformance.harness import Cell
from conformance.properties import test_grad


def test_a_failing_cell_has_a_blob_and_a_standalone_repro(session, needs, deterministic_profile,
                                                          tmp_path):
    needs("chainer")
    cell = Cell("grad.first_order", "pow-int_exponent", "chainer", "cpu", "float64")
    record = harness.run_cell(test_grad, session, cell)
    assert record["outcome"] == "fail", record
    assert record["reproduce_blob"].startswith("@reproduce_failure("), record
    assert known_issues.match(record)["link"].startswith("https://github.com/chainer/")
    script = tmp_path / "repro.py"
    script.write_text(record["repro"])
    imports = [line for line in record["repro"].splitlines()
               if line.startswith(("import ", "from "))]
    assert sorted(imports) == ["import chainer", "import numpy"], imports
    completed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                               timeout=120, env={"SETUPTOOLS_USE_DISTUTILS": "stdlib",
                                                 "PATH": "/usr/bin:/bin"})
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "MISMATCH" in completed.stdout and "nan" in completed.stdout


def test_literals_round_trip():
    import numpy
    value = {"x": numpy.array([[1.5, float("nan")]], dtype="float32"),
             "key": (slice(None, 2, None), Ellipsis, numpy.array([True, False]))}
    namespace = {"numpy": numpy, "nan": float("nan"), "inf": float("inf")}
    back = eval(repro.literal(value), namespace)  # noqa: S307 - our own literal
    assert back["x"].dtype == numpy.float32 and numpy.isnan(back["x"][0, 1])
    assert back["key"][0] == slice(None, 2, None) and back["key"][1] is Ellipsis
    assert back["key"][2].dtype == numpy.bool_


def test_an_engine_cell_repro_runs_the_scenario_standalone(session, needs, deterministic_profile,
                                                          tmp_path):
    """The torch stack/cat gradient-aliasing defect (known_issues/torch.toml) through the
    retain_graph scenario: the script pastes the scenario, TorchAdapter and the counterparts."""
    needs("torch")
    from conformance.properties import test_retain_graph
    cell = Cell("retain_graph.second_backward", "stack", "torch", "cpu", "float32")
    record = harness.run_cell(test_retain_graph, session, cell)
    assert record["outcome"] == "fail" and record.get("repro"), record
    imports = sorted(line for line in record["repro"].splitlines()
                     if line.startswith(("import ", "from ")))
    assert [line for line in imports if line.split()[1].split(".")[0] not in (
        "contextlib", "dataclasses", "functools", "math", "types", "warnings", "numpy",
        "torch")] == []
    script = tmp_path / "repro.py"
    script.write_text(record["repro"])
    completed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                               timeout=120)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "grads_2" in completed.stdout and "3.0" in completed.stdout, completed.stdout


def test_provenance_names_the_seed_the_command_and_the_drawn_input():
    script = '"""Repro: x\n\ntext."""\nimport numpy\n'
    seeded = repro.with_provenance(script, profile="dev", seed=7, frameworks=["refimpl", "torch"],
                                   cell_id="grad.first_order-tanh-torch-cpu-float32",
                                   drawn="Draw 1 (sample): Sample(inputs={'x': array(0.)})")
    lines = seeded.splitlines()
    assert lines[:3] == ['"""Repro: x', "", 'text."""']
    assert lines[3] == "# Drawn by hypothesis at seed 7 (profile 'dev'); to draw it again:"
    assert lines[4] == ("#   python -m conformance run --frameworks refimpl,torch --profile dev "
                        "--seed 7 -k 'grad.first_order-tanh-torch-cpu-float32'")
    assert "#   Draw 1 (sample): Sample(inputs={'x': array(0.)})" in lines
    assert lines[-1] == "import numpy"
    compile(seeded, "repro", "exec")
    fixed = repro.with_provenance(script, profile="ci", seed=None, derandomized=True,
                                  frameworks=["refimpl"], cell_id="c")
    assert "derandomized profile 'ci'" in fixed and "--seed" not in fixed
    unknown = repro.with_provenance(script, profile="dev", seed=None, frameworks=["refimpl"],
                                    cell_id="c")
    assert "not recorded" in unknown and "--seed" not in unknown
