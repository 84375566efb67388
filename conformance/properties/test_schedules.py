"""Learning-rate schedules (issue 17): ``optim.schedule`` compares the lr a framework's
schedule sets before the first call and after each of 1 to 10 calls (torch's schedulers
after ``optimizer.step()``, chainer's shift extensions called as a trainer calls them) with
``refimpl.schedules`` under the framework's policy (``lr_schedule_form``,
``multistep_repeated_milestones``), with hypothesis-drawn hyperparameters, initial lr and an
lr sometimes set by hand between calls. Subjects: ``conformance.subjects.schedules``; each
framework's binding: its layers module's ``RUNS`` entry (absent: a skip with the reason).

The lr is a Python float in every framework: the cells are float64 only. Tolerance: the
float64 'value' tolerance (the same formulas; an operation's order may differ)."""
from ..checks import layers, tolerances
from .common import cells as subject_cells
from .common import prepare
from .layers import check_run

SUBJECTS = tuple(entry.subject for entry in layers.layer_entries("layer", "schedule"))
PROPERTIES = ("optim.schedule",)


def cells(session):
    return subject_cells(session, "optim.schedule", SUBJECTS, dtypes=("float64",))


def check_cell(session, cell, stats):
    ctx = prepare(session, cell, stats, run_of=lambda plugin: layers.run_of(plugin, cell.subject))
    tolerance = stats.tolerance = tolerances.tolerance(cell.dtype, "value")
    strategy = layers.layer_entry(cell.subject).cases(ctx.adapter.features)
    check_run(session, cell, stats, ctx, strategy, lambda case: tolerance, backward=False)


def test_schedules(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
