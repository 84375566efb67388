"""The architecture, checked: no module of ``conformance/`` outside ``conformance/frameworks/``
names a framework in code, and the import graph of ``conformance/`` has no cycle.

"Names in code" means identifiers and string literals (tokenize + ast); comments and
docstrings are free. The framework names are those of the registered plugins (the
reference, refimpl, included: the harness reaches it through its plugin), plus those of the
known third-party plugins, so a module cannot special-case one either.
"""
import ast
import io
import os
import pathlib
import re
import tokenize

import pytest

from conformance import frameworks
from tests.import_graph import find_cycle, import_graph

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = os.path.join(ROOT, "conformance")
THIRD_PARTY = ("mygrad",)


def framework_names():
    return sorted(set(frameworks.names()) | set(THIRD_PARTY))


def modules(exclude_frameworks=True):
    for directory, _, files in os.walk(PACKAGE):
        relative = os.path.relpath(directory, PACKAGE)
        if exclude_frameworks and (relative == "frameworks"
                                   or relative.startswith("frameworks" + os.sep)):
            continue
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(directory, name)


def docstring_positions(tree):
    """(line, col) of every docstring's token."""
    positions = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                positions.add((body[0].value.lineno, body[0].value.col_offset))
    return positions


def mentions(path, names):
    """[(line, token)] where the module at ``path`` names one of ``names`` in code."""
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    docstrings = docstring_positions(ast.parse(source))
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, names)) + r")(?![A-Za-z0-9])",
                         re.IGNORECASE)
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME:
            words = token.string.split("_")
            if any(word.lower() in names for word in words) or token.string.lower() in names:
                found.append((token.start[0], token.string))
        elif token.type == tokenize.STRING and token.start not in docstrings:
            if pattern.search(token.string):
                found.append((token.start[0], token.string[:60]))
        elif token.type == getattr(tokenize, "FSTRING_MIDDLE", -1) and pattern.search(token.string):
            found.append((token.start[0], token.string[:60]))
    return found


def test_the_scanner_sees_identifiers_and_strings_but_not_comments_or_docstrings(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text('"""torch in a docstring is free."""\n'
                      '# chainer in a comment is free\n'
                      'import torch_like\n'
                      'x = "uses chainer"\n'
                      'def f():\n    """refimpl here too."""\n    return is_torch\n')
    assert [line for line, _ in mentions(str(module), ["torch", "chainer", "refimpl"])] == [3, 4, 7]


def test_no_module_outside_frameworks_names_a_framework():
    names = framework_names()
    assert {"refimpl", "torch", "chainer"} <= set(names)
    offenders = {}
    for path in modules():
        found = mentions(path, names)
        if found:
            offenders[os.path.relpath(path, ROOT)] = found
    report = "\n".join(f"{path}: {len(found)}: {found[:5]}" for path, found in sorted(offenders.items()))
    assert not offenders, f"{sum(map(len, offenders.values()))} mentions:\n{report}"


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_import_graph_of_conformance_has_no_cycle():
    cycle = find_cycle(import_graph(pathlib.Path(PACKAGE)))
    assert cycle is None, " -> ".join(cycle)


def test_a_plugin_whose_policy_cannot_register_is_marked_broken_not_fatal(monkeypatch):
    """One plugin's broken policy must not stop discovery of the others."""
    from conformance.frameworks.base import Plugin

    class Broken(Plugin):
        name = "brokenpolicy"

        def new_policies(self):
            raise ValueError("policy field 'gone' does not exist")

    broken = Broken()
    monkeypatch.setattr(frameworks, "_declared_in_checkout",
                        lambda: {**REAL_DECLARED(), "brokenpolicy": "x:y"})
    real_load = frameworks._load_target
    monkeypatch.setattr(frameworks, "_load_target",
                        lambda target: broken if target == "x:y" else real_load(target))
    frameworks.discover.cache_clear()
    try:
        assert "brokenpolicy" not in frameworks.discover()
        assert "refimpl" in frameworks.discover()
        with pytest.raises(frameworks.PluginError, match="cannot register"):
            frameworks.get("brokenpolicy")
    finally:
        frameworks.discover.cache_clear()
        frameworks._BROKEN.pop("brokenpolicy", None)


REAL_DECLARED = frameworks._declared_in_checkout


def test_no_third_party_framework_is_named_anywhere_in_the_harness_or_refimpl():
    """A third-party plugin joins without the harness or the specification knowing its name
    (not even in a comment): ``grep -ri NAME conformance refimpl`` finds nothing."""
    found = []
    for top in ("conformance", "refimpl"):
        for directory, _, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if not name.endswith((".py", ".toml", ".md", ".json")):
                    continue
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8", errors="replace") as handle:
                    text = handle.read().lower()
                found += [f"{os.path.relpath(path, ROOT)}: {word}" for word in THIRD_PARTY
                          if word in text]
    assert not found, found
