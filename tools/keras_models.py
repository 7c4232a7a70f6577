#!/usr/bin/env python3
"""Save small real Keras models as test data for `layercalc summary model.keras` / `model.json`.

This is a hand-run tool, NOT part of layercalc (Keras must never become a
project dependency); run it with a Python that has Keras 3 (+ TensorFlow), e.g.

    TF_CPP_MIN_LOG_LEVEL=3 /tmp/kenv/bin/python tools/keras_models.py

(keras_hub_transformer needs keras-hub too: Keras 3.15.1 + keras-hub 0.32.0 made the files here).
Re-running rewrites every model's files (a .keras archive records when it was saved): keep only
the changes you mean to make, restoring the other files with git.

It writes, into tests/data/keras_models/:

- each model below as ``<name>.keras`` (``model.save``) and/or ``<name>.json``
  (``model.to_json()``).  layercalc reads only a .keras archive's config.json,
  so the weights file is removed from archives larger than KEEP_WEIGHTS_BYTES,
  to keep the test data at a few KB; the smaller ones stay as Keras wrote them,
  to prove a whole archive reads;
- ``figures.json``: for each model, what Keras' ``model.summary()`` reports:
  the totals it printed, one row per ``model.layers`` entry (a nested model is
  one row, as summary() shows it), and every layer of nested models under its
  path (``inner/dense``), which is how layercalc names a nested model's layers;
  a layer (or nested model) called several times also gets the output shape of
  each call (``call_output_shapes``, in Keras' node order), and every model
  ``model.count_params()``.  The rows include the Keras operations between layers
  (``model.operations``, as summary() lists them), with ``"operation": true``, and
  ``"mask": true`` for those whose outputs only make masks (the NotEqual that
  ``Embedding(mask_zero=True)`` adds).  A model with a layer whose dtype policy is not float32 also has
  ``dtypes``: each layer's policy, ``variable_dtype``, ``compute_dtype``, the dtype of its output tensor and
  those of its weights (``output_dtype``, ``weight_dtypes``), ``input_dtypes``, and ``input_layers``: each
  InputLayer's dtype, policy and output dtype (recorded for mixed_float16, float16_policy and
  mixed_bfloat16_layers).

The tests only ever read these files; they never import Keras.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

import keras  # noqa: E402
from keras import layers, ops  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "keras_models")
KEEP_WEIGHTS_BYTES = 24 * 1024


# -- the models -------------------------------------------------------------------


def mnist_convnet():
    """keras.io "Simple MNIST convnet" (Sequential)."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ], name="mnist_convnet")


def two_towers():
    """Functional: two inputs, a skip connection (Add), a frozen BatchNormalization, two outputs."""
    image = keras.Input((16, 16, 3), name="image")
    meta = keras.Input((5,), name="meta")
    x = layers.Conv2D(4, 3, padding="same", name="stem")(image)
    y = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    y = layers.BatchNormalization(trainable=False)(y)
    x = layers.Add(name="skip")([x, y])
    x = layers.GlobalAveragePooling2D()(x)
    m = layers.Dense(4, activation="relu")(meta)
    both = layers.Concatenate()([x, m])
    label = layers.Dense(3, activation="softmax", name="label")(both)
    score = layers.Dense(1, name="score")(both)
    return keras.Model([image, meta], [label, score], name="two_towers")


def nested():
    """A Functional model using a nested Sequential (frozen) and a nested two-input Functional model."""
    features = keras.Sequential([
        keras.Input((12,)),
        layers.Dense(8, activation="relu"),
        layers.BatchNormalization(),
        layers.Dense(6),
    ], name="features")
    features.trainable = False
    left, right = keras.Input((6,), name="left"), keras.Input((6,), name="right")
    merged = layers.Dense(4)(layers.Concatenate()([left, right]))
    head = keras.Model([left, right], merged, name="head")
    a = keras.Input((12,), name="a")
    b = keras.Input((6,), name="b")
    x = features(a)
    x = head([x, b])
    out = layers.Dense(2, name="out")(x)
    return keras.Model([a, b], out, name="nested")


def lstm_state():
    """An LSTM with return_state whose states feed other layers; an int32 input through Embedding."""
    tokens = keras.Input((20,), dtype="int32", name="tokens")
    x = layers.Embedding(50, 8)(tokens)
    sequence, h, c = layers.LSTM(6, return_sequences=True, return_state=True)(x)
    last = layers.GRU(4)(sequence)
    state = layers.Concatenate()([h, c, last])
    out = layers.Dense(3)(state)
    return keras.Model(tokens, [out, c], name="lstm_state")


