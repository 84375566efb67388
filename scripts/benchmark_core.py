#!/usr/bin/env python
"""Benchmark refimpl's core (forward + backward) against PyTorch (CPU) and Chainer.

All frameworks are timed in the same process and run, on the same input data:

  (a) a 10-op elementwise chain on a float32 array of 1e6 elements, then sum and backward;
  (b) the same chain on 10 elements (measures the per-op Python overhead);
  (c) sum(a @ b) for 512x512 float32 matrices, then backward (both leaves get a grad).

The elementwise chain is the same maths in every framework::

    y = x * 1.5; y = y + 0.5; y = tanh(y); y = y * y; y = y - 0.25
    y = sigmoid(y); y = sin(y); y = exp(y); y = cos(y); y = relu(y); loss = sum(y)

Before timing, the loss and the leaf gradients of every framework are compared with
refimpl's (``numpy.allclose``); the script aborts (exit status 2) if they differ. In the 1e6
chain a few elements reach relu within rounding of 0, where the frameworks' last-bit
differences decide whether the gradient passes: those (``relu_kinks``) are counted, not
compared.

Methodology (timeit-style): each iteration clears the leaf grads, runs the forward pass
and ``backward()``. After a warm-up, the number of inner loops is calibrated so that one
repeat lasts at least ``--min-time`` seconds; then ``--repeats`` repeats are timed with
``time.perf_counter`` and the garbage collector disabled (as timeit does; none of the
frameworks leaves cyclic garbage here). The repeats of the columns are interleaved, so
that other load on the machine hits every column alike. Reported: the
median, minimum and maximum time per iteration over the repeats. Ratios use the medians (the
ratio of minima is shown alongside). "faults/iter" is the process's minor page faults per
iteration during the timed repeats: large arrays that glibc returns to the kernel on free
and re-faults on the next allocation show up there (tune with MALLOC_TRIM_THRESHOLD_ /
MALLOC_MMAP_THRESHOLD_ to see the effect; the script prints any MALLOC_* variables set).

For the chains, a "numpy floor" column times the same forward and backward written directly as
NumPy passes, in place wherever a value is not needed again, without autograd
(``numpy_chain_step``; its loss and gradient are checked like the frameworks'). It is what
NumPy's single-threaded ufuncs allow on this machine: "refimpl/numpy" is refimpl's own
overhead over it, and "numpy/torch" above 1 means that no NumPy implementation of the
chain, refimpl or another, reaches torch's time here.

PyTorch is timed twice: with its default intra-op thread count, and with
``torch.set_num_threads(1)`` (NumPy's elementwise ufuncs are single-threaded; its BLAS may
not be). A framework that cannot be imported is reported and its columns are skipped.

"peak MB" is the peak of the memory NumPy allocated during one more iteration, above what
was live when it began (``tracemalloc``, to which NumPy reports its data buffers; torch's
allocator does not report, so its column reads "-"). Memory freed during the iteration that
was allocated before it is not credited, alike for every framework.

Targets (issue 19): (a) refimpl <= 1.0x torch and <= 0.9x chainer; (b) refimpl <= 2x torch;
(c) refimpl <= 1.5x torch and <= 1.0x chainer (torch at its default thread count; the
1-thread ratio is informational); (a): refimpl's peak memory <= chainer's ((c)'s peak is
shown, without a target).

Usage::

    SETUPTOOLS_USE_DISTUTILS=stdlib python scripts/benchmark_core.py [--quick] [--json PATH]
"""
import argparse
import gc
import json
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
import types
import warnings

import numpy

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

CASES = {
    "a": {"title": "(a) 10-op elementwise chain + sum, float32[1_000_000], fwd+bwd",
          "kind": "chain", "size": 1_000_000, "targets": {"torch": 1.0, "chainer": 0.9},
          "memory_targets": {"chainer": 1.0}},
    "b": {"title": "(b) 10-op elementwise chain + sum, float32[10], fwd+bwd (per-op overhead)",
          "kind": "chain", "size": 10, "targets": {"torch": 2.0}},
    "c": {"title": "(c) sum(a @ b), float32 512x512 @ 512x512, fwd+bwd",
          "kind": "matmul", "size": 512, "targets": {"torch": 1.5, "chainer": 1.0}},
}

