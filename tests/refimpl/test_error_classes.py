"""Exception classes are semantics: for each bad input refimpl must raise the class the
framework raises (policy field ``error_classes``), torch under the torch policy and chainer
under the chainer policy. A framework that does not raise (or lacks the op) gives no row.

Agreement over the table: ``python tests/refimpl/test_error_classes.py``.
"""
import sys
import warnings

import numpy as np
import pytest

import refimpl
import refimpl.functions as F


def a(*shape, dtype=np.float32):
    return np.arange(float(np.prod(shape) or 0), dtype=dtype).reshape(shape) + 1


# (name, refimpl call, torch call, chainer call or None). Each takes the module (F, torch,
# chainer) and builds its own inputs from NumPy arrays.
def _torch(t, array):
    return t.tensor(array)


def _chainer(c, array):
    return c.Variable(array)


TABLE = [
    # --- shapes that do not fit ----------------------------------------------------------
    ("add_shape", lambda F, V: F.add(V(a(2, 3)), V(a(4))),
     lambda t, T: T(a(2, 3)) + T(a(4)), lambda c, V: c.functions.add(V(a(2, 3)), V(a(4)))),
    ("mul_shape", lambda F, V: F.mul(V(a(2, 3)), V(a(3, 2))),
     lambda t, T: T(a(2, 3)) * T(a(3, 2)), lambda c, V: V(a(2, 3)) * V(a(3, 2))),
    ("sub_shape", lambda F, V: F.sub(V(a(5)), V(a(4))),
     lambda t, T: T(a(5)) - T(a(4)), lambda c, V: V(a(5)) - V(a(4))),
    ("div_shape", lambda F, V: F.div(V(a(2, 2)), V(a(3))),
     lambda t, T: T(a(2, 2)) / T(a(3)), lambda c, V: V(a(2, 2)) / V(a(3))),
    ("pow_shape", lambda F, V: F.pow(V(a(2)), V(a(3))),
     lambda t, T: T(a(2)) ** T(a(3)), lambda c, V: V(a(2)) ** V(a(3))),
    ("matmul_shape", lambda F, V: F.matmul(V(a(2, 3)), V(a(2, 3))),
     lambda t, T: T(a(2, 3)) @ T(a(2, 3)), lambda c, V: c.functions.matmul(V(a(2, 3)), V(a(2, 3)))),
    ("matmul_0d", lambda F, V: F.matmul(V(a()), V(a(3))),
     lambda t, T: t.matmul(T(a()), T(a(3))), None),
    ("dot_2d", lambda F, V: F.dot(V(a(2, 2)), V(a(2))),
     lambda t, T: t.dot(T(a(2, 2)), T(a(2))), None),
    ("dot_length", lambda F, V: F.dot(V(a(2)), V(a(3))),
     lambda t, T: t.dot(T(a(2)), T(a(3))), None),
    ("concat_shape", lambda F, V: F.concat([V(a(2, 3)), V(a(3, 4))], 0),
     lambda t, T: t.cat([T(a(2, 3)), T(a(3, 4))], 0),
     lambda c, V: c.functions.concat([V(a(2, 3)), V(a(3, 4))], 0)),
    ("concat_ndim", lambda F, V: F.concat([V(a(2, 3)), V(a(2, 3, 1))], 0),
     lambda t, T: t.cat([T(a(2, 3)), T(a(2, 3, 1))], 0),
     lambda c, V: c.functions.concat([V(a(2, 3)), V(a(2, 3, 1))], 0)),
    ("stack_shape", lambda F, V: F.stack([V(a(2)), V(a(3))]),
     lambda t, T: t.stack([T(a(2)), T(a(3))]), lambda c, V: c.functions.stack([V(a(2)), V(a(3))])),
    ("reshape_size", lambda F, V: F.reshape(V(a(2, 3)), (4, 2)),
     lambda t, T: T(a(2, 3)).reshape(4, 2), lambda c, V: c.functions.reshape(V(a(2, 3)), (4, 2))),
    ("reshape_two_minus_one", lambda F, V: F.reshape(V(a(2, 3)), (-1, -1)),
     lambda t, T: T(a(2, 3)).reshape(-1, -1), lambda c, V: c.functions.reshape(V(a(2, 3)), (-1, -1))),
    ("broadcast_to_shape", lambda F, V: F.broadcast_to(V(a(2, 3)), (3, 3)),
     lambda t, T: T(a(2, 3)).expand(3, 3), lambda c, V: c.functions.broadcast_to(V(a(2, 3)), (3, 3))),
    ("where_shape", lambda F, V: F.where(np.ones((2, 3), bool), V(a(2, 3)), V(a(4))),
     lambda t, T: t.where(t.ones(2, 3, dtype=bool), T(a(2, 3)), T(a(4))),
     lambda c, V: c.functions.where(np.ones((2, 3), bool), V(a(2, 3)), V(a(4)))),
    ("linear_shape", lambda F, V: F.linear(V(a(2, 3)), V(a(4, 5))),
     lambda t, T: t.nn.functional.linear(T(a(2, 3)), T(a(4, 5))),
     lambda c, V: c.functions.linear(V(a(2, 3)), V(a(4, 5)))),
    ("mse_shape_batch", lambda F, V: F.mean_squared_error(V(a(2, 3)), V(a(3, 3))),
     None, lambda c, V: c.functions.mean_squared_error(V(a(2, 3)), V(a(3, 3)))),
    ("split_sizes", lambda F, V: F.split(V(a(5)), [2, 2]),
     lambda t, T: t.split(T(a(5)), [2, 2]), None),
    # --- axes out of range ---------------------------------------------------------------
    ("sum_axis", lambda F, V: F.sum(V(a(2, 3)), 2),
     lambda t, T: T(a(2, 3)).sum(2), lambda c, V: c.functions.sum(V(a(2, 3)), 2)),
    ("sum_axis_negative", lambda F, V: F.sum(V(a(2, 3)), -3),
     lambda t, T: T(a(2, 3)).sum(-3), lambda c, V: c.functions.sum(V(a(2, 3)), -3)),
    ("sum_axis_repeated", lambda F, V: F.sum(V(a(2, 3)), (0, 0)),
     lambda t, T: T(a(2, 3)).sum((0, 0)), lambda c, V: c.functions.sum(V(a(2, 3)), (0, 0))),
    ("mean_axis", lambda F, V: F.mean(V(a(2, 3)), 5),
     lambda t, T: T(a(2, 3)).mean(5), lambda c, V: c.functions.mean(V(a(2, 3)), 5)),
    ("max_axis", lambda F, V: F.max(V(a(2, 3)), 2),
     lambda t, T: t.max(T(a(2, 3)), 2), lambda c, V: c.functions.max(V(a(2, 3)), 2)),
    ("min_axis", lambda F, V: F.min(V(a(2, 3)), -3),
     lambda t, T: t.min(T(a(2, 3)), -3), lambda c, V: c.functions.min(V(a(2, 3)), -3)),
    ("argmax_axis", lambda F, V: F.argmax(V(a(2, 3)), 2),
     lambda t, T: t.argmax(T(a(2, 3)), 2), lambda c, V: c.functions.argmax(V(a(2, 3)), 2)),
    ("argmin_axis", lambda F, V: F.argmin(V(a(2, 3)), 3),
     lambda t, T: t.argmin(T(a(2, 3)), 3), lambda c, V: c.functions.argmin(V(a(2, 3)), 3)),
    ("logsumexp_axis", lambda F, V: F.logsumexp(V(a(2, 3)), 2),
     lambda t, T: t.logsumexp(T(a(2, 3)), 2), lambda c, V: c.functions.logsumexp(V(a(2, 3)), 2)),
    ("softmax_axis", lambda F, V: F.softmax(V(a(2, 3)), 2),
     lambda t, T: t.softmax(T(a(2, 3)), 2), lambda c, V: c.functions.softmax(V(a(2, 3)), 2)),
    ("log_softmax_axis", lambda F, V: F.log_softmax(V(a(2, 3)), -3),
     lambda t, T: t.log_softmax(T(a(2, 3)), -3), lambda c, V: c.functions.log_softmax(V(a(2, 3)), -3)),
    ("topk_axis", lambda F, V: F.topk(V(a(2, 3)), 1, 2),
     lambda t, T: t.topk(T(a(2, 3)), 1, 2), None),
    ("concat_axis", lambda F, V: F.concat([V(a(2, 3)), V(a(2, 3))], 2),
     lambda t, T: t.cat([T(a(2, 3)), T(a(2, 3))], 2),
     lambda c, V: c.functions.concat([V(a(2, 3)), V(a(2, 3))], 2)),
    ("stack_axis", lambda F, V: F.stack([V(a(2)), V(a(2))], 3),
     lambda t, T: t.stack([T(a(2)), T(a(2))], 3), lambda c, V: c.functions.stack([V(a(2)), V(a(2))], 3)),
    ("split_axis", lambda F, V: F.split(V(a(4)), 2, 1),
     lambda t, T: t.split(T(a(4)), 2, 1), lambda c, V: c.functions.split_axis(V(a(4)), 2, 1)),
    ("squeeze_axis", lambda F, V: F.squeeze(V(a(1, 3)), 2),
     lambda t, T: t.squeeze(T(a(1, 3)), 2), lambda c, V: c.functions.squeeze(V(a(1, 3)), 2)),
    ("expand_dims_axis", lambda F, V: F.expand_dims(V(a(2)), 3),
     lambda t, T: t.unsqueeze(T(a(2)), 3), lambda c, V: c.functions.expand_dims(V(a(2)), 3)),
    ("swapaxes_axis", lambda F, V: F.swapaxes(V(a(2, 3)), 0, 2),
     lambda t, T: t.swapaxes(T(a(2, 3)), 0, 2), lambda c, V: c.functions.swapaxes(V(a(2, 3)), 0, 2)),
    ("transpose_axes", lambda F, V: F.transpose(V(a(2, 3)), (0, 2)),
     lambda t, T: T(a(2, 3)).permute(0, 2), lambda c, V: c.functions.transpose(V(a(2, 3)), (0, 2))),
    ("transpose_not_permutation", lambda F, V: F.transpose(V(a(2, 3)), (0, 0)),
     lambda t, T: T(a(2, 3)).permute(0, 0), lambda c, V: c.functions.transpose(V(a(2, 3)), (0, 0))),
    # --- indices out of range ------------------------------------------------------------
    ("getitem_int", lambda F, V: F.getitem(V(a(3)), 5),
     lambda t, T: T(a(3))[5], lambda c, V: V(a(3))[5]),
    ("getitem_negative", lambda F, V: F.getitem(V(a(3)), -4),
     lambda t, T: T(a(3))[-4], lambda c, V: V(a(3))[-4]),
    ("getitem_too_many", lambda F, V: F.getitem(V(a(3)), (0, 0)),
     lambda t, T: T(a(3))[0, 0], lambda c, V: V(a(3))[0, 0]),
    ("getitem_array", lambda F, V: F.getitem(V(a(3)), np.array([0, 3])),
     lambda t, T: T(a(3))[t.tensor([0, 3])], lambda c, V: V(a(3))[np.array([0, 3])]),
    ("getitem_mask_shape", lambda F, V: F.getitem(V(a(3)), np.array([True, False])),
     lambda t, T: T(a(3))[t.tensor([True, False])], lambda c, V: V(a(3))[np.array([True, False])]),
    ("getitem_float_index", lambda F, V: F.getitem(V(a(3)), np.array([0.0])),
     lambda t, T: T(a(3))[t.tensor([0.0])], lambda c, V: V(a(3))[np.array([0.0])]),
    ("cross_entropy_label", lambda F, V: F.softmax_cross_entropy(V(a(2, 3)), np.array([0, 3])),
     lambda t, T: t.nn.functional.cross_entropy(T(a(2, 3)), t.tensor([0, 3])), None),
    # --- dtypes an op does not take ------------------------------------------------------
    ("relu_complex", lambda F, V: F.relu(V(a(2, dtype=np.complex64))),
     lambda t, T: t.relu(T(a(2, dtype=np.complex64))), lambda c, V: c.functions.relu(V(a(2, dtype=np.complex64)))),
    ("max_complex", lambda F, V: F.max(V(a(2, dtype=np.complex64))),
     lambda t, T: t.max(T(a(2, dtype=np.complex64))), lambda c, V: c.functions.max(V(a(2, dtype=np.complex64)))),
    ("argmax_complex", lambda F, V: F.argmax(V(a(2, dtype=np.complex64))),
     lambda t, T: t.argmax(T(a(2, dtype=np.complex64))),
     lambda c, V: c.functions.argmax(V(a(2, dtype=np.complex64)))),
    ("clip_complex", lambda F, V: F.clip(V(a(2, dtype=np.complex64)), 0.0, 1.0),
     lambda t, T: t.clamp(T(a(2, dtype=np.complex64)), 0.0, 1.0),
     lambda c, V: c.functions.clip(V(a(2, dtype=np.complex64)), 0.0, 1.0)),
    ("topk_complex", lambda F, V: F.topk(V(a(2, dtype=np.complex64)), 1),
     lambda t, T: t.topk(T(a(2, dtype=np.complex64)), 1), None),
    ("leaky_relu_complex", lambda F, V: F.leaky_relu(V(a(2, dtype=np.complex64)), 0.1),
     lambda t, T: t.nn.functional.leaky_relu(T(a(2, dtype=np.complex64)), 0.1),
     lambda c, V: c.functions.leaky_relu(V(a(2, dtype=np.complex64)), 0.1)),
    ("exp_int", lambda F, V: F.exp(V(a(2, dtype=np.int64))),
     None, lambda c, V: c.functions.exp(V(a(2, dtype=np.int64)))),
    ("mean_int", lambda F, V: F.mean(V(a(2, dtype=np.int64))),
     lambda t, T: t.mean(T(a(2, dtype=np.int64))), lambda c, V: c.functions.mean(V(a(2, dtype=np.int64)))),
    ("matmul_dtypes", lambda F, V: F.matmul(V(a(2, 2)), V(a(2, 2, dtype=np.float64))),
     lambda t, T: T(a(2, 2)) @ T(a(2, 2, dtype=np.float64)),
     lambda c, V: c.functions.matmul(V(a(2, 2)), V(a(2, 2, dtype=np.float64)))),
    ("linear_dtypes", lambda F, V: F.linear(V(a(2, 2)), V(a(2, 2, dtype=np.float64))),
     lambda t, T: t.nn.functional.linear(T(a(2, 2)), T(a(2, 2, dtype=np.float64))), None),
    ("cross_entropy_int32_label", lambda F, V: F.softmax_cross_entropy(V(a(2, 3)), np.array([0, 1], np.int32)),
     lambda t, T: t.nn.functional.cross_entropy(T(a(2, 3)), t.tensor([0, 1], dtype=t.int32)), None),
    ("where_condition_float", lambda F, V: F.where(np.ones(2), V(a(2)), V(a(2))),
     lambda t, T: t.where(t.ones(2), T(a(2)), T(a(2))), lambda c, V: c.functions.where(np.ones(2), V(a(2)), V(a(2)))),
    # --- values out of range -------------------------------------------------------------
    ("topk_k", lambda F, V: F.topk(V(a(3)), 4), lambda t, T: t.topk(T(a(3)), 4), None),
    ("max_empty", lambda F, V: F.max(V(a(0))), lambda t, T: t.max(T(a(0))),
     lambda c, V: c.functions.max(V(a(0)))),
    ("max_empty_axis", lambda F, V: F.max(V(a(2, 0)), 1), lambda t, T: t.max(T(a(2, 0)), 1),
     lambda c, V: c.functions.max(V(a(2, 0)), 1)),
    ("argmax_empty", lambda F, V: F.argmax(V(a(0))), lambda t, T: t.argmax(T(a(0))),
     lambda c, V: c.functions.argmax(V(a(0)))),
    ("neg_bool", lambda F, V: F.neg(V(np.array([True, False]))),
     lambda t, T: -T(np.array([True, False])), lambda c, V: -V(np.array([True, False]))),
    ("split_unequal", lambda F, V: F.split(V(a(5)), 2, 0), None,
     lambda c, V: c.functions.split_axis(V(a(5)), 2, 0)),
    ("split_sections", lambda F, V: F.split(V(a(5)), 0),
     lambda t, T: t.split(T(a(5)), 0), lambda c, V: c.functions.split_axis(V(a(5)), 0, 0)),
    ("clip_bounds", lambda F, V: F.clip(V(a(3)), 2.0, 1.0), None,
     lambda c, V: c.functions.clip(V(a(3)), 2.0, 1.0)),
    ("max_pool_pad", lambda F, V: F.max_pool2d(V(a(1, 1, 4, 4)), 2, 2, 2),
     lambda t, T: t.nn.functional.max_pool2d(T(a(1, 1, 4, 4)), 2, 2, 2), None),
    ("max_pool_kernel", lambda F, V: F.max_pool2d(V(a(1, 1, 4, 4)), 0),
     lambda t, T: t.nn.functional.max_pool2d(T(a(1, 1, 4, 4)), 0), None),
    ("conv_channels", lambda F, V: F.conv2d(V(a(1, 2, 4, 4)), V(a(1, 3, 3, 3))),
     lambda t, T: t.nn.functional.conv2d(T(a(1, 2, 4, 4)), T(a(1, 3, 3, 3))),
     lambda c, V: c.functions.convolution_2d(V(a(1, 2, 4, 4)), V(a(1, 3, 3, 3)))),
    # --- wrong Python types --------------------------------------------------------------
    ("sum_axis_float", lambda F, V: F.sum(V(a(2, 3)), 1.0),
     lambda t, T: T(a(2, 3)).sum(1.0), lambda c, V: c.functions.sum(V(a(2, 3)), 1.0)),
    ("sum_axis_str", lambda F, V: F.sum(V(a(2, 3)), "0"),
     lambda t, T: T(a(2, 3)).sum("0"), lambda c, V: c.functions.sum(V(a(2, 3)), "0")),
    ("reshape_float", lambda F, V: F.reshape(V(a(2, 3)), (3.0, 2)),
     lambda t, T: T(a(2, 3)).reshape(3.0, 2), lambda c, V: c.functions.reshape(V(a(2, 3)), (3.0, 2))),
    ("add_str", lambda F, V: F.add(V(a(2)), "x"),
     lambda t, T: T(a(2)) + "x", lambda c, V: V(a(2)) + "x"),
    ("mul_none", lambda F, V: F.mul(V(a(2)), None),
     lambda t, T: T(a(2)) * None, lambda c, V: V(a(2)) * None),
    ("getitem_str", lambda F, V: F.getitem(V(a(2)), "a"),
     lambda t, T: T(a(2))["a"], lambda c, V: V(a(2))["a"]),
    ("topk_k_float", lambda F, V: F.topk(V(a(3)), 1.5),
     lambda t, T: t.topk(T(a(3)), 1.5), None),
    ("concat_not_list", lambda F, V: F.concat(V(a(2, 3))),
     lambda t, T: t.cat(T(a(2, 3))), lambda c, V: c.functions.concat(V(a(2, 3)))),
    ("expand_dims_float", lambda F, V: F.expand_dims(V(a(2)), 0.5),
     lambda t, T: t.unsqueeze(T(a(2)), 0.5), lambda c, V: c.functions.expand_dims(V(a(2)), 0.5)),
    # --- the op subjects that had no error input (issue 15) ------------------------------
    # kind 'unchecked_shape': chainer type-checks no shapes there (NumPy's ValueError)
    ("fmod_shape", lambda F, V: F.fmod(V(a(2, 3)), V(a(2))),
     lambda t, T: t.fmod(T(a(2, 3)), T(a(2))), lambda c, V: c.functions.fmod(V(a(2, 3)), V(a(2)))),
    ("arctan2_shape", lambda F, V: F.arctan2(V(a(3)), V(a(2))),
     lambda t, T: t.atan2(T(a(3)), T(a(2))), lambda c, V: c.functions.arctan2(V(a(3)), V(a(2)))),
    ("tensordot_sizes", lambda F, V: F.tensordot(V(a(2, 3)), V(a(2, 3)), 1),
     lambda t, T: t.tensordot(T(a(2, 3)), T(a(2, 3)), 1),
     lambda c, V: c.functions.tensordot(V(a(2, 3)), V(a(2, 3)), 1)),
    ("scatter_add_rows", lambda F, V: F.scatter_add(V(a(3)), V(a(2)), np.array([0, 1, 2])),
     lambda t, T: T(a(3)).index_add(0, t.tensor([0, 1, 2]), T(a(2))),
     lambda c, V: c.functions.scatter_add(V(a(3)), np.array([0, 1, 2]), V(a(2)))),
    # kind 'gather_index': torch's gather reports an index out of range as RuntimeError
    ("select_item_label", lambda F, V: F.select_item(V(a(2, 3)), np.array([0, 3])),
     lambda t, T: T(a(2, 3)).gather(1, t.tensor([[0], [3]])),
     lambda c, V: c.functions.select_item(V(a(2, 3)), np.array([0, 3], np.int32))),
    ("select_item_rows", lambda F, V: F.select_item(V(a(2, 3)), np.array([0, 1, 2])),
     lambda t, T: T(a(2, 3)).gather(1, t.tensor([[0], [1], [2]])),
     lambda c, V: c.functions.select_item(V(a(2, 3)), np.array([0, 1, 2], np.int32))),
    # kind 'spatial_shape': torch.nn.functional checks these in Python (ValueError)
    ("affine_grid_theta", lambda F, V: F.affine_grid(V(a(1, 3, 3)), (2, 2)),
     lambda t, T: t.nn.functional.affine_grid(T(a(1, 3, 3)), (1, 1, 2, 2), align_corners=False),
     lambda c, V: c.functions.spatial_transformer_grid(V(a(1, 3, 3)), (2, 2))),
    ("resize_images_ndim", lambda F, V: F.resize_images(V(a(3, 3)), (4, 4), True),
     lambda t, T: t.nn.functional.interpolate(T(a(3, 3)), size=(4, 4), mode="bilinear",
                                              align_corners=True), None),
    # kind 'empty_output': chainer's get_conv_outsize asserts a positive output size
    ("im2col_kernel", lambda F, V: F.im2col(V(a(1, 1, 3, 3)), 4),
     lambda t, T: t.nn.functional.unfold(T(a(1, 1, 3, 3)), 4),
     lambda c, V: c.functions.im2col(V(a(1, 1, 3, 3)), 4)),
    # kind 'permute_axis': chainer hands repeat's axis to numpy.repeat (AxisError)
    ("repeat_axis", lambda F, V: F.repeat(V(a(2)), 2, 1),
     lambda t, T: t.repeat_interleave(T(a(2)), 2, dim=1),
     lambda c, V: c.functions.repeat(V(a(2)), 2, axis=1)),
    ("permute_length", lambda F, V: F.transpose(V(a(2, 3)), (0,)),
     lambda t, T: T(a(2, 3)).permute(0), lambda c, V: c.functions.transpose(V(a(2, 3)), (0,))),
    ("moveaxis_lengths", lambda F, V: F.moveaxis(V(a(2, 3)), (0, 1), (1,)),
     lambda t, T: t.movedim(T(a(2, 3)), (0, 1), (1,)),
     lambda c, V: c.functions.moveaxis(V(a(2, 3)), (0, 1), (1,))),
    ("tile_negative", lambda F, V: F.tile(V(a(2)), -1),
     lambda t, T: t.tile(T(a(2)), (-1,)), lambda c, V: c.functions.tile(V(a(2)), -1)),
    ("repeat_negative", lambda F, V: F.repeat(V(a(2)), -1),
     lambda t, T: t.repeat_interleave(T(a(2)), -1), lambda c, V: c.functions.repeat(V(a(2)), -1)),
    ("einsum_operands", lambda F, V: F.einsum("ij->ij", V(a(2, 3)), V(a(3, 2))),
     lambda t, T: t.einsum("ij->ij", T(a(2, 3)), T(a(3, 2))),
     lambda c, V: c.functions.einsum("ij->ij", V(a(2, 3)), V(a(3, 2)))),
    ("glu_odd", lambda F, V: F.glu(V(a(2, 3)), 1),
     lambda t, T: t.nn.functional.glu(T(a(2, 3)), 1), None),
    ("glu_axis", lambda F, V: F.glu(V(a(2, 4)), 2),
     lambda t, T: t.nn.functional.glu(T(a(2, 4)), 2), None),
    ("crelu_axis", lambda F, V: F.crelu(V(a(2, 3)), 2), None,
     lambda c, V: c.functions.crelu(V(a(2, 3)), 2)),
    ("polygamma_negative", lambda F, V: F.polygamma(-1, V(a(2))),
     lambda t, T: t.polygamma(-1, T(a(2))), None),
    ("gelu_approximate", lambda F, V: F.gelu(V(a(2)), "x"),
     lambda t, T: t.nn.functional.gelu(T(a(2)), approximate="x"), None),
    ("pad_axes", lambda F, V: F.pad(V(a(2, 3)), ((1, 1), (1, 1), (1, 1))),
     lambda t, T: t.nn.functional.pad(T(a(2, 3)), (1, 1, 1, 1, 1, 1)),
     lambda c, V: c.functions.pad(V(a(2, 3)), ((1, 1), (1, 1), (1, 1)), "constant")),
    # kind 'kernel_dtype': torch has no kernel of that dtype (NotImplementedError)
    ("elu_int", lambda F, V: F.elu(V(a(2, dtype=np.int64))),
     lambda t, T: t.nn.functional.elu(T(a(2, dtype=np.int64))),
     lambda c, V: c.functions.elu(V(a(2, dtype=np.int64)))),
    ("softplus_complex", lambda F, V: F.softplus(V(a(2, dtype=np.complex64))),
     lambda t, T: t.nn.functional.softplus(T(a(2, dtype=np.complex64))),
     lambda c, V: c.functions.softplus(V(a(2, dtype=np.complex64)))),
    ("erf_complex", lambda F, V: F.erf(V(a(2, dtype=np.complex64))),
     lambda t, T: t.erf(T(a(2, dtype=np.complex64))),
     lambda c, V: c.functions.erf(V(a(2, dtype=np.complex64)))),
    ("abs_bool", lambda F, V: F.abs(V(np.array([True, False]))),
     lambda t, T: t.abs(T(np.array([True, False]))),
     lambda c, V: c.functions.absolute(V(np.array([True, False])))),
    ("pad_reflect_empty_axis", lambda F, V: F.pad(V(a(1, 1, 0)), ((0, 0), (0, 0), (1, 1)), "reflect"),
     lambda t, T: t.nn.functional.pad(T(a(1, 1, 0)), (1, 1), mode="reflect"),
     lambda c, V: c.functions.pad(V(a(1, 1, 0)), ((0, 0), (0, 0), (1, 1)), "reflect")),
    ("clipped_relu_str", lambda F, V: F.clipped_relu(V(a(2)), "x"),
     lambda t, T: t.nn.functional.hardtanh(T(a(2)), 0.0, "x"),
     lambda c, V: c.functions.clipped_relu(V(a(2)), "x")),
]


