"""refimpl's modules import one another without a cycle.

The graph is read from the source (AST), not from ``sys.modules``: every ``import`` and
``from ... import`` anywhere in a module, including inside functions (an import moved into a
function to dodge a cycle is still a cycle), with relative imports resolved. ``from pkg
import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``. The implicit
import of a module's parent packages is not an edge (every submodule would otherwise form a
cycle with the package that imports it).
"""
import ast
import pathlib

import refimpl

ROOT = pathlib.Path(refimpl.__file__).parent


def module_files(root=ROOT):
    """{module name: path} for every module of the package at ``root``."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _package_of(module, path):
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def imported_modules(module, path, known):
    """The modules among ``known`` that ``module`` (source at ``path``) imports."""
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                targets.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(module, path).split(".")
                base = base[:len(base) - (node.level - 1)]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in known else base)
    resolved = set()
    for target in targets:  # 'import a.b.c' names a.b.c; keep the deepest known module
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != module:
            resolved.add(target)
    return resolved


def import_graph(root=ROOT):
    """{module: set of refimpl modules it imports}."""
    modules = module_files(root)
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def find_cycle(graph):
    """One cycle as a list of modules [a, b, ..., a], or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for successor in sorted(graph.get(node, ())):
            if state.get(successor) == "open":
                return stack[stack.index(successor):] + [successor]
            if successor not in state:
                cycle = visit(successor)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_refimpl_import_graph_has_no_cycle():
    graph = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_graph_sees_imports_of_every_kind():
    """The reader is not blind: module-level, relative, 'from pkg import module' and
    function-local imports all give edges."""
    graph = import_graph()
    assert "refimpl.variable" in graph["refimpl.engine"]                 # from .variable import
    assert "refimpl.policies" in graph["refimpl.engine"]                 # from . import policies
    assert "refimpl.function" in graph["refimpl.functions.arithmetic"]   # from ..function import
    assert "refimpl.functions" in graph["refimpl"]                       # from . import functions
    assert len(graph) >= 30 and sum(map(len, graph.values())) >= 100


def test_function_local_imports_and_cycles_are_found(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def f():\n    from .sub import c\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "c.py").write_text("import pkg.a\nfrom .. import b\n")
    graph = import_graph(package)
    assert graph["pkg.b"] == {"pkg.sub.c"}
    assert graph["pkg.sub.c"] == {"pkg.a", "pkg.b"}
    assert find_cycle(graph) in (["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"],
                                 ["pkg.b", "pkg.sub.c", "pkg.b"])
    assert find_cycle({"x": {"y"}, "y": set()}) is None
