"""``check``: prove that a ported model computes what the original computed, or name the
first layer where it does not and why.

Steps: map the layers (units: linear, convolution, batch normalization, embedding, LSTM) of
the source model to the target model's, by the source's call order and the target's
registration order, checking kind and parameter shapes (an explicit ``mapping`` of target
unit -> source unit overrides); copy the source's parameters and buffers into the target
(through a neutral layout: gate order, two LSTM biases); run both on the same inputs and
compare every unit's input, output and buffers (running statistics); then the gradients of
``sum(output * cotangent)`` (one seeded random cotangent) with respect to every parameter,
layer by layer, and the gradient reaching each layer call's output (localised in the order
the backward computes them); then, given an optimizer pair, the parameters after one step.
The first divergence gets a diagnosis (``diagnose``): weights, construction arguments (of a
layer, or of the target's pooling modules between layers), the refimpl policy fields that
reproduce it, model conventions (``conventions``) and the fix.
"""
import numpy

from . import conventions, diagnose
from .compare import difference
from .sides import PortError, owner, resolve

SCHEMA = "conformance-port/1"


def check(source_model=None, target_model=None, inputs=None, mapping=None, train_step=None, *,
          source=None, target=None, dtype="float64", copy_weights=True, train=True, seed=0,
          name=None, **models):
    """Check a port of ``source_model`` (e.g. a Chainer link) to ``target_model`` (e.g. a
    torch module) on ``inputs`` (an array or a list of arrays given to both models).

    The models may also be passed as ``<framework>_model=`` (e.g. the names of the frameworks'
    plugins followed by ``_model``). ``mapping``: {target unit path: source unit path}.
    ``train_step``: {'source': {'name': optimizer class, hyperparameters...}, 'target': {...}}
    (the keys may also be the frameworks' names), optionally 'steps' (default 1): the
    parameters after each step are compared. ``dtype``:
    floating inputs, parameters and buffers are cast to it (float64 by default: see
    ``conformance.port.compare``). ``copy_weights=False`` keeps the target's own weights (to
    check weights ported by other means). Returns a JSON-serialisable dict (``SCHEMA``) with
    'verdict' ('pass' or 'diverges') and 'diagnosis'.

    Both models are changed: cast to ``dtype``, the target's weights overwritten, running
    statistics moved by the forward in train mode, one optimizer step taken; pass copies to
    keep the originals.
    """
    source_side, target_side, reference = resolve(source, target)
    source_model, target_model = _models(source_side, target_side, source_model, target_model,
                                         models)
    arrays = _inputs(inputs, dtype)
    optimizers = _optimizers(train_step, source_side, target_side)
    return _Check(source_side, target_side, reference, source_model, target_model, arrays,
                  mapping, optimizers, dtype, copy_weights, train, seed, name).run()


def _models(source_side, target_side, source_model, target_model, models):
    for key, value in models.items():
        if key == f"{source_side.name}_model":
            source_model = value
        elif key == f"{target_side.name}_model":
            target_model = value
        else:
            raise PortError(f"unexpected keyword argument {key!r}; the models are "
                            f"{source_side.name}_model and {target_side.name}_model")
    for role, model, side in (("source_model", source_model, source_side),
                              ("target_model", target_model, target_side)):
        if model is None:
            raise PortError(f"{role} is required")
        found = owner(model, (source_side, target_side))
        if found is not side:
            raise PortError(f"{role} must be a {side.name} model, got {type(model).__name__}"
                            + (f" (a {found.name} model)" if found else ""))
    return source_model, target_model


def _inputs(inputs, dtype):
    if inputs is None:
        raise PortError("inputs is required (an array or a list of arrays)")
    arrays = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    converted = []
    for index, array in enumerate(arrays):
        array = numpy.asarray(array)
        if array.dtype.kind == "f":
            array = array.astype(dtype)
        elif array.dtype.kind in "iu":
            array = array.astype(numpy.int32)
        else:
            raise PortError(f"inputs[{index}] must be a float or integer array, got "
                            f"dtype={array.dtype}")
        converted.append(array)
    return converted


def _optimizers(train_step, source_side, target_side):
    if train_step is None:
        return None
    if not isinstance(train_step, dict):
        raise PortError(f"train_step must be a dict of the two optimizers, got {train_step!r}")
    pair = []
    for role, side in (("source", source_side), ("target", target_side)):
        spec = train_step.get(role, train_step.get(side.name))
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise PortError(f"train_step[{role!r}] must be a dict with the optimizer's 'name', "
                            f"got {spec!r}")
        pair.append(dict(spec))
    steps = train_step.get("steps", 1)
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise PortError(f"train_step['steps'] must be a positive integer, got steps={steps!r}")
    return pair, steps


