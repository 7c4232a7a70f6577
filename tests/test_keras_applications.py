"""keras.applications models at three input sizes, read from their Keras JSON (model.to_json()) without Keras:
every layer's and operation's output shape and trainable / non-trainable parameters, and the totals, equal to
what Keras 3.15.1 (TensorFlow backend) reported for the same model. The files (gzip-compressed JSON) and the
figures (figures.json.gz) come from tools/keras_applications.py: every model keras.applications exports (40 in
Keras 3.15), each at its default size and at 200 x 200 with the top, and at (None, None, 3) without it; read as
JSON, as the same config in a .keras archive, and (default size) converted to a spec."""

import gzip
import json
import zipfile
from pathlib import Path

import pytest

from calc import rules

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


def summary(cli, path, *options) -> dict:
    result = cli(["summary", path, "--format", "json", *options])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("key", sorted(FIGURES))
def test_json_import_equals_keras(cli, tmp_path, key):
    figures = FIGURES[key]
    path = tmp_path / f"{key}.json"
    path.write_bytes(gzip.decompress((DATA / figures["file"]).read_bytes()))
    report = summary(cli, path)
    assert [(row["name"], row["type"], row["output_shape"], row["trainable_params"], row["non_trainable_params"])
            for row in report["layers"] if row["type"] not in NESTED_TYPES] == keras_rows(figures)
    assert {name: report["totals"][name] for name in figures["totals"]} == figures["totals"]
    # The same config in a .keras archive (Keras' model.save() writes it as config.json, beside metadata.json
    # and the weights, which layercalc does not read): the same report.
    archive = tmp_path / f"{key}.keras"
    with zipfile.ZipFile(archive, "w") as members:
        members.writestr("metadata.json", json.dumps({"keras_version": FIGURES_VERSION}))
        members.writestr("config.json", path.read_text())
    assert summary(cli, archive) == report
    if key.endswith("_default"):  # `convert` writes a spec with the same figures
        converted = tmp_path / "converted.yaml"
        result = cli(["convert", path, "-o", converted])
        assert result.exit_code == 0, result.stderr
        assert summary(cli, converted)["layers"] == report["layers"]
