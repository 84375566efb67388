"""Optimizers: every family of each framework against refimpl's class of the same style
(``refimpl.optimizers.torch_style`` vs ``torch.optim``, ``chainer_style`` vs
``chainer.optimizers``), with hypothesis-drawn hyperparameters, over 1 to 4 steps, comparing
every parameter after every step. Subjects (``subjects.layers.Optimizer``; each framework's
class: its plugin's ``OPTIMIZERS``): sgd,
momentum_sgd, nesterov, adam, adamw, amsgrad, adabound, amsbound, rmsprop, rmsprop_graves,
adagrad, weight_decay (torch's ``weight_decay`` argument; chainer's ``WeightDecay`` hook) and
gradient_clipping (torch's ``clip_grad_norm_`` before ``step``; chainer's
``GradientClipping`` hook), adadelta, smorms3 and corrected_momentum_sgd (chainer only: torch
has no SMORMS3, and its SGD(momentum) is already the corrected form). A subject a framework
lacks is a skip cell with the reason. Learning-rate schedules: ``test_schedules``.

- ``optim.step``: gradients given per step (set as ``.grad``; sometimes None, which torch
  skips and chainer updates as zeros);
- ``optim.trajectory``: gradients from each framework's own autograd of a quadratic loss at
  its current parameters (torch: ``zero_grad``, ``backward``, ``step``; chainer:
  ``update(lossfun)``).

Oracle: refimpl's run of the same style in float64 for ``optim.step``. A trajectory feeds
the rounded parameters back into the gradient, and Adam-like updates divide by |g|: where a
parameter comes close to its target, float32 rounding of the parameter alone changes that
step by up to lr (found by the thorough profile: AdamW at p == t with weight decay 1e-6), so
the float64 trajectory is not what a correct float32 implementation computes. ``optim.trajectory``
therefore compares with refimpl's run in the cell's dtype (which reproduces torch's and
chainer's float32 trajectories), and consults the float64 run as a non-primary oracle.

Tolerance: the dtype's 'value' tolerance per step, times the number of steps (each step
rounds the update once more in the framework's dtype).
"""
from ..checks import layers, tolerances
from ..checks.tolerances import Tolerance
from ..subjects import layer_strategies
from .common import cells as subject_cells
from .common import prepare
from .layers import check_run

SUBJECTS = tuple(entry.subject for entry in layers.layer_entries("optimizer", prop="optim.step"))
PROPERTIES = ("optim.step", "optim.trajectory")


def cells(session):
    return [cell for name in PROPERTIES for cell in subject_cells(session, name, SUBJECTS)]


def step_tolerance(dtype, steps):
    base = tolerances.tolerance(dtype, "value")
    return Tolerance(base.rtol * steps, base.atol * steps,
                     f"{base.reason}, times {steps} steps (each step rounds once more)")


def check_cell(session, cell, stats):
    ctx = prepare(session, cell, stats,
                  run_of=lambda plugin: layers.optimizer_run(plugin, cell.subject))
    name = layers.binding(session.plugin(cell.framework), "OPTIMIZERS", cell.subject)
    mode = cell.property.split(".")[1]
    stats.tolerance = step_tolerance(cell.dtype, 1)
    strategy = layer_strategies.optimizer_cases(subject=cell.subject,
                                                features=ctx.adapter.features,
                                                optimizer=name, mode=mode)
    check_run(session, cell, stats, ctx, strategy,
              lambda case: step_tolerance(cell.dtype, case["steps"]),
              oracle_dtype="float64" if mode == "step" else cell.dtype)


def test_optim(cell, conformance_session, cell_stats):
    check_cell(conformance_session, cell, cell_stats)
