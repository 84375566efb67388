"""refimpl's ops with the harness signature: ``refimpl.functions`` itself, except that
``reshape`` and ``permute`` take their shape/dims as one tuple argument."""
import refimpl.functions as F

globals().update({name: getattr(F, name) for name in F.OPS})


def reshape(x, shape):
    return F.reshape(x, tuple(shape))


def permute(x, dims):
    return F.permute(x, tuple(dims))


def einsum(operands, subscripts):
    """The harness passes the differentiated operands as one list (refimpl: ``einsum(subscripts,
    *operands)``)."""
    return F.einsum(subscripts, *operands)


def rrelu(x, lower=0.125, upper=1.0 / 3.0):
    """The registry's rrelu is evaluation mode (as torch's ``training=False`` and chainer's
    ``using_config('train', False)`` bindings); training is the ``rrelu_training`` subject."""
    return F.rrelu(x, lower, upper, train=False)
