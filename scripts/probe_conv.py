#!/usr/bin/env python
"""Probe what PyTorch and Chainer do for 2-D convolution and pooling, by running them.

Two kinds of record, one JSON object per line (the format of ``probe_frameworks.py``)::

    {"scenario": "conv2d.<config>", "framework": ..., "version": ..., "config": {...},
     "valid": true|false, "result": {"shape": [...]} or {"raises": ..., "message": ...}}
    {"scenario": "pool.<name>", "framework": ..., "version": ..., "result": {step: value}}

The conv configs (``CONV_CONFIGS``) are the harness's "valid configs agree, invalid configs
raise on every side" data: ``valid`` says what refimpl's specification holds (every
framework should give an output of the shape refimpl computes); an invalid one should raise
everywhere. Torch is given ``padding=pad`` (ints, pairs or 'same'/'valid'), Chainer
``pad=pad, cover_all=cover_all``; a config that one framework cannot express records its
error. The pooling scenarios record values and gradients for ties, NaN, padding, the
output-size rules (torch ``ceil_mode``, chainer ``cover_all``) and the average's divisor.

Usage::

    SETUPTOOLS_USE_DISTUTILS=stdlib python scripts/probe_conv.py --framework torch \\
        > scripts/probe_results/conv-torch-2.13.0.jsonl
    SETUPTOOLS_USE_DISTUTILS=stdlib python scripts/probe_conv.py --framework chainer \\
        > scripts/probe_results/conv-chainer-7.8.1.jsonl
    python scripts/probe_conv.py --summary scripts/probe_results/conv-*.jsonl
"""
import argparse
import json
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_frameworks import Probe, exception_record, jsonable  # noqa: E402


def _conv(name, x, w, b=None, stride=1, pad=0, dilation=1, groups=1, cover_all=False,
          valid=True, dtype="float32", w_dtype=None):
    return {"name": name, "x": x, "w": w, "b": b, "stride": stride, "pad": pad,
            "dilation": dilation, "groups": groups, "cover_all": cover_all, "valid": valid,
            "dtype": dtype, "w_dtype": w_dtype or dtype}


