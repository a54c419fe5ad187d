"""Recurrent layers: the RNN base, SimpleRNN, LSTM, GRU, their cells, and the
Bidirectional and TimeDistributed wrappers, and ConvLSTM1D/2D/3D."""
from brickwork.layers.rnn.bidirectional import Bidirectional
from brickwork.layers.rnn.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from brickwork.layers.rnn.gru import GRU, GRUCell
from brickwork.layers.rnn.lstm import LSTM, LSTMCell
from brickwork.layers.rnn.rnn import RNN
from brickwork.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from brickwork.layers.rnn.stacked_rnn_cells import StackedRNNCells
from brickwork.layers.rnn.time_distributed import TimeDistributed

__all__ = ["RNN", "SimpleRNN", "SimpleRNNCell", "LSTM", "LSTMCell", "GRU", "GRUCell",
           "StackedRNNCells", "Bidirectional", "TimeDistributed", "ConvLSTM1D", "ConvLSTM2D",
           "ConvLSTM3D"]
