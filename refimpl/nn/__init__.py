"""Layers and containers (torch ``nn.Module`` / chainer ``Link``), see ``module.py``."""
from .module import Chain, ChainList, Module, Parameter, Sequential

__all__ = ["Chain", "ChainList", "Module", "Parameter", "Sequential"]
