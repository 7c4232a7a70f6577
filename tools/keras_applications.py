#!/usr/bin/env python3
"""Save keras.applications models at three input sizes as Keras JSON (model.to_json()), with Keras' figures.

This is a hand-run tool, NOT part of layercalc (Keras must never become a project dependency); run it
with a Python that has Keras 3 (+ TensorFlow), e.g.

    TF_CPP_MIN_LOG_LEVEL=3 /tmp/kenv/bin/python tools/keras_applications.py [--out DIR] [NAME ...]

Each model NAME of keras.applications (default: all 40 it exports in Keras 3.15) is built with weights=None and its other
defaults (include_top=True) at three input shapes: its default size (input_shape=None), another size
(OTHER_SIZE: not a multiple of 32, so padding and pooling floors are exercised), both with include_top=True,
and (None, None, 3) with include_top=False, pooling="avg" (Keras refuses an unknown size with the top for
most models: "you should specify a static `input_shape`").
It writes into DIR (default tests/data/keras_applications/):

- ``<name>_<size>.json.gz``: ``model.to_json()``, gzip-compressed (the configs of the larger models are
  hundreds of KB; no weights are saved, layercalc reads only the config);
- ``figures.json.gz`` (gzip-compressed too: some 3 MB as text): for each file, Keras' figures, one
  compact row per layer or keras.ops operation (tools/keras_models.py's rows: a nested model's row, then
  its layers under its path; InputLayer left out): ``[name, class, output shape, trainable,
  non-trainable, is an operation]``, and the totals; for a model Keras refuses to
  build, the error it raised, and no file (the tests require none).

The tests only ever read these files; they never import Keras.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_models import count, rows  # noqa: E402
from keras_reference import error_text  # noqa: E402
from reference_json import ROOT, rel  # noqa: E402

OUT = os.path.join(ROOT, "tests", "data", "keras_applications")


def application_names() -> list:
    """Every model keras.applications exports (ConvNeXtBase, ..., Xception): its capitalized names."""
    return sorted(name for name in dir(keras.applications) if name[0].isupper())


OTHER_SIZE = 200  # 200 = 8 * 25: odd after three halvings


def figures(model) -> dict:
    """tools/keras_models.py's rows (a nested model's layers under its path, after its own row), compacted."""
    layers = [[row["name"], row["type"], row["output_shape"], row["trainable_params"], row["non_trainable_params"],
               bool(row.get("operation"))] for row in rows(model)]
    return {"layers": layers, "totals": {"params": int(model.count_params()),
                                         "trainable_params": count(model.trainable_weights),
                                         "non_trainable_params": count(model.non_trainable_weights)}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "figures.json.gz")
    data = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "models": {}}
    if os.path.exists(path):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            data["models"] = json.load(handle)["models"]
    for name in args.names or application_names():
        for size, input_shape, top in (("default", None, True), (str(OTHER_SIZE), (OTHER_SIZE, OTHER_SIZE, 3), True),
                                       ("none", (None, None, 3), False)):
            key = f"{name}_{size}"
            keras.backend.clear_session()
            try:
                model = getattr(keras.applications, name)(weights=None, input_shape=input_shape, include_top=top,
                                                          **({} if top else {"pooling": "avg"}))
            except Exception as exc:  # noqa: BLE001 - Keras refuses this size: record why
                data["models"][key] = {"model": name, "input_shape": input_shape, "include_top": top, "error": error_text(exc)}
                print(f"{key}: Keras refused: {error_text(exc)}")
                continue
            file = os.path.join(args.out, f"{key}.json.gz")
            with gzip.GzipFile(file, "wb", mtime=0) as handle:  # mtime 0: the same model gives the same bytes
                handle.write(model.to_json().encode("utf-8"))
            data["models"][key] = {"model": name, "input_shape": input_shape, "include_top": top, "file": os.path.basename(file),
                                   **figures(model)}
            print(f"{key}: {rel(file)}, {len(data['models'][key]['layers'])} nodes, "
                  f"{data['models'][key]['totals']['params']:,} params")
            del model
    data["models"] = dict(sorted(data["models"].items()))
    with gzip.GzipFile(path, "wb", mtime=0) as handle:
        handle.write((json.dumps(data, separators=(",", ":")) + "\n").encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