COLUMNS = ["refimpl", "torch", "torch1", "chainer", "numpy"]


# ---------------------------------------------------------------------------
# Framework loading
# ---------------------------------------------------------------------------

def load_frameworks():
    """{name: namespace or None, ...} plus {name: reason} for the ones that failed."""
    loaded, missing = {}, {}
    try:
        import refimpl
        import refimpl.functions as RF
        loaded["refimpl"] = types.SimpleNamespace(module=refimpl, F=RF, version=refimpl.__version__)
    except Exception as exc:  # pragma: no cover - depends on the checkout
        missing["refimpl"] = f"{type(exc).__name__}: {exc}"
    try:
        import torch
        loaded["torch"] = types.SimpleNamespace(module=torch, version=torch.__version__,
                                                default_threads=torch.get_num_threads())
    except Exception as exc:
        missing["torch"] = f"{type(exc).__name__}: {exc}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pkg_resources deprecation from chainer's import
            import chainer
            import chainer.functions as CF
        loaded["chainer"] = types.SimpleNamespace(module=chainer, F=CF, version=chainer.__version__)
    except Exception as exc:
        missing["chainer"] = f"{type(exc).__name__}: {exc}"
    return loaded, missing


def blas_info():
    """NumPy's BLAS: name/version, and for OpenBLAS the kernel set it picked at run time."""
    info = {"name": "unknown", "openblas_core": None, "openblas_threads": None}
    try:
        config = numpy.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        info["name"] = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:
        pass
    try:  # the OpenBLAS NumPy loaded (Linux: found in /proc/self/maps)
        import ctypes
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
        for path in paths:
            lib = ctypes.CDLL(path)
            for suffix in ("64_", ""):
                corename = getattr(lib, "openblas_get_corename" + suffix, None)
                threads = getattr(lib, "openblas_get_num_threads" + suffix, None)
                if corename is not None:
                    corename.restype = ctypes.c_char_p
                    info["openblas_core"] = corename().decode()
                    info["openblas_threads"] = threads() if threads is not None else None
                    return info
    except Exception:
        pass
    return info


def refimpl_source(module):
    """Where refimpl was imported from, with the git commit and any uncommitted changes to it."""
    import subprocess
    path = os.path.dirname(os.path.abspath(module.__file__))
    info = {"path": path, "commit": None, "modified": None}
    try:
        def git(*argv):
            return subprocess.run(["git", "-C", path, *argv], capture_output=True, text=True,
                                  timeout=10, check=True).stdout.rstrip("\n")
        info["commit"] = git("rev-parse", "--short", "HEAD")
        info["modified"] = [line[3:] for line in git("status", "--porcelain", "--", ".").splitlines()]
    except Exception:
        pass
    return info


# ---------------------------------------------------------------------------
# The computations, one definition shared by every framework
# ---------------------------------------------------------------------------

def chain(x, ops):
    """The 10-op elementwise chain, then sum. ``ops`` supplies the framework's functions."""
    y = x * 1.5              # 1 mul
    y = y + 0.5              # 2 add
    y = ops.tanh(y)          # 3 tanh
    y = y * y                # 4 mul
    y = y - 0.25             # 5 sub
    y = ops.sigmoid(y)       # 6 sigmoid
    y = ops.sin(y)           # 7 sin
    y = ops.exp(y)           # 8 exp
    y = ops.cos(y)           # 9 cos
    y = ops.relu(y)          # 10 relu
    return ops.sum(y)        # reduction to a scalar


def _ops(namespace):
    return types.SimpleNamespace(tanh=namespace.tanh, sigmoid=namespace.sigmoid, sin=namespace.sin,
                                 exp=namespace.exp, cos=namespace.cos, relu=namespace.relu,
                                 sum=namespace.sum)


