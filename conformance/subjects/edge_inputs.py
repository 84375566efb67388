"""Edge inputs: calls of a subject at the points the property strategies do not draw, as data
(issue 15, "wider input domains").

The strategies draw finite values in moderate ranges, non-empty axes and contiguous arrays;
the frameworks differ at the edges of those domains (NaN at the kink of relu, the zero base of
pow, an empty softmax axis, two Python numbers, ...), and refimpl models each difference with
a policy field (``pow_gradient_masks``, ``relu_nan_gradient``, ``abs_nan_gradient``,
``empty_softmax_axis``, ``number_operands``, ``squeeze_non_unit_axis``,
``concat_skips_legacy_empty``, ``pooling_one_element_tuple``, ...). The properties
``edges.values`` and ``edges.grad`` run each record here on the framework's binding and on
refimpl under the framework's policy and compare what they give, NaN for NaN.

Each record is one call in refimpl's signature of its subject (an op subject, or a
layer-level function subject: pooling, cross entropy): ``inputs`` are the arrays, converted to
the framework's tensors in their own dtype (the dtype they carry here is the dtype of the
call), ``kwargs`` the other arguments, passed as they are (two Python numbers stay numbers).
``views`` make an input non-contiguous inside the call: ``(input name, op subject, kwargs)``
passes that leaf through the framework's own binding of the op subject (``transpose``: a
transposed view; ``getitem`` with a step: a strided view) before the call, so the gradient is
taken with respect to the contiguous leaf, through the view. ``grad``: whether ``edges.grad``
compares the vector-Jacobian product too (a fixed output gradient, 1, 2, 3, 1, 2, ...), with
respect to every float array input.

The cases reuse those of ``tests/refimpl/test_torch_edge_inputs.py`` that are calls of
registry subjects.
"""
import dataclasses

import numpy

from .strategies import Sample

NAN, INF = float("nan"), float("inf")

# The edge classes (``EdgeInput.edge``).
EDGES = ("nan", "inf", "zero_base", "negative_base", "empty_axis", "zero_dim_keepdims",
         "number_operands", "python_complex", "probability_targets", "non_unit_squeeze",
         "legacy_empty", "one_element_tuple", "non_contiguous", "large", "tiny", "broadcast")


@dataclasses.dataclass(frozen=True)
class EdgeInput:
    """``subject(**sample.inputs, **sample.kwargs)`` at an edge of its domain (``edge``: one
    of ``EDGES``); ``views``: ``(input name, op subject, kwargs)`` applied to that input with
    the framework's own binding before the call; ``grad``: ``edges.grad`` compares the
    gradients too."""

    name: str
    subject: str
    sample: Sample
    edge: str
    grad: bool = True
    views: tuple = ()

    def __post_init__(self):
        if self.edge not in EDGES:
            raise ValueError(f"edge input {self.name!r}: edge {self.edge!r} is not one of {EDGES}")
        for name, _, _ in self.views:
            if name not in self.sample.inputs:
                raise ValueError(f"edge input {self.name!r}: view of {name!r}, which is not "
                                 f"an input ({sorted(self.sample.inputs)})")

    def float_dtypes(self):
        """The dtypes of the float arrays the call carries."""
        return {str(array.dtype) for array in self.sample.leaves()
                if numpy.asarray(array).dtype.kind == "f"}


def _edge(name, subject, edge, inputs, *, grad=True, views=(), **kwargs):
    return EdgeInput(name, subject, Sample(inputs, kwargs), edge, grad, tuple(views))


def f64(*values):
    return numpy.array(values, dtype=numpy.float64)


def f32(*values):
    return numpy.array(values, dtype=numpy.float32)


def grid(*shape, dtype=numpy.float64):
    """0, 1, 2, ... in ``shape``, scaled to [-1.5, 1.5]-ish values without ties."""
    size = int(numpy.prod(shape)) if shape else 1
    return ((numpy.arange(size, dtype=numpy.float64) - size / 2) * 0.37).astype(dtype).reshape(shape)


