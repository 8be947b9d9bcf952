"""The sequence reader: a CNN over a 32-pixel-high ink strip, one recurrent layer
across its columns, and a softmax over the blank and the alphabet for every fourth
column (CTC)."""

from __future__ import annotations


def build_reader(n_symbols: int, height: int = 32):
    import keras
    from keras import layers

    def conv(x, filters: int):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        return layers.ReLU()(x)

    inputs = keras.Input((height, None, 1), name="strip")
    # Narrow convolutions: the reader must train in hours on two CPU cores.
    x = conv(inputs, 16)
    x = layers.MaxPooling2D((2, 2))(x)  # 16 x W/2
    x = conv(conv(x, 32), 32)
    x = layers.MaxPooling2D((2, 2))(x)  # 8 x W/4
    x = conv(conv(x, 64), 64)
    x = layers.MaxPooling2D((2, 1))(x)  # 4 x W/4
    x = conv(x, 96)
    x = layers.MaxPooling2D((2, 1))(x)  # 2 x W/4
    # (2, W/4, 96) -> (W/4, 192): one feature vector per frame.
    x = layers.Permute((2, 1, 3))(x)
    x = layers.Reshape((-1, 2 * 96))(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Bidirectional(layers.LSTM(96, return_sequences=True))(x)
    x = layers.Dropout(0.2)(x)
    # Logits: class 0 is the CTC blank, then the alphabet.
    outputs = layers.Dense(n_symbols + 1, name="frames")(x)
    return keras.Model(inputs, outputs, name="hwr_sequence_reader")
