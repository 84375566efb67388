"""A port check's diagnosis (the JSON dict of ``check()``'s result) as plain lines, the same
for the CLI and the HTML report's "Port checks" section (which escapes each line)."""


def _number(value):
    return "n/a" if value is None else f"{value:.3g}"


def diagnosis_lines(diagnosis):
    """The lines saying where the port diverges, by how much, why and the fix ([] for none)."""
    if not diagnosis:
        return []
    lines = [diagnosis["summary"]]
    error = diagnosis.get("error") or {}
    if error.get("max_abs_err") is not None:
        lines.append(f"divergence: max abs {_number(error['max_abs_err'])} against tolerance "
                     f"{_number(error.get('allowed'))}")
    elif error.get("shapes"):
        lines.append(f"divergence: shapes {error['shapes'][0]} (target) vs "
                     f"{error['shapes'][1]} (source)")
    if diagnosis.get("target_error"):
        lines.append(f"the target raised: {diagnosis['target_error']}")
    if diagnosis.get("functions"):
        lines.append(f"between the layers: {', '.join(diagnosis['functions'])}")
    lines += [f"weights: {note}" for note in diagnosis.get("weights", [])]
    lines += [f"argument {key}: {a!r} (source) vs {b!r} (target)"
              for key, (a, b) in diagnosis.get("config", {}).items()]
    lines += [f"policy field {field['field']}: {field['source']!r} (source) vs "
              f"{field['target']!r} (target)" + (f": {field['doc']}" if field.get("doc") else "")
              for field in diagnosis.get("policy_fields", [])]
    lines += [f"model convention {c['name']}: {c['source']!r} (source: {c['meaning'][c['source']]}) "
              f"vs {c['target']!r} (target: {c['meaning'][c['target']]}); shows in "
              f"{len(c['blocks'])} block(s)"
              for c in diagnosis.get("conventions", [])]
    if diagnosis.get("explanation_note"):
        lines.append(f"note: {diagnosis['explanation_note']}")
    if diagnosis.get("fix"):
        lines.append(f"fix: {diagnosis['fix']}")
    return lines