def wrappers():
    """Bidirectional, TimeDistributed and MultiHeadAttention called with keyword tensors, batch fixed at 8."""
    seq = keras.Input((10, 6), batch_size=8, name="seq")
    x = layers.Bidirectional(layers.LSTM(5, return_sequences=True))(seq)
    x = layers.TimeDistributed(layers.Dense(4))(x)
    context = layers.Dense(4)(seq)
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=3)(query=x, value=context, key=context)
    out = layers.GlobalMaxPooling1D()(attended)
    return keras.Model(seq, out, name="wrappers")


def with_lambda():
    """A Lambda layer: Python code layercalc cannot know the shape of."""
    x = keras.Input((8,), name="x")
    y = layers.Dense(4)(x)
    y = layers.Lambda(lambda t: t * 2.0, name="double")(y)
    return keras.Model(x, layers.Dense(2)(y), name="with_lambda")


@keras.saving.register_keras_serializable(package="demo")
class Scale(layers.Layer):
    """A custom layer: one trainable scalar."""

    def build(self, input_shape):
        self.factor = self.add_weight(shape=(), initializer="ones")

    def call(self, inputs):
        return inputs * self.factor


def with_custom():
    x = keras.Input((8,), name="x")
    y = Scale(name="scale")(layers.Dense(4)(x))
    return keras.Model(x, y, name="with_custom")


@keras.saving.register_keras_serializable(package="demo")
class StridedBlock(layers.Layer):
    """A custom layer with weights of its own: a 3x3 convolution of stride 2 ('same') with a bias, then a frozen
    per-channel scale (a non-trainable weight)."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(3, 3, input_shape[-1], self.filters))
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
        self.scale = self.add_weight(name="scale", shape=(self.filters,), initializer="ones", trainable=False)

    def call(self, inputs):
        y = ops.conv(inputs, self.kernel, strides=2, padding="same") + self.bias
        return y * self.scale

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


@keras.saving.register_keras_serializable(package="demo")
class Gate(layers.Layer):
    """A custom layer of two inputs, a sequence (batch, steps, features) and a context (batch, units): the
    context projected to the features, added to every step, then the two concatenated on the last axis."""

    def build(self, input_shape):
        sequence, context = input_shape
        self.kernel = self.add_weight(name="kernel", shape=(context[-1], sequence[-1]))

    def call(self, inputs):
        sequence, context = inputs
        gated = sequence + ops.expand_dims(ops.matmul(context, self.kernel), 1)
        return ops.concatenate([gated, ops.repeat(ops.expand_dims(context, 1), ops.shape(sequence)[1], axis=1)], -1)

    def compute_output_shape(self, input_shape):
        sequence, context = input_shape
        return (*sequence[:-1], sequence[-1] + context[-1])


def custom_two_inputs():
    """A custom layer called on two tensors (a list), between Keras layers."""
    steps, meta = keras.Input((10, 16), name="steps"), keras.Input((8,), name="meta")
    gated = Gate(name="gate")([layers.Dense(16, name="embed")(steps), meta])
    return keras.Model([steps, meta], layers.Dense(3, name="out")(layers.GlobalAveragePooling1D()(gated)),
                       name="custom_two_inputs")


def custom_block():
    """A custom layer with its own weights between Keras layers (its output shape recorded by the next layer)."""
    x = keras.Input((32, 32, 3), name="image")
    y = layers.Conv2D(16, 3, padding="same")(x)
    y = StridedBlock(64, name="my_block")(y)
    y = layers.GlobalAveragePooling2D()(y)
    return keras.Model(x, layers.Dense(10)(y), name="custom_block")


def deep_nesting():
    """A Sequential holding a Functional model that holds a frozen Sequential: blocks in blocks."""
    inner = keras.Sequential([keras.Input((8,)), layers.Dense(4), layers.BatchNormalization()], name="deep")
    inner.trainable = False
    middle_input = keras.Input((8,), name="middle_input")
    middle = keras.Model(middle_input, layers.Dense(3)(inner(middle_input)), name="middle")
    return keras.Sequential([keras.Input((8,)), middle, layers.Dense(1)], name="deep_nesting")


def nested_outputs():
    """A nested model with two outputs, the first an LSTM state (its output 1), both used outside."""
    steps = keras.Input((6, 3), name="steps")
    sequence, h, _ = layers.LSTM(4, return_sequences=True, return_state=True)(steps)
    inner = keras.Model(steps, [h, layers.Dense(2)(sequence)], name="inner")
    x = keras.Input((6, 3), name="x")
    state, per_step = inner(x)
    out = layers.Concatenate()([state, layers.Flatten()(per_step)])
    return keras.Model(x, out, name="nested_outputs")


def shared_layer():
    """One Dense layer called on two inputs: its weights are shared between the calls."""
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    dense = layers.Dense(3, name="shared")
    return keras.Model([a, b], layers.Add()([dense(a), dense(b)]), name="shared_layer")


def siamese():
    """A Siamese encoder: one Dense stack applied to two inputs (shared weights), the encodings merged."""
    left, right = keras.Input((10,), name="left"), keras.Input((10,), name="right")
    hidden = layers.Dense(16, activation="relu", name="hidden")
    encoding = layers.Dense(8, name="encoding")
    both = layers.Concatenate()([encoding(hidden(left)), encoding(hidden(right))])
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid", name="same")(both), name="siamese")


def tied_embedding():
    """One Embedding (and one pooling layer) applied to two token inputs of different lengths: tied embeddings."""
    question = keras.Input((12,), dtype="int32", name="question")
    answer = keras.Input((20,), dtype="int32", name="answer")
    embed = layers.Embedding(100, 16, name="embed")
    pool = layers.GlobalAveragePooling1D(name="pool")
    score = layers.Dot(axes=1)([pool(embed(question)), pool(embed(answer))])
    return keras.Model([question, answer], layers.Dense(1, name="out")(score), name="tied_embedding")


def tied_head():
    """A tiny language model whose head is its token embedding's reverse call: logits x·Eᵀ (tied weights)."""
    tokens = keras.Input((5,), dtype="int32", name="tokens")
    embed = layers.ReversibleEmbedding(100, 8, name="embed")
    hidden = layers.Dense(8, activation="relu", name="hidden")(embed(tokens))
    return keras.Model(tokens, embed(hidden, reverse=True), name="tied_head")


