"""keras.applications models at three input sizes, read from their Keras JSON (model.to_json()) without Keras:
every layer's and operation's output shape and trainable / non-trainable parameters, and the totals, equal to
what Keras 3.15.1 (TensorFlow backend) reported for the same model. The files (gzip-compressed JSON) and the
figures (figures.json.gz) come from tools/keras_applications.py: every model keras.applications exports (40 in
Keras 3.15), each at its default size and at 200 x 200 with the top, and at (None, None, 3) without it; read as
JSON, as the same config in a .keras archive, and converted to a spec.

The archive here holds to_json()'s text as config.json.  A real model.save() archive (MobileNetV3Small at 96 x 96,
Keras 3.15.1) differs only in what layercalc does not read: its members are stored, not deflated, beside
metadata.json (with date_saved) and model.weights.h5, and its config.json adds "shared_object_id" to the dtype
policies the layers share; it reads to the same report as its to_json().  The real archives of
tests/data/keras_models/ (model.save(), weights left out of the larger ones) carry those ids too."""

import gzip
import json
import zipfile
from pathlib import Path

import pytest

from calc import rules
from calc.analysis import analyze
from calc.pipeline import converted_spec
from calc.readers import imported_spec, parse_spec, read_import

DATA = Path(__file__).resolve().parent / "data" / "keras_applications"
KERAS = json.loads(gzip.decompress((DATA / "figures.json.gz").read_bytes()))
FIGURES, FIGURES_VERSION = KERAS["models"], KERAS["keras_version"]
SIZES = ("default", "200", "none")
NESTED_TYPES = ("Sequential", "Functional")  # a nested model's row; its layers have rows of their own


def test_every_model_at_three_sizes():
    models = {figures["model"] for figures in FIGURES.values()}
    assert len(models) == 40 and {"ConvNeXtXLarge", "InceptionResNetV2", "MobileNetV3Large", "NASNetLarge"} <= models
    assert sorted(FIGURES) == sorted(f"{model}_{size}" for model in models for size in SIZES)
    assert [key for key, figures in FIGURES.items() if "file" not in figures] == []  # Keras built them all
    assert sorted(path.name for path in DATA.glob("*_*.json.gz")) == sorted(figures["file"] for figures in FIGURES.values())


def keras_rows(figures) -> list:
    """Keras' rows as layercalc names their types: a keras.ops operation's class Add is ops.add."""
    return [(name, rules.registered_name("ops", type_) if operation else type_, shape, trainable, non_trainable)
            for name, type_, shape, trainable, non_trainable, operation in figures["layers"]
            if type_ not in NESTED_TYPES]


def rows(report) -> list:
    """The report's rows as keras_rows gives Keras': shapes as JSON lists."""
    return [(row.name, row.type, json.loads(json.dumps(row.output_shape)), row.counts.trainable_params,
             row.counts.non_trainable_params) for row in report.layers if row.type not in NESTED_TYPES]


def totals(report) -> dict:
    return {name: getattr(report.totals, name) for name in ("params", "trainable_params", "non_trainable_params")}


# The pipeline's own steps, in-process, each model read once: `summary FILE` is read_import + imported_spec +
# analyze, `convert FILE` is read_import(declare=True) + converted_spec, `summary SPEC` is parse_spec + analyze
# (tests/test_keras_import.py runs the same steps through the command line on the smaller models).
@pytest.mark.parametrize("key", sorted(FIGURES))
def test_json_import_archive_and_convert_equal_keras(tmp_path, key):
    figures = FIGURES[key]
    path = str(tmp_path / f"{key}.json")
    text = gzip.decompress((DATA / figures["file"]).read_bytes())
    Path(path).write_bytes(text)
    imported = read_import(path, declare=True)
    report = analyze(imported_spec(imported.spec, path))
    assert rows(report) == keras_rows(figures)
    assert totals(report) == figures["totals"]
    # The same config in a .keras archive (Keras' model.save() writes it as config.json, beside metadata.json
    # and the weights, which layercalc does not read) reads to the same spec, hence the same report.
    archive = str(tmp_path / f"{key}.keras")
    with zipfile.ZipFile(archive, "w") as members:
        members.writestr("metadata.json", json.dumps({"keras_version": FIGURES_VERSION}))
        members.writestr("config.json", text)
    assert read_import(archive).spec == imported.spec
    # `convert` writes a spec with the same figures, at every size
    converted = analyze(parse_spec(converted_spec(imported, path), "converted.yaml"))
    assert rows(converted) == rows(report)
    assert totals(converted) == figures["totals"]
