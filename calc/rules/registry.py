"""The layer registry: each rule class under its Keras name and aliases, found by name,
with only the family modules a spec uses imported."""

from __future__ import annotations

import functools
import importlib
import re
from typing import Dict, List, Optional

FAMILIES = (
    "core", "conv", "pooling", "reshaping", "preprocessing", "norm", "regularization", "activation", "rnn",
    "attention", "merge",
)

REGISTRY: Dict[str, type] = {}  # canonical Keras class name -> rule class
ALIASES: Dict[str, str] = {}  # alias -> canonical name


def register(cls: type) -> type:
    """Class decorator: make a rule available under its Keras name and aliases."""
    cls.family = cls.__module__.rsplit(".", 1)[-1]
    REGISTRY[cls.__name__] = cls
    for alias in cls.aliases:
        ALIASES[alias] = cls.__name__
    return cls


# The family module that defines each type and alias, so a spec imports only the families it
# uses (importing all of them costs tens of milliseconds at start-up). A test checks it against
# the registry: a type missing here still works, through load_all().
FAMILY_OF = {
    "Activation": "core", "Dense": "core", "EinsumDense": "core", "Identity": "core",
    "Conv1D": "conv", "Conv1DTranspose": "conv", "Conv2D": "conv", "Conv2DTranspose": "conv", "Conv3D": "conv",
    "Conv3DTranspose": "conv", "Convolution1D": "conv", "Convolution1DTranspose": "conv", "Convolution2D": "conv",
    "Convolution2DTranspose": "conv", "Convolution3D": "conv", "Convolution3DTranspose": "conv",
    "DepthwiseConv1D": "conv", "DepthwiseConv2D": "conv", "SeparableConv1D": "conv", "SeparableConv2D": "conv",
    "SeparableConvolution1D": "conv", "SeparableConvolution2D": "conv",
    "AveragePooling1D": "pooling", "AveragePooling2D": "pooling", "AveragePooling3D": "pooling",
    "AvgPool1D": "pooling", "AvgPool2D": "pooling", "AvgPool3D": "pooling", "GlobalAveragePooling1D": "pooling",
    "GlobalAveragePooling2D": "pooling", "GlobalAveragePooling3D": "pooling", "GlobalAvgPool1D": "pooling",
    "GlobalAvgPool2D": "pooling", "GlobalAvgPool3D": "pooling", "GlobalMaxPool1D": "pooling",
    "GlobalMaxPool2D": "pooling", "GlobalMaxPool3D": "pooling", "GlobalMaxPooling1D": "pooling",
    "GlobalMaxPooling2D": "pooling", "GlobalMaxPooling3D": "pooling", "MaxPool1D": "pooling",
    "MaxPool2D": "pooling", "MaxPool3D": "pooling", "MaxPooling1D": "pooling", "MaxPooling2D": "pooling",
    "MaxPooling3D": "pooling",
    "Cropping1D": "reshaping", "Cropping2D": "reshaping", "Cropping3D": "reshaping", "Flatten": "reshaping",
    "Permute": "reshaping", "RepeatVector": "reshaping", "Reshape": "reshaping", "UpSampling1D": "reshaping",
    "UpSampling2D": "reshaping", "UpSampling3D": "reshaping", "ZeroPadding1D": "reshaping",
    "ZeroPadding2D": "reshaping", "ZeroPadding3D": "reshaping",
    "CenterCrop": "preprocessing", "Rescaling": "preprocessing", "Resizing": "preprocessing",
    "BatchNormalization": "norm", "GroupNormalization": "norm", "LayerNormalization": "norm",
    "Normalization": "norm", "RMSNormalization": "norm", "UnitNormalization": "norm",
    "AlphaDropout": "regularization", "Dropout": "regularization", "GaussianDropout": "regularization",
    "GaussianNoise": "regularization", "SpatialDropout1D": "regularization", "SpatialDropout2D": "regularization",
    "SpatialDropout3D": "regularization",
    "ELU": "activation", "LeakyReLU": "activation", "PReLU": "activation", "ReLU": "activation",
    "Softmax": "activation",
    "Bidirectional": "rnn", "ConvLSTM1D": "rnn", "ConvLSTM2D": "rnn", "ConvLSTM3D": "rnn", "Embedding": "rnn",
    "GRU": "rnn", "LSTM": "rnn", "SimpleRNN": "rnn", "TimeDistributed": "rnn",
    "AdditiveAttention": "attention", "Attention": "attention", "MultiHeadAttention": "attention",
    "Add": "merge", "Average": "merge", "Concatenate": "merge", "Dot": "merge", "Maximum": "merge",
    "Minimum": "merge", "Multiply": "merge", "Subtract": "merge",
}

_LOADED = []


def load_all() -> Dict[str, type]:
    """Import every family module once, so the registry is complete."""
    if not _LOADED:
        for family in FAMILIES:
            importlib.import_module(f"{__package__}.{family}")
        _LOADED.append(True)
    return REGISTRY


def lookup(type_name: str, ignore_case: bool = False) -> Optional[type]:
    """The rule class for a Keras layer name or alias, or None."""
    known = REGISTRY.get(ALIASES.get(type_name, type_name))
    if known is not None:
        return known
    family = None if ignore_case else FAMILY_OF.get(type_name)
    if family is not None:
        importlib.import_module(f"{__package__}.{family}")
        rule_class = REGISTRY.get(ALIASES.get(type_name, type_name))
        if rule_class is not None:
            return rule_class
    load_all()
    if ignore_case:
        by_lower = {name.lower(): name for name in all_type_names()}
        type_name = by_lower.get(type_name.lower(), type_name)
    canonical = ALIASES.get(type_name, type_name)
    return REGISTRY.get(canonical)


def all_type_names() -> List[str]:
    load_all()
    return sorted([*REGISTRY, *ALIASES])


@functools.lru_cache(maxsize=None)
def snake_case(name: str) -> str:
    """Keras' auto-name prefix for a class name.

    >>> snake_case("MaxPooling2D"), snake_case("BatchNormalization"), snake_case("Conv2DTranspose")
    ('max_pooling2d', 'batch_normalization', 'conv2d_transpose')
    """
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