def sequential_twice():
    """A Sequential model called on two inputs: one set of weights (a BatchNormalization's statistics too)."""
    encoder = keras.Sequential([
        keras.Input((10,)),
        layers.Dense(8, activation="relu"),
        layers.BatchNormalization(),
        layers.Dense(4),
    ], name="encoder")
    a, b = keras.Input((10,), name="a"), keras.Input((10,), name="b")
    difference = layers.Subtract()([encoder(a), encoder(b)])
    return keras.Model([a, b], layers.Dense(1, name="out")(difference), name="sequential_twice")


def with_operation():
    """A Keras operation (x + 1.0) between layers, as keras.applications' MobileNetV3 has."""
    x = keras.Input((8,), name="x")
    y = layers.Dense(4)(x) + 1.0
    return keras.Model(x, layers.Dense(2)(y), name="with_operation")


def hard_swish():
    """MobileNetV3's hard-swish, x * ReLU6(x + 3) / 6, written with operations as keras.applications writes it."""
    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, padding="same", name="stem")(image)
    hard_sigmoid = layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)
    x = layers.Multiply()([x, hard_sigmoid])
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(image, layers.Dense(2, name="out")(x), name="hard_swish")


def operations():
    """keras.ops between layers: constants on either side, reshape, transpose, reductions, split (two outputs),
    slicing, concatenate, stack, expand_dims, squeeze, matmul, einsum, cast."""
    x = keras.Input((4, 6), name="x")
    y = keras.Input((6,), name="y")
    a = 3.0 - (layers.Dense(6, name="dense")(x) + 1.0)
    t = ops.transpose(ops.reshape(a, (-1, 6, 4)), (0, 2, 1))
    halves = ops.split(t, 2, axis=-1)
    sliced = halves[1][:, 1:3, ::2]
    scores = ops.einsum("bij,bj->bi", t, y)
    product = ops.matmul(t, ops.expand_dims(y, -1))
    joined = ops.concatenate([halves[0], halves[1]], axis=1)
    stacked = ops.stack([halves[0], halves[1]], axis=1)
    pooled = ops.squeeze(ops.mean(t, axis=1, keepdims=True), 1)
    flat = layers.Concatenate(name="flat")([
        layers.Flatten()(sliced), ops.cast(scores, "float32"), layers.Flatten()(product), layers.Flatten()(joined),
        layers.Flatten()(stacked), ops.maximum(pooled, 0.0), x[:, 0], ops.sqrt(ops.abs(y))])
    return keras.Model([x, y], layers.Dense(3, name="out")(flat), name="operations")


def text_classifier():
    """The Keras tutorials' text classifier: Embedding(mask_zero=True) before an LSTM and a pooling layer (Keras
    adds the NotEqual operation that computes the mask)."""
    tokens = keras.Input((20,), dtype="int32", name="tokens")
    x = layers.Embedding(1000, 16, mask_zero=True)(tokens)
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(x)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(tokens, layers.Dense(1, activation="sigmoid")(x), name="text_classifier")