def make_case(framework_name, fw, case, arrays):
    """(step, leaves, read) for one framework and case.

    ``step()`` runs one iteration (clear grads, forward, backward) and returns the loss;
    ``read(loss, leaves)`` returns (loss value, [leaf grads as float64 NumPy arrays]).
    """
    kind = case["kind"]
    if framework_name == "refimpl":
        F = fw.F
        leaves = [fw.module.Variable(a.copy(), requires_grad=True) for a in arrays]
        ops = _ops(F)

        def forward():
            if kind == "chain":
                return chain(leaves[0], ops)
            return F.sum(F.matmul(leaves[0], leaves[1]))

        def step():
            for v in leaves:
                v.cleargrad()
            loss = forward()
            loss.backward()
            return loss

        def read(loss, leaves):
            return float(loss.data), [numpy.asarray(v.grad, dtype=numpy.float64) for v in leaves]

    elif framework_name in ("torch", "torch1"):
        torch = fw.module
        leaves = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
        ops = _ops(torch)

        def forward():
            if kind == "chain":
                return chain(leaves[0], ops)
            return torch.sum(leaves[0] @ leaves[1])

        def step():
            for t in leaves:
                t.grad = None
            loss = forward()
            loss.backward()
            return loss

        def read(loss, leaves):
            return float(loss.item()), [t.grad.numpy().astype(numpy.float64) for t in leaves]

    elif framework_name == "chainer":
        chainer, F = fw.module, fw.F
        leaves = [chainer.Variable(a.copy()) for a in arrays]
        ops = _ops(F)

        def forward():
            if kind == "chain":
                return chain(leaves[0], ops)
            return F.sum(F.matmul(leaves[0], leaves[1]))

        def step():
            for v in leaves:
                v.cleargrad()
            loss = forward()
            loss.backward()
            return loss

        def read(loss, leaves):
            return float(loss.array), [numpy.asarray(v.grad, dtype=numpy.float64) for v in leaves]
    elif framework_name == "numpy":
        leaves = [a.copy() for a in arrays]

        def step():
            return numpy_chain_step(leaves[0])

        def read(result, leaves):
            return float(result[0]), [numpy.asarray(result[1], dtype=numpy.float64)]
    else:
        raise ValueError(framework_name)
    return step, leaves, read


def numpy_chain_step(x):
    """(loss, gradient) of ``chain`` on the float32 array ``x`` in as few NumPy passes as its
    formulas allow, in place wherever a value is not needed again, without autograd: the floor
    that NumPy's single-threaded ufuncs set for refimpl (the "numpy" column; chain cases only).
    The formulas are refimpl's under the torch policy (sigmoid ``1 / (1 + exp(-y))`` with the
    gradient ``g (1 - s) s``, relu's gradient ``where(y > 0, g, 0)``); the products of the
    backward are those of the chain rule in the same order, so its values equal refimpl's."""
    f32 = numpy.float32
    y = numpy.multiply(x, f32(1.5))
    numpy.add(y, f32(0.5), out=y)
    t = numpy.tanh(y)                                   # kept: tanh' = 1 - t^2
    y = numpy.multiply(t, t)
    numpy.subtract(y, f32(0.25), out=y)
    s = numpy.negative(y, out=y)
    numpy.exp(s, out=s)
    numpy.add(s, f32(1), out=s)
    numpy.reciprocal(s, out=s)                          # kept: sigmoid' = (1 - s) s
    u = numpy.sin(s)                                    # kept: sin' = cos(u_in) at s
    e = numpy.exp(u)                                    # kept: exp' = e; cos' = -sin(e)
    c = numpy.cos(e)
    passes = c > 0
    loss = numpy.maximum(c, f32(0), out=c).sum()
    g = passes.astype(f32)                              # relu' times sum's seed 1
    numpy.multiply(g, numpy.negative(numpy.sin(e, out=c), out=c), out=g)   # cos'
    numpy.multiply(g, e, out=g)                                            # exp'
    numpy.multiply(g, numpy.cos(s, out=e), out=g)                          # sin'
    numpy.multiply(g, numpy.subtract(f32(1), s, out=u), out=g)             # sigmoid'
    numpy.multiply(g, s, out=g)
    numpy.multiply(g, t, out=s)                                            # (y y)' = 2 g y
    numpy.add(s, s, out=g)
    numpy.multiply(t, t, out=t)                                            # tanh'
    numpy.multiply(g, numpy.subtract(f32(1), t, out=t), out=g)
    numpy.multiply(g, f32(1.5), out=g)                                     # (1.5 x)'
    return loss, g


