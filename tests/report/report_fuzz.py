"""Mutated result files for fuzzing ``report`` and ``compare`` (tests/report/test_report_fuzz.py
and scripts/fuzz_report.py): real lines of ``tests/report/data/semantics.jsonl``, mutated
byte-wise and structurally, driven by a ``random.Random`` (so hypothesis can drive it with
``st.randoms()`` and the script with a seed), and a checker that runs both commands on one
file and says what went wrong (a traceback, an exit status outside 0..3, an empty or truncated
output)."""
import contextlib
import io
import json
import os
import traceback
import xml.etree.ElementTree as ET

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "semantics.jsonl")
with open(DATA, "rb") as _handle:
    REAL_LINES = [line.rstrip(b"\n") for line in _handle if line.strip()]

HOSTILE_TEXT = ["\\ud800", "\\udfff\\ud800", "\u202e\u2066evil\u2069", "\\u0000", "\x1b[2J", "</script>",
                "<img src=x onerror=alert(1)>", "x" * 5000, "", " ", "\\\\", "\\u202e"]
HOSTILE_NUMBERS = [b"9" * 5000, b"1" + b"0" * 400, b"1e999", b"-1e999", b"NaN", b"Infinity", b"-Infinity",
                   b"-1", b"0", b"1.5", b"true", b"null", b'"nan"', b'"inf"', b"[]", b"{}", b"-0"]
SCHEMAS = ["conformance-result/1", "conformance-result/2", "conformance-result/3", "conformance-result/",
           "other/1", 1, None]
KINDS = ["header", "cell", "footer", "weird", None, 3]
STATUSES = ["complete", "interrupted", "crashed", "done", None]


def _json_value(rng, depth=0):
    choice = rng.randrange(9)
    if choice == 0 or depth > 3:
        return rng.choice([None, True, False, 0, -1, 2 ** 70, 1.5, float("nan"), float("inf")])
    if choice == 1:
        return rng.choice(HOSTILE_TEXT).encode().decode("unicode_escape", "ignore") if rng.random() < .3 \
            else rng.choice(HOSTILE_TEXT)
    if choice == 2:
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if choice == 3:
        return {rng.choice(["a", "outcome", "kind", "schema"]): _json_value(rng, depth + 1)}
    if choice == 4:
        return rng.choice(["pass", "fail", "error", "skip", "PASS", "xfail"])
    if choice == 5:
        return rng.choice(SCHEMAS)
    return rng.random() * 10 ** rng.randrange(-300, 300)


def _structural(line, rng):
    """Parse, change one field (or the record's schema/kind), dump again."""
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict):
        return line
    keys = list(record) or ["x"]
    action = rng.randrange(6)
    if action == 0:
        record[rng.choice(keys)] = _json_value(rng)
    elif action == 1:
        record.pop(rng.choice(keys), None)
    elif action == 2:
        record["schema"] = rng.choice(SCHEMAS)
    elif action == 3:
        record["kind"] = rng.choice(KINDS)
    elif action == 4:   # a /2 footer or header
        record = {"schema": "conformance-result/2", "kind": rng.choice(["footer", "header"]),
                  "run_id": rng.choice(["abc", "0123abcd", "zz", 5]), "status": rng.choice(STATUSES),
                  "planned": rng.choice([818, None, -1, 2 ** 80]), "finished": rng.choice([32, 0, "x"]),
                  "ended_at": "2026-01-01", "reason": rng.choice([None, "KeyboardInterrupt\u202e"])}
    else:
        for key in keys:
            if isinstance(record.get(key), (int, float)) and rng.random() < 0.5:
                record[key] = rng.choice([float("nan"), float("inf"), -float("inf"), 10 ** 300, -5])
    return json.dumps(record, allow_nan=True).encode("utf-8", "surrogatepass")


def _bytewise(line, rng):
    action = rng.randrange(8)
    if action == 0 and line:                                     # truncate
        return line[:rng.randrange(len(line))]
    if action == 1 and line:                                     # flip bytes
        data = bytearray(line)
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data).replace(b"\n", b" ")
    if action == 2:                                              # a hostile string inside a string
        position = line.find(b'": "')
        if position >= 0:
            text = rng.choice(HOSTILE_TEXT).encode("utf-8")
            return line[:position + 4] + text + line[position + 4:]
    if action == 3:                                              # a hostile number for a number
        for key in (b'"duration_s": ', b'"examples": ', b'"max_abs_err": ', b'"atol": ', b'"failures": '):
            position = line.find(key)
            if position >= 0:
                end = position + len(key)
                stop = min([i for i in (line.find(b",", end), line.find(b"}", end)) if i >= 0] or [len(line)])
                return line[:end] + rng.choice(HOSTILE_NUMBERS) + line[stop:]
    if action == 4:                                              # deep nesting
        depth = rng.choice([40, 600, 5000, 200000])
        return b'{"kind": "cell", "property": "p", "outcome": "pass", "x": ' + b"[" * depth + b"]" * depth + b"}"
    if action == 5:                                              # invalid UTF-8
        position = rng.randrange(len(line) + 1)
        return line[:position] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]) + line[position:]
    if action == 6:                                              # random bytes
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80))).replace(b"\n", b"")
    return line