def masked_sequence():
    """Masking() before an LSTM: Keras adds NotEqual and Any operations for the mask."""
    steps = keras.Input((5, 3), name="steps")
    x = layers.LSTM(4)(layers.Masking(mask_value=0.0)(steps))
    return keras.Model(steps, layers.Dense(2)(x), name="masked_sequence")


def mobilenet_v3_small():
    """keras.applications.MobileNetV3Small(input_shape=(224, 224, 3), weights=None): operations for hard-swish."""
    return keras.applications.MobileNetV3Small(input_shape=(224, 224, 3), weights=None)


def seq2seq():
    """The Keras seq2seq example's shape: an LSTM encoder whose final states start the decoder LSTM
    (initial_state=[h, c])."""
    source, target = keras.Input((10, 12), name="source"), keras.Input((8, 9), name="target")
    _, h, c = layers.LSTM(16, return_state=True, name="encoder")(source)
    decoded = layers.LSTM(16, return_sequences=True, name="decoder")(target, initial_state=[h, c])
    return keras.Model([source, target], layers.Dense(9, activation="softmax", name="out")(decoded), name="seq2seq")


def augmented():
    """The Keras image tutorials' classifier with its augmentation layers inside the model (a nested Sequential)."""
    augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1),
                                     layers.RandomZoom(0.1), layers.RandomContrast(0.2)], name="augmentation")
    image = keras.Input((32, 32, 3), name="image")
    x = layers.RandomCrop(28, 28)(augmentation(image))
    x = layers.GlobalAveragePooling2D()(layers.Conv2D(8, 3)(layers.Rescaling(1.0 / 255)(x)))
    return keras.Model(image, layers.Dense(10, name="out")(x), name="augmented")


def convnext_tiny():
    """keras.applications.ConvNeXtTiny(weights=None): its own LayerScale layers, Add operations, a nested Sequential."""
    return keras.applications.ConvNeXtTiny(weights=None)


def inception_resnet_v2():
    """keras.applications.InceptionResNetV2(weights=None): its own CustomScaleLayer layers."""
    return keras.applications.InceptionResNetV2(weights=None)


def keras_hub_transformer():
    """Keras Hub layers: token and position embeddings, a TransformerEncoder, a TransformerDecoder cross-attending."""
    import keras_hub  # only this model needs it: run the tool in an environment with keras-hub

    hub = keras_hub.layers
    tokens = keras.Input((10,), dtype="int32", name="tokens")
    targets = keras.Input((8,), dtype="int32", name="targets")
    encoded = hub.TransformerEncoder(32, 2, name="encoder")(hub.TokenAndPositionEmbedding(
        50, 10, 16, name="source_embedding")(tokens))
    decoded = hub.TransformerDecoder(32, 2, name="decoder")(hub.TokenAndPositionEmbedding(
        50, 8, 16, name="target_embedding")(targets), encoded)
    return keras.Model([tokens, targets], layers.Dense(50, name="logits")(decoded), name="keras_hub_transformer")


def attention_scores():
    """MultiHeadAttention called with return_attention_scores=True, its scores (output 1) feeding later layers."""
    # The context is as long as the query: Keras' symbolic shape of the scores assumes it (its summary is
    # wrong for another length).
    query, context = keras.Input((6, 8), name="query"), keras.Input((6, 12), name="context")
    attended, scores = layers.MultiHeadAttention(2, 4, name="mha")(query, context, return_attention_scores=True)
    both = layers.Concatenate()([layers.GlobalAveragePooling1D()(attended), layers.Flatten()(scores)])
    return keras.Model([query, context], layers.Dense(3, name="out")(both), name="attention_scores")


def augmentation():
    """The keras.io image-classification tutorials' augmentation inside the model, then adaptive pooling."""
    image = keras.Input((32, 32, 3))
    x = image
    for layer in (layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.1),
                  layers.RandomTranslation(0.1, 0.1), layers.RandomContrast(0.2), layers.RandomBrightness(0.2),
                  layers.AugMix(), layers.RandAugment(), layers.Solarization(), layers.MixUp(), layers.CutMix(),
                  layers.RandomCrop(24, 24), layers.ActivityRegularization(l1=0.01)):
        x = layer(x)
    x = layers.SpectralNormalization(layers.Conv2D(8, 3))(x)
    x = layers.AdaptiveAveragePooling2D(4)(x)
    return keras.Model(image, layers.Dense(2)(layers.Flatten()(x)), name="augmentation")


