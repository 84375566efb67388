#!/usr/bin/env python
"""Benchmark refimpl's layers (forward + backward) against PyTorch (CPU) and Chainer.

All frameworks are timed in the same process and run, on the same input data:

  (a) conv2d: x float32 (8, 16, 32, 32), W (32, 16, 3, 3), b (32,), stride 1, pad 1;
      loss = sum(conv2d(x, W, b)); backward gives x, W and b their grads;
  (b) Linear 1024 -> 1024 on a batch of 512 float32: loss = sum(x W^T + b); backward gives
      x, W and b their grads.

refimpl: ``refimpl.functions.conv.conv2d`` and ``refimpl.functions.linear`` (or
``matmul(x, W.T) + b`` where that does not exist); torch: ``torch.nn.functional.conv2d`` /
``linear``; chainer: ``F.convolution_2d`` / ``F.linear``.

Before timing, the loss and the leaf gradients of every framework are compared with
refimpl's (``numpy.allclose`` with ``rtol=1e-4`` and ``atol`` = 1e-4 times the largest
magnitude of refimpl's value: float32 sums of thousands of products in different orders);
the script aborts (exit status 2) if they differ.

Methodology: that of ``scripts/benchmark_core.py`` (its timing helpers are reused): each
iteration clears the leaf grads, runs the forward pass and ``backward()``; after a warm-up the
number of inner loops is calibrated so that one repeat lasts at least ``--min-time`` seconds;
``--repeats`` repeats, interleaved across the columns, are timed with the garbage collector
disabled. Reported: median, minimum and maximum time per iteration, and the process's minor
page faults per iteration (fresh pages of large temporaries: see benchmark_core's notes on
MALLOC_* variables); ratios use the medians.
PyTorch is timed with its default intra-op thread count and with one thread.
For conv2d, a "numpy floor" column times only the three matrix products refimpl's conv2d
makes (``conv_products_step``): "refimpl/numpy" is what everything else costs refimpl, and
"numpy/torch" how close NumPy's BLAS alone comes to torch's whole step.

Targets (issue 19): (a) refimpl <= 1.5x torch and <= 1.0x chainer, and refimpl's peak memory
<= chainer's ("peak MB": tracemalloc, as in benchmark_core); (b) refimpl <= 1.5x torch (torch
at its default thread count; the 1-thread and chainer ratios of (b) are informational).

NumPy's OpenBLAS may not recognise the CPU and fall back to generic SSE kernels ("Prescott"
in the header); refimpl and chainer then run their matrix products several times slower.
``OPENBLAS_CORETYPE=SkylakeX`` (or Haswell) in the environment selects the optimised ones.

Usage::

    SETUPTOOLS_USE_DISTUTILS=stdlib python scripts/benchmark_layers.py [--quick] [--json PATH]
"""
import argparse
import json
import os
import platform
import sys

import numpy

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(SCRIPTS)
for path in (REPO_ROOT, SCRIPTS):
    if path not in sys.path:
        sys.path.insert(0, path)

from benchmark_core import (OtherLoad, blas_info, load_frameworks, measure,  # noqa: E402
                            memory_ratios, peak_memory, print_case, print_targets, ratios,
                            refimpl_source)

CASES = {
    "a": {"title": "(a) conv2d float32 x(8, 16, 32, 32) * W(32, 16, 3, 3) + b, pad 1, "
                   "sum, fwd+bwd",
          "kind": "conv", "targets": {"torch": 1.5, "chainer": 1.0},
          "memory_targets": {"chainer": 1.0}},
    "b": {"title": "(b) Linear 1024 -> 1024, float32 batch 512, sum, fwd+bwd",
          "kind": "linear", "targets": {"torch": 1.5}},
}

COLUMNS = ["refimpl", "torch", "torch1", "chainer", "numpy"]


def make_arrays(case, seed=0):
    """x, W, b (float32) for the case, scaled so the outputs stay of order 1."""
    rng = numpy.random.default_rng(seed)
    if case["kind"] == "conv":
        shapes, fan_in = [(8, 16, 32, 32), (32, 16, 3, 3), (32,)], 16 * 9
    else:
        shapes, fan_in = [(512, 1024), (1024, 1024), (1024,)], 1024
    x, W, b = (rng.standard_normal(shape).astype(numpy.float32) for shape in shapes)
    return [x, W / numpy.float32(numpy.sqrt(fan_in)), b]


