"""Layers and containers (torch ``nn.Module`` / chainer ``Link``), see ``module.py``."""
from .layers import Conv2d, Linear
from .module import Chain, ChainList, Module, Parameter, Sequential
from .rnn import LSTM, RNN, ChainerLSTM

__all__ = ["Chain", "ChainList", "ChainerLSTM", "Conv2d", "LSTM", "Linear", "Module", "Parameter",
           "RNN", "Sequential"]
