#!/usr/bin/env python
"""Benchmark refimpl on CuPy against PyTorch on CUDA (forward + backward, one GPU).

The cases of ``scripts/benchmark_layers.py``, on the GPU, the same input data for both:

  (a) conv2d: x float32 (8, 16, 32, 32), W (32, 16, 3, 3), b (32,), stride 1, pad 1;
      loss = sum(conv2d(x, W, b)); backward gives x, W and b their grads;
  (b) Linear 1024 -> 1024 on a batch of 512 float32: loss = sum(x W^T + b); backward gives
      x, W and b their grads.

refimpl: ``refimpl.functions.conv2d`` / ``linear`` on ``cupy`` arrays (its array-module
switch); torch: ``torch.nn.functional.conv2d`` / ``linear`` on ``cuda`` tensors, TF32 off
(``torch.backends.cuda.matmul.allow_tf32`` and ``torch.backends.cudnn.allow_tf32`` False), so
that both compute in true float32 as CuPy's cuBLAS calls do by default.

Before timing, torch's loss and leaf gradients are compared with refimpl's (``allclose`` with
``rtol=1e-4`` and ``atol`` = 1e-4 times refimpl's largest magnitude, as benchmark_layers);
the script aborts (exit status 2) if they differ.

Methodology: GPU work is asynchronous, so every timed region starts and ends with a device
synchronisation (``torch.cuda.synchronize()``, ``cupy.cuda.Device().synchronize()``). Each
iteration clears the leaf grads, runs the forward pass and ``backward()``. After a warm-up
(which also compiles CuPy's kernels and lets cuDNN pick its algorithms), the number of
iterations per repeat is doubled until one repeat lasts at least ``--min-time`` seconds;
``--repeats`` repeats, interleaved between the frameworks, are timed with the garbage
collector disabled. Reported: median, minimum and maximum milliseconds per iteration, and
the ratio of the medians refimpl / torch.

Without a GPU (no CuPy device and no CUDA torch) it prints "no GPU: nothing to time" and
exits 0; with only one of them it times that one and says why the other is missing.
``--cpu`` runs the same code with NumPy and torch on the CPU (to check the script itself
where there is no GPU; its numbers are not GPU numbers).

Usage::

    python3 scripts/benchmark_gpu.py [--quick] [--json PATH] [--cases ab] [--cpu]
"""
import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time

import numpy

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(SCRIPTS)
for path in (REPO_ROOT, SCRIPTS):
    if path not in sys.path:
        sys.path.insert(0, path)

from benchmark_layers import CASES, make_arrays  # noqa: E402 - the same cases and data

NO_GPU = "no GPU: nothing to time"


class Backend:
    """One framework on one device: how to make leaves, run a step, read results, sync."""

    def __init__(self, name, version, device, sync, make_step):
        self.name, self.version, self.device = name, version, device
        self.sync, self.make_step = sync, make_step


def refimpl_backend(cpu=False):
    """(Backend, None) for refimpl on CuPy (NumPy with ``cpu``), or (None, the reason)."""
    import refimpl
    import refimpl.functions as F
    if cpu:
        xp, sync, device = numpy, (lambda: None), "cpu (NumPy)"
    else:
        xp = refimpl._backend.cupy
        if xp is None:
            return None, "refimpl: cupy is not importable"
        try:
            count = xp.cuda.runtime.getDeviceCount()
        except Exception as error:  # noqa: BLE001 - no driver or no device
            return None, f"refimpl: cupy sees no GPU ({type(error).__name__}: {error})"
        if not count:
            return None, "refimpl: cupy sees no GPU (device count 0)"
        device = f"cuda (cupy {xp.__version__})"

        def sync():
            xp.cuda.Device().synchronize()

    def make_step(kind, arrays):
        leaves = [refimpl.Variable(xp.asarray(a), requires_grad=True) for a in arrays]
        layer = ((lambda x, W, b: F.conv2d(x, W, b, pad=1)) if kind == "conv" else F.linear)

        def step():
            for leaf in leaves:
                leaf.cleargrad()
            loss = F.sum(layer(*leaves))
            loss.backward()
            return loss

        def read(loss):
            host = refimpl._backend.to_numpy
            return float(host(loss.data)), [host(v.grad).astype(numpy.float64) for v in leaves]
        return step, read

    return Backend("refimpl", refimpl.__version__, device, sync, make_step), None


