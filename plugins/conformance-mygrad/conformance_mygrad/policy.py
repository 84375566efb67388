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
    # with constant=True (integer tensors are always constants).
    requires_grad_default=True,
    # mygrad.tensor([1, 2], constant=False) raises ValueError('Integer-valued tensors must
    # be treated as constants.').
    integer_requires_grad="raise",
    # y = x * x; y.backward() seeds ones (the docstring: "as if y was first reduced to a
    # scalar via summation"): x.grad == 2 * x. Modelled for grad(); backward has no
    # 'ones' value in nonscalar_backward_without_grad (README).
    grad_nonscalar_output_default="ones",
    # x = mygrad.tensor([1., 2.]); z = x * x; y = mygrad.sum(z); y.backward(): z.grad is
    # [1, 1] and y.grad is 1.0: every backward writes (overwriting) the grad of every
    # intermediate of that call and keeps the seed in the output's grad. 'per_call' is
    # chainer's backward(retain_grad=True); MyGrad has no option and always does it (refimpl
    # has no value 'always': a backward without retain_grad leaves intermediates untouched).
    intermediate_grads="per_call",
    output_grad_after_backward="keep",
    # mygrad.max(x, axis=0) returns the values only (there is no (values, indices) form).
    max_returns_indices=False,
    # x = mygrad.tensor([[3., 1., 3.]]); mygrad.max(x, axis=1).backward(): x.grad ==
    # [[1, 0, 0]]: only the element argmax returns gets the gradient.
    max_axis_tie_gradient="index",
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
    # records its creator (y.creator is a Multiply) and is a constant.
    outputs_require_grad="inputs",
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
    # mygrad.nnet.softmax(mygrad.tensor(numpy.zeros((2, 0))), axis=1) is the empty result.
    empty_softmax_axis="identity",
    # mygrad.mean(mygrad.tensor(numpy.zeros((2, 0))), axis=1) is [nan, nan] (NumPy's 0 / 0,
    # with a RuntimeWarning); its gradient is empty.
    empty_mean_axis="nan",
    # mygrad.add(2, 3) is a 0-d int64 Tensor (mygrad.divide(2, 3) is float64, NumPy's
    # promotion, where torch gives float32).
    number_operands="tensor",
    # mygrad.squeeze(mygrad.tensor(numpy.zeros((2, 3))), 0) raises NumPy's ValueError('cannot
    # select an axis to squeeze out which has size not equal to one').
    squeeze_non_unit_axis="raise",
    # mygrad.concatenate([zeros(0), ones((2, 3))], axis=1) raises NumPy's AxisError.
    concat_skips_legacy_empty=False,
    # NumPy raises for MyGrad: ValueError for shapes that do not fit (broadcast, stack,
    # concatenate, matmul, reshape), repeated axes, an empty max/argmax and values;
    # IndexError out of bounds; TypeError for a complex tensor ('Tensor data must be of an
    # floating type, ...'). An axis out of range raises numpy.AxisError (a ValueError and an
    # IndexError); refimpl has no AxisError class: ValueError is the nearest.
    error_classes=(("shape", "ValueError"), ("axis", "ValueError"),
                   ("repeated_axis", "ValueError"), ("index", "IndexError"),
                   ("dtype", "TypeError"), ("value", "ValueError"),
                   ("empty_axis", "ValueError")),
    # mygrad.reshape(x, x.shape) is not x, nor are broadcast_to/squeeze/transpose/astype
    # that change nothing: every op makes a new tensor.
    identity_ops_return_input=frozenset(),
)
