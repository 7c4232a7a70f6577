"""Whole reference models in specs/ against the totals Keras' model.summary() printed for them.

The specs were written by tools/keras_to_spec.py from the Keras models themselves,
with Keras 3.15.1 (TensorFlow 2.21 backend): the keras.applications models with
weights=None, their default input size and include_top=True, and the small models
defined in tools/models/. Per-layer figures are checked by tests/test_specs.py;
this table pins the published totals, independently of the JSON test data.
"""

import pytest

from calc import analyze, load_spec
from tests.conftest import ROOT

KERAS_TOTALS = {
    # spec: (total, trainable, non-trainable) params, source
    "vgg16": (138_357_544, 138_357_544, 0, "keras.applications.VGG16"),
    "resnet50": (25_636_712, 25_583_592, 53_120, "keras.applications.ResNet50"),
    "mobilenet_v2": (3_538_984, 3_504_872, 34_112, "keras.applications.MobileNetV2"),
    "densenet121": (8_062_504, 7_978_856, 83_648, "keras.applications.DenseNet121"),
    "inception_v3": (23_851_784, 23_817_352, 34_432, "keras.applications.InceptionV3"),
    "efficientnet_b0": (5_330_571, 5_288_548, 42_023, "keras.applications.EfficientNetB0"),
    "lstm_text": (674_273, 674_273, 0, "tools/models/lstm_text.py"),
    "transformer_encoder": (1_347_074, 1_347_074, 0, "tools/models/transformer_encoder.py"),
    "unet_small": (117_041, 117_041, 0, "tools/models/unet_small.py"),
}


@pytest.mark.parametrize("stem", sorted(KERAS_TOTALS))
def test_totals_match_keras_summary(stem):
    total, trainable, non_trainable, _source = KERAS_TOTALS[stem]
    totals = analyze(load_spec(str(ROOT / "specs" / f"{stem}.yaml"))).totals
    assert (totals.params, totals.trainable_params, totals.non_trainable_params) == (total, trainable, non_trainable)
