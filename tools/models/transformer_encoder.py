"""A small Transformer encoder classifier: token embedding, 2 post-norm encoder layers, mean pooling, classifier."""

import keras
from keras import layers

VOCAB, LENGTH, WIDTH, HEADS, FF, CLASSES = 20000, 128, 64, 4, 128, 2

tokens = keras.Input(shape=(LENGTH,), dtype="int32", name="tokens")
x = layers.Embedding(VOCAB, WIDTH, name="token_embedding")(tokens)
for i in range(2):
    attention = layers.MultiHeadAttention(num_heads=HEADS, key_dim=WIDTH // HEADS, name=f"encoder{i}_attention")(x, x)
    x = layers.Add(name=f"encoder{i}_attention_add")([x, attention])
    x = layers.LayerNormalization(epsilon=1e-6, name=f"encoder{i}_attention_norm")(x)
    hidden = layers.Dense(FF, activation="relu", name=f"encoder{i}_ff1")(x)
    hidden = layers.Dense(WIDTH, name=f"encoder{i}_ff2")(hidden)
    x = layers.Add(name=f"encoder{i}_ff_add")([x, hidden])
    x = layers.LayerNormalization(epsilon=1e-6, name=f"encoder{i}_ff_norm")(x)
x = layers.GlobalAveragePooling1D(name="pool")(x)
outputs = layers.Dense(CLASSES, activation="softmax", name="classifier")(x)
model = keras.Model(tokens, outputs, name="transformer_encoder")