def mutated_file(rng, lines=None):
    """The bytes of one result file: real lines, some mutated, in a shuffled order sometimes."""
    lines = list(REAL_LINES if lines is None else lines)
    count = rng.randrange(1, 40)
    chosen = [lines[0]] + [rng.choice(lines) for _ in range(count)] if rng.random() < .8 else \
        [rng.choice(lines) for _ in range(count)]
    out = []
    for line in chosen:
        roll = rng.random()
        if roll < 0.25:
            line = _structural(line, rng)
        elif roll < 0.5:
            line = _bytewise(line, rng)
        out.append(line)
    if rng.random() < 0.2:
        rng.shuffle(out)
    data = b"\n".join(out)
    if rng.random() < 0.85:
        data += b"\n"
    if rng.random() < 0.05:
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400)))
    return data


def _check_outputs(outputs, status, previous):
    """Problems with the outputs of one report run (an empty or truncated file)."""
    problems = []
    for kind, path in outputs.items():
        if not os.path.exists(path):
            problems.append(f"{kind}: missing")
            continue
        with open(path, "rb") as handle:
            data = handle.read()
        if status == 2:
            if data != previous:
                problems.append(f"{kind}: changed after an input error")
            continue
        if not data:
            problems.append(f"{kind}: empty")
            continue
        try:
            text = data.decode("utf-8")
            if kind == "out":
                if not text.rstrip().endswith("</html>"):
                    problems.append("out: truncated (no </html>)")
            elif kind == "junit":
                ET.fromstring(data)
            else:
                json.loads(text)
        except (ValueError, ET.ParseError) as error:
            problems.append(f"{kind}: unreadable or truncated ({error})")
    return problems


def run_cli(argv):
    """(exit status, stdout, stderr, traceback or None) of ``python -m conformance`` in process."""
    from conformance.__main__ import main
    out, err = io.StringIO(), io.StringIO()
    trace = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else 2
        except BaseException:  # noqa: BLE001 - a fuzz finding
            status, trace = None, traceback.format_exc()
    stderr = err.getvalue()
    if trace is None and ("Traceback (most recent call last)" in stderr or "internal error" in stderr):
        trace = stderr
    return status, out.getvalue(), stderr, trace


def check_file(data, directory):
    """Run ``report`` and ``compare`` (both ways, against the real data) on one file of bytes.
    Returns {"report": status, "compare_new": status, "compare_base": status, "problems": [...]}."""
    results = os.path.join(directory, "results.jsonl")
    with open(results, "wb") as handle:
        handle.write(data)
    previous = b"previous output\n"
    outputs = {kind: os.path.join(directory, name) for kind, name in (
        ("out", "index.html"), ("json", "summary.json"), ("junit", "junit.xml"), ("ctrf", "ctrf.json"))}
    for path in outputs.values():
        with open(path, "wb") as handle:
            handle.write(previous)
    argv = ["report", "--results", results, "--no-baseline"]
    for kind, path in outputs.items():
        argv += [f"--{kind}", path]
    found = {"problems": []}
    status, _, _, trace = run_cli(argv)
    found["report"] = status
    if trace:
        found["problems"].append(f"report: traceback\n{trace}")
    if status not in (0, 1, 2, 3):
        found["problems"].append(f"report: exit status {status!r}")
    else:
        found["problems"] += [f"report: {p}" for p in _check_outputs(outputs, status, previous)]
    compare_json = os.path.join(directory, "compare.json")
    for name, argv in (("compare_new", ["compare", DATA, results, "--json", compare_json]),
                       ("compare_base", ["compare", results, DATA, "--json", compare_json])):
        with open(compare_json, "wb") as handle:
            handle.write(previous)
        status, _, _, trace = run_cli(argv)
        found[name] = status
        if trace:
            found["problems"].append(f"{name}: traceback\n{trace}")
        if status not in (0, 1, 2, 3):
            found["problems"].append(f"{name}: exit status {status!r}")
        else:
            found["problems"] += [f"{name}: {p}" for p in _check_outputs({"json": compare_json}, status, previous)]
    return found
