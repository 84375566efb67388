"""The refimpl semantics policy 'mygrad': MyGrad 2.5.0 where it differs from torch by design.

Derived from refimpl's torch policy; each field set here was observed on MyGrad 2.5.0 (the
snippet in its comment reproduces it). Behaviours refimpl's ``Policy`` has no field for are
listed in this package's README ("Behaviours without a policy field"). Imports refimpl
(NumPy only), never mygrad.
"""
import dataclasses

import refimpl

MYGRAD = dataclasses.replace(
    refimpl.POLICIES["torch"],
    name="mygrad",
    framework="mygrad",
    # mygrad.tensor([1., 2.]).constant is False: a float tensor requires grad unless made
    # with constant=True; mygrad.tensor(numpy.array([1, 2], 'int32')).constant is True.
    requires_grad_default="floats",
    # mygrad.tensor([1, 2], constant=False) raises ValueError('Integer-valued tensors must
    # be treated as constants.').
    integer_requires_grad="raise_constant",
    # x = mygrad.tensor([1.0, 2.0]); y = mygrad.sum(x * x); y.backward(): y.creator is None
    # and (x * x).creator too; y.backward() again leaves x.grad [2, 4]; a loss built from x
    # before the first backward raises InvalidBackprop ("Part of the computational graph
    # containing this tensor, ..., was 'cleared' prior to backprop."), one built after runs.
    free_graph_after_backward="dismantle",
    # x = mygrad.tensor([1., 2., 3.]); (x * x).backward(): x.grad == [2, 4, 6].
    nonscalar_backward_without_grad="ones",
    # mygrad.sum(x * x).backward(); mygrad.sum(3 * x).backward(): x.grad == [3, 3] (each
    # backward clears the grads of its graph first).
    grad_accumulation="overwrite",
    # mygrad.sum(x.astype('float32') * 2).backward(): x.grad is None; x.astype(...) has no
    # creator and constant False ("not involved in any computational graph").
    cast_differentiable=False,
    # (mygrad.tensor(numpy.float32(0.0)) + 0.0).dtype is float64 (NumPy 1.x: a 0-d array
    # counts by value); int32 + float32 tensors give float64; NumPy's result_type throughout.
    mixed_dtypes="numpy",
    # mygrad.tensor(numpy.array([1, 2], 'int32')) / 2 is float64 (NumPy's true division).
    integer_arithmetic="numpy",
    # mygrad.matmul(float32 tensor, float64 tensor) is float64 (NumPy's matmul).
    matmul_mixed_dtypes="promote",
    # y = x * x; y.backward() seeds ones (the docstring: "as if y was first reduced to a
    # scalar via summation"): x.grad == 2 * x. Modelled for grad(); backward has no
    # 'ones' value in nonscalar_backward_without_grad (README).
    grad_nonscalar_output_default="ones",
    # x = mygrad.tensor([1., 2.]); z = x * x; y = mygrad.sum(z); y.backward(): z.grad is
    # [1, 1] and y.grad is 1.0: every backward writes (overwriting) the grad of every
    # intermediate of that call and keeps the seed in the output's grad, with no option.
    intermediate_grads="always",
    output_grad_after_backward="keep",
    # mygrad.max(x, axis=0) returns the values only (there is no (values, indices) form).
    max_returns_indices=False,
    # x = mygrad.tensor([[3., 1., 3.]]); mygrad.max(x, axis=1).backward(): x.grad ==
    # [[1, 0, 0]]: only the element argmax returns gets the gradient.
    max_axis_tie_gradient="index",
    # a = mygrad.tensor([1., 3., 3.]); mygrad.max(a).backward(): a.grad == [0, 1, 0] (also
    # over a tuple of axes: the first tie in row-major order).
    max_tie_gradient="first",
    # mygrad.argmax(x) is numpy.int64 (NumPy's argmax).
    index_dtype="int64",
    # mygrad.concatenate(xs) concatenates along axis 0.
    concat_default_axis=0,
    # mygrad.nnet.softmax(x) / logsoftmax(x): axis=-1 by default, no warning.
    softmax_default_axis=-1,
    # mygrad.nnet.leaky_relu(x) raises TypeError("leaky_relu() missing 1 required positional
    # argument: 'slope'"): no default slope. refimpl's leaky_relu with a None default
    # raises TypeError too (float(None)).
    leaky_relu_default_slope=None,
    # with mygrad.no_autodiff: y = x * 2 gives y.constant False and y.creator None (a leaf
    # that requires grad, even when x is a constant); outside it, c * 2 of a constant c
    # records its creator (y.creator is a Multiply) and is a constant. mygrad.argmax(x) is a
    # numpy.int64: no graph, no grad.
    outputs_require_grad="inputs_floats",
    # y above: y.backward() writes the seed into y.grad (array(1.) / ones), nothing else.
    backward_without_graph="set_seed",
    # x = mygrad.tensor(3.0); x.backward(); x.backward(): x.grad is 1.0, not 2.0: a leaf's
    # backward writes the seed (backward_without_graph 'set_seed'), never adds it.
    leaf_backward_accumulates=False,
    # with mygrad.no_autodiff: v = x.reshape(3): v.constant is False and v.creator is None;
    # (v * 2).sum().backward() writes v.grad: a leaf that requires grad.
    no_grad_views="leaf",
    # Edge inputs (verified on MyGrad 2.5.0 with NumPy 1.26.4):
    # x = mygrad.tensor([nan]); mygrad.nnet.relu(x).backward(): x.grad == [0.]
    relu_nan_gradient=0.0,
    # mygrad.absolute(mygrad.tensor([nan])).backward(): x.grad == [0.]
    abs_nan_gradient="zero",
    # a ** b: d/da == 0 where b == 0 (b * a ** where(b, b - 1, 1)); d/db == 0 where a == 0
    # (y * log(where(a, a, 1))) -- for every b, where torch masks b >= 0 only; a negative
    # base gives NaN for d/db, a zero base with 0 < b < 1 gives inf for d/da.
    pow_gradient_masks=True,
    # mygrad.nnet.softmax(mygrad.tensor(numpy.zeros((2, 0))), axis=1) is the empty result;
    # mygrad.nnet.logsoftmax of it raises ValueError('zero-size array to reduction operation
    # maximum which has no identity').
    empty_softmax_axis="log_raise",
    # mygrad.mean(mygrad.tensor(numpy.zeros((2, 0))), axis=1) is [nan, nan] (NumPy's 0 / 0,
    # with a RuntimeWarning); its gradient is empty.
    empty_mean_axis="nan",
    # mygrad.add(2, 3) is a 0-d int64 Tensor, mygrad.divide(2, 3) and
    # mygrad.where(mask, 2.0, 3.0) float64: NumPy's dtypes of the numbers.
    number_operands="numpy",
    # mygrad.concatenate([ones((2, 3)), ones((2, 2))]) raises NumPy's ValueError('all the
    # input array dimensions except for the concatenation axis must match exactly, ...').
    invalid_argument_errors="numpy",
    # mygrad.squeeze(mygrad.tensor(numpy.zeros((2, 3))), 0) raises NumPy's ValueError('cannot
    # select an axis to squeeze out which has size not equal to one').
    squeeze_non_unit_axis="raise",
    # mygrad.concatenate([zeros(0), ones((2, 3))], axis=1) raises NumPy's AxisError.
    concat_skips_legacy_empty=False,
    # NumPy raises for MyGrad: ValueError for shapes that do not fit (broadcast, stack,
    # concatenate, matmul, reshape), repeated axes, an empty max/argmax and values;
    # IndexError out of bounds; TypeError for a complex tensor ('Tensor data must be of an
    # floating type, ...'). An axis out of range raises numpy.AxisError
    # (mygrad.sum(mygrad.tensor(numpy.ones((2, 3))), axis=2)).
    error_classes=(("shape", "ValueError"), ("axis", "AxisError"),
                   ("repeated_axis", "ValueError"), ("index", "IndexError"),
                   ("dtype", "TypeError"), ("value", "ValueError"),
                   ("empty_axis", "ValueError")),
    # mygrad.reshape(x, x.shape) is not x, nor are broadcast_to/squeeze/transpose/astype
    # that change nothing: every op makes a new tensor.
    identity_ops_return_input=frozenset(),
)
