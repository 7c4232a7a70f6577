"""A small text classifier: embedding, bidirectional LSTM over the sequence, GRU, sigmoid output."""

import keras
from keras import layers

tokens = keras.Input(shape=(200,), dtype="int32", name="tokens")
x = layers.Embedding(10000, 64, name="embedding")(tokens)
x = layers.Bidirectional(layers.LSTM(32, return_sequences=True), name="bilstm")(x)
x = layers.GRU(32, name="gru")(x)
outputs = layers.Dense(1, activation="sigmoid", name="output")(x)
model = keras.Model(tokens, outputs, name="lstm_text")