def text_preprocessing():
    """Strings in: TextVectorization (with its vocabulary), StringLookup, HashedCrossing, then an RNN of cells."""
    text, tag = keras.Input((), dtype="string", name="text"), keras.Input((1,), dtype="string", name="tag")
    ids = layers.TextVectorization(max_tokens=20, output_sequence_length=6, vocabulary=["the", "cat", "sat"])(text)
    sequence = layers.RNN([layers.LSTMCell(8), layers.GRUCell(4)])(layers.Embedding(20, 5)(ids))
    tags = layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="one_hot")(tag)
    crossed = layers.HashedCrossing(8, output_mode="one_hot")([tag, tag])
    return keras.Model([text, tag], layers.Concatenate()([sequence, tags, crossed]), name="text_preprocessing")


def encodings():
    """Integer features encoded: CategoryEncoding, Hashing, Discretization, IntegerLookup; a stacked RNN."""
    ids = keras.Input((4,), dtype="int32", name="ids")
    parts = [layers.CategoryEncoding(10)(ids), layers.Hashing(8, output_mode="count")(ids),
             layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="multi_hot")(ids),
             layers.IntegerLookup(vocabulary=[3, 4, 5], output_mode="multi_hot")(ids)]
    merged = layers.Reshape((25, 1))(layers.Concatenate()(parts))
    cells = layers.StackedRNNCells([layers.SimpleRNNCell(3), layers.LSTMCell(2)])
    return keras.Model(ids, layers.RNN(cells, return_sequences=True)(merged), name="encodings")


def audio():
    """Audio samples: a mel spectrogram, and an STFT spectrogram through a Pipeline of layers."""
    samples = keras.Input((4000,), name="samples")
    mel = layers.MelSpectrogram(fft_length=256, sequence_stride=128, num_mel_bins=32)(samples)
    stft = layers.STFTSpectrogram(frame_length=64, frame_step=32)(layers.Reshape((4000, 1))(samples))
    pooled = layers.Pipeline([layers.GlobalAveragePooling1D(), layers.Dense(4)])(stft)
    return keras.Model(samples, [layers.Flatten()(mel), pooled], name="audio")


def mixed_float16():
    """The Keras mixed-precision guide's model: under the global policy mixed_float16 (float32 variables, float16
    computations), its softmax given dtype="float32" as the guide advises."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        x = keras.Input((784,), name="digits")
        y = layers.Dense(64, activation="relu", name="dense_1")(x)
        y = layers.BatchNormalization(name="norm")(y)
        y = layers.Dense(10, name="dense_logits")(layers.Dense(64, activation="relu", name="dense_2")(y))
        predictions = layers.Activation("softmax", dtype="float32", name="predictions")(y)
        return keras.Model(x, predictions, name="mixed_float16")
    finally:
        keras.mixed_precision.set_global_policy("float32")


def mixed_bfloat16_layers():
    """Per-layer policies: every layer given dtype="mixed_bfloat16" (no global policy), a nested Sequential too."""
    policy = "mixed_bfloat16"
    head = keras.Sequential([layers.Dense(8, activation="relu", dtype=policy), layers.Dense(3, dtype=policy)],
                            name="head")
    image = keras.Input((16, 16, 3), name="image")
    x = layers.Conv2D(8, 3, dtype=policy)(image)
    x = layers.BatchNormalization(dtype=policy)(x)
    x = layers.GlobalAveragePooling2D(dtype=policy)(x)
    return keras.Model(image, head(x), name="mixed_bfloat16_layers")


def float16_policy():
    """Under the global policy float16: variables in float16 too (model.summary() weighs them at 2 bytes)."""
    keras.mixed_precision.set_global_policy("float16")
    try:
        return keras.Sequential([keras.Input((12,)), layers.Dense(6, activation="relu"), layers.LayerNormalization(),
                                 layers.Dense(2)], name="float16_policy")
    finally:
        keras.mixed_precision.set_global_policy("float32")


def float16_layer():
    """A float32 model with one layer given dtype="float16" (its weights and output in float16), the float32 Dense
    after it computing in float32 again (Keras casts its float16 input), and a LayerNormalization given
    dtype="mixed_bfloat16" (float32 weights, bfloat16 output)."""
    x = keras.Input((12,), name="features")
    y = layers.Dense(16, activation="relu", name="dense_in")(x)
    y = layers.Dense(32, activation="relu", dtype="float16", name="half")(y)
    y = layers.LayerNormalization(dtype="mixed_bfloat16", name="norm")(y)
    return keras.Model(x, layers.Dense(4, name="dense_out")(y), name="float16_layer")


def bfloat16_in_mixed():
    """Under the global policy mixed_float16, a Conv2D and a Dense given dtype="bfloat16" (weights and outputs in
    bfloat16), a BatchNormalization given dtype="float16", a Dense given dtype="float64", and the guide's float32
    softmax."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        image = keras.Input((8, 8, 3), name="image")
        y = layers.Conv2D(4, 3, dtype="bfloat16", name="conv_bf16")(image)
        y = layers.BatchNormalization(dtype="float16", name="norm_f16")(y)
        y = layers.Conv2D(6, 3, name="conv")(y)
        y = layers.Flatten(name="flatten")(y)
        y = layers.Dense(10, dtype="bfloat16", name="dense_bf16")(y)
        y = layers.Dense(5, dtype="float64", name="dense_f64")(y)
        y = layers.Dense(3, name="logits")(y)
        predictions = layers.Activation("softmax", dtype="float32", name="predictions")(y)
        return keras.Model(image, predictions, name="bfloat16_in_mixed")
    finally:
        keras.mixed_precision.set_global_policy("float32")


