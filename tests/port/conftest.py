"""Shared inputs of the port checker's tests: small MNIST-shaped and image batches, the
optimizer pair of the examples, and one chainer VGG16 trunk (its construction draws 138M
random weights: once per session, deep-copied by each test), likewise one ResNet50Layers."""
import copy

import numpy
import pytest

MOMENTUM = {"source": {"name": "MomentumSGD", "lr": 0.01, "momentum": 0.9},
            "target": {"name": "SGD", "lr": 0.01, "momentum": 0.9}}


@pytest.fixture
def mnist_batch():
    return numpy.random.default_rng(0).standard_normal((2, 1, 28, 28))


@pytest.fixture
def images():
    """A batch of 2 RGB images at the given size."""
    return lambda size: numpy.random.default_rng(0).standard_normal((2, 3, size, size))


@pytest.fixture(scope="session")
def _vgg_trunk():
    from conformance.frameworks.chainer.port_models import VGG16Trunk
    return VGG16Trunk()


@pytest.fixture
def vgg_trunk(_vgg_trunk):
    return copy.deepcopy(_vgg_trunk)


@pytest.fixture(scope="session")
def _resnet50():
    from conformance.frameworks.chainer.port_models import ResNet50
    return ResNet50()


@pytest.fixture
def resnet50(_resnet50):
    """A fresh copy of one chainer ResNet50Layers (a check casts it, a step changes it)."""
    return copy.deepcopy(_resnet50)