CONV_CONFIGS = [
    # --- valid: every framework that can express it gives refimpl's shape ------------------
    _conv("basic", (2, 3, 7, 7), (4, 3, 3, 3)),
    _conv("bias", (2, 3, 7, 7), (4, 3, 3, 3), b=(4,)),
    _conv("stride2_pad1", (2, 3, 7, 7), (4, 3, 3, 3), stride=2, pad=1),
    _conv("rect_pairs", (1, 2, 8, 6), (3, 2, 3, 2), stride=(2, 1), pad=(1, 0)),
    _conv("dilation2", (1, 2, 9, 9), (2, 2, 3, 3), dilation=2),
    _conv("dilation_pair", (1, 2, 9, 8), (2, 2, 3, 2), dilation=(2, 3), pad=(1, 2)),
    _conv("groups2", (2, 4, 6, 6), (6, 2, 3, 3), groups=2),
    _conv("depthwise", (2, 4, 6, 6), (4, 1, 3, 3), groups=4),
    _conv("depthwise_multiplier", (1, 3, 5, 5), (6, 1, 3, 3), groups=3),
    _conv("kernel1_stride2", (1, 3, 5, 5), (2, 3, 1, 1), stride=2),
    _conv("stride_gt_kernel", (1, 1, 7, 7), (1, 1, 2, 2), stride=3),
    _conv("kernel_eq_padded_input", (1, 1, 3, 3), (1, 1, 5, 5), pad=1),
    _conv("cover_all_false", (1, 1, 6, 6), (1, 1, 3, 3), stride=2),
    _conv("cover_all_true", (1, 1, 6, 6), (1, 1, 3, 3), stride=2, cover_all=True),
    _conv("cover_all_true_dilated", (1, 1, 10, 10), (1, 1, 3, 3), stride=3, dilation=2,
          cover_all=True),
    _conv("cover_all_true_exact", (1, 1, 7, 7), (1, 1, 3, 3), stride=2, cover_all=True),
    _conv("same_odd", (1, 2, 5, 5), (3, 2, 3, 3), pad="same"),
    _conv("same_even", (1, 2, 5, 5), (3, 2, 2, 4), pad="same"),
    _conv("same_dilated_even", (1, 1, 6, 6), (1, 1, 2, 2), pad="same", dilation=3),
    _conv("valid_string", (1, 2, 5, 5), (3, 2, 3, 3), pad="valid"),
    _conv("float64", (1, 2, 5, 5), (3, 2, 3, 3), dtype="float64"),
    # --- invalid: refimpl raises ValueError (or TypeError for dtypes) ----------------------
    _conv("kernel_larger_than_input", (1, 1, 3, 3), (1, 1, 4, 4), valid=False),
    _conv("kernel_larger_than_padded_input", (1, 1, 3, 3), (1, 1, 6, 6), pad=1, valid=False),
    _conv("dilated_kernel_larger_than_input", (1, 1, 4, 4), (1, 1, 3, 3), dilation=2,
          valid=False),
    _conv("in_channels_not_divisible_by_groups", (1, 3, 5, 5), (4, 1, 3, 3), groups=2,
          valid=False),
    _conv("out_channels_not_divisible_by_groups", (1, 4, 5, 5), (3, 2, 3, 3), groups=2,
          valid=False),
    _conv("w_in_channels_mismatch", (1, 4, 5, 5), (4, 3, 3, 3), valid=False),
    _conv("w_in_channels_not_per_group", (1, 4, 5, 5), (4, 4, 3, 3), groups=2, valid=False),
    _conv("groups_zero", (1, 4, 5, 5), (4, 4, 3, 3), groups=0, valid=False),
    _conv("stride_zero", (1, 1, 5, 5), (1, 1, 3, 3), stride=0, valid=False),
    _conv("stride_negative", (1, 1, 5, 5), (1, 1, 3, 3), stride=-1, valid=False),
    _conv("dilation_zero", (1, 1, 5, 5), (1, 1, 3, 3), dilation=0, valid=False),
    _conv("dilation_negative", (1, 1, 5, 5), (1, 1, 3, 3), dilation=-1, valid=False),
    _conv("pad_negative", (1, 1, 5, 5), (1, 1, 3, 3), pad=-1, valid=False),
    _conv("x_ndim3_unbatched", (1, 5, 5), (1, 1, 3, 3), valid=False),
    _conv("x_ndim5", (1, 1, 1, 5, 5), (1, 1, 3, 3), valid=False),
    _conv("w_ndim3", (1, 1, 5, 5), (1, 3, 3), valid=False),
    _conv("kernel_empty", (1, 1, 5, 5), (1, 1, 0, 3), valid=False),
    _conv("bias_wrong_length", (1, 1, 5, 5), (2, 1, 3, 3), b=(3,), valid=False),
    _conv("same_strided", (1, 1, 5, 5), (1, 1, 3, 3), stride=2, pad="same", valid=False),
    _conv("unknown_padding_string", (1, 1, 5, 5), (1, 1, 3, 3), pad="full", valid=False),
    _conv("dtype_mismatch", (1, 1, 5, 5), (1, 1, 3, 3), w_dtype="float64", valid=False),
    _conv("integer_dtype", (1, 1, 5, 5), (1, 1, 3, 3), dtype="int64", valid=False),
]


def _arrays(config):
    """x, W, b as NumPy arrays of the config's shapes and dtypes (fixed seed)."""
    import numpy as np
    rng = np.random.RandomState(0)
    x = (rng.standard_normal(config["x"]) * 3).astype(config["dtype"])
    w = (rng.standard_normal(config["w"]) * 3).astype(config["w_dtype"])
    b = None if config["b"] is None else rng.standard_normal(config["b"]).astype(config["dtype"])
    return x, w, b


def torch_conv(config):
    import torch
    import torch.nn.functional as F
    x, w, b = (None if a is None else torch.from_numpy(a) for a in _arrays(config))
    if config["cover_all"]:
        raise TypeError("torch conv2d has no cover_all argument")
    return F.conv2d(x, w, b, stride=config["stride"], padding=config["pad"],
                    dilation=config["dilation"], groups=config["groups"]).shape


def chainer_conv(config):
    import chainer.functions as F
    x, w, b = _arrays(config)
    return F.convolution_2d(x, w, b, stride=config["stride"], pad=config["pad"],
                            cover_all=config["cover_all"], dilate=config["dilation"],
                            groups=config["groups"]).shape


# ---------------------------------------------------------------------------
# Pooling scenarios: (name, torch_fn, chainer_fn), each fn(probe)
# ---------------------------------------------------------------------------

POOL_SHAPE_CASES = [  # (H, ksize, stride, pad)
    (5, 2, 2, 0), (5, 3, 2, 1), (4, 2, 2, 1), (6, 3, 3, 1), (7, 3, 2, 1), (5, 2, 3, 1),
    (4, 3, 2, 1), (6, 2, 2, 1), (3, 2, 2, 1), (8, 3, 3, 0), (2, 3, 1, 0), (3, 3, 1, 2),
    (3, 5, 1, 2),
]


def _np(values):
    import numpy as np
    return np.asarray(values, dtype=np.float64)


