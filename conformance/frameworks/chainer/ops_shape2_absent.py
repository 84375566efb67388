"""The op subjects of ``conformance/subjects/ops_shape2.py`` (issue 17) that chainer lacks
here, with the reason: part of the plugin's ``ops_absent``. Data only: the installed versions
are read from the package metadata, chainer itself is not imported.

chainer 7.8.1's ``F.resize_images`` computes its source coordinates with ``numpy.float``,
an alias NumPy 1.24 removed: there ``F.resize_images(x, (3, 5))`` raises AttributeError
("module 'numpy' has no attribute 'float'"), seen with NumPy 1.26.4 (chainer 6.7.0 too).
chainer 5.x and 6.x take no ``align_corners`` argument (chainer 7 added it; checked on 5.4.0
and 6.7.0 with ``inspect.signature``), which the subject passes explicitly.
"""
import importlib.metadata

import numpy

ABSENT = {}

try:
    _CHAINER = importlib.metadata.version("chainer")
except importlib.metadata.PackageNotFoundError:
    _CHAINER = None

if _CHAINER is not None and int(_CHAINER.split(".")[0]) < 7:
    ABSENT["resize_images"] = (
        f"chainer {_CHAINER}'s F.resize_images(x, output_shape) takes no align_corners "
        f"argument (added in chainer 7; checked on 5.4.0 and 6.7.0), which the subject "
        f"passes explicitly")
elif not hasattr(numpy, "float"):
    ABSENT["resize_images"] = (
        f"chainer 7.8.1's F.resize_images calls numpy.float, which NumPy {numpy.__version__} "
        f"no longer has: F.resize_images(x, (3, 5)) raises AttributeError(\"module 'numpy' has "
        f"no attribute 'float'\") (chainer's default is align_corners=True, torch's "
        f"F.interpolate False)")
