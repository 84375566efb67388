"""The op subjects of ``conformance/subjects/ops_shape2.py`` (issue 17) that chainer lacks
here, with the reason: part of the plugin's ``ops_absent``.

chainer 7.8.1's ``F.resize_images`` computes its source coordinates with ``numpy.float``,
an alias NumPy 1.24 removed: there ``F.resize_images(x, (3, 5))`` raises AttributeError
("module 'numpy' has no attribute 'float'"), seen with NumPy 1.26.4.
"""
import numpy

ABSENT = {}

if not hasattr(numpy, "float"):
    ABSENT["resize_images"] = (
        f"chainer 7.8.1's F.resize_images calls numpy.float, which NumPy {numpy.__version__} "
        f"no longer has: F.resize_images(x, (3, 5)) raises AttributeError(\"module 'numpy' has "
        f"no attribute 'float'\") (chainer's default is align_corners=True, torch's "
        f"F.interpolate False)")
