"""refimpl's modules import one another without a cycle.

The graph is read from the source (AST), not from ``sys.modules``: every ``import`` and
``from ... import`` anywhere in a module, including inside functions (an import moved into a
function to dodge a cycle is still a cycle), with relative imports resolved. ``from pkg
import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``. The implicit
import of a module's parent packages is not an edge (every submodule would otherwise form a
cycle with the package that imports it).
"""
import pathlib

import refimpl
from tests.import_graph import find_cycle, import_graph as package_import_graph

ROOT = pathlib.Path(refimpl.__file__).parent


def import_graph(root=ROOT):
    return package_import_graph(root)


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
