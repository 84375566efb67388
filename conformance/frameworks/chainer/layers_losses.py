"""Chainer's bindings of the issue-17 loss subjects (``conformance/subjects/losses_more.py``),
with refimpl's signature; merged into ``layers.FUNCTIONS``. A shared subject's binding passes
only the arguments both frameworks take, so chainer's defaults are observed. torch's own
losses are ``Absent`` here, with the reason.
"""
import warnings

from ...subjects.core import Absent

# Every plugin's layers module is imported to register subjects, also where chainer is not
# installed (a torch-only env): the bindings are called only where it is.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pkg_resources / numpy.distutils noise at import
    try:
        import chainer.functions
    except ImportError:
        chainer = None


def chainer_huber_loss(x, t, delta):
    return chainer.functions.huber_loss(x, t, delta)


def chainer_l1_loss(x, t):
    return chainer.functions.absolute_error(x, t)


def chainer_squared_error(x, t):
    return chainer.functions.squared_error(x, t)


def chainer_gaussian_nll(x, mean, ln_var):
    return chainer.functions.gaussian_nll(x, mean, ln_var)


def chainer_gaussian_kl_divergence(mean, ln_var, reduce="sum"):
    return chainer.functions.gaussian_kl_divergence(mean, ln_var, reduce=reduce)


def chainer_triplet(anchor, positive, negative, margin=None):
    options = {} if margin is None else {"margin": margin}
    return chainer.functions.triplet(anchor, positive, negative, **options)


def chainer_contrastive(x0, x1, y, margin=None, reduce="mean"):
    options = {} if margin is None else {"margin": margin}
    return chainer.functions.contrastive(x0, x1, y, reduce=reduce, **options)


def chainer_hinge(x, t, norm="L1", reduce="mean"):
    return chainer.functions.hinge(x, t, norm=norm, reduce=reduce)


def chainer_cross_covariance(y, z, reduce="half_squared_sum"):
    return chainer.functions.cross_covariance(y, z, reduce=reduce)


def chainer_decov(h, reduce="half_squared_sum"):
    return chainer.functions.decov(h, reduce=reduce)


def chainer_ctc_loss(x, t, input_length, label_length, blank):
    """chainer's CTC takes a list of T activations (B, C) (it applies softmax)."""
    return chainer.functions.connectionist_temporal_classification(
        list(chainer.functions.separate(x, axis=0)), t, int(blank), input_length, label_length)


_NO_COUNTERPART = "chainer 7.8.1 has no {what}"

FUNCTIONS = {
    "huber_loss": chainer_huber_loss,
    "l1_loss": chainer_l1_loss,
    "squared_error": chainer_squared_error,
    "gaussian_nll": chainer_gaussian_nll,
    "gaussian_kl_divergence": chainer_gaussian_kl_divergence,
    "triplet": chainer_triplet,
    "contrastive": chainer_contrastive,
    "hinge": chainer_hinge,
    "cross_covariance": chainer_cross_covariance,
    "decov": chainer_decov,
    "ctc_loss": chainer_ctc_loss,
    "smooth_l1_loss": Absent(_NO_COUNTERPART.format(
        what="smooth_l1_loss: F.huber_loss(x, t, delta=beta, reduce='no') / beta is torch's "
             "smooth_l1_loss(reduction='none') (subject huber_loss)")),
    "nll_loss": Absent(_NO_COUNTERPART.format(
        what="nll_loss: -F.select_item(log_p, t) (subject select_item) reduced with F.mean is "
             "its port without class weights or an ignore index")),
    "gaussian_nll_loss": Absent(_NO_COUNTERPART.format(
        what="variance-parametrised Gaussian NLL with eps/full: F.gaussian_nll takes the "
             "log-variance (subject gaussian_nll)")),
    "kl_div": Absent(_NO_COUNTERPART.format(
        what="KL divergence of discrete distributions (F.gaussian_kl_divergence is the "
             "Gaussian one, subject gaussian_kl_divergence)")),
    "multi_margin_loss": Absent(_NO_COUNTERPART.format(
        what="multi-class margin loss: F.hinge sums max(0, 1 -+ x[k]) over every class, not "
             "max(0, margin - x[t] + x[i]) over the other classes divided by C "
             "(subject hinge)")),
    "triplet_margin_loss": Absent(_NO_COUNTERPART.format(
        what="p-norm triplet loss with eps and swap: F.triplet uses squared Euclidean "
             "distances (subject triplet)")),
}
