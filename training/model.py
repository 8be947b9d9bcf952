"""The character classifier: a VGG-style CNN over 28x28 crops.

Two sizes: `small` (hwr-cnn-1) and `wide` (half again as many filters per layer and a
wider dense layer, about 2.3 times the arithmetic): EMNIST's classes are under-fitted
by the small one (training accuracy no higher than held-out accuracy).
"""

from __future__ import annotations

ARCHITECTURES = {
    # filters of the three blocks, convolutions per block, dense units
    "small": ((32, 64, 128), (1, 2, 2), 256),
    "wide": ((48, 96, 192), (1, 2, 2), 384),
}


def build_model(n_classes: int, input_size: int = 28, arch: str = "small"):
    import keras
    from keras import layers

    filters, convs, dense = ARCHITECTURES[arch]

    def block(x, width: int, count: int):
        for _ in range(count):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization(momentum=0.9)(x)
            x = layers.ReLU()(x)
        return layers.MaxPooling2D()(x)

    inputs = keras.Input((input_size, input_size, 1), name="glyph")
    # Small shifts and zooms at training time only; the heavy, scan-like
    # augmentation happens when the training set is built.
    x = layers.RandomTranslation(0.06, 0.06, fill_mode="constant")(inputs)
    x = layers.RandomZoom((-0.08, 0.08), fill_mode="constant")(x)
    # One convolution at full resolution keeps training affordable on two CPU cores.
    for width, count in zip(filters, convs):
        x = block(x, width, count)
    x = layers.Flatten()(x)
    x = layers.Dense(dense, use_bias=False)(x)
    x = layers.BatchNormalization(momentum=0.9)(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(0.4)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="hwr_char_cnn")