def wrapped_float16():
    """Wrapped layers with policies of their own: Bidirectional(LSTM(dtype="float16")) and
    TimeDistributed(Dense(dtype="float16")) in a float32 model (model.summary() weighs their weights at 2 bytes;
    the wrappers output float32), and a TimeDistributed given dtype="float16" around a Dense given "float32"."""
    sequence = keras.Input((5, 4), name="sequence")
    recurrent = layers.Bidirectional(layers.LSTM(3, dtype="float16"), name="bidi")(sequence)
    dense = layers.TimeDistributed(layers.Dense(2, dtype="float16"), name="td")(sequence)
    inverse = layers.TimeDistributed(layers.Dense(2, dtype="float32"), dtype="float16", name="td_half")(sequence)
    return keras.Model(sequence, [recurrent, dense, inverse], name="wrapped_float16")


def rnn_initial_state():
    """RNNs of cells given initial states from other layers: RNN(LSTMCell) started by an encoder's states, and
    RNN(StackedRNNCells) given the nested [[h, c], s] Keras takes for a stack."""
    source, target = keras.Input((10, 6), name="source"), keras.Input((8, 5), name="target")
    _, h, c = layers.RNN(layers.LSTMCell(12), return_state=True, name="encoder")(source)
    decoded = layers.RNN(layers.LSTMCell(12), return_sequences=True, name="decoder")(target, initial_state=[h, c])
    s = layers.Dense(7, name="start")(h)
    stacked = layers.RNN(layers.StackedRNNCells([layers.LSTMCell(12), layers.GRUCell(7)]), name="stacked")(
        decoded, initial_state=[[h, c], s])
    return keras.Model([source, target], layers.Dense(3, name="out")(stacked), name="rnn_initial_state")


def time_distributed_model():
    """TimeDistributed wrapping whole models: a Sequential (a per-frame convnet) and a two-branch Functional model."""
    frame = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3, activation="relu"),
                              layers.MaxPooling2D(), layers.Flatten(), layers.Dense(8)], name="frame")
    step_input = keras.Input((8,), name="step_input")
    left, right = layers.Dense(5, name="left")(step_input), layers.Dense(5, name="right")(step_input)
    merged = layers.Dense(4, name="merged")(layers.Add(name="both")([left, right]))
    branches = keras.Model(step_input, layers.BatchNormalization(name="norm")(merged), name="branches")
    clips = keras.Input((6, 16, 16, 3), name="clips")
    x = layers.TimeDistributed(frame, name="frames")(clips)
    x = layers.TimeDistributed(branches, name="steps")(x)
    return keras.Model(clips, layers.GlobalAveragePooling1D(name="pool")(x), name="time_distributed_model")


