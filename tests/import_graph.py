"""The import graph of a package read from its source (AST), and a cycle finder: shared by
``tests/refimpl/test_import_graph.py`` and ``tests/conformance/test_architecture.py``.

Every ``import`` and ``from ... import`` anywhere in a module counts, including inside
functions (an import moved into a function to dodge a cycle is still a cycle), with relative
imports resolved. ``from pkg import name`` is an edge to ``pkg.name`` when that is a module,
else to ``pkg``. The implicit import of a module's parent packages is not an edge.
"""
import ast


def module_files(root):
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


def import_graph(root):
    """{module: set of the package's modules it imports} for the package at ``root``."""
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