def torch_backend(cpu=False):
    """(Backend, None) for torch on CUDA (CPU with ``cpu``), or (None, the reason)."""
    try:
        import torch
        import torch.nn.functional as functional
    except Exception as error:  # noqa: BLE001 - not installed, broken install
        return None, f"torch cannot be imported: {type(error).__name__}: {error}"
    if cpu:
        device, sync = "cpu", (lambda: None)
    else:
        if not torch.cuda.is_available():
            return None, (f"torch {torch.__version__}: torch.cuda.is_available() is False "
                          f"(CUDA build: {torch.version.cuda or 'no'})")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        device, sync = "cuda", torch.cuda.synchronize

    def make_step(kind, arrays):
        leaves = [torch.tensor(a, device=device, requires_grad=True) for a in arrays]
        layer = ((lambda x, W, b: functional.conv2d(x, W, b, padding=1)) if kind == "conv"
                 else functional.linear)

        def step():
            for leaf in leaves:
                leaf.grad = None
            loss = torch.sum(layer(*leaves))
            loss.backward()
            return loss

        def read(loss):
            return float(loss.item()), [t.grad.cpu().numpy().astype(numpy.float64)
                                        for t in leaves]
        return step, read

    name = f"cuda ({torch.cuda.get_device_name(0)})" if device == "cuda" else "cpu"
    return Backend("torch", torch.__version__, name, sync, make_step), None


def _close(value, reference):
    """allclose with rtol 1e-4 and atol 1e-4 * max|reference| (float32 summation order)."""
    value, reference = numpy.asarray(value), numpy.asarray(reference)
    scale = float(numpy.max(numpy.abs(reference))) if reference.size else 0.0
    return value.shape == reference.shape and bool(
        numpy.allclose(value, reference, rtol=1e-4, atol=1e-4 * scale))


def check_agreement(case_name, results):
    """Abort (exit 2) unless torch's loss and grads match refimpl's; returns a note."""
    if len(results) < 2:
        return None
    (ref_loss, ref_grads), (loss, grads) = results["refimpl"], results["torch"]
    problems = [] if _close(loss, ref_loss) else [f"loss {loss!r} != refimpl {ref_loss!r}"]
    problems += [f"grad of leaf {i}" for i, (g, r) in enumerate(zip(grads, ref_grads))
                 if not _close(g, r)]
    if problems:
        print(f"ABORT: case {case_name}: torch and refimpl computed different results: "
              + "; ".join(problems), file=sys.stderr)
        sys.exit(2)
    worst = max(float(numpy.max(numpy.abs(g - r))) for g, r in zip(grads, ref_grads))
    return f"torch vs refimpl: max |grad diff| = {worst:.2e}"


def _run(step, sync, loops):
    """Seconds for ``loops`` iterations, from a synchronised start to a synchronised end."""
    sync()
    start = time.perf_counter()
    for _ in range(loops):
        step()
    sync()
    return time.perf_counter() - start


def measure(steps, syncs, *, warmup, min_time, repeats):
    """{name: {median_ms, min_ms, max_ms, loops, repeats}}; repeats interleaved."""
    loops = {}
    for name, step in steps.items():
        _run(step, syncs[name], warmup)
        count = 1
        while _run(step, syncs[name], count) < min_time and count < 1 << 20:
            count *= 2
        loops[name] = count
    times = {name: [] for name in steps}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            for name, step in steps.items():
                times[name].append(_run(step, syncs[name], loops[name]) / loops[name])
    finally:
        if gc_was_enabled:
            gc.enable()
    return {name: {"median_ms": 1e3 * statistics.median(t), "min_ms": 1e3 * min(t),
                   "max_ms": 1e3 * max(t), "loops": loops[name], "repeats": repeats}
            for name, t in times.items()}


