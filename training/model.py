"""The character classifier: a small VGG-style CNN over 28x28 crops."""

from __future__ import annotations


def build_model(n_classes: int, input_size: int = 28):
    import keras
    from keras import layers

    def block(x, filters: int, convs: int):
        for _ in range(convs):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization(momentum=0.9)(x)
            x = layers.ReLU()(x)
        return layers.MaxPooling2D()(x)

    inputs = keras.Input((input_size, input_size, 1), name="glyph")
    # Small shifts and zooms at training time only; the heavy, scan-like
    # augmentation happens when the training set is built.
    x = layers.RandomTranslation(0.06, 0.06, fill_mode="constant")(inputs)
    x = layers.RandomZoom((-0.08, 0.08), fill_mode="constant")(x)
    # One convolution at full resolution keeps training affordable on two CPU cores.
    x = block(x, 32, 1)
    x = block(x, 64, 2)
    x = block(x, 128, 2)
    x = layers.Flatten()(x)
    x = layers.Dense(256, use_bias=False)(x)
    x = layers.BatchNormalization(momentum=0.9)(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(0.4)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="hwr_char_cnn")
