"""Image augmentation layers (Keras's ``keras.layers.Random*``, ``AugMix``,
``RandAugment``, ``CutMix``, ``MixUp``, ``Solarization``, ``Equalization``,
``AutoContrast``, ``ContrastLimitedAdaptiveHistogramEqualization``,
``MaxNumBoundingBoxes`` and ``Pipeline``): random in training, the
identity at inference, seedable. ``base`` holds the transform protocol,
``boxes`` the bounding-box formats; one module per family registers its
layers."""
from brickwork.layers.augmentation import color, composite, geometric, mixing  # noqa: F401
