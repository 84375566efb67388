"""Layers and containers (torch ``nn.Module`` / chainer ``Link``), see ``module.py``."""
from .layers import Conv2d, Linear
from .module import Chain, ChainList, Module, Parameter, Sequential
from .rnn import LSTM, RNN, ChainerLSTM
from .normalization import (  # normalisation layers (issue 17)
    BatchNormalization, GroupNormalization, LayerNormalization)

__all__ = ["Chain", "ChainList", "ChainerLSTM", "Conv2d", "LSTM", "Linear", "Module", "Parameter",
           "RNN", "Sequential"]
__all__ += ["BatchNormalization", "GroupNormalization", "LayerNormalization"]
