"""Why a layer diverges: its weights, its construction arguments, and the semantics policy
fields that explain it (the layer, or the calls before it, re-run in the reference under the
source framework's policy with one field at a time switched to the target's value)."""
import numpy

from .compare import difference


def weights_note(source_params, target_params, all_source_units, dtype, layouts=None):
    """Why the target unit's weights differ from the source's ([] when they agree).
    ``layouts(role, array)``: {description: the array in another layout of the source
    framework's} (e.g. its own LSTM gate order), tried as explanations."""
    notes = []
    for role, expected in source_params.items():
        actual = target_params.get(role)
        if actual is None:
            notes.append(f"{role}: missing on the target side")
            continue
        if difference(actual, expected, dtype)["ok"]:
            continue
        if actual.ndim >= 2 and actual.shape == numpy.swapaxes(expected, -1, -2).shape and \
                difference(actual, numpy.swapaxes(expected, -1, -2), dtype)["ok"]:
            notes.append(f"{role} is the source's with its last two axes swapped (a transposed "
                         f"kernel/matrix)")
            continue
        alternatives = layouts(role, expected) if layouts else {}
        named = [text for text, array in alternatives.items()
                 if array.shape == actual.shape and difference(actual, array, dtype)["ok"]]
        if named:
            notes.append(f"{role} is the source's in {named[0]}")
            continue
        others = [path for path, params in all_source_units.items()
                  if role in params and params[role].shape == actual.shape
                  and difference(actual, params[role], dtype)["ok"]]
        if others:
            notes.append(f"{role} holds the weights of source layer {others[0]!r} (a wrong "
                         f"mapping)")
        else:
            error = difference(actual, expected, dtype)
            notes.append(f"{role} differs from the source's (max abs {error['max_abs_err']:.3g})"
                         if error["max_abs_err"] is not None else
                         f"{role} has shape {list(actual.shape)}, the source's "
                         f"{list(expected.shape)}")
    return notes


def config_differences(source_config, target_config):
    """{name: (source value, target value)} of construction arguments that differ."""
    return {key: (_plain(value), _plain(target_config.get(key)))
            for key, value in source_config.items()
            if key in target_config and _normal(value) != _normal(target_config.get(key))}


def _normal(value):
    if isinstance(value, (list, tuple)):
        return tuple(_normal(v) for v in value)
    if isinstance(value, float):
        return round(value, 12)
    return value


def explain(reference, source_policy, target_policy, calls, final_id, source_value,
            target_value, target_error, dtype):
    """The policy fields that explain a divergence of ``calls`` (the source's recorded calls,
    run in the reference). Returns {'replayed', 'reproduces_source', 'fields': [...], 'note'}.

    A field explains it when the calls under the source policy with that one field switched
    to the target policy's value give what the target gave (both raise, or equal values)."""
    unreplayable = [call[0] for call in calls if call[0] is None or not reference.has(call[0])]
    if not calls or unreplayable:
        return {"replayed": False, "fields": [],
                "note": f"no reference replay for {', '.join(map(str, unreplayable)) or 'these calls'}"}
    baseline = _run(reference, calls, reference.policy(source_policy), final_id)
    if baseline[0] is not None or not _matches(baseline, source_value, None, dtype):
        why = baseline[0] or "its value differs from the source's"
        return {"replayed": True, "reproduces_source": False, "fields": [],
                "note": f"the reference under {source_policy!r} does not reproduce the source "
                        f"({why})"}
    fields = []
    for field, source_field_value, target_field_value, doc in \
            reference.differing_fields(source_policy, target_policy):
        policy = reference.switched(source_policy, field, target_field_value)
        outcome = _run(reference, calls, policy, final_id)
        if _same_as_source(outcome, baseline, dtype):
            continue
        if _matches(outcome, target_value, target_error, dtype):
            fields.append({"field": field, "source": _plain(source_field_value),
                           "target": _plain(target_field_value), "doc": doc})
    return {"replayed": True, "reproduces_source": True, "fields": fields,
            "note": None if fields else "no single policy field explains it"}


def explain_with_arguments(reference, source_policy, target_policy, calls, final_id,
                           target_value, dtype):
    """The explanation of a divergence once the source's ``calls`` take the target's explicit
    arguments: the policy fields that, switched one at a time to the target's value, then
    give ``target_value`` ({'fields': [], 'note': ...} when the arguments alone give it, or
    when nothing does)."""
    unreplayable = [call[0] for call in calls if call[0] is None or not reference.has(call[0])]
    if not calls or unreplayable:
        return None
    if _matches(_run(reference, calls, reference.policy(source_policy), final_id),
                target_value, None, dtype):
        return {"replayed": True, "reproduces_source": True, "fields": [],
                "note": "the target's arguments alone explain it"}
    fields = []
    for field, source_field_value, target_field_value, doc in \
            reference.differing_fields(source_policy, target_policy):
        policy = reference.switched(source_policy, field, target_field_value)
        if _matches(_run(reference, calls, policy, final_id), target_value, None, dtype):
            fields.append({"field": field, "source": _plain(source_field_value),
                           "target": _plain(target_field_value), "doc": doc})
    return {"replayed": True, "reproduces_source": True, "fields": fields,
            "note": (f"with the target's arguments the policy field(s) "
                     f"{', '.join(f['field'] for f in fields)} explain the rest") if fields
            else "neither the target's arguments nor one policy field explain it"}


def _run(reference, calls, policy, final_id):
    try:
        return None, reference.run_calls(calls, policy, {}, final_id)
    except Exception as error:  # noqa: BLE001 - an error is an outcome to compare
        return f"{type(error).__name__}: {error}", None


def _matches(outcome, value, error, dtype):
    raised, result = outcome
    if error is not None or value is None:
        return raised is not None and error is not None
    return raised is None and difference(result, value, dtype, reshape=True)["ok"]


def _same_as_source(outcome, baseline, dtype):
    if outcome[0] is not None:
        return False
    return difference(outcome[1], baseline[1], dtype)["ok"]


def _plain(value):
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
