#!/usr/bin/env python3
"""Ask real Keras how model.summary() writes the totals (parameter counts and their memory); write them as
JSON test data. A hand-run tool, NOT part of layercalc (Keras never becomes a dependency):

    TF_CPP_MIN_LOG_LEVEL=3 /path/to/kenv/bin/python tools/keras_summary_totals.py

Each spec of CASES is built with tools/keras_reference.py's build_model under each dtype (keras.config's
floatx, so every weight has that dtype), and the three lines of its summary that start "Total params",
"Trainable params" and "Non-trainable params" are written, as Keras printed them, to
tests/data/keras/summary_totals.json with Keras' version. tests/test_views.py compares layercalc's lines.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras  # noqa: E402
from keras_reference import ROOT, build_model, header, read  # noqa: E402
from reference_json import write_json  # noqa: E402

OUT = os.path.join(ROOT, "tests", "data", "keras", "summary_totals.json")
# spec -> the dtypes to build it in: the spec's default (float32) and, on a small model, each other float.
CASES = {"specs/mnist_convnet.yaml": ("float32", "float16", "bfloat16", "float64"),
         "specs/residual_small.yaml": ("float32",), "specs/resnet50.yaml": ("float32", "float16")}
LABELS = ("Total params", "Trainable params", "Non-trainable params")


def totals_lines(spec_path: str, dtype: str) -> list:
    keras.config.set_floatx(dtype)
    try:
        spec, _ = read(os.path.join(ROOT, spec_path), {})
        model, _ = build_model(spec)
        lines = []
        model.summary(print_fn=lambda text, line_break=False: lines.extend(text.split("\n")))
    finally:
        keras.config.set_floatx("float32")
    return [line.strip() for line in lines if line.strip().startswith(LABELS)]


def main() -> int:
    cases = [{"spec": spec, "dtype": dtype, "lines": totals_lines(spec, dtype)}
             for spec, dtypes in CASES.items() for dtype in dtypes]
    write_json(OUT, {**header(), "cases": cases})
    return 0


if __name__ == "__main__":
    sys.exit(main())