def run_case(case_name, backends, args):
    case = CASES[case_name]
    arrays = make_arrays(case)
    steps, syncs, values = {}, {}, {}
    for backend in backends:
        step, read = backend.make_step(case["kind"], arrays)
        values[backend.name] = read(step())
        backend.sync()
        steps[backend.name], syncs[backend.name] = step, backend.sync
    note = check_agreement(case_name, values)
    timing = measure(steps, syncs, warmup=args.warmup, min_time=args.min_time,
                     repeats=args.repeats)
    ratio = (timing["refimpl"]["median_ms"] / timing["torch"]["median_ms"]
             if len(timing) == 2 else None)
    return {"title": case["title"], "timing": timing, "ratio_refimpl_over_torch": ratio,
            "agreement": note}


def gpu_header():
    """GPU model, driver and CUDA versions, as far as this machine tells."""
    from conformance.frameworks.base import nvidia_smi
    info = dict(nvidia_smi())
    try:
        import cupy
        runtime = cupy.cuda.runtime
        info["cupy_cuda_runtime"] = runtime.runtimeGetVersion()
        info["cupy_cuda_driver_api"] = runtime.driverGetVersion()
    except Exception:  # noqa: BLE001 - no CuPy or no GPU
        pass
    try:
        import torch
        info["torch_cuda"] = torch.version.cuda
    except Exception:  # noqa: BLE001
        pass
    return info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter loops")
    parser.add_argument("--json", metavar="PATH", help="also write the figures to PATH as JSON")
    parser.add_argument("--cases", default="ab", help="which cases to run (default: ab)")
    parser.add_argument("--cpu", action="store_true",
                        help="NumPy and torch on the CPU: checks the script, not a GPU figure")
    parser.add_argument("--repeats", type=int, help="timed repeats per measurement")
    parser.add_argument("--min-time", type=float, help="minimum seconds per repeat")
    parser.add_argument("--warmup", type=int, help="untimed warm-up iterations")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (5 if args.quick else 20)
    args.min_time = args.min_time or (0.02 if args.quick else 0.1)
    args.warmup = args.warmup if args.warmup is not None else (3 if args.quick else 10)
    cases = [c for c in args.cases if c in CASES]
    if not cases:
        parser.error(f"--cases must name some of {''.join(CASES)}")

    backends, missing = [], []
    for make in (refimpl_backend, torch_backend):
        backend, reason = make(cpu=args.cpu)
        (backends.append(backend) if backend is not None else missing.append(reason))
    if not backends:
        print(f"{NO_GPU} ({'; '.join(missing)})")
        return 0
    header = {"python": platform.python_version(), "platform": platform.platform(),
              "numpy": numpy.__version__, "gpu": {} if args.cpu else gpu_header(),
              "frameworks": {b.name: {"version": b.version, "device": b.device}
                             for b in backends},
              "missing": missing, "mode": ("cpu check, " if args.cpu else "")
              + ("quick" if args.quick else "full"), "repeats": args.repeats,
              "min_time_s": args.min_time, "warmup": args.warmup}
    print("benchmark_gpu: refimpl on CuPy vs torch on CUDA, forward + backward"
          + (" -- --cpu: NumPy and torch on the CPU, NOT GPU figures" if args.cpu else ""))
    print(f"python {header['python']} on {header['platform']}; numpy {header['numpy']}")
    if header["gpu"]:
        print("GPU: " + ", ".join(f"{k} {v}" for k, v in header["gpu"].items()))
    for backend in backends:
        print(f"{backend.name} {backend.version} on {backend.device}")
    for reason in missing:
        print(f"NOT TIMED: {reason}")
    print(f"mode: {header['mode']} (warm-up {args.warmup}, repeats {args.repeats}, "
          f">= {args.min_time} s per repeat, synchronised, gc disabled while timing)")

    results = {}
    for case_name in cases:
        result = results[case_name] = run_case(case_name, backends, args)
        print(f"\n{result['title']}")
        for name, t in result["timing"].items():
            print(f"  {name:<10}{t['median_ms']:>10.3f} ms median{t['min_ms']:>10.3f} min"
                  f"{t['max_ms']:>10.3f} max   ({t['loops']} loops x {t['repeats']})")
        if result["ratio_refimpl_over_torch"] is not None:
            print(f"  refimpl / torch: {result['ratio_refimpl_over_torch']:.2f}x (medians)")
        if result["agreement"]:
            print(f"  check: {result['agreement']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"environment": header, "cases": results}, handle, indent=2)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
