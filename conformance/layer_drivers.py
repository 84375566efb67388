"""The layer-level dispatch under its former name: ``conformance.checks.layers`` holds it
(each framework's bindings live in its plugin's ``layers_module``)."""
from .checks.layers import (Absent, NotSupported, conv_layer, fan_in, function,  # noqa: F401
                            functional_call, linear_layer)
