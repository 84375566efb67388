#!/usr/bin/env python
"""Probe: first-order gradients from non-finite output gradients (seeds), each framework
against refimpl under that framework's policy, over every differentiable op and function
subject of the registry.

The property suites draw finite output gradients only, so a backward that multiplies by a
0/1 mask (``gy * mask``: NaN where gy is NaN or inf) where the framework's kernel selects
(``where(mask, gy, 0)``), or that distributes ``gy (a + b)`` as ``gy a + gy b`` (inf - inf),
passes them. This probe finds such differences: the policy fields ``zero_slope_gradient``,
``extremum_gradient_selects``, ``lerp_start_gradient``, ``product_zero_gradient``,
``layer_norm_gradient``, ``group_norm_gradient``, ``bilinear_x2_gradient`` and
``grid_sample_gradient`` came from it, and the frameworks' own gradients of gelu, mish,
binary_cross_entropy_with_logits, sigmoid_cross_entropy, multi_margin_loss, batch
normalization, resize_images, and chainer's softmax_cross_entropy, triplet, cross_covariance
and decov (each with a behaviour case). Its differences are now checked by the property
``grad.nonfinite_seed`` (``conformance/properties/test_nonfinite_seed.py``) in every run;
ctc_loss is the one subject left unmodelled.

Inputs: per subject, samples drawn (derandomized hypothesis) from the subject's own strategy
(its domain, kinks avoided, its argument conventions), up to 6 call configurations. Seeds:
'finite' (a sanity check of the comparison itself), then variants with NaN, +inf and -inf at
the first, first three or last positions. Compared: the positions of NaN, +inf and -inf, and
the finite entries (allclose). Prints one line per subject, framework and configuration
(``ok``, ``DIVERGES`` with the seeds, gradients and inputs, ``SANITY`` where even the finite
seed differs, or why it was skipped)::

    SETUPTOOLS_USE_DISTUTILS=stdlib .venv/bin/python scripts/probe_nonfinite_seeds.py \
        [--kinds op,function] [--only relu,clip] [--frameworks torch,chainer] [--json PATH]
"""
import argparse
import json
import os
import sys
import traceback
import warnings

import numpy

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
warnings.filterwarnings("ignore")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

import conformance.frameworks as frameworks  # noqa: E402
import conformance.subjects as subjects  # noqa: E402
from conformance.checks import layers as layer_checks  # noqa: E402
from conformance.checks import numeric  # noqa: E402
from conformance.frameworks import NotSupported  # noqa: E402

RTOL, ATOL = 1e-6, 1e-9