def make_arrays(case, seed=0):
    rng = numpy.random.default_rng(seed)
    if case["kind"] == "chain":
        return [rng.uniform(-1.0, 1.0, size=case["size"]).astype(numpy.float32)]
    n = case["size"]
    return [rng.standard_normal((n, n)).astype(numpy.float32) / numpy.float32(numpy.sqrt(n)),
            rng.standard_normal((n, n)).astype(numpy.float32) / numpy.float32(numpy.sqrt(n))]


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

def _time_loops(step, loops):
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(loops):
            step()
        return time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()


def _autorange(step, min_time):
    """timeit.Timer.autorange: the first of 1, 2, 5, 10, 20, 50, ... loops taking >= min_time."""
    base = 1
    while True:
        for factor in (1, 2, 5):
            loops = base * factor
            if _time_loops(step, loops) >= min_time:
                return loops
        base *= 10


def measure(steps, *, warmup, min_time, repeats, prepare=None):
    """Per-iteration times (seconds) for each of ``steps`` ({column: step}).

    Each step is warmed up and its loop count calibrated; then the repeats are interleaved
    (repeat 1 of every column, repeat 2 of every column, ...) so that a change of load on
    the machine affects all columns alike. ``prepare(column)`` runs before each timing
    (it sets torch's thread count).
    """
    prepare = prepare or (lambda column: None)
    loops, times, faults = {}, {}, {}
    for column, step in steps.items():
        prepare(column)
        for _ in range(warmup):
            step()
        loops[column] = _autorange(step, min_time)
        times[column], faults[column] = [], 0
    gc.collect()
    for _ in range(repeats):
        for column, step in steps.items():
            prepare(column)
            faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            times[column].append(_time_loops(step, loops[column]) / loops[column])
            faults[column] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before
    return {column: {"loops": loops[column], "repeats": repeats,
                     "median_s": statistics.median(times[column]),
                     "min_s": min(times[column]), "max_s": max(times[column]),
                     "minor_faults_per_iter": faults[column] / (loops[column] * repeats),
                     "times_s": times[column]}
            for column in steps}


def peak_memory(steps):
    """{column: peak bytes NumPy allocated during one iteration, or None where untraced}.

    One untimed iteration first, so that the state before the traced one (leaf grads from
    the previous iteration) is that of the timed loop.
    """
    peaks = {}
    for column, step in steps.items():
        if column.startswith("torch"):  # torch's allocator does not report to tracemalloc
            peaks[column] = None
            continue
        step()
        gc.collect()
        tracemalloc.start()
        try:
            step()
            peaks[column] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return peaks


def memory_ratios(peaks, targets):
    """refimpl's peak memory over each other traced column's, with the target verdict."""
    result = {}
    for other, target in (targets or {}).items():
        if peaks.get("refimpl") and peaks.get(other):
            ratio = peaks["refimpl"] / peaks[other]
            result[f"refimpl/{other}"] = {"ratio": ratio, "target": target,
                                          "status": "MET" if ratio <= target else "MISSED"}
    return result


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------

def fmt_time(seconds):
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3f} {unit}"
    return f"{seconds / 1e-9:.1f} ns"


def label(column, fws):
    if column == "torch":
        return f"torch ({fws['torch'].default_threads} thr)"
    if column == "torch1":
        return "torch (1 thr)"
    if column == "numpy":
        return "numpy floor"
    return column


#: How close to relu's kink (in float64) a chain element's input to relu may be for the
#: frameworks' last-bit differences in tanh/sigmoid/sin/exp/cos (float32 rounding, about
#: 1e-7 of the values near 1 the chain passes through) to put it on either side of 0.
KINK_WIDTH = 1e-5


def relu_kinks(x):
    """The elements of chain input ``x`` whose relu input is within ``KINK_WIDTH`` of 0 (the
    chain evaluated in float64): there the gradient is the other ops' product on one side and
    0 on the other, so a framework may take either; they are left out of the comparison."""
    relu_input = types.SimpleNamespace(  # ``chain`` on NumPy, stopped before relu and sum
        tanh=numpy.tanh, sigmoid=lambda y: 1 / (1 + numpy.exp(-y)), sin=numpy.sin,
        exp=numpy.exp, cos=numpy.cos, relu=lambda y: y, sum=lambda y: y)
    return numpy.abs(chain(x.astype(numpy.float64), relu_input)) < KINK_WIDTH


