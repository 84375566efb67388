"""Error inputs: calls of an op subject that a framework refuses, as data.

The exception class is part of the semantics: refimpl raises, under a framework's policy,
the class that framework raises (policy field ``error_classes``, by the ``kind`` of bad
argument; ``invalid_argument_errors`` for the few with a framework's own message), and the
property ``errors.exception_class`` checks it call by call. Each record is one call in
refimpl's signature of its subject (the op's binding in each plugin translates it):
``inputs`` are the arrays (converted to the framework's tensors in their own dtype),
``kwargs`` the other arguments, passed as they are (a Python value of the wrong type stays
one). A framework that does not raise there is part of the verdict too: refimpl must not
raise either.
"""
import dataclasses

import numpy

from .strategies import Sample


@dataclasses.dataclass(frozen=True)
class ErrorInput:
    """``subject(**sample.inputs, **sample.kwargs)`` is bad in the way ``kind`` names
    ('shape', 'axis', 'repeated_axis', 'index', 'dtype', 'value', 'empty_axis', 'type':
    a Python value of the wrong type; or a kind of the policy field ``error_classes`` for a
    check a framework does its own way: 'permute_axis', 'unchecked_shape', 'gather_index',
    'spatial_shape', 'empty_output', 'kernel_dtype').

    ``in_array_data``: the bad value is inside an array argument (an out-of-range index in an
    index array), which a framework on a GPU may find only inside a kernel, with a device-side
    assert (``Plugin.device_side_asserts``)."""

    name: str
    subject: str
    sample: Sample
    kind: str
    in_array_data: bool = False


def a(*shape, dtype=numpy.float32):
    """1, 2, 3, ... in ``shape`` (an empty array for a 0 in it)."""
    return numpy.arange(float(numpy.prod(shape) or 0), dtype=dtype).reshape(shape) + 1


def _call(name, subject, kind, inputs, *, in_array_data=False, **kwargs):
    return ErrorInput(name, subject, Sample(inputs, kwargs), kind, in_array_data)


C64, I64 = numpy.complex64, numpy.int64

