"""The result-record schemas, as data (JSON Schema, draft 2020-12), one per version and kind.

``conformance-result/1`` (legacy: no footer, so completeness is unknown) is read leniently,
as the report always has: a cell needs its identity and an outcome, every other field may be
missing, numbers may be the recorder's strings for non-finite values. ``conformance-result/2``
adds a ``run_id``, a ``planned`` count and the ``reference`` framework's name to the header and a terminal ``footer`` record
(``complete``, ``interrupted`` or ``crashed``; planned and finished cells); its cells have
typed fields and one of the four outcomes.

``VALIDATORS[(schema, kind)]`` is a ``jsonschema`` validator; ``KINDS[schema]`` the kinds a
version knows. A record of another ``conformance-result/N`` is skipped and counted by the
loader, never read as if it were one of these.
"""
import jsonschema

V1 = "conformance-result/1"
V2 = "conformance-result/2"
PREFIX = "conformance-result/"
STATUSES = ("complete", "interrupted", "crashed")

_TEXT = {"type": ["string", "null"]}
# The recorder writes NaN and infinities as strings (JSON has no literal for them).
# ("pattern" applies to strings only, "minimum" to numbers only: no anyOf, which is slow.)
_NON_FINITE = "^(nan|inf|-inf|NaN|Infinity|-Infinity)$"
_COUNT = {"type": ["integer", "null"], "minimum": 0}
_KNOWN_ISSUE = {"type": ["object", "null"],
                "properties": {"reason": {"type": "string"}, "link": {"type": "string"}}}

KEY_FIELDS = ("property", "subject", "framework", "framework_version", "device", "dtype")
NUMBER_FIELDS = ("max_abs_err", "max_rel_err", "atol", "rtol", "duration_s")


def _record(schema, kind, properties, required):
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{schema} {kind} record",
        "type": "object",
        "properties": {"schema": {"const": schema}, "kind": {"const": kind}, **properties},
        "required": list(required),
    }


V1_CELL = _record(V1, "cell", {
    **{name: {"type": "string"} for name in ("property", "subject", "framework")},
    **{name: _TEXT for name in ("framework_version", "device", "dtype")},
    "outcome": {"type": "string"},    # an unknown outcome is read as 'error', the original kept
    **{name: {"type": ["number", "string", "null"]} for name in NUMBER_FIELDS},
    "examples": _COUNT, "failures": _COUNT,
    "policy_fields": {"type": ["array", "null"], "items": {"type": "string"}},
    "known_issue": _KNOWN_ISSUE,
}, ("property", "outcome"))

V1_HEADER = _record(V1, "header", {"started_at": _TEXT}, ("kind",))

_V2_NUMBER = {"type": ["number", "string", "null"], "pattern": _NON_FINITE}

V2_CELL = _record(V2, "cell", {
    **{name: {"type": "string", "minLength": 1} for name in ("property", "subject", "framework")},
    **{name: _TEXT for name in ("framework_version", "device", "dtype")},
    "outcome": {"enum": ["pass", "fail", "error", "skip"]},
    **{name: _V2_NUMBER for name in ("max_abs_err", "max_rel_err", "atol", "rtol")},
    "duration_s": {**_V2_NUMBER, "minimum": 0},
    "examples": _COUNT, "failures": _COUNT,
    **{name: _TEXT for name in ("message", "repro", "reproduce_blob", "semantics")},
    "policy_fields": {"type": ["array", "null"], "items": {"type": "string"}},
    "known_issue": _KNOWN_ISSUE,
    "run_id": {"type": "string"},
}, ("schema", "kind") + KEY_FIELDS + ("outcome",))

_RUN_ID = {"type": "string", "pattern": "^[0-9a-fA-F]{1,128}$"}

V2_HEADER = _record(V2, "header", {
    "run_id": _RUN_ID,
    "planned": _COUNT,
    "started_at": _TEXT,
    "frameworks": {"type": ["object", "null"]},
    "reference": _TEXT,     # the reference framework's name (the report's fallback for it)
}, ("schema", "kind", "run_id"))

V2_FOOTER = _record(V2, "footer", {
    "run_id": _RUN_ID,
    "status": {"enum": list(STATUSES)},
    "planned": _COUNT,
    "finished": {"type": "integer", "minimum": 0},
    "ended_at": _TEXT,
    "reason": _TEXT,
}, ("schema", "kind", "run_id", "status", "finished"))

SCHEMAS = {
    (V1, "header"): V1_HEADER, (V1, "cell"): V1_CELL,
    (V2, "header"): V2_HEADER, (V2, "cell"): V2_CELL, (V2, "footer"): V2_FOOTER,
}
KINDS = {V1: ("header", "cell"), V2: ("header", "cell", "footer")}

for _schema in SCHEMAS.values():
    jsonschema.Draft202012Validator.check_schema(_schema)
VALIDATORS = {key: jsonschema.Draft202012Validator(schema) for key, schema in SCHEMAS.items()}


def problem(schema, kind, record, limit=200):
    """None when ``record`` is valid, else a one-line description of its first problem."""
    validator = VALIDATORS[(schema, kind)]
    if validator.is_valid(record):
        return None
    error = jsonschema.exceptions.best_match(validator.iter_errors(record))
    where = "".join(f"[{part!r}]" for part in error.absolute_path)
    message = error.message if len(error.message) <= limit else error.message[:limit - 1] + "…"
    return f"{where}: {message}" if where else message
