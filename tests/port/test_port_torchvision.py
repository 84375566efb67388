"""The hand-built torch counterparts (``conformance.frameworks.torch.port_models``) against
real torchvision: the same ``state_dict`` keys and shapes, and the same outputs with the same
weights. torchvision does not import beside the CI environment's torch 2.13.0 CPU wheel, so
this runs in the tox env ``port`` (torch 2.14.1 + torchvision 0.29.1) and skips elsewhere."""
import pytest

torch = pytest.importorskip("torch")
try:
    import torchvision
except Exception as error:  # noqa: BLE001 - e.g. 'operator torchvision::nms does not exist'
    pytest.skip(f"torchvision does not import here: {type(error).__name__}: {error}",
                allow_module_level=True)

from conformance.frameworks.torch import port_models  # noqa: E402


@pytest.mark.parametrize("hand, real", [
    (port_models.vgg16, torchvision.models.vgg16),
    (port_models.resnet50, torchvision.models.resnet50),
])
def test_hand_built_models_match_torchvision(hand, real):
    torch.manual_seed(0)
    mine, theirs = hand(), real(weights=None)
    ours = {key: tuple(value.shape) for key, value in mine.state_dict().items()}
    assert ours == {key: tuple(value.shape) for key, value in theirs.state_dict().items()}
    mine.load_state_dict(theirs.state_dict())
    mine.eval()
    theirs.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(mine(x), theirs(x), rtol=0, atol=0)


def test_the_vgg16_trunk_is_torchvisions_features():
    trunk, full = port_models.VGG16Trunk(), torchvision.models.vgg16(weights=None)
    assert list(trunk.state_dict()) == [key for key in full.state_dict()
                                        if key.startswith("features.")]
