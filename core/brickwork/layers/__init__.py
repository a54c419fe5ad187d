"""``brickwork.layers``: every layer, under its Keras name."""
from brickwork.layers.core import Activation, Dense, Input, InputLayer
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer
from brickwork.layers.regularization import Dropout
from brickwork.layers.reshaping import Flatten, Reshape
from brickwork.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from brickwork.layers.attention import Attention, MultiHeadAttention
from brickwork.layers.einsum_dense import EinsumDense
from brickwork.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,
                                      Subtract, add, average, concatenate, dot, maximum, minimum,
                                      multiply, subtract)
from brickwork.layers.padding import (Cropping1D, Cropping2D, Cropping3D, ZeroPadding1D,
                                      ZeroPadding2D, ZeroPadding3D)
from brickwork.layers.reshaping import Permute, RepeatVector
from brickwork.layers.upsampling import UpSampling1D, UpSampling2D, UpSampling3D
from brickwork.layers.embedding import Embedding
from brickwork.layers.lambda_layer import Lambda
from brickwork.layers import operation_layer as _operation_layer  # noqa: F401,E402  (ops on KerasTensors)
from brickwork.layers.masking import Masking
from brickwork.layers.noise import (ActivityRegularization, AlphaDropout, GaussianDropout,
                                    GaussianNoise, SpatialDropout1D, SpatialDropout2D,
                                    SpatialDropout3D)
from brickwork.layers.normalization import (BatchNormalization, GroupNormalization,
                                            LayerNormalization, UnitNormalization)
from brickwork.layers.convolutional import *  # noqa: F401,F403  (convolution layers)
from brickwork.layers.convolutional import (CONVOLUTION_ALIASES, CONVOLUTION_LAYERS,
                                            __all__ as _convolutional_all)
from brickwork.layers.pooling import *  # noqa: F401,F403  (pooling layers)
from brickwork.layers.pooling import POOLING_ALIASES, POOLING_LAYERS, __all__ as _pooling_all
from brickwork.saving.serialization import register_builtin
from brickwork.layers.plugin_layers import plugin_layer as __getattr__  # noqa: E402,F401  (plugin layers)

register_builtin("keras.layers", InputLayer, Dense, Activation, Dropout, Flatten, Reshape)
register_builtin("keras.layers", ReLU, LeakyReLU, PReLU, ELU, Softmax, Add, Subtract, Multiply,
                 Average, Maximum, Minimum, Concatenate, Dot, Permute, RepeatVector, ZeroPadding1D,
                 ZeroPadding2D, ZeroPadding3D, Cropping1D, Cropping2D, Cropping3D, UpSampling1D,
                 UpSampling2D, UpSampling3D, Attention, MultiHeadAttention, EinsumDense)

register_builtin("keras.layers", Embedding, Lambda, Masking, BatchNormalization,
                 LayerNormalization, GroupNormalization, UnitNormalization, GaussianNoise,
                 GaussianDropout, AlphaDropout, SpatialDropout1D, SpatialDropout2D,
                 SpatialDropout3D, ActivityRegularization)

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Dense", "Activation", "Dropout",
           "Flatten", "Reshape"]
__all__ += ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Add", "Subtract", "Multiply",
            "Average", "Maximum", "Minimum", "Concatenate", "Dot", "add", "subtract", "multiply",
            "average", "maximum", "minimum", "concatenate", "dot", "Permute", "RepeatVector",
            "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
            "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D", "Attention",
            "MultiHeadAttention", "EinsumDense"]
__all__ += ["Embedding", "Lambda", "Masking", "BatchNormalization", "LayerNormalization",
            "GroupNormalization", "UnitNormalization", "GaussianNoise", "GaussianDropout",
            "AlphaDropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
            "ActivityRegularization"]
register_builtin("keras.layers", *CONVOLUTION_LAYERS, *POOLING_LAYERS,
                 aliases={**CONVOLUTION_ALIASES, **POOLING_ALIASES})
__all__ += _convolutional_all + _pooling_all
from brickwork.layers.rnn import (GRU, LSTM, RNN, Bidirectional, GRUCell, LSTMCell,  # noqa: E402
                                  SimpleRNN, SimpleRNNCell, StackedRNNCells, TimeDistributed)
register_builtin("keras.layers", RNN, SimpleRNN, SimpleRNNCell, LSTM, LSTMCell, GRU, GRUCell,
                 StackedRNNCells, Bidirectional, TimeDistributed)
__all__ += ["RNN", "SimpleRNN", "SimpleRNNCell", "LSTM", "LSTMCell", "GRU", "GRUCell",
            "StackedRNNCells", "Bidirectional", "TimeDistributed"]