def check_agreement(case_name, case, results, arrays):
    """Abort unless every framework's loss and grads match refimpl's (for the chain, except
    at relu's kink: ``relu_kinks``)."""
    if "refimpl" not in results:
        return []
    ref_loss, ref_grads = results["refimpl"]
    rtol, atol = (1e-4, 1e-5) if case["kind"] == "chain" else (1e-4, 1e-4)
    compared = ([~relu_kinks(arrays[0])] if case["kind"] == "chain"
                else [numpy.ones(a.shape, bool) for a in arrays])
    notes = [f"{int((~compared[0]).sum())} elements within {KINK_WIDTH:g} of relu's kink "
             f"not compared"] if case["kind"] == "chain" else []
    for name, (loss, grads) in results.items():
        if name == "refimpl":
            continue
        problems = []
        if not numpy.isclose(loss, ref_loss, rtol=rtol, atol=atol):
            problems.append(f"loss {loss!r} != refimpl {ref_loss!r}")
        for i, (g, r, mask) in enumerate(zip(grads, ref_grads, compared)):
            if g.shape != r.shape or not numpy.allclose(g[mask], r[mask], rtol=rtol, atol=atol):
                diff = (numpy.max(numpy.abs(g[mask] - r[mask])) if g.shape == r.shape
                        else "shape mismatch")
                problems.append(f"grad of leaf {i}: max |diff| = {diff}")
        if problems:
            print(f"ABORT: case {case_name}: {name} and refimpl computed different results "
                  f"(rtol={rtol}, atol={atol}): " + "; ".join(problems), file=sys.stderr)
            sys.exit(2)
        max_diff = max(float(numpy.max(numpy.abs(g[mask] - r[mask])))
                       for g, r, mask in zip(grads, ref_grads, compared))
        notes.append(f"{name}: max |grad diff| = {max_diff:.2e}")
    return notes


