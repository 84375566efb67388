"""``python -m conformance port SPEC``, the spec's validation, the library API's arguments, and
the report's port section."""
import importlib
import json
import pathlib

import pytest

pytest.importorskip("torch")
pytest.importorskip("chainer")

from conformance.__main__ import main
from conformance.frameworks.chainer import port_models as source_models
from conformance.frameworks.torch import port_models as target_models
from conformance.port import PortError, check
from conformance.report import port as port_report

CONVNET = """
name = "mnist-convnet-naive"
[source]
model = "conformance.frameworks.chainer.port_models:ConvNet"
[target]
model = "conformance.frameworks.torch.port_models:ConvNet"
[inputs]
shape = [2, 1, 28, 28]
[optimizer.source]
name = "MomentumSGD"
lr = 0.01
momentum = 0.9
[optimizer.target]
name = "SGD"
lr = 0.01
momentum = 0.9
"""


def write(tmp_path, text, name="spec.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_the_cli_diagnoses_the_naive_convnet_and_writes_json(tmp_path, capsys):
    out = tmp_path / "port" / "convnet.json"
    status = main(["port", write(tmp_path, CONVNET), "--json", str(out)])
    printed = capsys.readouterr().out
    assert status == 1
    assert "DIVERGES" in printed and "policy field max_pooling_cover_all" in printed
    assert "fix: pass ceil_mode=True" in printed
    result = json.loads(out.read_text())
    assert result["schema"] == "conformance-port/1"
    assert result["diagnosis"]["source_layer"] == "fc"


def test_the_cli_passes_the_corrected_convnet_from_json(tmp_path, capsys):
    spec = {"source": {"model": "conformance.frameworks.chainer.port_models:ConvNet"},
            "target": {"model": "conformance.frameworks.torch.port_models:ConvNet",
                       "args": {"ceil_mode": True}},
            "inputs": {"shape": [2, 1, 28, 28], "seed": 3}}
    status = main(["port", write(tmp_path, json.dumps(spec), "spec.json"), "--no-json", "-q"])
    assert status == 0
    assert capsys.readouterr().out.strip().endswith("PASS")


@pytest.mark.parametrize("edit, field", [
    (("[inputs]\nshape = [2, 1, 28, 28]", "[inputs]\nshape = [2, 'a']"), "inputs.shape"),
    (('model = "conformance.frameworks.torch.port_models:ConvNet"', 'model = "no_such_module:X"'),
     "target.model"),
    (('model = "conformance.frameworks.torch.port_models:ConvNet"',
      'model = "conformance.frameworks.torch.port_models"'), "target.model"),
    (("[inputs]", "[inputs]\nkind = 'uniform'"), "inputs.kind"),
    (('name = "SGD"\n', ""), "optimizer.target.name"),
    (('name = "mnist-convnet-naive"', 'name = "x"\ndtype = "float16"'), "dtype"),
    (('name = "mnist-convnet-naive"', 'name = "x"\nweights = 1'), "weights"),
    (("[source]", "[source]\nargs = {units = 3}"), "source.args"),
    (("[inputs]\nshape = [2, 1, 28, 28]", ""), "inputs"),
    (("[inputs]", "[inputs]\nshap = [1]"), "inputs.shap"),
    (("[source]\nmodel", "[source]\nmodle = 1\nmodel"), "source.modle"),
])
def test_a_bad_spec_field_is_named_without_a_traceback(tmp_path, capsys, edit, field):
    spec = CONVNET.replace(*edit)
    assert spec != CONVNET
    status = main(["port", write(tmp_path, spec), "--no-json"])
    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith("error: ") and field in error and "Traceback" not in error


def test_a_spec_that_is_not_toml_or_missing_is_an_input_error(tmp_path, capsys):
    assert main(["port", write(tmp_path, "[source\nmodel = 1"), "--no-json"]) == 2
    assert "not valid TOML" in capsys.readouterr().err
    assert main(["port", str(tmp_path / "absent.toml"), "--no-json"]) == 2
    assert "absent.toml" in capsys.readouterr().err


def test_the_models_may_be_given_by_framework_name_and_must_fit(mnist_batch):
    result = check(chainer_model=source_models.ConvNet(),
                   torch_model=target_models.ConvNet(ceil_mode=True), inputs=mnist_batch)
    assert result["verdict"] == "pass" and result["source"]["framework"] == "chainer"
    with pytest.raises(PortError, match="source_model must be a chainer model"):
        check(target_models.ConvNet(), source_models.ConvNet(), mnist_batch)
    with pytest.raises(PortError, match="mapping: target unit 'nope'"):
        check(source_models.ConvNet(), target_models.ConvNet(), mnist_batch, mapping={"nope": "fc"})
    with pytest.raises(PortError, match="train_step"):
        check(source_models.ConvNet(), target_models.ConvNet(), mnist_batch, train_step={"x": 1})


def test_an_optimizer_formula_difference_is_found_in_the_step(mnist_batch):
    """Adam with the same hyperparameters: chainer adds eps to sqrt(v) before the bias
    correction, torch after; with eps=1e-3 one step differs."""
    adam = {"source": {"name": "Adam", "eps": 1e-3}, "target": {"name": "Adam", "eps": 1e-3}}
    result = check(source_models.ConvNet(), target_models.ConvNet(ceil_mode=True), mnist_batch,
                   train_step=adam)
    diagnosis = result["diagnosis"]
    assert diagnosis["stage"] == "step"
    assert "eps placement" in diagnosis["fix"]


def test_the_report_renders_port_results(tmp_path, mnist_batch):
    result = check(source_models.ConvNet(), target_models.ConvNet(), mnist_batch)
    (tmp_path / "a.json").write_text(json.dumps(result))
    (tmp_path / "broken.json").write_text("{")

    class Analysis:
        pass

    analysis = port_report.attach(Analysis(), [str(tmp_path)])
    assert len(analysis.port_results) == 1 and "broken.json" in analysis.port_warnings[0]
    html = port_report.section(analysis)
    assert 'id="port"' in html and "max_pooling_cover_all" in html
    assert '<tr class="st-fail"><td>2</td><td>fc</td>' in html          # the divergent layer marked
    assert "bottleneck_stride_placement" in html                        # the conventions table
    assert port_report.summary(analysis)[0]["verdict"] == "diverges"
    assert port_report.section(port_report.attach(Analysis(), [])) == ""


SPECS = sorted(pathlib.Path(__file__).resolve().parents[2].glob("conformance/port/specs/*.toml"))


def test_the_example_specs_come_in_pairs_and_name_importable_models():
    from conformance.port import spec as spec_module
    names = {path.stem for path in SPECS}
    assert {f"{model}-{variant}" for model in ("mlp", "convnet", "ptb", "vgg16", "resnet50")
            for variant in ("naive", "fixed")} == names
    for path in SPECS:
        spec = spec_module.load(str(path))
        assert spec["name"] == path.stem
        for role in ("source", "target"):
            module_name, _, attribute = spec[role]["model"].partition(":")
            assert callable(getattr(importlib.import_module(module_name), attribute))


@pytest.mark.parametrize("name", ["mlp", "convnet", "ptb"])
def test_the_small_example_specs_diagnose_the_naive_port_and_pass_the_fixed_one(name, capsys):
    folder = pathlib.Path(__file__).resolve().parents[2] / "conformance" / "port" / "specs"
    assert main(["port", str(folder / f"{name}-naive.toml"), "--no-json", "-q"]) == 1
    assert main(["port", str(folder / f"{name}-fixed.toml"), "--no-json", "-q"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("PASS")


def test_a_framework_whose_port_module_cannot_import_is_a_port_error(monkeypatch, mnist_batch):
    from conformance import frameworks
    monkeypatch.setattr(frameworks.get("torch"), "port_module", "no_such_package.port")
    with pytest.raises(PortError, match="framework 'torch' cannot be used here"):
        check(source_models.ConvNet(), target_models.ConvNet(), mnist_batch)


def test_several_steps_keep_the_optimizer_state(mnist_batch):
    """A momentum of 0.8 against 0.9 changes nothing in step 1 (the velocity starts from the
    gradient alone) and shows in step 2, only if the velocity lives on between steps."""
    def pair(target_momentum, steps):
        return {"source": {"name": "MomentumSGD", "lr": 0.1, "momentum": 0.9},
                "target": {"name": "SGD", "lr": 0.1, "momentum": target_momentum}, "steps": steps}
    same = check(source_models.ConvNet(), target_models.ConvNet(ceil_mode=True), mnist_batch,
                 train_step=pair(0.9, 3))
    assert same["verdict"] == "pass" and (same["step"]["index"], same["step"]["steps"]) == (3, 3)
    planted = check(source_models.ConvNet(), target_models.ConvNet(ceil_mode=True), mnist_batch,
                    train_step=pair(0.8, 3))
    assert planted["diagnosis"]["stage"] == "step" and planted["step"]["index"] == 2
    assert "after step 2 of MomentumSGD / SGD" in planted["diagnosis"]["summary"]
    with pytest.raises(PortError, match="steps"):
        check(source_models.ConvNet(), target_models.ConvNet(), mnist_batch,
              train_step=pair(0.9, 0))