def _cases():
    cases = []
    add = cases.append
    # --- pow at zero and negative bases (pow_gradient_masks) -----------------------------
    for dtype in (numpy.float32, numpy.float64):
        tag = numpy.dtype(dtype).name
        base = numpy.array([-2.0, 0.0, 0.0, 3.0, 0.0, -1.0, 2.0], dtype=dtype)
        exponent = numpy.array([2.0, 2.0, -1.0, 0.5, 0.0, 3.0, 0.0], dtype=dtype)
        add(_edge(f"pow_bases_{tag}", "pow", "zero_base", {"a": base, "b": exponent}))
        add(_edge(f"pow_negative_base_{tag}", "pow", "negative_base",
                  {"a": base[[0, 5]], "b": exponent[[0, 5]]}))
    for scalar in (0.0, -2.0):
        add(_edge(f"pow_number_base_{scalar}", "pow", "zero_base" if scalar == 0 else
                  "negative_base", {"b": f64(0.0, 2.0, -1.0, 0.5)}, a=scalar))
    for scalar in (2.0, -1.0, 0.5):
        add(_edge(f"pow_scalar_exponent_{scalar}", "pow-scalar", "zero_base",
                  {"a": f64(0.0, -2.0, 3.0)}, b=scalar))
    # --- NaN at the kinks and through smooth ops -------------------------------------------
    kinked = f64(NAN, 0.0, 1.0, -1.0, 0.5)
    for subject, kwargs in [("relu", {}), ("abs", {}), ("clip", {"x_min": -0.5, "x_max": 0.5}),
                            ("leaky_relu", {"negative_slope": 0.1}), ("sqrt", {}),
                            ("sigmoid", {}), ("tanh", {}), ("exp", {}), ("log", {}),
                            ("max", {}), ("min", {}), ("max-axis", {"axis": 0}),
                            ("min-axis", {"axis": 0}), ("logsumexp", {"axis": 0}),
                            ("softmax", {"axis": 0}), ("log_softmax", {"axis": 0}),
                            ("sum", {}), ("mean", {})]:
        add(_edge(f"nan_{subject}", subject, "nan", {"x": kinked}, **kwargs))
    for subject in ("relu", "abs"):
        add(_edge(f"nan_{subject}_float32", subject, "nan", {"x": kinked.astype(numpy.float32)}))
    add(_edge("nan_topk", "topk", "nan", {"x": kinked}, k=2))
    add(_edge("nan_argmax", "argmax", "nan", {"x": kinked}, grad=False))
    add(_edge("nan_argmin", "argmin", "nan", {"x": kinked}, grad=False))
    # --- infinities ----------------------------------------------------------------------
    infinite = f64(INF, -INF, 0.0, 1.0)
    for subject, kwargs in [("exp", {}), ("log", {}), ("tanh", {}), ("sigmoid", {}),
                            ("relu", {}), ("abs", {}), ("softmax", {"axis": 0}),
                            ("log_softmax", {"axis": 0}), ("logsumexp", {"axis": 0}),
                            ("sum", {}), ("max", {})]:
        add(_edge(f"inf_{subject}", subject, "inf", {"x": infinite}, **kwargs))
    add(_edge("inf_softmax_rows", "softmax", "inf",
              {"x": numpy.array([[-INF, 0.0, 1.0], [-INF, -INF, 2.0]])}, axis=1))
    add(_edge("inf_exp_float32", "exp", "inf", {"x": infinite.astype(numpy.float32)}))
    # --- empty reduction axes (empty_softmax_axis) ---------------------------------------
    for shape, axis in [((2, 0), 1), ((2, 0), -1), ((0, 3), 0)]:
        x = numpy.zeros(shape)
        tag = f"{'x'.join(map(str, shape))}_axis{axis}"
        for subject in ("softmax", "log_softmax", "logsumexp", "sum", "mean", "max-axis"):
            add(_edge(f"empty_{subject}_{tag}", subject, "empty_axis", {"x": x}, axis=axis))
        add(_edge(f"empty_argmax_{tag}", "argmax", "empty_axis", {"x": x}, grad=False,
                  axis=axis))
    add(_edge("empty_logsumexp_all", "logsumexp", "empty_axis", {"x": numpy.zeros((2, 0))},
              axis=(0, 1)))
    # --- 0-d inputs with keepdims ------------------------------------------------------------
    scalar = numpy.array(3.0)
    for axis in (0, -1, None):
        for subject in ("argmax", "argmin"):
            add(_edge(f"0d_keepdims_{subject}_axis{axis}", subject, "zero_dim_keepdims",
                      {"x": scalar}, grad=False, axis=axis, keepdims=True))
    for axis in (0, -1):
        for subject in ("sum", "mean", "logsumexp", "max-axis", "min-axis"):
            add(_edge(f"0d_keepdims_{subject}_axis{axis}", subject, "zero_dim_keepdims",
                      {"x": scalar}, axis=axis, keepdims=True))
    add(_edge("2d_keepdims_argmax_all", "argmax", "zero_dim_keepdims", {"x": grid(2, 3)},
              grad=False, axis=None, keepdims=True))
    # --- two Python numbers (number_operands) ------------------------------------------------
    for subject in ("add", "sub", "mul", "div", "pow"):
        for a, b in ((2, 3), (2.0, 3), (2.5, 0.5), (True, 2)):
            add(_edge(f"numbers_{subject}_{a!r}_{b!r}", subject, "number_operands", {},
                      grad=False, a=a, b=b))
    condition = numpy.array([True, False])
    for a, b in ((2, 3), (2.0, 3), (2.5, 0.5), (True, 2)):
        add(_edge(f"numbers_where_{a!r}_{b!r}", "where", "number_operands", {}, grad=False,
                  condition=condition, x=a, y=b))
    # --- Python complex with a float tensor ----------------------------------------------------
    for dtype in (numpy.float32, numpy.float64):
        for shape in ((2,), ()):
            x = numpy.full(shape, 1.5, dtype=dtype)
            tag = f"{numpy.dtype(dtype).name}_{len(shape)}d"
            add(_edge(f"complex_mul_{tag}", "mul", "python_complex", {"a": x}, grad=False, b=2j))
            add(_edge(f"complex_add_{tag}", "add", "python_complex", {"b": x}, grad=False,
                      a=1 + 1j))
    # --- cross entropy with probability targets ------------------------------------------------
    logits = numpy.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    probabilities = numpy.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
    for reduction in ("mean", "sum", "none"):
        for smoothing in (0.0, 0.2):
            add(_edge(f"cross_entropy_probabilities_{reduction}_{smoothing}", "cross_entropy",
                      "probability_targets", {"x": logits, "t": probabilities},
                      reduction=reduction, label_smoothing=smoothing))
    for reduce in ("mean", "no"):  # chainer's signature; its soft targets are constants
        add(_edge(f"softmax_cross_entropy_probabilities_{reduce}", "softmax_cross_entropy",
                  "probability_targets", {"x": logits}, t=probabilities, reduce=reduce))
    # --- squeeze of an axis whose length is not 1 (squeeze_non_unit_axis) ----------------------
    for shape, axis in [((2, 3), 0), ((2, 1, 3), (0, 1)), ((2, 3), -1), ((1, 3), (0, 1))]:
        add(_edge(f"squeeze_{'x'.join(map(str, shape))}_{axis}", "squeeze", "non_unit_squeeze",
                  {"x": grid(*shape)}, axis=axis))
    # --- legacy empty (0,) inputs of concat (concat_skips_legacy_empty) ------------------------
    block = grid(2, 3)
    for axis, order in [(0, "first"), (1, "last"), (-1, "first")]:
        xs = [numpy.zeros(0), block] if order == "first" else [block, numpy.zeros(0)]
        add(_edge(f"concat_legacy_empty_axis{axis}_{order}", "concat", "legacy_empty",
                  {"xs": xs}, axis=axis))
    add(_edge("concat_only_legacy_empty", "concat", "legacy_empty",
              {"xs": [numpy.zeros(0), numpy.zeros(0)]}, axis=0))
    add(_edge("concat_legacy_empty_other_dtype", "concat", "legacy_empty",
              {"xs": [block.astype(numpy.float32), numpy.zeros(0)]}, axis=0))
    # --- one-element tuples for the pooling arguments (pooling_one_element_tuple) --------------
    image = grid(1, 1, 4, 4)
    for tag, kwargs in [("pad", dict(ksize=2, stride=2, pad=(1,))),
                        ("ksize", dict(ksize=(2,), stride=2)),
                        ("stride", dict(ksize=2, stride=(1,))),
                        ("all", dict(ksize=(2,), stride=(2,), pad=(1,)))]:
        for subject in ("max_pooling_2d", "average_pooling_2d"):
            add(_edge(f"{subject}_one_tuple_{tag}", subject, "one_element_tuple", {"x": image},
                      **kwargs))
    # --- non-contiguous inputs: a transposed or strided view inside the call -------------------
    transposed = [("x", "transpose", {})]
    strided = [("x", "getitem", {"key": (slice(None), slice(None, None, 2))})]
    for dtype in (numpy.float32, numpy.float64):
        tag = numpy.dtype(dtype).name
        base = grid(4, 3, dtype=dtype)
        for subject, kwargs in [("relu", {}), ("exp", {}), ("sum", {"axis": 1}),
                                ("softmax", {"axis": 1}), ("logsumexp", {"axis": 0}),
                                ("cumsum", {"axis": 1})]:
            add(_edge(f"transposed_{subject}_{tag}", subject, "non_contiguous", {"x": base},
                      views=transposed, **kwargs))
            add(_edge(f"strided_{subject}_{tag}", subject, "non_contiguous", {"x": base},
                      views=strided, **kwargs))
        add(_edge(f"transposed_matmul_{tag}", "matmul", "non_contiguous",
                  {"a": base, "b": grid(4, 2, dtype=dtype)}, views=[("a", "transpose", {})]))
        add(_edge(f"strided_mul_{tag}", "mul", "non_contiguous",
                  {"a": base, "b": grid(4, 2, dtype=dtype)},
                  views=[("a", "getitem", {"key": (slice(None), slice(None, None, 2))})]))
        add(_edge(f"transposed_reshape_{tag}", "reshape", "non_contiguous", {"x": base},
                  views=transposed, shape=(12,)))
    # --- large and tiny magnitudes (overflow, underflow, subnormals) ----------------------------
    for dtype in (numpy.float32, numpy.float64):
        tag = numpy.dtype(dtype).name
        big = numpy.finfo(dtype).max
        large = numpy.array([-1e4, -100.0, 100.0, 1e4, 0.5 * big], dtype=dtype)
        tiny = numpy.array([numpy.finfo(dtype).tiny, numpy.finfo(dtype).tiny / 4, -1e-30, 1e-30,
                            0.0], dtype=dtype)
        for subject, kwargs in [("exp", {}), ("tanh", {}), ("sigmoid", {}), ("softmax", {"axis": 0}),
                                ("log_softmax", {"axis": 0}), ("logsumexp", {"axis": 0}),
                                ("sum", {}), ("mean", {}), ("square", {}), ("sqrt", {}),
                                ("log1p", {}), ("expm1", {}), ("softplus", {}),
                                ("log_sigmoid", {})]:
            add(_edge(f"large_{subject}_{tag}", subject, "large", {"x": large}, **kwargs))
        for subject, kwargs in [("log", {}), ("sqrt", {}), ("reciprocal", {}), ("rsqrt", {}),
                                ("log1p", {}), ("expm1", {}), ("abs", {}), ("tanh", {}),
                                ("sigmoid", {}), ("sign", {})]:
            add(_edge(f"tiny_{subject}_{tag}", subject, "tiny", {"x": tiny}, **kwargs))
        add(_edge(f"tiny_div_{tag}", "div", "tiny", {"a": numpy.ones(5, dtype=dtype), "b": tiny}))
    # --- broadcast operands -------------------------------------------------------------------
    column, row = grid(3, 1), grid(1, 4) + 0.1
    for subject in ("add", "sub", "mul", "div", "maximum", "minimum"):
        add(_edge(f"broadcast_{subject}", subject, "broadcast", {"a": column, "b": row}))
        add(_edge(f"broadcast_0d_{subject}", subject, "broadcast",
                  {"a": numpy.array(1.5), "b": grid(2, 3) + 0.05}))
    add(_edge("broadcast_pow", "pow", "broadcast", {"a": numpy.abs(column) + 0.5, "b": row}))
    add(_edge("broadcast_where", "where", "broadcast", {"x": column, "y": row},
              condition=numpy.array([[True, False, True, False]])))
    return tuple(cases)


EDGE_INPUTS = _cases()


def for_subject(subject):
    """The edge inputs of ``subject``."""
    return [item for item in EDGE_INPUTS if item.subject == subject]


def subjects_with_edge_inputs():
    """The subjects that have edge inputs, in order of first appearance."""
    return list(dict.fromkeys(item.subject for item in EDGE_INPUTS))


def cell_dtype(subject):
    """The dtype label of ``subject``'s cells: 'float32' when every float array its edge inputs
    carry is float32, else 'float64' (each input runs in the dtype it carries)."""
    dtypes = set().union(*(item.float_dtypes() for item in for_subject(subject)))
    return "float32" if dtypes == {"float32"} else "float64"
