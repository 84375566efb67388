"""One hypothesis run for sibling cells.

*Sibling cells* are the cells of one property, subject, device and dtype on the frameworks of
a run: the refimpl, torch and chainer cells of ``grad.first_order`` of tanh in float32, say.
Run alone, each draws the same examples: the derandomized profile seeds every run from the
source of ``harness.run_examples``' test function, and their sample strategy is the same
object where their API features agree (memoised builders, ``subjects.strategies``). Each
repeated hypothesis' work all the same: its engine, the sample's draw, and the draws in the
check (output gradients, directions).

So the first sibling that a process runs (its pytest item) checks every sibling selected in
the run and not started yet, in one hypothesis run (``run``):

- each example is drawn once; the siblings' checks run on it in turn;
- the draws in the checks go through a tape: the example's first check takes them from
  hypothesis, the others replay them if they ask for the same draws in the same order, from
  the same strategy objects and with the same labels;
- a sibling *leaves* the shared run when its check raises (a failing example, an oracle
  error, a skip), when its draws differ from the tape's in any way, or when its sample
  strategy is not the leader's. Its own item then runs it alone, exactly as before (and
  hypothesis shrinks its failure as before);
- a sibling that stays to the end passed every example, and hypothesis saw the same examples
  with the same draws and the same outcomes as in its own run would; so it generated the
  same examples, and the sibling's record (outcome, examples, errors, oracles) is the one its
  own run would have given. Its item takes that record (``adopt``) instead of running.

Each sibling that stayed is charged the time of its own checks plus an equal share of the
rest of the shared run (hypothesis, the draws, the gathering); the leader's item gives the
shared run's time back (``CellStats.seconds_shift``), so cell durations still add up to the
time spent.

Only pytest items run this way, under a seed that every run shares (``reproducible``): the
plugin names each item's siblings (``begin``); ``harness.run_cell`` and anything else outside
an item runs its cell alone.
"""
import copy
import time

import hypothesis.core
from hypothesis import settings


def reproducible():
    """Whether every hypothesis run in this process starts from one seed: the derandomized
    profile, or ``--hypothesis-seed`` (the runner always gives one). Only then does a sibling
    that leaves see again, in its own run, the failure it met in the shared run; with a fresh
    random seed per run it might not, so siblings run alone."""
    return bool(settings.default.derandomize
                or getattr(hypothesis.core, "global_force_seed", None) is not None)


class _Gathered(BaseException):
    """Raised by ``run_examples`` in a sibling being gathered: its check is built (a
    BaseException, so that no ``except Exception`` between unwinds it differently)."""


class _Left(Exception):
    """A sibling's draw differs from the tape's."""


class _Member:
    """A sibling in a shared run: its stats, sample strategy and check."""

    def __init__(self, stats, strategy, check):
        self.stats, self.strategy, self.check = stats, strategy, check
        self.staying = True
        self.seconds = 0.0


class _Tape:
    """The draws of one example: the example's first check takes them from hypothesis, and
    each is replayed (as a copy) to the others; a draw the first check did not make ends
    the run of the check that asks for it (``_Left``)."""

    def __init__(self, data):
        self.data, self.draws, self.broken = data, [], None

    def take(self, position, strategy, label, leads):
        if position == len(self.draws):
            if not leads:  # the example's first check drew less: this one's run differs
                raise _Left(f"draw {position}: {label!r} beyond the tape")
            try:
                value = self.data.draw(strategy, label=label)
            except BaseException as error:  # hypothesis ends the example (overrun, filter)
                self.broken = error
                raise
            self.draws.append((strategy, label, copy.deepcopy(value)))
            return value
        kept_strategy, kept_label, value = self.draws[position]
        if kept_strategy is not strategy or kept_label != label:
            raise _Left(f"draw {position}: {label!r} where the tape has {kept_label!r}")
        return copy.deepcopy(value)


class _Reader:
    """What a sibling's check sees as hypothesis' ``data``: its own position on the tape."""

    def __init__(self, tape, leads):
        self.tape, self.position, self.leads = tape, 0, leads

    def draw(self, strategy, label=None):
        value = self.tape.take(self.position, strategy, label, self.leads)
        self.position += 1
        return value


