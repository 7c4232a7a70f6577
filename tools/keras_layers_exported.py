#!/usr/bin/env python3
"""List every layer class `keras.layers` exports; write it as JSON test data.

A hand-run tool, NOT part of layercalc (Keras never becomes a dependency). Run it with a Python that has
Keras 3 and a backend, e.g.

    /path/to/kenv/bin/python tools/keras_layers_exported.py

It writes tests/data/keras/layers_exported.json: the Keras (and backend) versions and, for each name in
dir(keras.layers) that is a subclass of keras.layers.Layer, the name, the class's own name (an alias such
as Convolution2D names Conv2D) and the Keras module that defines it. tests/test_layers_exported.py reads
it (never Keras) and fails when a class is neither supported nor on the documented left-out list.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_json import write_json  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "keras", "layers_exported.json")


def exported_layers() -> list:
    classes = []
    for name in sorted(dir(keras.layers)):
        value = getattr(keras.layers, name)
        if isinstance(value, type) and issubclass(value, keras.layers.Layer):
            classes.append({"name": name, "class": value.__name__, "module": value.__module__})
    return classes


def main() -> int:
    backend = keras.backend.backend()
    versions = {"keras_version": keras.__version__, "backend": backend}
    if backend == "tensorflow":
        import tensorflow as tf

        versions["tensorflow_version"] = tf.__version__
    classes = exported_layers()
    write_json(OUT, {**versions, "layers": classes})
    print(f"wrote {os.path.relpath(OUT, ROOT)}: {len(classes)} layer classes exported by keras.layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