#: Rows where refimpl knowingly raises another class, each with its reason. The tests expect
#: them to fail (strict xfail), so a fix shows up as an unexpected pass.
KNOWN_DIFFERENCES = {}


def _check(agreeing, framework, name, message):
    """Assert agreement, or for a known difference that it still differs (then xfail)."""
    reason = KNOWN_DIFFERENCES.get((framework, name))
    if reason is None:
        assert agreeing, message
        return
    assert not agreeing, f"{name}: now agrees with {framework}; remove it from KNOWN_DIFFERENCES"
    pytest.xfail(reason)


def _outcome(call):
    """The class name raised, or None when nothing was raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            call()
        except Exception as error:  # noqa: BLE001 - the class is what is compared
            return type(error).__name__
    return None


def refimpl_outcome(row, policy):
    def call():
        with refimpl.semantics(policy):
            row[1](F, lambda array: refimpl.Variable(array))
    return _outcome(call)


def torch_outcome(torch, row):
    return None if row[2] is None else _outcome(lambda: row[2](torch, torch.tensor))


def chainer_outcome(chainer, row):
    return None if row[3] is None else _outcome(lambda: row[3](chainer, chainer.Variable))


def agrees(ours, theirs):
    """Same class name; torch's NotImplementedError (a RuntimeError) matches RuntimeError."""
    return ours == theirs or (theirs == "NotImplementedError" and ours == "RuntimeError")


