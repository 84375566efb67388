"""The one registry of subject records, and the record base classes."""
import dataclasses

@dataclasses.dataclass(frozen=True)
class Absent:
    """A framework lacks something (an op, a dtype, double backprop); ``reason`` says what."""

    reason: str

    def __post_init__(self):
        if not self.reason:
            raise ValueError("Absent needs a reason")


@dataclasses.dataclass(frozen=True)
class Api:
    """What a sample strategy may depend on: the API ``features`` of the framework whose
    function is called (``Adapter.features``: a strategy draws only calls that API can
    express) and the refimpl policy modelling it (``refimpl.Policy``)."""

    features: frozenset
    policy: object


@dataclasses.dataclass(frozen=True)
class Entry:
    """Base of registry entries: a ``subject`` (the cell's subject) of some ``kind``."""

    subject: str
    kind: str = dataclasses.field(default="entry", init=False)


REGISTRY = {}


def register(entry):
    if entry.subject in REGISTRY:
        raise ValueError(f"subject {entry.subject!r} registered twice")
    REGISTRY[entry.subject] = entry
    return entry


def entries(kind="op", family=None):
    """Registered entries of ``kind`` (and ``family``), in registration order."""
    return [e for e in REGISTRY.values() if e.kind == kind and (family is None or e.family == family)]


def get(subject):
    try:
        return REGISTRY[subject]
    except KeyError:
        raise ValueError(f"unknown subject={subject!r}; known: {sorted(REGISTRY)}") from None
