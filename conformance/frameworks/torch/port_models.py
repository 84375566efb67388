"""PyTorch ports of the models in ``conformance.frameworks.chainer.port_models``: each with
keyword arguments that switch between the naive port (torch's defaults) and the corrected
one, so that tests show both the diagnosis and the passing port.

``vgg16`` and ``resnet50`` are built by hand with torchvision's module names and structure
(so that ``state_dict`` keys are torchvision's: ``features.0.weight``, ``layer1.0.conv1.weight``,
``layer1.0.downsample.0.weight``, ...): torchvision does not import beside the CI
environment's torch 2.13.0 CPU wheel. The optional tox env ``port`` checks them against
torchvision 0.29.1 (``tests/port/test_torchvision.py``).
"""
import torch
from torch import nn
from torch.nn import functional as F


class MLP(nn.Module):
    """``flatten``: flatten the input first (the corrected port); the naive port applies
    ``nn.Linear`` to an image batch as it is."""

    def __init__(self, n_in=784, n_units=1000, n_out=10, flatten=False):
        super().__init__()
        self.flatten = flatten
        self.l1 = nn.Linear(n_in, n_units)
        self.l2 = nn.Linear(n_units, n_units)
        self.l3 = nn.Linear(n_units, n_out)

    def forward(self, x):
        if self.flatten:
            x = x.flatten(1)
        return self.l3(F.relu(self.l2(F.relu(self.l1(x)))))


class ConvNet(nn.Module):
    """``ceil_mode``: pool as chainer's ``cover_all=True`` (the corrected port); ``fc_in``:
    the classifier's input size (64 x 5 x 5 after floor pooling of 28 x 28 images, 64 x 6 x 6
    after ceil pooling)."""

    def __init__(self, n_out=10, ceil_mode=False, fc_in=None):
        super().__init__()
        self.ceil_mode = ceil_mode
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc = nn.Linear(fc_in or (64 * 6 * 6 if ceil_mode else 64 * 5 * 5), n_out)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2, ceil_mode=self.ceil_mode)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2, ceil_mode=self.ceil_mode)
        return self.fc(h.flatten(1))


class RNNForLM(nn.Module):
    """``single_bias``: keep ``bias_hh`` of each LSTMCell at zero and frozen, so that the one
    bias of chainer's LSTM is ``bias_ih`` alone and a step moves it once (the corrected port);
    the naive port trains both biases, whose sum then moves twice as far."""

    def __init__(self, n_vocab=50, n_units=20, single_bias=False):
        super().__init__()
        self.embed = nn.Embedding(n_vocab, n_units)
        self.l1 = nn.LSTMCell(n_units, n_units)
        self.l2 = nn.LSTMCell(n_units, n_units)
        self.l3 = nn.Linear(n_units, n_vocab)
        self.dropout = nn.Dropout(0.5)
        if single_bias:
            for cell in (self.l1, self.l2):
                with torch.no_grad():
                    cell.bias_hh.zero_()
                cell.bias_hh.requires_grad_(False)
        self.reset_state()

    def reset_state(self):
        self.state1 = self.state2 = None

    def forward(self, x):
        h0 = self.embed(x)
        self.state1 = self.l1(self.dropout(h0), self.state1)
        self.state2 = self.l2(self.dropout(self.state1[0]), self.state2)
        return self.l3(self.dropout(self.state2[0]))


class PTBUnrolled(nn.Module):
    def __init__(self, n_vocab=50, n_units=20, single_bias=False):
        super().__init__()
        self.predictor = RNNForLM(n_vocab, n_units, single_bias)

    def reset_state(self):
        self.predictor.reset_state()

    def forward(self, xs):
        self.predictor.reset_state()
        return torch.stack([self.predictor(x) for x in xs])


# --- torchvision's VGG-16 and ResNet-50, by hand -------------------------------------------
_VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16_features(ceil_mode=False):
    """torchvision ``vgg16().features`` (configuration 'D', no batch norm); ``ceil_mode``
    for the max poolings (torchvision: False)."""
    layers, channels = [], 3
    for value in _VGG16:
        if value == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=ceil_mode))
        else:
            layers += [nn.Conv2d(channels, value, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            channels = value
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """torchvision ``models.vgg.VGG`` (``vgg16``): features, avgpool, classifier."""

    def __init__(self, num_classes=1000, ceil_mode=False, dropout=0.5):
        super().__init__()
        self.features = vgg16_features(ceil_mode)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))

    def forward(self, x):
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


def vgg16(ceil_mode=False):
    return VGG(ceil_mode=ceil_mode)


class VGG16Trunk(nn.Module):
    """``vgg16().features`` alone under the same key (``features.N``), the counterpart of
    chainer's VGG16Layers up to pool5."""

    def __init__(self, ceil_mode=False):
        super().__init__()
        self.features = vgg16_features(ceil_mode)

    def forward(self, x):
        return self.features(x)


class Bottleneck(nn.Module):
    """torchvision ``models.resnet.Bottleneck`` (v1.5: the stride on the 3x3 conv2);
    ``stride_on='1x1'`` puts it on conv1 as the original ResNet (v1, chainer's
    ResNet50Layers, MSRA)."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, eps=1e-5, stride_on="3x3"):
        super().__init__()
        width = planes
        stride_1x1, stride_3x3 = (stride, 1) if stride_on == "1x1" else (1, stride)
        self.conv1 = nn.Conv2d(inplanes, width, 1, stride=stride_1x1, bias=False)
        self.bn1 = nn.BatchNorm2d(width, eps=eps)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride_3x3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width, eps=eps)
        self.conv3 = nn.Conv2d(width, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion, eps=eps)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision ``models.resnet.ResNet`` with Bottleneck blocks [3, 4, 6, 3] (resnet50).

    Port arguments (torchvision's defaults give torchvision's model): ``eps`` of every
    BatchNorm2d (1e-5; chainer 2e-5), ``stride_on`` ('3x3', v1.5; chainer '1x1', v1),
    ``pool_padding`` and ``ceil_mode`` of the stem's max pooling (1 and False; chainer's
    ``max_pooling_2d(x, 3, stride=2)`` is padding 0 with cover_all, i.e. ceil_mode=True)."""

    def __init__(self, layers=(3, 4, 6, 3), num_classes=1000, eps=1e-5, stride_on="3x3",
                 pool_padding=1, ceil_mode=False):
        super().__init__()
        self.inplanes = 64
        self.eps, self.stride_on = eps, stride_on
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64, eps=eps)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=pool_padding,
                                    ceil_mode=ceil_mode)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * Bottleneck.expansion, 1, stride=stride,
                          bias=False),
                nn.BatchNorm2d(planes * Bottleneck.expansion, eps=self.eps))
        layers = [Bottleneck(self.inplanes, planes, stride, downsample, self.eps, self.stride_on)]
        self.inplanes = planes * Bottleneck.expansion
        layers += [Bottleneck(self.inplanes, planes, eps=self.eps, stride_on=self.stride_on)
                   for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet50(**port_arguments):
    return ResNet(**port_arguments)


def resnet50_v1(**overrides):
    """The corrected port of chainer's ResNet50Layers: eps 2e-5, stride on the 1x1 conv, the
    stem pooled with padding 0 and ceil_mode (each can be overridden to plant a difference)."""
    arguments = {"eps": 2e-5, "stride_on": "1x1", "pool_padding": 0, "ceil_mode": True}
    arguments.update(overrides)
    return ResNet(**arguments)