class OtherLoad:
    """CPU time other processes used while a case ran, in cores (Linux /proc/stat; else None).

    On a 2-core machine a competing process can distort the results badly, above all torch's
    multi-threaded column (a thread that waits for a descheduled peer), so it is reported.
    """

    def __init__(self):
        self.start = self._sample()

    @staticmethod
    def _sample():
        try:
            with open("/proc/stat") as stat:
                fields = [int(v) for v in stat.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        busy = (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # up to steal, no guest
        own = os.times()
        return busy, own.user + own.system, time.monotonic()

    def cores(self):
        end = self._sample()
        if self.start is None or end is None or end[2] <= self.start[2]:
            return None
        busy, own, wall = (e - s for e, s in zip(end, self.start))
        return max(0.0, (busy - own) / wall)


def run_case(case_name, fws, args):
    case = CASES[case_name]
    other_load = OtherLoad()
    arrays = make_arrays(case)
    torch = fws["torch"].module if "torch" in fws else None
    columns = [c for c in COLUMNS if (c[:5] if c.startswith("torch") else c) in fws
               or (c == "numpy" and case["kind"] == "chain")]

    # Correctness first: one iteration per framework on identical data.
    values = {}
    for column in ("refimpl", "torch", "chainer", "numpy"):
        if column in columns:
            step, leaves, read = make_case(column, fws.get(column), case, arrays)
            values[column] = read(step(), leaves)
    notes = check_agreement(case_name, case, values, arrays)

    def prepare(column):
        if torch is not None:
            torch.set_num_threads(1 if column == "torch1" else fws["torch"].default_threads)

    steps = {column: make_case(column, fws["torch"] if column.startswith("torch") else fws.get(column),
                               case, arrays)[0]
             for column in columns}
    timing = measure(steps, warmup=args.warmup, min_time=args.min_time, repeats=args.repeats,
                     prepare=prepare)
    if torch is not None:
        torch.set_num_threads(fws["torch"].default_threads)
    peaks = peak_memory(steps)

    return {"title": case["title"], "timing": timing, "ratios": ratios(timing, case["targets"]),
            "peak_bytes": peaks, "memory": memory_ratios(peaks, case.get("memory_targets")),
            "agreement": notes,
            "other_processes_cores": other_load.cores()}


def ratios(timing, targets):
    """refimpl's median and minimum time over each other column's, with the target verdict."""
    result = {}
    if "refimpl" in timing:
        for other in ("torch", "torch1", "chainer", "numpy"):
            if other in timing:
                target = targets.get(other)
                median = timing["refimpl"]["median_s"] / timing[other]["median_s"]
                minimum = timing["refimpl"]["min_s"] / timing[other]["min_s"]
                result[f"refimpl/{other}"] = {
                    "median_ratio": median, "min_ratio": minimum, "target": target,
                    "status": None if target is None else ("MET" if median <= target else "MISSED")}
    if "numpy" in timing and "torch" in timing:  # the best refimpl's NumPy could do: no target
        result["numpy/torch"] = {
            "median_ratio": timing["numpy"]["median_s"] / timing["torch"]["median_s"],
            "min_ratio": timing["numpy"]["min_s"] / timing["torch"]["min_s"],
            "target": None, "status": None}
    return result


def print_case(result, fws):
    print()
    print(result["title"])
    print("-" * len(result["title"]))
    print(f"  {'framework':<16}{'median/iter':>14}{'min/iter':>14}{'max/iter':>14}"
          f"{'faults/iter':>13}{'peak MB':>9}   loops x repeats")
    for column, t in result["timing"].items():
        peak = result.get("peak_bytes", {}).get(column)
        peak = "-" if peak is None else f"{peak / 1e6:.1f}"
        print(f"  {label(column, fws):<16}{fmt_time(t['median_s']):>14}{fmt_time(t['min_s']):>14}{fmt_time(t['max_s']):>14}"
              f"{t['minor_faults_per_iter']:>13.0f}{peak:>9}"
              f"   {t['loops']} x {t['repeats']}")
    if result["ratios"]:
        print(f"  {'ratio':<18}{'median':>10}{'min':>10}{'target':>10}   status")
        for name, r in result["ratios"].items():
            target = f"<= {r['target']:.1f}x" if r["target"] is not None else "-"
            status = r["status"] or "(info)"
            print(f"  {name:<18}{r['median_ratio']:>9.2f}x{r['min_ratio']:>9.2f}x{target:>10}   {status}")
    for note in result["agreement"]:
        print(f"  check: {note}")
    other = result["other_processes_cores"]
    if other is not None:
        warning = ("  WARNING: other work competed for the CPUs; timings (torch's multi-thread "
                   "column above all) are unreliable" if other > 0.2 else "")
        print(f"  other processes used {other:.2f} of {os.cpu_count()} CPU cores meanwhile{warning}")


def print_targets(results):
    """Every target of every case with MET/MISSED, times and peak memory, from one run."""
    print()
    print("Targets (median ratios; torch at its default thread count; peak memory from tracemalloc):")
    lines = 0
    for case_name, result in results.items():
        other = result.get("other_processes_cores")
        caveat = (f"  (unreliable: other processes used {other:.2f} cores)"
                  if other is not None and other > 0.2 else "")
        for name, r in result["ratios"].items():
            if r["status"] is not None:
                lines += 1
                print(f"  ({case_name}) {name:<16} {'time':<12}{r['median_ratio']:6.2f}x  target <= "
                      f"{r['target']:.1f}x  {r['status']}{caveat}")
        for name, r in result.get("memory", {}).items():
            lines += 1
            print(f"  ({case_name}) {name:<16} {'peak memory':<12}{r['ratio']:6.2f}x  target <= "
                  f"{r['target']:.1f}x  {r['status']}")
    if not lines:
        print("  none evaluated: refimpl or the framework to compare with is unavailable")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter loops")
    parser.add_argument("--json", metavar="PATH", help="also write the figures to PATH as JSON")
    parser.add_argument("--cases", default="abc", help="which cases to run, e.g. 'ab' (default: abc)")
    parser.add_argument("--semantics", default="torch", choices=["torch", "chainer"],
                        help="refimpl semantics policy to run under (default: torch)")
    parser.add_argument("--repeats", type=int, help="timed repeats per measurement")
    parser.add_argument("--min-time", type=float, help="minimum seconds per repeat")
    parser.add_argument("--warmup", type=int, help="untimed warm-up iterations")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (5 if args.quick else 25)
    args.min_time = args.min_time or (0.05 if args.quick else 0.2)
    args.warmup = args.warmup if args.warmup is not None else (2 if args.quick else 5)
    cases = [c for c in args.cases if c in CASES]
    if not cases:
        parser.error(f"--cases must name some of {''.join(CASES)}")

    fws, missing = load_frameworks()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    env = {
        "python": platform.python_version(), "implementation": platform.python_implementation(),
        "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(), "cpu_affinity": affinity,
        "numpy": numpy.__version__, "numpy_blas": blas_info(),
        "refimpl": getattr(fws.get("refimpl"), "version", None),
        "refimpl_source": refimpl_source(fws["refimpl"].module) if "refimpl" in fws else None,
        "torch": getattr(fws.get("torch"), "version", None),
        "torch_default_threads": getattr(fws.get("torch"), "default_threads", None),
        "chainer": getattr(fws.get("chainer"), "version", None),
        "refimpl_semantics": args.semantics,
        "mode": "quick" if args.quick else "full",
        "repeats": args.repeats, "min_time_s": args.min_time, "warmup": args.warmup,
        "thread_env": {k: v for k, v in os.environ.items()
                       if k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                "OPENBLAS_CORETYPE")
                       or k.startswith("MALLOC_")},
    }
    print("benchmark_core: refimpl vs torch (CPU) vs chainer, forward + backward")
    print(f"python {env['python']} ({env['implementation']}) on {env['platform']}")
    print(f"CPU count: {env['cpu_count']} (usable: {env['cpu_affinity']}), processor: {env['processor']}")
    blas = env["numpy_blas"]
    core = (f", OpenBLAS kernels: {blas['openblas_core']}, threads: {blas['openblas_threads']}"
            if blas["openblas_core"] else "")
    print(f"numpy {env['numpy']} (BLAS: {blas['name']}{core})")
    if blas["openblas_core"] in ("Prescott", "Katmai", "Coppermine", "Northwood", "Core2"):
        print("  note: OpenBLAS did not recognise this CPU and uses generic SSE kernels; matmul in "
              "NumPy (refimpl, chainer) is several times slower than it could be. "
              "OPENBLAS_CORETYPE=SkylakeX (or Haswell) selects the optimised kernels.")
    for name in ("refimpl", "torch", "chainer"):
        if name in fws:
            extra = f" (default threads: {fws['torch'].default_threads})" if name == "torch" else ""
            source = env["refimpl_source"] if name == "refimpl" else None
            if source:
                extra = f" from {source['path']}"
                if source["commit"]:
                    extra += f" (git {source['commit']}"
                    extra += (f", uncommitted changes: {', '.join(source['modified'])})"
                              if source["modified"] else ", clean)")
            print(f"{name} {fws[name].version}{extra}")
        else:
            print(f"{name}: NOT AVAILABLE ({missing[name]}); its columns are skipped")
    if env["thread_env"]:
        print(f"thread/malloc env: {env['thread_env']}")
    print("load average at start (1, 5, 15 min): %.2f %.2f %.2f" % os.getloadavg())
    print(f"mode: {env['mode']} (warm-up {args.warmup}, repeats {args.repeats}, "
          f">= {args.min_time} s per repeat, gc disabled while timing); "
          f"refimpl semantics: {args.semantics}")

    results = {}
    context = (fws["refimpl"].module.semantics(args.semantics) if "refimpl" in fws else None)
    if context is not None:
        context.__enter__()
    try:
        for case_name in cases:
            results[case_name] = run_case(case_name, fws, args)
            print_case(results[case_name], fws)
    finally:
        if context is not None:
            context.__exit__(None, None, None)

    print_targets(results)
    print("load average at end (1, 5, 15 min): %.2f %.2f %.2f" % os.getloadavg())

    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"environment": env, "missing": missing, "cases": results}, handle, indent=2)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