ERROR_INPUTS = (
    # --- shapes that do not fit ------------------------------------------------------------
    _call("add_shape", "add", "shape", {"a": a(2, 3), "b": a(4)}),
    _call("mul_shape", "mul", "shape", {"a": a(2, 3), "b": a(3, 2)}),
    _call("sub_shape", "sub", "shape", {"a": a(5), "b": a(4)}),
    _call("div_shape", "div", "shape", {"a": a(2, 2), "b": a(3)}),
    _call("pow_shape", "pow", "shape", {"a": a(2), "b": a(3)}),
    _call("matmul_shape", "matmul", "shape", {"a": a(2, 3), "b": a(2, 3)}),
    _call("matmul_0d", "matmul", "shape", {"a": a(), "b": a(3)}),
    _call("dot_length", "dot", "shape", {"a": a(2), "b": a(3)}),
    _call("concat_shape", "concat", "shape", {"xs": [a(2, 3), a(3, 4)]}, axis=0),
    _call("stack_shape", "stack", "shape", {"xs": [a(2), a(3)]}),
    _call("reshape_size", "reshape", "shape", {"x": a(2, 3)}, shape=(4, 2)),
    _call("broadcast_to_shape", "broadcast_to", "shape", {"x": a(2, 3)}, shape=(3, 3)),
    _call("where_shape", "where", "shape", {"x": a(2, 3), "y": a(4)},
          condition=numpy.ones((2, 3), bool)),
    # --- axes out of range -----------------------------------------------------------------
    _call("sum_axis", "sum", "axis", {"x": a(2, 3)}, axis=2),
    _call("sum_axis_negative", "sum", "axis", {"x": a(2, 3)}, axis=-3),
    _call("sum_axis_repeated", "sum", "repeated_axis", {"x": a(2, 3)}, axis=(0, 0)),
    _call("mean_axis", "mean", "axis", {"x": a(2, 3)}, axis=5),
    _call("max_axis", "max-axis", "axis", {"x": a(2, 3)}, axis=2),
    _call("min_axis", "min-axis", "axis", {"x": a(2, 3)}, axis=-3),
    _call("logsumexp_axis", "logsumexp", "axis", {"x": a(2, 3)}, axis=2),
    _call("softmax_axis", "softmax", "axis", {"x": a(2, 3)}, axis=2),
    _call("log_softmax_axis", "log_softmax", "axis", {"x": a(2, 3)}, axis=-3),
    _call("topk_axis", "topk", "axis", {"x": a(2, 3)}, k=1, axis=2),
    _call("concat_axis", "concat", "axis", {"xs": [a(2, 3), a(2, 3)]}, axis=2),
    _call("stack_axis", "stack", "axis", {"xs": [a(2), a(2)]}, axis=3),
    _call("squeeze_axis", "squeeze", "axis", {"x": a(1, 3)}, axis=2),
    _call("expand_dims_axis", "expand_dims", "axis", {"x": a(2)}, axis=3),
    _call("transpose_not_permutation", "transpose", "repeated_axis", {"x": a(2, 3)},
          axes=(0, 0)),
    _call("transpose_axes", "transpose", "permute_axis", {"x": a(2, 3)}, axes=(0, 2)),
    _call("swapaxes_axis", "swapaxes", "permute_axis", {"x": a(2, 3)}, axis1=0, axis2=2),
    # --- indices out of range --------------------------------------------------------------
    _call("getitem_int", "getitem", "index", {"x": a(3)}, key=5),
    _call("getitem_negative", "getitem", "index", {"x": a(3)}, key=-4),
    _call("getitem_too_many", "getitem", "index", {"x": a(3)}, key=(0, 0)),
    _call("getitem_array", "getitem-advanced", "index", {"x": a(3)}, key=numpy.array([0, 3]),
          in_array_data=True),
    # --- dtypes an op does not take --------------------------------------------------------
    _call("relu_complex", "relu", "dtype", {"x": a(2, dtype=C64)}),
    _call("max_complex", "max", "dtype", {"x": a(2, dtype=C64)}),
    _call("clip_complex", "clip", "dtype", {"x": a(2, dtype=C64)}, x_min=0.0, x_max=1.0),
    _call("leaky_relu_complex", "leaky_relu", "dtype", {"x": a(2, dtype=C64)},
          negative_slope=0.1),
    _call("mean_int", "mean", "dtype", {"x": a(2, dtype=I64)}),
    _call("matmul_dtypes", "matmul", "dtype", {"a": a(2, 2), "b": a(2, 2, dtype=numpy.float64)}),
    _call("where_condition_float", "where", "dtype", {"x": a(2), "y": a(2)},
          condition=numpy.ones(2)),
    # --- values out of range ---------------------------------------------------------------
    _call("topk_k", "topk", "value", {"x": a(3)}, k=4),
    _call("max_empty", "max", "value", {"x": a(0)}),
    _call("max_empty_axis", "max-axis", "empty_axis", {"x": a(2, 0)}, axis=1),
    # --- wrong Python types ----------------------------------------------------------------
    _call("sum_axis_float", "sum", "type", {"x": a(2, 3)}, axis=1.0),
    _call("sum_axis_str", "sum", "type", {"x": a(2, 3)}, axis="0"),
    _call("add_str", "add", "type", {"a": a(2)}, b="x"),
    _call("mul_none", "mul", "type", {"a": a(2)}, b=None),
    _call("expand_dims_float", "expand_dims", "type", {"x": a(2)}, axis=0.5),
    # --- shape and maths ops (issue 17, ops_shape2) ----------------------------------------
    _call("diagonal_same_axes", "diagonal", "repeated_axis", {"x": a(2, 3)}, axis1=1, axis2=1),
    _call("diagonal_axis", "diagonal", "axis", {"x": a(2, 3)}, axis1=0, axis2=2),
    _call("normalize_int", "normalize", "dtype", {"x": a(2, 2, dtype=I64)}),
    _call("depth2space_channels", "depth2space", "value", {"x": a(1, 3, 2, 2)}, r=2),
    _call("space2depth_size", "space2depth", "value", {"x": a(1, 1, 3, 3)}, r=2),
    _call("average_weights_shape", "average", "shape", {"x": a(2, 3), "weights": a(2)},
          axis=1),
    # --- the op subjects that had none (issue 15): axes out of range ------------------------
    _call("argmax_axis", "argmax", "axis", {"x": a(2, 3)}, axis=2),
    _call("argmax_empty_axis", "argmax", "empty_axis", {"x": a(2, 0)}, axis=1),
    _call("argmin_axis_negative", "argmin", "axis", {"x": a(2, 3)}, axis=-3),
    _call("argmin_empty", "argmin", "empty_axis", {"x": a(0)}),
    _call("min_all_axis", "min", "axis", {"x": a(2, 3)}, axis=2),
    _call("min_all_axis_repeated", "min", "repeated_axis", {"x": a(2, 3)}, axis=(1, 1)),
    _call("min_all_empty", "min", "value", {"x": a(0)}),
    _call("prod_axis", "prod", "axis", {"x": a(2, 3)}, axis=2),
    _call("prod_axis_negative", "prod", "axis", {"x": a(2, 3)}, axis=-3),
    _call("cumsum_axis", "cumsum", "axis", {"x": a(2, 3)}, axis=2),
    _call("cumsum_axis_float", "cumsum", "type", {"x": a(2)}, axis=0.5),
    _call("cumprod_axis", "cumprod", "axis", {"x": a(2, 3)}, axis=-3),
    _call("flip_axis", "flip", "axis", {"x": a(2, 3)}, axis=2),
    _call("moveaxis_source", "moveaxis", "axis", {"x": a(2, 3)}, source=2, destination=0),
    _call("moveaxis_repeated", "moveaxis", "repeated_axis", {"x": a(2, 3, 4)}, source=(0, 0),
          destination=(1, 2)),
    _call("moveaxis_lengths", "moveaxis", "value", {"x": a(2, 3)}, source=(0, 1),
          destination=(1,)),
    _call("permute_repeated", "permute", "repeated_axis", {"x": a(2, 3)}, dims=(1, 1)),
    _call("permute_axis", "permute", "permute_axis", {"x": a(2, 3)}, dims=(0, 2)),
    _call("permute_length", "permute", "value", {"x": a(2, 3)}, dims=(0,)),
    _call("unsqueeze_axis", "unsqueeze", "axis", {"x": a(2)}, axis=3),
    _call("unsqueeze_axis_negative", "unsqueeze", "axis", {"x": a(2)}, axis=-3),
    _call("cat_axis", "cat", "axis", {"xs": [a(2, 3), a(2, 3)]}, axis=2),
    _call("cat_shape", "cat", "shape", {"xs": [a(2, 3), a(3, 4)]}, axis=0),
    _call("cat_ndim", "cat", "shape", {"xs": [a(2, 3), a(2, 3, 1)]}, axis=0),
    _call("split_axis", "split", "axis", {"x": a(4)}, indices_or_sections=2, axis=1),
    _call("split_negative", "split", "value", {"x": a(4)}, indices_or_sections=-1),
    # -x of a bool array: torch 2.13 RuntimeError, 2.14 and 2.15 NotImplementedError, chainer
    # NumPy's TypeError (kind 'bool_neg')
    _call("neg_bool", "neg", "bool_neg", {"x": numpy.array([True, False])}),
    # an int that does not divide the axis: torch's last piece is smaller, chainer refuses
    _call("split_unequal", "split", "shape", {"x": a(5)}, indices_or_sections=2),
    _call("repeat_axis", "repeat", "permute_axis", {"x": a(2)}, repeats=2, axis=1),
    _call("repeat_negative", "repeat", "value", {"x": a(2)}, repeats=-1),
    _call("repeat_list", "repeat", "type", {"x": a(3)}, repeats=[1, 2], axis=0),
    _call("tile_negative", "tile", "value", {"x": a(2)}, reps=-1),
    _call("tile_float", "tile", "type", {"x": a(2)}, reps=1.5),
    _call("softmin_axis", "softmin", "axis", {"x": a(2, 3)}, axis=2),
    _call("glu_axis", "glu", "axis", {"x": a(2, 4)}, axis=2),
    _call("glu_odd", "glu", "value", {"x": a(2, 3)}, axis=1),
    _call("crelu_axis", "crelu", "axis", {"x": a(2, 3)}, axis=2),
    # --- operands that do not fit ----------------------------------------------------------
    _call("maximum_shape", "maximum", "shape", {"a": a(2, 3), "b": a(4)}),
    _call("maximum_str", "maximum", "type", {"a": a(2)}, b="x"),
    _call("minimum_shape", "minimum", "shape", {"a": a(2), "b": a(3)}),
    _call("fmod_shape", "fmod", "unchecked_shape", {"a": a(2, 3), "b": a(2)}),
    _call("arctan2_shape", "arctan2", "unchecked_shape", {"a": a(3), "b": a(2)}),
    _call("lerp_shape", "lerp", "shape", {"start": a(2, 3), "end": a(4), "weight": a(2, 3)}),
    _call("lerp_weight_int", "lerp", "dtype",
          {"start": a(2), "end": a(2), "weight": a(2, dtype=I64)}),
    _call("bmm_inner", "bmm", "shape", {"a": a(2, 2, 3), "b": a(2, 2, 3)}),
    _call("bmm_batch", "bmm", "shape", {"a": a(2, 2, 3), "b": a(3, 3, 2)}),
    _call("tensordot_sizes", "tensordot", "unchecked_shape", {"a": a(2, 3), "b": a(2, 3)},
          axes=1),
    _call("einsum_sizes", "einsum", "shape", {"operands": [a(2, 3), a(2, 2)]},
          subscripts="ij,jk->ik"),
    _call("einsum_operands", "einsum", "value", {"operands": [a(2, 3), a(3, 2)]},
          subscripts="ij->ij"),
    _call("einsum_output_letter", "einsum", "value", {"operands": [a(2, 3)]}, subscripts="ij->k"),
    _call("where_scalar_shape", "where-scalar", "shape", {"x": a(2, 3)}, y=0.0,
          condition=numpy.ones((4,), bool)),
    _call("select_item_rows", "select_item", "shape", {"x": a(2, 3)},
          t=numpy.array([0, 1, 2], numpy.int32)),
    _call("select_item_ndim", "select_item", "shape", {"x": a(2, 3, 1)},
          t=numpy.array([0, 1], numpy.int32)),
    _call("select_item_label", "select_item", "gather_index", {"x": a(2, 3)},
          t=numpy.array([0, 3], numpy.int32), in_array_data=True),
    _call("scatter_add_rows", "scatter_add", "unchecked_shape", {"a": a(3), "b": a(2)},
          indices=numpy.array([0, 1, 2], numpy.int32)),
    _call("scatter_add_index", "scatter_add", "index", {"a": a(3), "b": a(2)},
          indices=numpy.array([0, 3], numpy.int32), in_array_data=True),
    _call("pad_axes", "pad", "value", {"x": a(2, 3)}, pad_width=((1, 1), (1, 1), (1, 1)),
          mode="constant"),
    _call("im2col_kernel", "im2col", "empty_output", {"x": a(1, 1, 3, 3)}, ksize=4),
    _call("resize_images_ndim", "resize_images", "spatial_shape", {"x": a(3, 3)},
          output_shape=(4, 4), align_corners=True),
    _call("affine_grid_theta", "affine_grid", "spatial_shape", {"theta": a(1, 3, 3)},
          output_shape=(2, 2)),
    _call("grid_sample_batch", "grid_sample", "shape", {"x": a(1, 1, 3, 3), "grid": a(2, 2, 2, 2)}),
    # --- values and Python types -----------------------------------------------------------
    _call("polygamma_negative", "polygamma", "value", {"x": a(2)}, n=-1),
    _call("polygamma_float", "polygamma", "type", {"x": a(2)}, n=1.5),
    _call("gelu_approximate", "gelu", "value", {"x": a(2)}, approximate="x"),
    _call("celu_alpha", "celu", "value", {"x": a(2)}, alpha=0.0),
    _call("softshrink_negative", "softshrink", "value", {"x": a(2)}, lambd=-1.0),
    _call("hardtanh_bounds", "hardtanh", "value", {"x": a(2)}, min_val=1.0, max_val=-1.0),
    _call("hardshrink_str", "hardshrink", "type", {"x": a(2)}, lambd="x"),
    _call("clipped_relu_str", "clipped_relu", "type", {"x": a(2)}, z="x"),
    _call("add_scalar_str", "add-scalar", "type", {"a": a(2)}, b="x"),
    _call("sub_scalar_none", "sub-scalar", "type", {"a": a(2)}, b=None),
    _call("mul_scalar_str", "mul-scalar", "type", {"a": a(2)}, b="x"),
    _call("div_scalar_none", "div-scalar", "type", {"a": a(2)}, b=None),
    _call("pow_scalar_str", "pow-scalar", "type", {"a": a(2)}, b="x"),
    _call("pow_int_exponent_none", "pow-int_exponent", "type", {"a": a(2)}, b=None),
    # --- dtypes without a kernel ('kernel_dtype': torch NotImplementedError) ---------------
    _call("elu_int", "elu", "kernel_dtype", {"x": a(2, dtype=I64)}),
    _call("selu_complex", "selu", "kernel_dtype", {"x": a(2, dtype=C64)}),
    _call("softplus_int", "softplus", "kernel_dtype", {"x": a(2, dtype=I64)}),
    _call("hard_sigmoid_complex", "hard_sigmoid", "kernel_dtype", {"x": a(2, dtype=C64)}),
    _call("silu_int", "silu", "kernel_dtype", {"x": a(2, dtype=I64)}),
    _call("relu6_complex", "relu6", "kernel_dtype", {"x": a(2, dtype=C64)}),
    _call("log_sigmoid_int", "log_sigmoid", "kernel_dtype", {"x": a(2, dtype=I64)}),
    _call("mish_complex", "mish", "kernel_dtype", {"x": a(2, dtype=C64)}),
    _call("hardswish_int", "hardswish", "kernel_dtype", {"x": a(2, dtype=I64)}),
    _call("rrelu_complex", "rrelu", "kernel_dtype", {"x": a(2, dtype=C64)}),
    _call("gelu_int", "gelu", "kernel_dtype", {"x": a(2, dtype=I64)}),
    _call("erf_complex", "erf", "kernel_dtype", {"x": a(2, dtype=C64)}),
    _call("erfc_complex", "erfc", "kernel_dtype", {"x": a(2, dtype=C64)}),
    _call("erfinv_complex", "erfinv", "kernel_dtype", {"x": a(2, dtype=C64)}),
    _call("lgamma_complex", "lgamma", "kernel_dtype", {"x": a(2, dtype=C64)}),
    _call("digamma_complex", "digamma", "kernel_dtype", {"x": a(2, dtype=C64)}),
    _call("abs_bool", "abs", "kernel_dtype", {"x": numpy.array([True, False])}),
    _call("softsign_bool", "softsign", "kernel_dtype", {"x": numpy.array([True, False])}),
    # --- more values and types --------------------------------------------------------------
    _call("pad_reflect_empty_axis", "pad-reflect", "value", {"x": a(1, 1, 0)},
          pad_width=((0, 0), (0, 0), (1, 1)), mode="reflect"),
    _call("pad_reflect_pairs", "pad-reflect", "value", {"x": a(1, 1, 3)},
          pad_width=((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect"),
    _call("cast_unknown_dtype", "cast", "type", {"x": a(2)}, dtype="float128x"),
)


def for_subject(subject):
    """The error inputs of op ``subject``."""
    return [item for item in ERROR_INPUTS if item.subject == subject]


def subjects_with_error_inputs():
    """The op subjects that have error inputs, in registry order of first appearance."""
    return list(dict.fromkeys(item.subject for item in ERROR_INPUTS))