# name -> (builder, formats written)
MODELS = {
    "mnist_convnet": (mnist_convnet, ("keras", "json")),
    "two_towers": (two_towers, ("keras",)),
    "nested": (nested, ("keras", "json")),
    "lstm_state": (lstm_state, ("json",)),
    "deep_nesting": (deep_nesting, ("json",)),
    "nested_outputs": (nested_outputs, ("json",)),
    "wrappers": (wrappers, ("keras",)),
    "with_lambda": (with_lambda, ("json",)),
    "with_custom": (with_custom, ("keras",)),
    "custom_block": (custom_block, ("keras", "json")),
    "custom_two_inputs": (custom_two_inputs, ("keras", "json")),
    "shared_layer": (shared_layer, ("json",)),
    "siamese": (siamese, ("keras", "json")),
    "tied_embedding": (tied_embedding, ("keras",)),
    "tied_head": (tied_head, ("keras",)),
    "sequential_twice": (sequential_twice, ("keras", "json")),
    "with_operation": (with_operation, ("json",)),
    "keras_hub_transformer": (keras_hub_transformer, ("keras", "json")),
    "attention_scores": (attention_scores, ("keras", "json")),
    "augmentation": (augmentation, ("keras", "json")),
    "text_preprocessing": (text_preprocessing, ("keras", "json")),
    "encodings": (encodings, ("keras", "json")),
    "audio": (audio, ("keras", "json")),
    "hard_swish": (hard_swish, ("keras", "json")),
    "operations": (operations, ("keras", "json")),
    "text_classifier": (text_classifier, ("keras", "json")),
    "masked_sequence": (masked_sequence, ("json",)),
    "mobilenet_v3_small": (mobilenet_v3_small, ("keras",)),
    "seq2seq": (seq2seq, ("keras", "json")),
    "augmented": (augmented, ("keras",)),
    "convnext_tiny": (convnext_tiny, ("keras",)),
    "inception_resnet_v2": (inception_resnet_v2, ("keras",)),
    "mixed_float16": (mixed_float16, ("keras", "json")),
    "mixed_bfloat16_layers": (mixed_bfloat16_layers, ("keras", "json")),
    "float16_policy": (float16_policy, ("keras", "json")),
    "float16_layer": (float16_layer, ("keras", "json")),
    "bfloat16_in_mixed": (bfloat16_in_mixed, ("keras", "json")),
    "wrapped_float16": (wrapped_float16, ("keras", "json")),
    "rnn_initial_state": (rnn_initial_state, ("keras", "json")),
    "time_distributed_model": (time_distributed_model, ("keras", "json")),
}
# Run only these models (the others keep their files): `tools/keras_models.py hard_swish operations`; the
# figures of the others are kept from figures.json.


# -- figures ---------------------------------------------------------------------------


def shape_of(output):
    if isinstance(output, (list, tuple)):
        return [shape_of(item) for item in output]
    return [None if dim is None else int(dim) for dim in output.shape]


def count(weights) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def row(layer, name: str, model) -> dict:
    """A layer's figures; a layer called several times in `model` also has each call's output shape. A Keras
    operation (x + 1.0, keras.ops.*) is a node of the model as a layer is, with "operation": true."""
    by_depth = getattr(model, "_nodes_by_depth", None) or {}  # a Sequential calls each layer once
    nodes = [node for nodes in by_depth.values() for node in nodes]
    calls = [node for node in layer._inbound_nodes if node in nodes]
    operation = not isinstance(layer, keras.layers.Layer)
    return {
        "name": name,
        "type": type(layer).__name__,
        **({"operation": True} if operation else {}),
        **({"mask": True} if operation and layer.name in mask_operations(model) else {}),
        "output_shape": shape_of(layer.output),
        "params": 0 if operation else layer.count_params(),
        "trainable_params": 0 if operation else count(layer.trainable_weights),
        "non_trainable_params": 0 if operation else count(layer.non_trainable_weights),
        **({"call_output_shapes": [shape_of(node.output_tensors[0] if len(node.output_tensors) == 1
                                            else node.output_tensors) for node in calls]} if len(calls) > 1 else {}),
    }


def rows(model, prefix: str = "", nested_only: bool = False) -> list:
    """Every layer but InputLayers; a nested model's layers under its path, after its own row."""
    result = []
    for layer in nodes_of(model):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        result.append(row(layer, prefix + layer.name, model))
        if isinstance(layer, keras.Model):
            result.extend(rows(layer, prefix + layer.name + "/"))
    return result


def dtypes(model, prefix: str = "") -> dict:
    """{layer path: its policy, variables' dtype and output's dtype} for every layer, nested models' layers under
    their path, and {input: dtype}: recorded for the models with a layer whose policy is not float32."""
    found = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        output = keras.tree.flatten(layer.output)[0]
        found[prefix + layer.name] = {"policy": layer.dtype_policy.name, "variable_dtype": layer.variable_dtype,
                                      "compute_dtype": layer.compute_dtype, "output_dtype": str(output.dtype),
                                      "weight_dtypes": sorted({str(w.dtype) for w in layer.weights})}
        if isinstance(layer, keras.Model):
            found.update(dtypes(layer, prefix + layer.name + "/"))
    return found


def input_layers(model) -> dict:
    """{InputLayer name: its dtype (the config's), policy (the global one when built) and output's dtype}: Keras'
    Input is float32 (backend.floatx()) whatever the policy, unless given a dtype."""
    return {tensor.name: {"dtype": layer.dtype, "policy": layer.dtype_policy.name, "output_dtype": str(tensor.dtype)}
            for tensor in model.inputs for layer in [tensor._keras_history[0]]}