class _Check:
    def __init__(self, source, target, reference, source_model, target_model, inputs, mapping,
                 optimizers, dtype, copy_weights, train, seed, name):
        self.source, self.target, self.reference = source, target, reference
        self.source_model, self.target_model = source_model, target_model
        self.inputs, self.mapping, self.optimizers = inputs, dict(mapping or {}), optimizers
        self.dtype, self.copy_weights, self.train, self.seed = dtype, copy_weights, train, seed
        self.name = name
        self.result = {"schema": SCHEMA, "name": name, "dtype": numpy.dtype(dtype).name,
                       "train_mode": train, "tolerance": dict(zip(("atol", "rtol"),
                                                                  _tolerance(dtype))),
                       "source": self._describe(source, source_model),
                       "target": self._describe(target, target_model),
                       "inputs": [{"shape": list(a.shape), "dtype": a.dtype.name} for a in inputs],
                       "mapping": [], "unmapped": [], "layers": [], "gradients": [],
                       "gradient_layers": [],
                       "step": None, "diagnosis": None, "verdict": None}

    @staticmethod
    def _describe(side, model):
        return {"framework": side.name, "version": side.version, "policy": side.policy,
                "model": f"{type(model).__module__}.{type(model).__qualname__}"}

    # ----------------------------------------------------------------------------------------
    def run(self):
        source, target = self.source.module, self.target.module
        source.initialize(self.source_model, self.inputs, self.train)
        source.cast(self.source_model, self.dtype)
        target.cast(self.target_model, self.dtype)
        self.source_buffers = source.buffers(self.source_model)   # before the forward moves them
        source_session = source.Session(self.source_model, self.inputs, self.train)
        source_output = source_session.forward()
        self.source_events = source_session.events
        self.pairs = self._map(source, target)
        self._copy(target)
        target_session = target.Session(self.target_model, self.inputs, self.train)
        target_error = None
        try:
            target_output = target_session.forward()
        except Exception as error:  # noqa: BLE001 - a crash of the port is a finding
            target_output, target_error = None, f"{type(error).__name__}: {error}"
        self.target_events = getattr(target_session, "events", [])
        if self._compare_forward(source_output, target_output, target_error):
            cotangent = numpy.random.default_rng(self.seed).standard_normal(
                source_output.shape).astype(self.dtype)
            source_grads = source_session.backward(cotangent)
            target_grads = target_session.backward(cotangent)
            output_grads = (getattr(source_session, "output_grads", None),
                            getattr(target_session, "output_grads", None))
            if self._compare_gradients(source_grads, target_grads, *output_grads) \
                    and self.optimizers:
                pair, steps = self.optimizers
                for index in range(steps):
                    if index:     # the next step's gradients, from the updated parameters
                        source_session.forward()
                        target_session.forward()
                        source_session.backward(cotangent)
                        target_session.backward(cotangent)
                    if not self._compare_step(source_session.step(pair[0]),
                                              target_session.step(pair[1]), index + 1, steps):
                        break
        self.result["verdict"] = "pass" if self.result["diagnosis"] is None else "diverges"
        return self.result

    # ----------------------------------------------------------------------------------------
    def _map(self, source, target):
        """[(source unit path, target unit path)] and the mapping table."""
        seen, source_units = set(), []
        for event in self.source_events:
            if event["event"] == "unit" and event["path"] not in seen:
                seen.add(event["path"])
                source_units.append((event["path"], event["kind"]))
        source_links = source.units(self.source_model)
        for path in source_links:          # units the forward never called
            if path not in seen:
                source_units.append((path, source.kind_of(source_links[path])))
        target_units = [(path, target.kind_of(module))
                        for path, module in target.units(self.target_model).items()]
        known_source = {path for path, _ in source_units}
        for target_path, source_path in self.mapping.items():
            if target_path not in dict(target_units):
                raise PortError(f"mapping: target unit {target_path!r} does not exist; target "
                                f"units: {[p for p, _ in target_units]}")
            if source_path not in known_source:
                raise PortError(f"mapping: source unit {source_path!r} does not exist; source "
                                f"units: {sorted(known_source)}")
        automatic = [path for path, _ in target_units if path not in self.mapping]
        free_sources = [item for item in source_units if item[0] not in self.mapping.values()]
        pairs = dict(self.mapping)
        pairs.update(zip(automatic, (path for path, _ in free_sources)))
        # read before the step only (which updates the source's arrays in place): no copy
        self.source_params = source.parameters(self.source_model, seen, copy=False)
        target_params = target.parameters(self.target_model, copy=False)   # shapes only
        kinds = dict(source_units)
        for target_path, target_kind in target_units:
            source_path = pairs.get(target_path)
            row = {"target": target_path, "source": source_path, "kind": target_kind,
                   "how": "explicit" if target_path in self.mapping else "by order", "params": []}
            if source_path is None:
                row["problem"] = "no source unit left to map"
            elif source_path not in self.source_params:
                row["note"] = "the source's forward never calls it: not compared"
            elif kinds[source_path] != target_kind:
                row["problem"] = f"kind {kinds[source_path]} (source) vs {target_kind} (target)"
            else:
                names_s = source.parameter_names(source_path, target_kind)
                names_t = target.parameter_names(target_path, target_kind)
                for role, value in self.source_params[source_path].items():
                    other = target_params[target_path].get(role)
                    entry = {"role": role, "source": names_s.get(role), "target": names_t.get(role),
                             "shape": list(value.shape)}
                    if other is None:
                        zero = not numpy.any(value)
                        entry["problem"] = ("no target counterpart" +
                                            (" (all zeros in the source: no effect)" if zero else ""))
                    elif other.shape != value.shape:
                        entry["problem"] = f"shape {list(value.shape)} (source) vs {list(other.shape)} (target)"
                    row["params"].append(entry)
                for role in target_params[target_path]:
                    if role not in self.source_params[source_path]:
                        row["params"].append({"role": role, "source": None,
                                              "target": names_t.get(role),
                                              "problem": "no source counterpart"})
            self.result["mapping"].append(row)
        self.result["unmapped"] = [path for path, _ in source_units if path not in pairs.values()]
        return {t: s for t, s in pairs.items() if s is not None and s in seen}

    def _copy(self, target):
        """Copy the source's parameters and buffers (as they were before the forward) into the
        target."""
        if not self.copy_weights:
            return
        problems = {row["target"] for row in self.result["mapping"] if row.get("problem")}
        target_params = target.parameters(self.target_model, set(self.pairs), copy=False)
        for target_path, source_path in self.pairs.items():
            if target_path in problems:
                continue
            values = {role: value for role, value in self.source_params[source_path].items()}
            values.update(self.source_buffers.get(source_path, {}))
            shapes = target_params[target_path]
            values = {role: value for role, value in values.items()
                      if role not in shapes or shapes[role].shape == value.shape}
            try:
                target.load(self.target_model, target_path, values)
            except (ValueError, AttributeError) as error:
                for row in self.result["mapping"]:
                    if row["target"] == target_path:
                        row["problem"] = f"copy failed: {error}"

    # ----------------------------------------------------------------------------------------
    def _compare_forward(self, source_output, target_output, target_error):
        source_units = [(i, e) for i, e in enumerate(self.source_events) if e["event"] == "unit"]
        target_positions = [i for i, e in enumerate(self.target_events) if e["event"] == "unit"]
        target_units = [self.target_events[i] for i in target_positions]
        rows = self.result["layers"]
        carried = 0.0   # the largest difference a compared layer's output passed on
        for k, (position, event) in enumerate(source_units):
            row = {"index": k, "source": event["path"], "kind": event["kind"]}
            rows.append(row)
            if k >= len(target_units):
                row.update(target=None, status="not reached")
                if self.result["diagnosis"] is None:
                    row.update(status="diverges", target=self._target_of(event["path"]))
                    self._diagnose_unit(k, position, event, None, target_error or
                                        "the target calls fewer layers")
                continue
            other = target_units[k]
            row["target"] = other["path"]
            if self.result["diagnosis"] is not None:
                row["status"] = "not compared"
                continue
            if other["kind"] != event["kind"]:
                row["status"] = "diverges"
                self._set_diagnosis("forward", k, "structure", event, other,
                                    summary=f"layer {k} is a {event['kind']} ({event['path']}) in "
                                            f"the source, a {other['kind']} ({other['path']}) in "
                                            f"the target")
                continue
            row["input"] = difference(_first(other["inputs"]), _first(event["inputs"]),
                                      self.dtype, reshape=True)
            row["output"] = difference(other["output"], event["output"], self.dtype)
            row["state"] = [dict(difference(other["state"].get(r), v, self.dtype), role=r)
                            for r, v in event["state"].items()]
            input_ok = row["input"]["ok"] or self._carried(row["input"], carried)
            state_ok = all(s["ok"] for s in row["state"])
            if input_ok and row["output"]["ok"] and state_ok:
                row["status"] = "ok"
            elif not input_ok:
                row["status"] = "diverges"
                self._diagnose_gap(k, position, event, other, source_units, target_positions)
            elif self._amplified(row, event, other):
                row["status"] = "ok"
            else:
                row["status"] = "diverges"
                self._diagnose_unit(k, position, event, other, None)
            if row["output"]["max_abs_err"] is not None and row["status"] == "ok":
                carried = max(carried, row["output"]["max_abs_err"])
        output = difference(target_output, source_output, self.dtype)
        self.result["output"] = output
        if self.result["diagnosis"] is None and not (output["ok"] or self._carried(output, carried)):
            self._set_diagnosis("forward", None, "after the last layer", None, None,
                                error=output, summary="the model outputs differ after the last "
                                                      "compared layer")
        return self.result["diagnosis"] is None

    @staticmethod
    def _carried(error, carried):
        """Whether ``error`` (of arrays of one shape) is no more than what earlier layers'
        outputs passed on: the calls between layers (ReLU, pooling, sums of two branches) do
        not expand differences, so twice the largest one so far bounds what reaches here."""
        if error["max_abs_err"] is None or error["allowed"] is None:
            return False
        if error["max_abs_err"] <= error["allowed"] + 2 * carried:
            error["carried"] = True
            return True
        return False

    def _amplified(self, row, event, other):
        """Whether the target layer, run on the source's input from the running statistics
        the forward started from, gives the source's output and statistics: then the layer
        computes the same function, and the difference is its amplification of the (within
        tolerance) difference of its input (e.g. batch statistics of a few values)."""
        rerun = self.target.module.rerun(self.target_model, other["path"], event["inputs"],
                                         self.train, self.source_buffers.get(event["path"]))
        if rerun is None:
            return False
        output, state = rerun
        row["isolated"] = difference(output, event["output"], self.dtype)
        row["isolated_state"] = [dict(difference(state.get(r), v, self.dtype), role=r)
                                 for r, v in event["state"].items()]
        ok = row["isolated"]["ok"] and all(s["ok"] for s in row["isolated_state"])
        if ok:
            row["note"] = ("amplified: on the source's input this layer gives the source's "
                           "output and statistics; the difference comes from its input's")
        return ok

    def _diagnose_unit(self, k, position, event, other, target_error):
        target_path = other["path"] if other else None
        target_params = (self.target.module.parameters(self.target_model, {target_path})
                         .get(target_path, {}) if target_path else {})
        layouts = (lambda role, array: self.source.module.layouts(event["kind"], role, array))
        weights = (diagnose.weights_note(self.source_params.get(event["path"], {}), target_params,
                                         self.source_params, self.dtype, layouts)
                   if target_path else [])
        config = diagnose.config_differences(event["config"], other["config"]) if other else {}
        found = self._conventions(event) if config else []
        calls = [event["replay"] + ([], [])] if event.get("replay") else [(None,)]
        explanation = diagnose.explain(self.reference, self.source.policy, self.target.policy,
                                       calls, None, event["output"],
                                       other["output"] if other else None, target_error,
                                       self.dtype)
        error = None
        if other is not None:
            error = difference(other["output"], event["output"], self.dtype)
            bad_state = [dict(difference(other["state"].get(r), v, self.dtype), role=r)
                         for r, v in event["state"].items()]
            if error["ok"]:
                error = next((s for s in bad_state if not s["ok"]), error)
        self._set_diagnosis("forward", k, "in the layer", event, other, error=error,
                            weights=weights, config=config, explanation=explanation,
                            target_error=target_error, conventions=found)

    def _conventions(self, event):
        """The model conventions (``conventions.CONVENTIONS``) the layers' arguments show at
        the unit ``event``, each with its fix in the target code and every block it shows in."""
        source_units = [e for e in self.source_events if e["event"] == "unit"]
        target_units = [e for e in self.target_events if e["event"] == "unit"]
        found = []
        for convention in conventions.find(list(zip(source_units, target_units))):
            if not any(event["path"] == layers[0][0] for layers in convention["blocks"]):
                continue
            blocks = [layers[0][1].rsplit(".", 1)[0] for layers in convention["blocks"]]
            stride = next(e["config"]["stride"] for e in source_units
                          if e["path"] == convention["blocks"][0][0][0])
            make_fix = getattr(self.target.module, "convention_fix", None)
            convention["fix"] = make_fix and make_fix(convention["name"], convention["source"],
                                                      blocks, tuple(stride))
            found.append(convention)
        return found

    def _diagnose_gap(self, k, position, event, other, source_units, target_positions):
        start = source_units[k - 1][0] + 1 if k else 0
        functions = [e for e in self.source_events[start:position] if e["event"] == "function"]
        calls = [(f["replay"][0], f["replay"][1], f["replay"][2], f["input_ids"], f["output_ids"])
                 if f["replay"] else (f"{f['name']} (no reference counterpart)",)
                 for f in functions]
        final_id = event["input_ids"][0] if event.get("input_ids") else None
        explanation = diagnose.explain(self.reference, self.source.policy, self.target.policy,
                                       calls, final_id, _first(event["inputs"]),
                                       _first(other["inputs"]), None, self.dtype)
        config, fixes = {}, []
        if not explanation["fields"]:     # the target's own calls between the layers
            target_start = target_positions[k - 1] + 1 if k else 0
            target_calls = [e for e in self.target_events[target_start:target_positions[k]]
                            if e["event"] == "function"]
            config, fixes, explained = self._gap_arguments(calls, target_calls, final_id,
                                                           _first(other["inputs"]))
            if explained is not None:
                explanation = explained
        error = difference(_first(other["inputs"]), _first(event["inputs"]), self.dtype,
                           reshape=True)
        self._set_diagnosis("forward", k, "before the layer", event, other, error=error,
                            functions=[f.get("call", f["name"]) for f in functions],
                            explanation=explanation, config=config, argument_fixes=fixes)

    def _gap_arguments(self, calls, target_calls, final_id, target_value):
        """Where the target records its calls between two layers (a pooling module) and they
        are the source's functions with other explicit arguments (window, stride, padding):
        ({argument: (source, target)}, [the target's constructor fix], the explanation of the
        source's calls re-run with the target's arguments: the policy fields that then give
        the target's value, or none if the arguments alone do), else ({}, [], None)."""
        recorded = [call for call in calls if len(call) == 5]
        source_pools = [call for call in recorded if call[0] in {t["name"] for t in target_calls}]
        if not target_calls or len(source_pools) != len(target_calls):
            return {}, [], None
        config, fixes, changed = {}, [], {}
        for call, target_call in zip(source_pools, target_calls):
            if call[0] != target_call["name"]:
                return {}, [], None
            differences = {key: (diagnose._plain(call[2][key]), diagnose._plain(value))
                           for key, value in target_call["config"].items()
                           if call[2].get(key) is not None and key != "cover_all"
                           and diagnose._normal(tuple(numpy.broadcast_to(call[2][key], 2).tolist()))
                           != diagnose._normal(value)}
            if differences:
                config.update(differences)
                fixes.append(self.target.module.config_fix(
                    target_call["module_class"],
                    {key: tuple(a) if isinstance(a, list) else a
                     for key, (a, b) in differences.items()}))
                changed[id(call)] = {key: tuple(b) if isinstance(b, list) else b
                                     for key, (a, b) in differences.items()}
        if not changed:
            return {}, [], None
        modified = [(c[0], c[1], dict(c[2], **changed[id(c)]), c[3], c[4]) if id(c) in changed
                    else c for c in calls]
        explained = diagnose.explain_with_arguments(
            self.reference, self.source.policy, self.target.policy, modified, final_id,
            target_value, self.dtype)
        return config, fixes, explained

    def _set_diagnosis(self, stage, index, where, event, other, error=None, weights=(),
                       config=None, explanation=None, functions=None, target_error=None,
                       summary=None, argument_fixes=(), conventions=()):
        module_class = other.get("module_class") if other else None
        target_path = other["path"] if other else self._target_of(event["path"]) if event else None
        fixes = []
        for note in weights:
            fixes.append(f"copy the source weights of {event['path']} into "
                         f"{other['path']} ({note})")
        field_fixes = []
        for field in (explanation or {}).get("fields", []):
            fix = self.target.module.field_fix(field["field"], module_class or event["kind"])
            field["fix"] = fix
            if fix and fix not in field_fixes:
                field_fixes.append(fix)
        fixes += list(argument_fixes)
        convention_fixes = [c["fix"] for c in conventions if c.get("fix")]
        fixes += convention_fixes
        if config and not field_fixes and not argument_fixes and not convention_fixes:
            fixes.append(self.target.module.config_fix(
                module_class or event["kind"],
                {key: tuple(a) if isinstance(a, list) else a for key, (a, b) in config.items()}))
        fixes += field_fixes
        if functions and not fixes:
            fixes.append(f"compute between the layers what the source computes: "
                         f"{'; '.join(functions)}")
        if summary is None and event is not None:
            place = {"in the layer": "in", "before the layer": "before"}.get(where, where)
            summary = (f"first divergence {place} layer {index}: {event['path']} (source) / "
                       f"{target_path or '?'} (target)")
        self.result["diagnosis"] = {
            "stage": stage, "layer_index": index, "where": where,
            "source_layer": event["path"] if event else None,
            "target_layer": target_path,
            "kind": event["kind"] if event else None,
            "error": error, "target_error": target_error, "functions": functions,
            "weights": list(weights), "config": {k: list(v) for k, v in (config or {}).items()},
            "policy_fields": (explanation or {}).get("fields", []),
            "conventions": list(conventions),
            "explanation_note": (explanation or {}).get("note"),
            "summary": summary, "fix": "; ".join(fixes) or None}

    def _target_of(self, source_path):
        return next((t for t, s in self.pairs.items() if s == source_path), None)

    # ----------------------------------------------------------------------------------------
    def _compare_gradients(self, source_grads, target_grads, source_output_grads=None,
                           target_output_grads=None):
        """Compare the gradient of every mapped parameter; where some differ, localise the
        divergence layer by layer as the forward does, in the order the gradients are
        computed: backward, from the output. The first layer the backward reaches (the last
        in forward order) whose parameter gradients diverge is named (gradients of layers
        before it depend on it, so they differ too): a backward-only error (a hook, a custom
        autograd function) is located at its layer. Where both sides give the gradient
        reaching each layer call's output (``Session.output_grads``), a layer whose parameter
        gradients agree but which passes a different gradient back to its input is named
        instead, when the backward reaches it first."""
        target_params = self.target.module.parameters(self.target_model, set(self.pairs), copy=False)
        for target_path, source_path in self.pairs.items():
            for role, expected in source_grads.get(source_path, {}).items():
                actual = target_grads.get(target_path, {}).get(role)
                if actual is None and role not in target_params.get(target_path, {}):
                    continue       # no counterpart (listed in the mapping)
                entry = dict(difference(actual, expected, self.dtype), source=source_path,
                             target=target_path, role=role)
                self.result["gradients"].append(entry)
        layers = self._gradient_layers()
        self.result["gradient_layers"] = layers
        passed_back = self._output_gradients(source_output_grads, target_output_grads)
        bad = [row for row in layers if row["status"] == "diverges"]
        if passed_back is not None and (not bad or passed_back["after"] > self._last_call(
                bad[-1]["source"])):
            self._diagnose_passed_back(passed_back, len(bad))
            return False
        if bad:
            located, first_forward = bad[-1], bad[0]
            entries = [e for e in self.result["gradients"]
                       if e["target"] == located["target"] and not e["ok"]]
            hooks = self._hooks(located["target"])
            error = max(entries, key=_excess)
            later = len(layers) - 1 - layers.index(located)
            summary = (f"the forward agrees; going backward from the output, the parameter "
                       f"gradients first diverge at layer {located['index']} (forward order): "
                       f"{located['source']} (source) / {located['target']} (target), "
                       f"{', '.join(e['role'] for e in entries)}"
                       + (f", after the {later} later layer(s) agree" if later else "")
                       + f"; {len(bad)} of {len(layers)} layers' gradients differ")
            if first_forward is not located:
                summary += (f" (the first in forward order, layer {first_forward['index']} "
                            f"{first_forward['source']}, gets its gradient through it)")
            self.result["diagnosis"] = {
                "stage": "gradients", "layer_index": located["index"], "where": "gradient",
                "source_layer": located["source"], "target_layer": located["target"],
                "kind": located["kind"], "error": error, "weights": [], "config": {},
                "policy_fields": [], "conventions": [], "functions": None,
                "target_error": None, "summary": summary,
                "explanation_note": "; ".join(hooks) if hooks else
                (f"the outputs agree, so {located['target']}'s backward differs from its "
                 f"forward: a backward hook, a custom autograd Function or a parameter shared "
                 f"with another use changes its gradients"),
                "fix": f"remove or correct the hooks ({'; '.join(hooks)})" if hooks else None}
        return not bad

    def _output_gradients(self, source_grads, target_grads):
        """Compare the gradient reaching each unit call's output (in call order; rows in
        ``result['output_gradients']``). Where some differ: {'call': the last call (in forward
        order) whose output gradient differs, 'after': the unit call after it, whose own output
        gradient agrees: its backward passes the difference to its input}; else None."""
        units = [e for e in self.source_events if e["event"] == "unit"]
        if not source_grads or not target_grads or len(source_grads) != len(units) \
                or len(target_grads) != len(source_grads):
            return None
        rows = []
        for index, (event, expected, actual) in enumerate(zip(units, source_grads, target_grads)):
            if expected is None and actual is None:
                continue
            rows.append(dict(difference(actual, expected, self.dtype), call=index,
                             source=event["path"], target=self._target_of(event["path"])))
        self.result["output_gradients"] = rows
        bad = [row for row in rows if not row["ok"]]
        if not bad or bad[-1]["call"] == rows[-1]["call"]:
            return None      # none differ, or the last call's: the seed itself (not a layer)
        last = bad[-1]
        after = next(row for row in rows if row["call"] > last["call"])
        return {"call": last, "after": after["call"], "after_row": after}

    def _last_call(self, source_path):
        units = [e for e in self.source_events if e["event"] == "unit"]
        return max(i for i, e in enumerate(units) if e["path"] == source_path)

    def _hooks(self, target_path):
        find = getattr(self.target.module, "backward_hooks", None)
        return find(self.target_model, target_path) if find and target_path else []

    def _diagnose_passed_back(self, passed_back, bad_layers):
        """The diagnosis where the gradient reaching call B's output agrees and the one
        reaching the output of the call A before it does not: B's backward passes back
        another gradient, or A's backward pre-hooks (or the calls between) change it. The
        data cannot tell the two apart; the target's hooks can: A is named where it has a
        backward pre-hook and B no backward hook, else B."""
        after, row = passed_back["after_row"], passed_back["call"]
        order = []
        for event in self.source_events:
            if event["event"] == "unit" and event["path"] not in order:
                order.append(event["path"])
        kinds = {r["source"]: r["kind"] for r in self.result["mapping"]}
        hooks_after, hooks_before = self._hooks(after["target"]), self._hooks(row["target"])
        reaching = (any("pre-hook" in h for h in hooks_before)
                    and not any("backward hook(s)" in h for h in hooks_after))
        named = row if reaching else after
        boundary = (f"the gradient reaching {after['target']} (call {after['call']}) agrees, the "
                    f"one reaching {row['target']} (call {row['call']}) differs")
        summary = (f"the forward agrees; going backward from the output, {boundary}: "
                   + (f"layer {order.index(row['source'])} (forward order) {row['source']} / "
                      f"{row['target']} changes the gradient reaching it" if reaching else
                      f"layer {order.index(after['source'])} (forward order) {after['source']} "
                      f"/ {after['target']} (or the calls between it and {row['source']}) "
                      f"passes back another gradient")
                   + f" ({bad_layers} layers' parameter gradients differ)")
        hooks = hooks_before if reaching else hooks_after
        self.result["diagnosis"] = {
            "stage": "gradients", "layer_index": order.index(named["source"]),
            "where": "gradient reaching the layer" if reaching else "gradient passed back",
            "source_layer": named["source"], "target_layer": named["target"],
            "kind": kinds.get(named["source"]),
            "error": dict(row, role=f"gradient reaching the output of {row['target']}"),
            "weights": [], "config": {}, "policy_fields": [], "conventions": [],
            "functions": None, "target_error": None, "summary": summary,
            "explanation_note": "; ".join(hooks) if hooks else
            (f"the outputs agree, so the backward of {named['target']} differs from its "
             f"forward: a backward hook or a custom autograd Function changes its gradients"),
            "fix": (f"remove or correct the hooks ({'; '.join(hooks)})" if hooks else None)}

    def _gradient_layers(self):
        """One row per mapped layer in forward order (of the source's first calls): the
        gradient of its parameters that exceeds its tolerance most (or agrees best)."""
        order = []
        for event in self.source_events:
            if event["event"] == "unit" and event["path"] not in order:
                order.append(event["path"])
        kinds = {row["source"]: row["kind"] for row in self.result["mapping"]}
        by_source = {}
        for entry in self.result["gradients"]:
            by_source.setdefault(entry["source"], []).append(entry)
        rows = []
        for index, source_path in enumerate(order):
            entries = by_source.get(source_path)
            if not entries:
                continue
            worst = max(entries, key=_excess)
            rows.append({"index": index, "source": source_path, "target": worst["target"],
                         "kind": kinds.get(source_path), "role": worst["role"],
                         "max_abs_err": worst["max_abs_err"], "allowed": worst["allowed"],
                         "status": "ok" if all(e["ok"] for e in entries) else "diverges"})
        return rows

    def _compare_step(self, source_after, target_after, index=1, steps=1):
        """Compare the parameters after step ``index`` (of ``steps``); whether they agree."""
        rows = []
        for target_path, source_path in self.pairs.items():
            for role, expected in source_after.get(source_path, {}).items():
                actual = target_after.get(target_path, {}).get(role)
                if actual is None:
                    continue
                rows.append(dict(difference(actual, expected, self.dtype), source=source_path,
                                 target=target_path, role=role))
        pair = self.optimizers[0]
        names = (pair[0]["name"], pair[1]["name"])
        clipping = any("clip_grad_norm" in spec for spec in pair)
        note = self.target.module.optimizer_difference(*names, clipping=clipping)
        wanted = set(self.target.module.optimizer_fields(*names))
        fields = [{"field": field, "source": diagnose._plain(a), "target": diagnose._plain(b),
                   "doc": doc}
                  for field, a, b, doc in self.reference.differing_fields(self.source.policy,
                                                                           self.target.policy)
                  if field in wanted]
        self.result["step"] = {"optimizers": pair, "index": index, "steps": steps,
                               "params": rows, "formula_differences": note,
                               "policy_fields": fields}
        bad = [row for row in rows if not row["ok"]]
        if bad:
            first = bad[0]
            kinds = {row["target"]: row["kind"] for row in self.result["mapping"]}
            notes = sorted({self.target.module.parameter_note(kinds.get(row["target"]), row["role"])
                            for row in bad} - {None})
            parameter_fields = []
            if notes:             # a known reason for some of them comes first
                first = next(row for row in bad if self.target.module.parameter_note(
                    kinds.get(row["target"]), row["role"]))
                parameter_fields = self._parameter_fields(kinds.get(first["target"]),
                                                          first["role"], first["target"])
            self.result["diagnosis"] = {
                "stage": "step", "layer_index": None, "where": "optimizer step",
                "source_layer": first["source"], "target_layer": first["target"], "kind": None,
                "error": first, "weights": [], "config": {},
                "policy_fields": parameter_fields if notes else fields,
                "explanation_note": note, "functions": None, "target_error": None,
                "summary": f"forward and gradients agree; after step {index} of {names[0]} / "
                           f"{names[1]}, {first['role']} of {first['target']} differs "
                           f"({len(bad)} parameters differ)",
                "fix": ("; ".join([f["fix"] for f in parameter_fields if f.get("fix")]
                                  or notes) if notes else
                        f"match the update rules: {note}" if note else None)}
        return not bad

    def _parameter_fields(self, kind, role, target_path):
        """The policy fields (with their fix) that model why parameters of ``kind`` in
        ``role`` move differently in a step (e.g. an LSTM cell's one or two biases)."""
        module = self.target.module
        wanted = set(getattr(module, "parameter_fields", lambda k, r: ())(kind, role))
        module_class = (module.module_class(self.target_model, target_path)
                        if hasattr(module, "module_class") else kind)
        return [{"field": field, "source": diagnose._plain(a), "target": diagnose._plain(b),
                 "doc": doc, "fix": module.field_fix(field, module_class)}
                for field, a, b, doc in self.reference.differing_fields(self.source.policy,
                                                                         self.target.policy)
                if field in wanted]


def _first(values):
    return values[0] if values else None


def _excess(entry):
    """How far a compared array is past its tolerance (infinite where it cannot be compared)."""
    if entry["ok"]:
        return -1.0 if entry["max_abs_err"] is None else entry["max_abs_err"] / max(
            entry["allowed"], 1e-300) - 1.0
    if entry["max_abs_err"] is None or entry["allowed"] is None:
        return float("inf")
    return entry["max_abs_err"] / max(entry["allowed"], 1e-300)


def _tolerance(dtype):
    from .compare import tolerance
    return tolerance(dtype)


__all__ = ["PortError", "SCHEMA", "check"]
