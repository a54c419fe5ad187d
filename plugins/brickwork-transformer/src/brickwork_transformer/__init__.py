"""brickwork-transformer: Transformer layers for brickwork.

Installed, its layers are registered with brickwork through the ``brickwork``
entry point (saved models that use them load again) and appear as
``brickwork.layers.TransformerEncoder`` etc.
"""
from brickwork_transformer.layers import (SinePositionEncoding, TokenAndPositionEmbedding,
                                          TransformerEncoder)

__version__ = "0.1.0"
__all__ = ["SinePositionEncoding", "TokenAndPositionEmbedding", "TransformerEncoder"]
