#!/usr/bin/env python3
"""Ask real Keras which input positions each output position depends on; write them as JSON test data.

A hand-run tool, NOT part of layercalc (Keras and TensorFlow must never become its dependencies):

    TF_CPP_MIN_LOG_LEVEL=3 /path/to/kenv/bin/python tools/keras_receptive_fields.py

For every case of tests/data/receptive_fields/cases.yaml it builds the spec with Keras (as
tools/keras_reference.py does), sets every weight to 1 (so no gradient cancels), and for each
position o along each spatial axis of the output (the other axes at their middle, channels summed)
records the first and last input position with a non-zero gradient.  Those are the positions the
output depends on: tests/data/keras/receptive_fields.json, which tests/test_costs.py compares with
layercalc's receptive fields.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_reference import ROOT, build_model, header, rel, write_json  # noqa: E402  (sets up Keras)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import yaml  # noqa: E402

from calc.readers import parse_spec  # noqa: E402

CASES = os.path.join(ROOT, "tests", "data", "receptive_fields", "cases.yaml")
OUT = os.path.join(ROOT, "tests", "data", "keras", "receptive_fields.json")


def supports(model) -> dict:
    """{axis: [[o, first, last], ...]} for each spatial axis (numbered with the batch as 0)."""
    for layer in model.layers:
        layer.set_weights([np.ones(weight.shape) for weight in layer.get_weights()])
    shape = (1, *model.input_shape[1:])
    x = tf.constant(np.random.default_rng(0).uniform(1, 2, shape), dtype=tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = model(x)
        targets = {}
        for axis in range(1, len(y.shape) - 1):
            for o in range(y.shape[axis]):
                index = [0] + [size // 2 for size in y.shape[1:-1]] + [slice(None)]
                index[axis] = o
                targets[axis, o] = tf.reduce_sum(y[tuple(index)])
    result = {}
    for (axis, o), target in targets.items():
        gradient = tape.gradient(target, x).numpy()[0]
        other = tuple(a for a in range(gradient.ndim) if a != axis - 1)
        hit = np.nonzero(np.abs(gradient).sum(axis=other) > 0)[0]
        result.setdefault(str(axis), []).append([o, int(hit.min()), int(hit.max())] if hit.size else [o, None, None])
    return result


def main() -> int:
    with open(CASES, encoding="utf-8") as handle:
        cases = yaml.safe_load(handle)
    data = {**header(), "cases": {}}
    for case in cases:
        model, _ = build_model(parse_spec(yaml.safe_dump(case["spec"]), case["id"]))
        data["cases"][case["id"]] = supports(model)
        print(f"{case['id']}: ok", flush=True)
    write_json(OUT, data)
    print(f"wrote {rel(OUT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