def draw_samples(strategy, n=60):
    found = []

    @settings(derandomize=True, max_examples=n, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(strategy)
    def collect(sample):
        found.append(sample)

    try:
        collect()
    except Exception:  # noqa: BLE001 - keep what was drawn
        pass
    return found


def score(sample):
    leaves = [numpy.asarray(a) for a in sample.leaves()]
    size = sum(a.size for a in leaves)
    distinct = len(numpy.unique(numpy.concatenate([a.ravel() for a in leaves]))) if leaves else 0
    return (min(size, 24), distinct, -size)


def seeds_for(shapes):
    """{variant: [seed per float output]}."""
    rng = numpy.random.default_rng(0)
    base = [rng.uniform(0.5, 2.0, size=s) * rng.choice([-1.0, 1.0], size=s) for s in shapes]
    base = [numpy.asarray(b, dtype=numpy.float64) for b in base]
    variants = {"finite": [b.copy() for b in base]}

    def with_values(values_at):
        out = []
        for b in base:
            g = numpy.array(b, dtype=numpy.float64)
            flat = g.reshape(-1)
            for position, value in values_at(flat.size):
                flat[position] = value
            out.append(g)
        return out

    variants["mixed"] = with_values(
        lambda n: [(i, v) for i, v in zip(range(n), (numpy.nan, numpy.inf, -numpy.inf))])
    variants["nan@0"] = with_values(lambda n: [(0, numpy.nan)] if n else [])
    variants["+inf@0"] = with_values(lambda n: [(0, numpy.inf)] if n else [])
    variants["-inf@0"] = with_values(lambda n: [(0, -numpy.inf)] if n else [])
    variants["nan@last"] = with_values(lambda n: [(n - 1, numpy.nan)] if n > 1 else [])
    variants["+inf@last"] = with_values(lambda n: [(n - 1, numpy.inf)] if n > 1 else [])
    return variants


def same(a, b):
    a = numpy.asarray(a, dtype=numpy.float64)
    b = numpy.asarray(b, dtype=numpy.float64)
    if a.shape != b.shape:
        return False
    for test in (numpy.isnan, numpy.isposinf, numpy.isneginf):
        if not numpy.array_equal(test(a), test(b)):
            return False
    finite = numpy.isfinite(a)
    return bool(numpy.allclose(a[finite], b[finite], rtol=RTOL, atol=ATOL))


def fmt(value):
    if isinstance(value, numpy.ndarray):
        return json.dumps(numpy.round(value.astype(float), 4).tolist()).replace("NaN", "nan") \
            .replace("Infinity", "inf")
    if isinstance(value, list):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return repr(value)


def bind(adapter, entry):
    if entry.kind == "op":
        return adapter.op(entry.subject)
    return layer_checks.function(adapter, entry.subject)


def absent_reason(plugin, entry):
    if entry.kind != "op":
        return None
    reason = plugin.absent_op(entry.subject)
    return reason


def run_pair(fw_name, entry):
    """Compare one subject on framework ``fw_name``; returns a dict record."""
    record = {"subject": entry.subject, "kind": entry.kind, "framework": fw_name}
    plugin = frameworks.get(fw_name)
    fw = plugin.adapter()
    ref = frameworks.reference().adapter(fw.semantics)
    if entry.kind == "op" and not entry.differentiable_under(ref.policy):
        record["status"] = "skip: not differentiable under policy"
        return record
    reason = absent_reason(plugin, entry)
    if reason:
        record["status"] = f"skip: absent: {reason}"
        return record
    try:
        f_fw = bind(fw, entry)
        f_ref = bind(ref, entry)
    except NotSupported as error:
        record["status"] = f"skip: NotSupported: {error}"
        return record
    api = subjects.Api(frozenset(fw.features), ref.policy)
    try:
        samples = draw_samples(entry.strategy(api))
    except Exception as error:  # noqa: BLE001
        record["status"] = f"error drawing samples: {type(error).__name__}: {error}"
        return record
    if not samples:
        record["status"] = "error: no samples drawn"
        return record
    samples.sort(key=score, reverse=True)
    groups = {}
    for candidate in samples:
        groups.setdefault(signature(candidate), []).append(candidate)
    configs = list(groups.values())[:MAX_CONFIGS]
    records = []
    for group in configs:
        sub = dict(record)
        records.append(run_config(fw, ref, f_fw, f_ref, group, sub))
    return records


MAX_CONFIGS = 6


def signature(sample):
    """Which call convention a sample exercises: kwargs names and non-array values, and
    the leaves' ranks."""
    parts = []
    for key, value in sorted(sample.kwargs.items()):
        if isinstance(value, numpy.ndarray):
            parts.append((key, "array", value.ndim))
        else:
            parts.append((key, repr(value)))
    parts.append(("ndims", tuple(numpy.ndim(a) for a in sample.leaves())))
    return repr(parts)


def run_config(fw, ref, f_fw, f_ref, samples, record):
    last_error = None
    for sample in samples[:5]:
        try:
            outs = numeric.forward_values(ref, f_ref, sample, dtype="float64", device="cpu")
            outs_fw = numeric.forward_values(fw, f_fw, sample, dtype="float64", device="cpu")
        except NotSupported as error:
            record["status"] = f"skip: NotSupported: {error}"
            return record
        except Exception as error:  # noqa: BLE001
            last_error = f"forward: {type(error).__name__}: {error}"
            continue
        if [o.shape for o in outs] != [o.shape for o in outs_fw]:
            last_error = f"forward shapes differ: {[o.shape for o in outs]} vs " \
                         f"{[o.shape for o in outs_fw]}"
            continue
        break
    else:
        record["status"] = f"error: {last_error}"
        return record
    record["inputs"] = {k: (fmt(numpy.asarray(v)) if not isinstance(v, list) else fmt(v))
                        for k, v in sample.inputs.items()}
    record["kwargs"] = {k: (fmt(v) if isinstance(v, numpy.ndarray) else repr(v))
                        for k, v in sample.kwargs.items()}
    record["output_shapes"] = [o.shape for o in outs]
    record["variants"] = {}
    for variant, seeds in seeds_for([o.shape for o in outs]).items():
        result = {"seed": fmt(seeds)}
        try:
            g_fw = numeric.first_order(fw, f_fw, sample, seeds, dtype="float64", device="cpu")
        except NotSupported as error:
            result["status"] = f"fw NotSupported: {error}"
            record["variants"][variant] = result
            continue
        except Exception as error:  # noqa: BLE001
            result["status"] = f"fw error: {type(error).__name__}: {error}"
            record["variants"][variant] = result
            continue
        try:
            g_ref = numeric.first_order(ref, f_ref, sample, seeds, dtype="float64", device="cpu")
        except Exception as error:  # noqa: BLE001
            result["status"] = f"ref error: {type(error).__name__}: {error}"
            result["fw_grad"] = fmt(g_fw)
            record["variants"][variant] = result
            continue
        agree = len(g_fw) == len(g_ref) and all(same(a, b) for a, b in zip(g_fw, g_ref))
        result["status"] = "same" if agree else "DIFF"
        if not agree:
            result["fw_grad"] = fmt(g_fw)
            result["ref_grad"] = fmt(g_ref)
        record["variants"][variant] = result
    statuses = {v["status"] for v in record["variants"].values()}
    finite = record["variants"]["finite"]["status"]
    if finite != "same":
        record["status"] = f"SANITY ({finite})"
    elif statuses == {"same"}:
        record["status"] = "ok"
    elif "DIFF" in statuses:
        record["status"] = "DIVERGES"
    else:
        record["status"] = "errors: " + "; ".join(sorted(statuses - {"same"}))
    return record


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kinds", default="op,function")
    parser.add_argument("--only", default="")
    parser.add_argument("--frameworks", default="torch,chainer")
    parser.add_argument("--json", help="also write every record to this JSON file")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    only = set(filter(None, args.only.split(",")))
    entries = [e for e in subjects.REGISTRY.values() if e.kind in kinds
               and (not only or e.subject in only)]
    records = []
    for entry in entries:
        for fw_name in args.frameworks.split(","):
            try:
                found = run_pair(fw_name, entry)
            except Exception as error:  # noqa: BLE001
                found = {"subject": entry.subject, "kind": entry.kind, "framework": fw_name,
                         "status": f"crash: {type(error).__name__}: {error}",
                         "trace": traceback.format_exc(limit=3)}
            for record in (found if isinstance(found, list) else [found]):
                records.append(record)
                report(record)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(records, handle, indent=1, default=str)


def report(record):
    print(f"{record['subject']:32s} {record['framework']:8s} {record['status'][:150]}"
          f"  {record.get('kwargs', '')}", flush=True)
    if record["status"] != "ok" and "variants" in record:
        print(f"    inputs={record['inputs']} kwargs={record['kwargs']}")
        for variant, result in record["variants"].items():
            if result["status"] != "same":
                print(f"    [{variant}] {result['status'][:200]} seed={result['seed']}")
                if "fw_grad" in result:
                    print(f"        fw ={result['fw_grad']}")
                if "ref_grad" in result:
                    print(f"        ref={result['ref_grad']}")


if __name__ == "__main__":
    main()