def _torch_max(x, k, s=None, p=0, ceil_mode=False):
    """(output, input grad for ones) of torch max_pool2d on a float64 array."""
    import torch
    t = torch.tensor(x, requires_grad=True)
    y, indices = torch.nn.functional.max_pool2d(t, k, s, p, ceil_mode=ceil_mode,
                                                return_indices=True)
    y.backward(torch.ones_like(y))
    return {"y": y, "indices": indices, "gx": t.grad}


def _chainer_max(x, k, s=None, p=0, cover_all=True):
    import numpy
    import chainer
    import chainer.functions as F
    v = chainer.Variable(x)
    y = F.max_pooling_2d(v, k, s, p, cover_all=cover_all)
    y.grad = numpy.ones_like(y.array)
    y.backward()
    return {"y": y, "gx": v.grad}


def _torch_avg(x, k, s=None, p=0, ceil_mode=False, count_include_pad=True):
    import torch
    t = torch.tensor(x, requires_grad=True)
    y = torch.nn.functional.avg_pool2d(t, k, s, p, ceil_mode=ceil_mode,
                                       count_include_pad=count_include_pad)
    y.backward(torch.ones_like(y))
    return {"y": y, "gx": t.grad}


def _chainer_avg(x, k, s=None, p=0):
    import numpy
    import chainer
    import chainer.functions as F
    v = chainer.Variable(x)
    y = F.average_pooling_2d(v, k, s, p)
    y.grad = numpy.ones_like(y.array)
    y.backward()
    return {"y": y, "gx": v.grad}


def _tie_inputs():
    ones4 = _np([[[[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]]])
    tie_later = _np([[[[0, 2, 0, 1], [2, 0, 1, 1], [0, 0, 3, 0], [0, 3, 0, 3]]]])
    nan = _np([[[[1, float("nan"), 2, 0], [float("nan"), 0, 5, 5],
                 [0, 0, 0, 0], [0, 0, 0, 0]]]])
    nan3 = _np([[[[float("nan"), 1, float("nan")], [2, float("nan"), 0], [0, 0, 0]]]])
    negative = -_np([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]])
    return ones4, tie_later, nan, nan3, negative


def torch_pool(p):
    import torch
    ones4, tie_later, nan, nan3, negative = _tie_inputs()
    p.step("max.ties_all_equal", lambda: _torch_max(ones4, 2))
    p.step("max.ties_mixed", lambda: _torch_max(tie_later, 2))
    p.step("max.ties_overlapping_stride1", lambda: _torch_max(ones4[..., :3, :3], 2, 1))
    p.step("max.nan", lambda: _torch_max(nan, 2))
    p.step("max.nan_three_in_window", lambda: _torch_max(nan3, 3))
    p.step("max.pad_negative_inputs", lambda: _torch_max(negative, 2, 2, 1))
    p.step("max.pad_negative_inputs_ceil", lambda: _torch_max(negative, 2, 2, 1, True))
    p.step("max.pad_gt_half_kernel", lambda: _torch_max(negative, 2, 2, 2))
    p.step("max.stride_default", lambda: _torch_max(ones4, 2).get("y").shape)
    p.step("max.stride_zero", lambda: _torch_max(ones4, 2, 0))
    p.step("max.pad_negative", lambda: _torch_max(ones4, 2, 2, -1))
    p.step("max.kernel_zero", lambda: _torch_max(ones4, 0))
    p.step("max.kernel_larger_than_input", lambda: _torch_max(ones4, 5))
    p.step("avg.pad_count_include_pad_true", lambda: _torch_avg(ones4[..., :3, :3], 2, 2, 1))
    p.step("avg.pad_count_include_pad_false",
           lambda: _torch_avg(ones4[..., :3, :3], 2, 2, 1, count_include_pad=False))
    p.step("avg.ceil_mode_divisor", lambda: _torch_avg(ones4[..., :3, :3], 2, 2, 0, True))
    p.step("avg.ceil_mode_divisor_pad", lambda: _torch_avg(
        _np([[[[1] * 4] * 4]]), 3, 2, 1, True))
    p.step("avg.pad_gt_half_kernel", lambda: _torch_avg(ones4, 2, 2, 2))
    p.step("avg.kernel_larger_than_input", lambda: _torch_avg(ones4, 5))
    for h, k, s, pad in POOL_SHAPE_CASES:
        x = torch.zeros(1, 1, h, h, dtype=torch.float64).numpy()
        tag = f"shape.H{h}_k{k}_s{s}_p{pad}"
        p.step(tag + ".max_floor", lambda: _torch_max(x, k, s, pad)["y"].shape)
        p.step(tag + ".max_ceil", lambda: _torch_max(x, k, s, pad, True)["y"].shape)
        p.step(tag + ".avg_floor", lambda: _torch_avg(x, k, s, pad)["y"].shape)
        p.step(tag + ".avg_ceil", lambda: _torch_avg(x, k, s, pad, True)["y"].shape)