class Siblings:
    """The siblings of the running pytest item and the records of those already checked."""

    def __init__(self):
        self.item = None  # (cell, check_cell, session, siblings) of the running item
        self.started = set()  # cells whose item started in this process
        self.kept = {}  # cell -> the stats of a sibling that stayed in a shared run
        self.left = set()  # cells that left a shared run: each runs alone
        self.gathering = None
        self.runs = 0  # run_examples calls of the running item
        self.shared = self.stayed = 0  # counts: shared runs, siblings that stayed in one
        # called with the cells of a run about to be shared, and with the leader alone when
        # it goes on alone (the plugin's progress markers: a crash names every member)
        self.on_shared = None

    def begin(self, cell, check_cell, session, siblings):
        """A pytest item starts ``cell``: ``check_cell(session, cell, stats)`` runs any
        cell of its module; ``siblings`` are the cells of the run that are its siblings."""
        self.item = (cell, check_cell, session, tuple(siblings))
        self.started.add(cell)
        self.runs = 0

    def end(self):
        self.item = None

    def gather_or_adopt(self, stats, strategy, check):
        """Called by ``run_examples``: raises ``_Gathered`` while gathering; returns True when
        ``stats`` took the record of a shared run (its cell stayed to the end), else the
        members of a shared run to make (None: the cell runs alone)."""
        if self.gathering is not None:
            self.gathering.append(_Member(stats, strategy, check))
            raise _Gathered()
        self.runs += 1
        if self.item is None or self.item[0] != stats.cell or self.runs > 1 \
                or not reproducible():
            return None  # outside an item, a second run in one cell, or random seeds: alone
        kept = self.kept.pop(stats.cell, None)
        if kept is not None:
            stats.__dict__.update(kept.__dict__)
            return True
        if stats.cell in self.left:
            return None
        members = [_Member(stats, strategy, check)]
        for sibling in self._waiting():
            member = self._gather(sibling, type(stats))
            if member is not None and member.strategy is strategy:
                members.append(member)
        return members if len(members) > 1 else None

    def _waiting(self):
        cell, _, _, siblings = self.item
        return [sibling for sibling in siblings if sibling != cell and sibling not in self.started
                and sibling not in self.kept and sibling not in self.left]

    def _gather(self, cell, stats_class):
        """A sibling's member (its check built as its own item would build it), or None (it
        skips, or its cell does not reach ``run_examples``)."""
        _, check_cell, session, _ = self.item
        self.gathering = []
        try:
            check_cell(session, cell, stats_class(cell))
        except _Gathered:
            return self.gathering[0]
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001 - a skip, or an error its own item will report
            return None
        finally:
            self.gathering = None
        return None

    def run(self, members, examples):
        """Check ``members`` (the leader first) in one hypothesis run: ``examples(check)``
        runs ``check(data, sample, stats)`` on the examples. Returns True when the leader
        stayed to the end (its stats hold its record); the others that stayed are kept for
        their items."""
        leader = members[0]
        saved = copy.deepcopy(leader.stats.__dict__)
        if self.on_shared is not None:
            self.on_shared([member.stats.cell for member in members])
        started = time.perf_counter()
        try:
            examples(lambda data, sample, _: self._example(members, data, sample))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001 - hypothesis itself failed: each runs alone
            for member in members:
                member.staying = False
        total = time.perf_counter() - started
        staying = [member for member in members if member.staying]
        self.shared += 1
        self.stayed += len(staying)
        if staying:  # each is charged its checks and an equal share of the rest
            common = (total - sum(member.seconds for member in staying)) / len(staying)
            for member in staying:
                member.stats.seconds_shift = member.seconds + common
                if member is not leader:  # the leader's own item is running: it has its stats
                    self.kept[member.stats.cell] = member.stats
            leader.stats.seconds_shift -= total  # its item's time includes the shared run
        self.left.update(member.stats.cell for member in members if not member.staying)
        if leader.staying:
            return True
        if self.on_shared is not None:
            self.on_shared([leader.stats.cell])
        shift = leader.stats.seconds_shift
        leader.stats.__dict__.clear()
        leader.stats.__dict__.update(saved)
        leader.stats.seconds_shift = shift
        return False

    @staticmethod
    def _example(members, data, sample):
        staying = [member for member in members if member.staying]
        # each check gets its own sample, all copied before any check runs (one may change it)
        samples = [sample] + [copy.deepcopy(sample) for _ in staying[1:]]
        tape = _Tape(data)
        readers = []
        for member, own in zip(staying, samples):
            reader = _Reader(tape, leads=member is staying[0])
            started = time.perf_counter()
            try:
                member.check(reader, own, member.stats)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException:  # noqa: BLE001 - it failed, erred, skipped or left: alone
                member.staying = False
                if tape.broken is not None:  # hypothesis ended the example: everyone alone
                    for other in members:
                        other.staying = False
                    raise tape.broken from None
            else:
                readers.append((member, reader))
            finally:
                member.seconds += time.perf_counter() - started
        for member, reader in readers:
            if reader.position != len(tape.draws):  # its own run would have drawn less
                member.staying = False


SIBLINGS = Siblings()