ROWS = [row for row in TABLE]


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_error_class_matches_torch(row):
    from framework_imports import import_torch
    torch = import_torch()
    theirs = torch_outcome(torch, row)
    if theirs is None:
        pytest.skip("torch does not raise here (or has no such op)")
    ours = refimpl_outcome(row, "torch")
    _check(agrees(ours, theirs), "torch", row[0],
           f"{row[0]}: refimpl raises {ours} vs torch {theirs} [torch policy]")


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_error_class_matches_chainer(row):
    from framework_imports import import_chainer
    chainer = import_chainer()
    theirs = chainer_outcome(chainer, row)
    if theirs is None:
        pytest.skip("chainer does not raise here (or has no such op)")
    ours = refimpl_outcome(row, "chainer")
    _check(agrees(ours, theirs), "chainer", row[0],
           f"{row[0]}: refimpl raises {ours} vs chainer {theirs} [chainer policy]")


def test_table_has_fifty_error_inputs():
    assert len(TABLE) >= 50


def agreement(torch, chainer):
    """{framework: (agreeing, rows where it raises, [(name, ours, theirs)])}."""
    result = {}
    for framework, module, outcome, policy in [("torch", torch, torch_outcome, "torch"),
                                               ("chainer", chainer, chainer_outcome, "chainer")]:
        rows = [(row, outcome(module, row)) for row in TABLE]
        rows = [(row, theirs) for row, theirs in rows if theirs is not None]
        bad = [(row[0], refimpl_outcome(row, policy), theirs) for row, theirs in rows
               if not agrees(refimpl_outcome(row, policy), theirs)]
        result[framework] = (len(rows) - len(bad), len(rows), bad)
    return result


if __name__ == "__main__":
    import chainer
    import chainer.functions  # noqa: F401
    import torch
    for framework, (agreeing, total, bad) in agreement(torch, chainer).items():
        for name, ours, theirs in bad:
            print(f"{framework} {name}: refimpl {ours} vs {theirs}")
        print(f"{framework}: {agreeing}/{total} agree", file=sys.stderr)