def mask_operations(model) -> set:
    """The names of the operations whose outputs only make masks: read as mask= (query_mask=, ...) by layers,
    or only by other such operations (Masking's NotEqual, then Any); never a model output."""
    readers = {}  # operation name -> {(reader name, as a mask)}
    for operation in nodes_of(model):
        for node in operation._inbound_nodes:
            arguments = node.arguments
            uses = [(tensor, False) for tensor in keras.tree.flatten(arguments.args)]
            uses += [(tensor, key == "mask" or key.endswith("_mask")) for key, value in arguments.kwargs.items()
                     for tensor in keras.tree.flatten(value)]
            for tensor, as_mask in uses:
                history = getattr(tensor, "_keras_history", None)
                if history is not None:
                    readers.setdefault(history[0].name, set()).add((operation.name, as_mask))
    outputs = {tensor._keras_history[0].name for tensor in keras.tree.flatten(model.outputs)}
    masks = set()
    while True:
        found = {name for name, read in readers.items() if name not in masks and name not in outputs
                 and all(as_mask or reader in masks for reader, as_mask in read)}
        if not found:
            return {operation.name for operation in nodes_of(model)
                    if operation.name in masks and not isinstance(operation, keras.layers.Layer)}
        masks |= found


def nodes_of(model) -> list:
    """The model's layers and operations, as model.summary() lists them (model.layers leaves operations out)."""
    return list(getattr(model, "operations", None) or model.layers)


def summary_rows(model) -> dict:
    """{"summary_rows": the rows model.summary() shows, a nested model as one}; nothing when they are the
    layers' rows (a model without nested models), which the tests then take (the figures stay small)."""
    shown = [row(layer, layer.name, model) for layer in nodes_of(model)
             if not isinstance(layer, keras.layers.InputLayer)]
    return {} if shown == rows(model) else {"summary_rows": shown}


def printed_summary(model) -> list:
    lines = []
    model.summary(print_fn=lambda text, *args, **kwargs: lines.append(text), line_length=100)
    return "\n".join(lines).splitlines()


def totals(summary_lines) -> dict:
    """{'params': 955, ...} from the 'Total params: 955 (3.73 KB)' lines model.summary() printed."""
    found = {}
    for line in summary_lines:
        match = re.match(r"\s*(Total|Trainable|Non-trainable) params: ([\d,]+)", line)
        if match:
            key = {"Total": "params", "Trainable": "trainable_params", "Non-trainable": "non_trainable_params"}
            found[key[match.group(1)]] = int(match.group(2).replace(",", ""))
    return found


# -- writing ---------------------------------------------------------------------------


def save_keras(model, path: str) -> None:
    model.save(path)
    if os.path.getsize(path) <= KEEP_WEIGHTS_BYTES:
        return
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != "model.weights.h5":
                target.writestr(info, source.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
    with open(path, "wb") as handle:
        handle.write(buffer.getvalue())


def main(names) -> int:
    os.makedirs(OUT, exist_ok=True)
    figures_path = os.path.join(OUT, "figures.json")
    figures = {}
    if names:
        with open(figures_path, encoding="utf-8") as handle:
            figures = json.load(handle)["models"]
    for name, (build, formats) in MODELS.items():
        if names and name not in names:
            continue
        keras.backend.clear_session()  # fresh auto-names
        model = build()
        summary_lines = printed_summary(model)
        figures[name] = {
            "source": f"{build.__doc__.strip() if build.__doc__ else name} Keras {keras.__version__}, "
                      f"{keras.backend.backend()} backend, tools/keras_models.py",
            "files": [f"{name}.{suffix}" for suffix in formats],
            "totals": totals(summary_lines),
            # the totals lines as summary() printed them, with the parameters' memory (in their dtypes)
            "totals_lines": [line.strip() for line in summary_lines
                             if line.strip().startswith(("Total params", "Trainable params", "Non-trainable params"))],
            **summary_rows(model),
            "count_params": model.count_params(),
            "layers": rows(model),
            "inputs": {tensor.name: shape_of(tensor) for tensor in model.inputs},
        }
        layer_dtypes = dtypes(model)
        if any(item["policy"] != "float32" for item in layer_dtypes.values()):
            figures[name]["dtypes"] = layer_dtypes
            figures[name]["input_dtypes"] = {tensor.name: str(tensor.dtype) for tensor in model.inputs}
            figures[name]["input_layers"] = input_layers(model)
        for suffix in formats:
            path = os.path.join(OUT, f"{name}.{suffix}")
            if suffix == "keras":
                save_keras(model, path)
            else:
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(model.to_json() + "\n")
            print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path):,} bytes)", file=sys.stderr)
        print("\n".join(summary_lines), file=sys.stderr)
    figures = {name: figures[name] for name in MODELS if name in figures}  # MODELS' order
    with open(figures_path, "w", encoding="utf-8") as handle:
        json.dump({"keras_version": keras.__version__, "models": figures}, handle, indent=1)
        handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
