"""Chainer models the port checker is proven on (``tests/port``), written as in Chainer's
examples (chainer 7.8.1 ``examples/mnist/train_mnist.py``, ``examples/ptb/train_ptb.py``),
and ``chainer.links.model.vision``'s VGG16Layers / ResNet50Layers with random weights.

Each factory takes keyword arguments only, so that a port spec can name it as an import path
(``conformance.frameworks.chainer.port_models:MLP``).
"""
import collections

import numpy

import chainer
import chainer.functions as F
import chainer.links as L
from chainer.links.model.vision import vgg as _vgg


class MLP(chainer.Chain):
    """The MNIST example's network (``train_mnist.py``): three fully-connected layers, the
    first two followed by ReLU; sizes inferred at the first call (``L.Linear(None, n)``)."""

    def __init__(self, n_units=1000, n_out=10):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(None, n_units)  # n_in -> n_units
            self.l2 = L.Linear(None, n_units)  # n_units -> n_units
            self.l3 = L.Linear(None, n_out)    # n_units -> n_out

    def forward(self, x):
        h1 = F.relu(self.l1(x))
        h2 = F.relu(self.l2(h1))
        return self.l3(h2)


class ConvNet(chainer.Chain):
    """A small MNIST convolutional network in the examples' style: two 3x3 convolutions, each
    followed by ReLU and 2x2 max pooling (``F.max_pooling_2d(h, 2)``: chainer's default
    ``cover_all=True``), and a fully-connected classifier of inferred input size."""

    def __init__(self, n_out=10):
        super().__init__()
        with self.init_scope():
            self.conv1 = L.Convolution2D(None, 32, 3)
            self.conv2 = L.Convolution2D(32, 64, 3)
            self.fc = L.Linear(None, n_out)

    def forward(self, x):
        h = F.max_pooling_2d(F.relu(self.conv1(x)), 2)
        h = F.max_pooling_2d(F.relu(self.conv2(h)), 2)
        return self.fc(h)


class RNNForLM(chainer.Chain):
    """The PTB example's recurrent language model (``train_ptb.py``): embedding, two LSTM
    layers, a linear decoder; dropout between them; parameters drawn from U(-0.1, 0.1)."""

    def __init__(self, n_vocab=50, n_units=20, seed=0):
        super().__init__()
        with self.init_scope():
            self.embed = L.EmbedID(n_vocab, n_units)
            self.l1 = L.LSTM(n_units, n_units)
            self.l2 = L.LSTM(n_units, n_units)
            self.l3 = L.Linear(n_units, n_vocab)
        rng = numpy.random.RandomState(seed)
        for param in self.params():
            param.array[...] = rng.uniform(-0.1, 0.1, param.shape)

    def reset_state(self):
        self.l1.reset_state()
        self.l2.reset_state()

    def forward(self, x):
        h0 = self.embed(x)
        h1 = self.l1(F.dropout(h0))
        h2 = self.l2(F.dropout(h1))
        return self.l3(F.dropout(h2))


class PTBUnrolled(chainer.Chain):
    """``RNNForLM`` over a (time, batch) array of word ids, one call per time step as the
    example's updater does, from a fresh state; the outputs stacked (time, batch, vocab)."""

    def __init__(self, n_vocab=50, n_units=20, seed=0):
        super().__init__()
        with self.init_scope():
            self.predictor = RNNForLM(n_vocab, n_units, seed)

    def forward(self, xs):
        self.predictor.reset_state()
        return F.stack([self.predictor(x) for x in xs])


class VGG16Trunk(L.VGG16Layers):
    """``L.VGG16Layers(pretrained_model=None)`` up to ``pool5``: its ``fc6`` takes exactly
    512 x 7 x 7 features (224 x 224 images), so a check at a small spatial size stops at the
    convolutional trunk (torchvision's ``vgg16().features``). The classifier links, never
    called, are removed after construction (120M parameters a check would cast and copy);
    ``functions`` is VGG16Layers' own table up to pool5, with its own ReLU and pooling."""

    def __init__(self):
        super().__init__(pretrained_model=None)
        for name in ("fc6", "fc7", "fc8"):
            delattr(self, name)

    @property
    def functions(self):
        table = collections.OrderedDict()
        for block, convolutions in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)):
            for index in range(1, convolutions + 1):
                table[f"conv{block}_{index}"] = [getattr(self, f"conv{block}_{index}"),
                                                 _vgg.relu]
            table[f"pool{block}"] = [_vgg._max_pooling_2d]
        return table

    def forward(self, x):
        return super().forward(x, layers=["pool5"])["pool5"]


class ResNet50(L.ResNet50Layers):
    """``L.ResNet50Layers(pretrained_model=None)`` giving the ``fc6`` logits (its default
    output is ``prob``, the softmax)."""

    def __init__(self):
        super().__init__(pretrained_model=None)

    def forward(self, x):
        return super().forward(x, layers=["fc6"])["fc6"]