def _refimpl_layer(fw, kind):
    """refimpl's forward for the case kind."""
    if kind == "conv":
        from refimpl.functions.conv import conv2d
        return lambda x, W, b: conv2d(x, W, b, pad=1)
    try:
        from refimpl.functions.linear import linear
    except ImportError:
        return lambda x, W, b: fw.F.matmul(x, W.T) + b
    return linear


def make_case(framework_name, fw, case, arrays):
    """(step, leaves, read) for one framework and case, as ``benchmark_core.make_case``."""
    kind = case["kind"]
    if framework_name == "refimpl":
        F, layer = fw.F, _refimpl_layer(fw, kind)
        leaves = [fw.module.Variable(a.copy(), requires_grad=True) for a in arrays]
        forward = lambda: F.sum(layer(*leaves))  # noqa: E731

        def clear():
            for v in leaves:
                v.cleargrad()

        def read(loss, leaves):
            return float(loss.data), [numpy.asarray(v.grad, dtype=numpy.float64) for v in leaves]

    elif framework_name in ("torch", "torch1"):
        torch = fw.module
        functional = torch.nn.functional
        leaves = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
        layer = ((lambda x, W, b: functional.conv2d(x, W, b, padding=1)) if kind == "conv"
                 else functional.linear)
        forward = lambda: torch.sum(layer(*leaves))  # noqa: E731

        def clear():
            for t in leaves:
                t.grad = None

        def read(loss, leaves):
            return float(loss.item()), [t.grad.numpy().astype(numpy.float64) for t in leaves]

    elif framework_name == "chainer":
        chainer, F = fw.module, fw.F
        leaves = [chainer.Variable(a.copy()) for a in arrays]
        layer = ((lambda x, W, b: F.convolution_2d(x, W, b, pad=1)) if kind == "conv"
                 else F.linear)
        forward = lambda: F.sum(layer(*leaves))  # noqa: E731

        def clear():
            for v in leaves:
                v.cleargrad()

        def read(loss, leaves):
            return float(loss.array), [numpy.asarray(v.grad, dtype=numpy.float64) for v in leaves]
    elif framework_name == "numpy":  # conv only: the three products, nothing else
        return conv_products_step(arrays), [], None
    else:
        raise ValueError(framework_name)

    def step():
        clear()
        loss = forward()
        loss.backward()
        return loss

    return step, leaves, read


def conv_products_step(arrays):
    """A step of the three matrix products that refimpl's conv2d does for the case, on
    NumPy arrays of their shapes, into preallocated outputs: ``W col`` (forward), ``gy col^T``
    (gradient in W) and ``W^T gy`` (the columns of the gradient in x), ``col`` the (C kh kw,
    N oh ow) columns of x. No im2col, col2im, layout copy, bias or autograd: the "numpy
    floor" column, the least time any formulation on NumPy's BLAS with these products could
    take (values are not compared: nothing else is computed)."""
    x, W, _ = arrays
    n, _, h, w = x.shape
    out_channels = W.shape[0]
    rng = numpy.random.default_rng(1)
    weight = numpy.ascontiguousarray(W.reshape(out_channels, -1))
    weight_t = numpy.ascontiguousarray(weight.T)
    col = rng.standard_normal((weight.shape[1], n * h * w)).astype(numpy.float32)
    gy = rng.standard_normal((out_channels, n * h * w)).astype(numpy.float32)
    outputs = [numpy.empty((out_channels, col.shape[1]), numpy.float32),
               numpy.empty(weight.shape, numpy.float32), numpy.empty(col.shape, numpy.float32)]

    def step():
        numpy.matmul(weight, col, out=outputs[0])
        numpy.matmul(gy, col.T, out=outputs[1])
        numpy.matmul(weight_t, gy, out=outputs[2])

    return step


def _close(value, reference):
    """allclose with rtol 1e-4 and atol 1e-4 * max|reference| (float32 summation order)."""
    value, reference = numpy.asarray(value), numpy.asarray(reference)
    scale = float(numpy.max(numpy.abs(reference))) if reference.size else 0.0
    return value.shape == reference.shape and numpy.allclose(value, reference, rtol=1e-4,
                                                             atol=1e-4 * scale)


