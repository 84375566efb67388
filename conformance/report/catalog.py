"""The frameworks named in the results, as the report knows them.

What the result files say comes first: cells' ``framework``, ``framework_version`` and
``semantics`` (the reference's policy that modelled the cell), and the run headers'
``reference``. Where a framework's plugin is installed (``conformance.frameworks``), the
report also reads its ``display_name``, ``reference`` flag, ``porting_role`` and
``policies``; a framework whose plugin is not installed where the report runs is shown by
the name in the files. The reference is the plugin whose ``reference`` flag is set, else
the one the run headers name, else unknown (then no cell is treated as the reference's).

Order everywhere in the report: the reference, a porting source, a porting target, then the
others by name.
"""
import collections
import dataclasses

from .model import version_key

ROLE_ORDER = {"source": 0, "target": 1}


def installed_plugins():
    """{name: Plugin} of the installed framework plugins; {} when they cannot be loaded (a
    report environment without the harness's dependencies still renders)."""
    try:
        from conformance import frameworks
        return dict(frameworks.discover())
    except Exception:  # noqa: BLE001 - the report renders from the files alone
        return {}


def semantics_policies(plugins=None):
    """{policy name: Policy} of the semantics policies the reference plugin holds (its data:
    ``Plugin.semantics_policies``), or {} when no reference plugin is installed."""
    plugins = installed_plugins() if plugins is None else plugins
    for plugin in plugins.values():
        if getattr(plugin, "reference", False):
            try:
                return dict(plugin.semantics_policies())
            except Exception:  # noqa: BLE001 - its policies cannot be imported here
                return {}
    return {}


@dataclasses.dataclass(frozen=True)
class Framework:
    """One framework named in the results (or installed)."""
    name: str
    display_name: str
    porting_role: str = None    # 'source', 'target' or None
    policies: tuple = ()        # the policies its plugin declares, the current one first
    installed: bool = False     # its plugin is installed where the report runs


@dataclasses.dataclass
class Catalog:
    frameworks: dict            # name -> Framework, every framework with a cell
    reference: str = None       # the reference's name, None when unknown
    # framework -> {policy: [versions]}: the versions of a framework whose cells ran under a
    # policy (never the reference's cells: its version is not a version of what it models)
    versions_by_policy: dict = dataclasses.field(default_factory=dict)

    def get(self, name):
        return self.frameworks.get(name) or Framework(name, name)

    def display(self, name):
        return self.get(name).display_name

    def is_reference(self, name):
        return self.reference is not None and name == self.reference

    def reference_label(self):
        """How the report names the reference in text ('refimpl'), 'the reference' if unknown."""
        return self.display(self.reference) if self.reference else "the reference"

    def rank(self, name):
        """Sort key of a framework: the reference, a porting source, a target, the rest."""
        role = self.get(name).porting_role
        return (0 if self.is_reference(name) else 1, ROLE_ORDER.get(role, len(ROLE_ORDER)), str(name))

    def ordered(self):
        return sorted(self.frameworks, key=self.rank)

    def others(self):
        """The frameworks other than the reference, in report order."""
        return [name for name in self.ordered() if not self.is_reference(name)]

    def is_headline(self, first, second):
        """True for the pair the porting guide leads with: a porting source, then a target."""
        return (self.get(first).porting_role == "source"
                and self.get(second).porting_role == "target")

    def versions_under(self, framework, policy):
        return self.versions_by_policy.get(framework, {}).get(policy, [])

    def current_policy(self, framework):
        """The policy of the framework's newest version in the results, else the first its
        plugin declares, else None."""
        seen = self.versions_by_policy.get(framework, {})
        if seen:
            return max(seen, key=lambda policy: (version_key(seen[policy][-1]), policy))
        declared = self.get(framework).policies
        return declared[0] if declared else None

    def policies_of(self, framework):
        """The policies a framework's column group shows: the current one, those its plugin
        declares, those its cells ran under."""
        names = [self.current_policy(framework), *self.get(framework).policies,
                 *sorted(self.versions_by_policy.get(framework, {}))]
        return list(dict.fromkeys(name for name in names if name))


def _reference(plugins, runs):
    for name, plugin in plugins.items():
        if getattr(plugin, "reference", False):
            return name
    named = collections.Counter(run.header.get("reference") for run in runs
                                if isinstance(run.header.get("reference"), str))
    return named.most_common(1)[0][0] if named else None


def _framework(name, plugin):
    if plugin is None:
        return Framework(name, name)
    role = getattr(plugin, "porting_role", None)
    return Framework(name, getattr(plugin, "display_name", None) or name,
                     role if role in ROLE_ORDER else None,
                     tuple(getattr(plugin, "policies", ()) or ()), True)


def build(cells, runs=(), plugins=None):
    """The catalog of the frameworks of ``cells`` (``runs``: the loaded runs, whose headers
    may name the reference; ``plugins`` defaults to the installed ones)."""
    plugins = installed_plugins() if plugins is None else plugins
    reference = _reference(plugins, runs)
    names = sorted({str(cell["framework"]) for cell in cells})
    seen = collections.defaultdict(lambda: collections.defaultdict(set))
    for cell in cells:
        framework, semantics, version = cell["framework"], cell.get("semantics"), cell.get("framework_version")
        if framework == reference or not semantics or not version:
            continue
        seen[framework][str(semantics)].add(str(version))
    versions = {framework: {policy: sorted(found, key=version_key) for policy, found in by_policy.items()}
                for framework, by_policy in seen.items()}
    frameworks = {name: _framework(name, plugins.get(name)) for name in names}
    return Catalog(frameworks, reference, versions)
