"""The reference's part of a port check (``conformance.port``): re-run one recorded call of the
source model in refimpl under a semantics policy, and list the policy fields where two
policies differ. Fields are read from ``refimpl.policies`` at run time."""
import dataclasses

import numpy

import refimpl
from refimpl import functions as _functions
from refimpl import policies as _policies

name = "refimpl"


def policy(policy_name):
    return _policies.get_policy(policy_name)


def differing_fields(source_policy, target_policy):
    """[(field, source value, target value, doc)] where the two policies differ."""
    source, target = policy(source_policy), policy(target_policy)
    found = []
    for field in dataclasses.fields(source):
        if field.name in ("name", "framework"):
            continue
        a, b = getattr(source, field.name), getattr(target, field.name)
        if a != b:
            found.append((field.name, a, b, field.metadata.get("doc", "")))
    return found


def switched(source_policy, field, value):
    """The source policy with one field set to ``value`` (an unregistered Policy)."""
    return dataclasses.replace(policy(source_policy), name=f"{source_policy}+{field}",
                               **{field: value})


def has(function_name):
    return callable(getattr(_functions, function_name, None))


def run_calls(calls, policy_value, inputs_by_id, final_id):
    """Run ``calls`` ([(function name, args, kwargs, input ids, output ids)]) in order under
    ``policy_value``; an argument whose id is an earlier call's output takes that result. Returns
    the NumPy value of the output ``final_id``, or raises what refimpl raises."""
    values = {}
    with refimpl.semantics(policy_value), refimpl.no_grad():
        for function_name, args, kwargs, input_ids, output_ids in calls:
            function = getattr(_functions, function_name)
            arguments = []
            for position, arg in enumerate(args):
                key = input_ids[position] if position < len(input_ids) else None
                if key is not None and key in values:
                    arguments.append(values[key])
                elif isinstance(arg, numpy.ndarray):
                    arguments.append(refimpl.Variable(arg) if arg.dtype.kind == "f" else arg)
                else:
                    arguments.append(arg)
            kwargs = {k: v for k, v in kwargs.items() if v is not None}
            result = function(*arguments, **kwargs)
            for key in output_ids[:1]:
                values[key] = result
    result = values.get(final_id) if final_id is not None else result
    return numpy.asarray(result.data if hasattr(result, "data") else result)


def lstm_cell_run(case):
    """The behaviour case of the LSTM cell's biases (``conformance.behaviours.port``) on
    refimpl's ``LSTMCell`` built under ``case['policy']`` (fields ``lstm_cell_biases`` and
    ``lstm_bias_init``): a fresh default cell's biases, and one loaded from the neutral layout
    (the one ``bias`` into ``bias_ih``, any ``bias_hh`` zeros) run one step from ``(h0, c0)``
    and updated by one plain SGD step (``lr``: each trained parameter ``p -= lr p.grad``)."""
    from refimpl.nn.rnn import LSTMCell
    with refimpl.semantics(case["policy"]):
        fresh = LSTMCell(case["input_size"], case["hidden_size"], rng=case["seed"])
        found = {"default.biases": [p.data.copy() for name, p in fresh.named_parameters()
                                    if name.startswith("bias")]}
        cell = LSTMCell(case["input_size"], case["hidden_size"], dtype=numpy.float64)
        weights = case["weights"]
        cell.weight_ih.data[...] = weights["weight_ih"]
        cell.weight_hh.data[...] = weights["weight_hh"]
        cell.bias_ih.data[...] = weights["bias"]
        biases = [p for p in (cell.bias_ih, cell.bias_hh) if p is not None]
        for extra in biases[1:]:
            extra.data[...] = 0.0
        cell.cleargrads()        # as the chainer side: a fresh grad is NaN under its policy
        h, _ = cell(refimpl.Variable(case["x"]), (refimpl.Variable(case["h0"]),
                                                   refimpl.Variable(case["c0"])))
        (h * refimpl.Variable(case["grad_h"])).sum().backward()
        found["h"] = numpy.asarray(h.data)
        found["bias.grad"] = numpy.asarray(cell.bias_ih.grad)
        before = sum(p.data for p in biases).copy()
        for _, parameter in cell.named_parameters():
            parameter.data -= case["lr"] * parameter.grad
        found["step.bias_change"] = sum(p.data for p in biases) - before
    return found