def chainer_pool(p):
    import numpy as np
    ones4, tie_later, nan, nan3, negative = _tie_inputs()
    p.step("max.ties_all_equal", lambda: _chainer_max(ones4, 2))
    p.step("max.ties_mixed", lambda: _chainer_max(tie_later, 2))
    p.step("max.ties_overlapping_stride1",
           lambda: _chainer_max(ones4[..., :3, :3], 2, 1, cover_all=False))
    p.step("max.nan", lambda: _chainer_max(nan, 2))
    p.step("max.nan_three_in_window", lambda: _chainer_max(nan3, 3))
    p.step("max.pad_negative_inputs", lambda: _chainer_max(negative, 2, 2, 1, False))
    p.step("max.pad_negative_inputs_cover_all", lambda: _chainer_max(negative, 2, 2, 1))
    p.step("max.pad_gt_half_kernel", lambda: _chainer_max(negative, 2, 2, 2, False))
    p.step("max.stride_default", lambda: _chainer_max(ones4, 2)["y"].shape)
    p.step("max.cover_all_default", lambda: _chainer_max(ones4[..., :3, :3], 2)["y"].shape)
    p.step("max.stride_zero", lambda: _chainer_max(ones4, 2, 0))
    p.step("max.pad_negative", lambda: _chainer_max(ones4, 2, 2, -1, False))
    p.step("max.kernel_zero", lambda: _chainer_max(ones4, 0))
    p.step("max.kernel_larger_than_input", lambda: _chainer_max(ones4, 5, cover_all=False))
    p.step("avg.pad", lambda: _chainer_avg(ones4[..., :3, :3], 2, 2, 1))
    p.step("avg.pad_gt_half_kernel", lambda: _chainer_avg(ones4, 2, 2, 2))
    p.step("avg.kernel_larger_than_input", lambda: _chainer_avg(ones4, 5))
    for h, k, s, pad in POOL_SHAPE_CASES:
        x = np.zeros((1, 1, h, h))
        tag = f"shape.H{h}_k{k}_s{s}_p{pad}"
        p.step(tag + ".max_cover_all_false", lambda: _chainer_max(x, k, s, pad, False)["y"].shape)
        p.step(tag + ".max_cover_all_true", lambda: _chainer_max(x, k, s, pad, True)["y"].shape)
        p.step(tag + ".avg", lambda: _chainer_avg(x, k, s, pad)["y"].shape)


# ---------------------------------------------------------------------------
# Running and summarising
# ---------------------------------------------------------------------------

def framework_version(name):
    if name == "torch":
        import torch
        return torch.__version__
    import chainer
    return chainer.__version__


def run(framework):
    conv = torch_conv if framework == "torch" else chainer_conv
    version = framework_version(framework)
    for config in CONV_CONFIGS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = {"shape": list(conv(config))}
            except Exception as exc:  # noqa: BLE001 - recording is the point
                result = exception_record(exc)
        public = {k: v for k, v in config.items() if k not in ("name", "valid")}
        yield {"scenario": "conv2d." + config["name"], "framework": framework,
               "version": version, "config": jsonable(public), "valid": config["valid"],
               "result": result}
    probe = Probe()
    (torch_pool if framework == "torch" else chainer_pool)(probe)
    yield {"scenario": "pool", "framework": framework, "version": version,
           "result": probe.result, "warnings": probe.warnings}


def summary(paths):
    """A table: conv config -> each framework's output shape or exception class."""
    by_config, frameworks = {}, []
    for path in paths:
        with open(path) as handle:
            for line in handle:
                record = json.loads(line)
                label = f"{record['framework']} {record['version']}"
                if label not in frameworks:
                    frameworks.append(label)
                if record["scenario"].startswith("conv2d."):
                    entry = by_config.setdefault(record["scenario"][7:], {"valid": record["valid"]})
                    result = record["result"]
                    entry[label] = (str(tuple(result["shape"])) if "shape" in result
                                    else result["raises"].rsplit(".", 1)[-1])
    print(f"{'config':<38}{'valid':<7}" + "".join(f"{f:<28}" for f in frameworks))
    for name, entry in by_config.items():
        print(f"{name:<38}{str(entry['valid']):<7}"
              + "".join(f"{entry.get(f, '-'):<28}" for f in frameworks))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", choices=["torch", "chainer"])
    parser.add_argument("--summary", nargs="+", metavar="JSONL",
                        help="print a table of the conv records in these files instead")
    args = parser.parse_args(argv)
    if args.summary:
        summary(args.summary)
        return 0
    if not args.framework:
        parser.error("give --framework or --summary")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # import-time deprecation noise
        framework_version(args.framework)
    for record in run(args.framework):
        sys.stdout.write(json.dumps(record, allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