def check_agreement(case_name, results):
    """Abort unless every framework's loss and grads match refimpl's."""
    if "refimpl" not in results:
        return []
    ref_loss, ref_grads = results["refimpl"]
    notes = []
    for name, (loss, grads) in results.items():
        if name == "refimpl":
            continue
        problems = []
        if not _close(loss, ref_loss):
            problems.append(f"loss {loss!r} != refimpl {ref_loss!r}")
        for i, (g, r) in enumerate(zip(grads, ref_grads)):
            if not _close(g, r):
                diff = numpy.max(numpy.abs(g - r)) if g.shape == r.shape else "shape mismatch"
                problems.append(f"grad of leaf {i}: max |diff| = {diff}")
        if problems:
            print(f"ABORT: case {case_name}: {name} and refimpl computed different results: "
                  + "; ".join(problems), file=sys.stderr)
            sys.exit(2)
        max_diff = max(float(numpy.max(numpy.abs(g - r))) for g, r in zip(grads, ref_grads))
        notes.append(f"{name}: max |grad diff| = {max_diff:.2e}")
    return notes


def run_case(case_name, fws, args):
    case = CASES[case_name]
    other_load = OtherLoad()
    arrays = make_arrays(case)
    torch = fws["torch"].module if "torch" in fws else None
    columns = [c for c in COLUMNS if (c[:5] if c.startswith("torch") else c) in fws
               or (c == "numpy" and case["kind"] == "conv")]

    values = {}  # correctness first: one iteration per framework on identical data
    for column in ("refimpl", "torch", "chainer"):
        if column in fws:
            step, leaves, read = make_case(column, fws[column], case, arrays)
            values[column] = read(step(), leaves)
    notes = check_agreement(case_name, values)

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


def environment(fws, args):
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "python": platform.python_version(), "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(), "cpu_affinity": affinity,
        "numpy": numpy.__version__, "numpy_blas": blas_info(),
        "refimpl": getattr(fws.get("refimpl"), "version", None),
        "refimpl_source": refimpl_source(fws["refimpl"].module) if "refimpl" in fws else None,
        "torch": getattr(fws.get("torch"), "version", None),
        "torch_default_threads": getattr(fws.get("torch"), "default_threads", None),
        "chainer": getattr(fws.get("chainer"), "version", None),
        "refimpl_semantics": args.semantics, "mode": "quick" if args.quick else "full",
        "repeats": args.repeats, "min_time_s": args.min_time, "warmup": args.warmup,
        "thread_env": {k: v for k, v in os.environ.items()
                       if k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                "OPENBLAS_CORETYPE") or k.startswith("MALLOC_")},
    }


def print_header(env, fws, missing, args):
    print("benchmark_layers: refimpl vs torch (CPU) vs chainer, forward + backward")
    print(f"python {env['python']} on {env['platform']}; CPU count: {env['cpu_count']} "
          f"(usable: {env['cpu_affinity']})")
    blas = env["numpy_blas"]
    core = (f", OpenBLAS kernels: {blas['openblas_core']}, threads: {blas['openblas_threads']}"
            if blas["openblas_core"] else "")
    print(f"numpy {env['numpy']} (BLAS: {blas['name']}{core})")
    if blas["openblas_core"] in ("Prescott", "Katmai", "Coppermine", "Northwood", "Core2"):
        print("  note: OpenBLAS did not recognise this CPU and uses generic SSE kernels; "
              "OPENBLAS_CORETYPE=SkylakeX (or Haswell) selects the optimised ones.")
    for name in ("refimpl", "torch", "chainer"):
        if name not in fws:
            print(f"{name}: NOT AVAILABLE ({missing[name]}); its columns are skipped")
            continue
        extra = f" (default threads: {fws['torch'].default_threads})" if name == "torch" else ""
        source = env["refimpl_source"] if name == "refimpl" else None
        if source and source["commit"]:
            changes = (f", uncommitted changes: {', '.join(source['modified'])}"
                       if source["modified"] else ", clean")
            extra = f" from {source['path']} (git {source['commit']}{changes})"
        print(f"{name} {fws[name].version}{extra}")
    if env["thread_env"]:
        print(f"thread/malloc env: {env['thread_env']}")
    print("load average at start (1, 5, 15 min): %.2f %.2f %.2f" % os.getloadavg())
    print(f"mode: {env['mode']} (warm-up {args.warmup}, repeats {args.repeats}, "
          f">= {args.min_time} s per repeat, gc disabled while timing); "
          f"refimpl semantics: {args.semantics}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter loops")
    parser.add_argument("--json", metavar="PATH", help="also write the figures to PATH as JSON")
    parser.add_argument("--cases", default="ab", help="which cases to run (default: ab)")
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
    env = environment(fws, args)
    print_header(env, fws, missing, args)
    results = {}
    context = fws["refimpl"].module.semantics(args.semantics) if "refimpl" in fws else None
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
