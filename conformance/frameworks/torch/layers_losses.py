"""PyTorch's bindings of the issue-17 loss subjects (``conformance/subjects/losses_more.py``),
with refimpl's signature; merged into ``layers.FUNCTIONS``. A shared subject's binding passes
only the arguments both frameworks take, so torch's defaults are observed (``gaussian_nll``
passes ``exp(ln_var)``: torch takes the variance). chainer's own losses are ``Absent`` here,
with the reason.
"""
# Every plugin's layers module is imported to register subjects, also where torch is not
# installed (a chainer-only env): the bindings are called only where it is.
try:
    import torch
    import torch.nn.functional
except ImportError:
    torch = None

from ...subjects.core import Absent


def torch_huber_loss(x, t, delta):
    return torch.nn.functional.huber_loss(x, t, delta=delta)


def torch_smooth_l1_loss(x, t, reduction="mean", beta=1.0):
    return torch.nn.functional.smooth_l1_loss(x, t, reduction=reduction, beta=beta)


def torch_l1_loss(x, t):
    return torch.nn.functional.l1_loss(x, t)


def torch_squared_error(x, t):
    """chainer's F.squared_error is torch's mse_loss without reduction."""
    return torch.nn.functional.mse_loss(x, t, reduction="none")


def torch_nll_loss(x, t, weight=None, ignore_index=-100, reduction="mean"):
    if weight is not None:
        weight = torch.as_tensor(weight, dtype=x.dtype, device=x.device)
    return torch.nn.functional.nll_loss(x, torch.as_tensor(t, device=x.device), weight=weight,
                                        ignore_index=ignore_index, reduction=reduction)


def torch_gaussian_nll(x, mean, ln_var):
    """chainer's F.gaussian_nll takes the log-variance: torch's loss of exp(ln_var)."""
    return torch.nn.functional.gaussian_nll_loss(x, mean, torch.exp(ln_var))


def torch_gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    return torch.nn.functional.gaussian_nll_loss(input, target, var, full=full, eps=eps,
                                                 reduction=reduction)


def torch_kl_div(input, target, reduction="mean", log_target=False):
    return torch.nn.functional.kl_div(input, target, reduction=reduction,
                                      log_target=log_target)


def torch_triplet(anchor, positive, negative, margin=None):
    options = {} if margin is None else {"margin": margin}
    return torch.nn.functional.triplet_margin_loss(anchor, positive, negative, **options)


def torch_triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6,
                              swap=False, reduction="mean"):
    return torch.nn.functional.triplet_margin_loss(anchor, positive, negative, margin=margin,
                                                   p=p, eps=eps, swap=swap,
                                                   reduction=reduction)


def torch_ctc_loss(x, t, input_length, label_length, blank):
    """torch's ctc_loss takes log-probabilities (T, B, C): log_softmax of the activations."""
    return torch.nn.functional.ctc_loss(
        x.log_softmax(2), torch.as_tensor(t, device=x.device).long(),
        torch.as_tensor(input_length, device=x.device).long(),
        torch.as_tensor(label_length, device=x.device).long(), blank=blank)


def torch_multi_margin_loss(x, t, p=1, margin=1.0, weight=None, reduction="mean"):
    if weight is not None:
        weight = torch.as_tensor(weight, dtype=x.dtype, device=x.device)
    return torch.nn.functional.multi_margin_loss(x, torch.as_tensor(t, device=x.device).long(),
                                                 p=p, margin=margin, weight=weight,
                                                 reduction=reduction)


_NO_COUNTERPART = "torch 2.13 has no {what}{why}"

FUNCTIONS = {
    "huber_loss": torch_huber_loss,
    "smooth_l1_loss": torch_smooth_l1_loss,
    "l1_loss": torch_l1_loss,
    "squared_error": torch_squared_error,
    "nll_loss": torch_nll_loss,
    "gaussian_nll": torch_gaussian_nll,
    "gaussian_nll_loss": torch_gaussian_nll_loss,
    "kl_div": torch_kl_div,
    "triplet": torch_triplet,
    "triplet_margin_loss": torch_triplet_margin_loss,
    "ctc_loss": torch_ctc_loss,
    "multi_margin_loss": torch_multi_margin_loss,
    "gaussian_kl_divergence": Absent(_NO_COUNTERPART.format(
        what="Gaussian KL divergence in torch.nn.functional",
        why=" (torch.distributions.kl_divergence(Normal(mean, exp(ln_var / 2)), Normal(0, 1)) "
            "computes it; F.kl_div takes log-probabilities of a discrete distribution)")),
    "contrastive": Absent(_NO_COUNTERPART.format(
        what="contrastive loss", why=" (F.cosine_embedding_loss and F.hinge_embedding_loss "
                                     "are other formulas)")),
    "hinge": Absent(_NO_COUNTERPART.format(
        what="counterpart of chainer's F.hinge", why=": F.multi_margin_loss sums max(0, margin "
        "- x[y] + x[i]) over the other classes and divides by C, where F.hinge sums max(0, 1 "
        "-+ x[k]) over every class")),
    "cross_covariance": Absent(_NO_COUNTERPART.format(what="cross-covariance loss", why="")),
    "decov": Absent(_NO_COUNTERPART.format(what="DeCov loss", why="")),
}
