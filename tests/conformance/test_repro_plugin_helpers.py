"""A repro script pastes the helpers a plugin's adapter uses from the plugin's own package,
which may live outside this repository (``conformance_mygrad`` does), not only from
``conformance.*``."""
import sys
import textwrap

from conformance.checks import repro


def test_helpers_of_a_plugin_package_are_pasted(tmp_path, monkeypatch):
    package = tmp_path / "outside_plugin"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text(textwrap.dedent('''
        def to_numpy(value):
            return list(value)
    '''))
    (package / "adapter.py").write_text(textwrap.dedent('''
        from .helpers import to_numpy


        class OutsideAdapter:
            def value(self, tensor):
                return to_numpy(tensor)
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    from outside_plugin import adapter, helpers  # noqa: F401 - imported from tmp_path
    try:
        parts = []
        repro._collect(adapter.OutsideAdapter, [vars(adapter)], set(), parts, set(),
                       ("conformance.", "outside_plugin."))
        assert "def to_numpy" in "\n".join(parts) and "class OutsideAdapter" in parts[-1]
        parts = []  # the harness's own prefix alone misses it: the defect this guards against
        repro._collect(adapter.OutsideAdapter, [vars(adapter)], set(), parts, set())
        assert "def to_numpy" not in "\n".join(parts)
    finally:
        for name in [n for n in sys.modules if n.startswith("outside_plugin")]:
            del sys.modules[name]
