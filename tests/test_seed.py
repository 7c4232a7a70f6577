"""The seed figures of SPEC.md section 2, which every build must reproduce."""

import pytest

from calc import analyze, load_spec
from tests.conftest import ROOT

# (spec, layer, output shape, params) — SPEC.md section 2, confirmed by Keras 3.15.1
# (tests/data/keras/specs/seed_*.json).
SEED = [
    ("seed_dense.yaml", "dense", (64, 10, 30), 630),
    ("seed_conv.yaml", "conv2d", (64, 296, 296, 16), 1216),
    ("seed_conv_same.yaml", "conv2d", (64, 300, 300, 16), 1216),
    ("seed_conv_pool.yaml", "max_pooling2d", (64, 148, 148, 16), 0),
]


@pytest.mark.parametrize("spec, layer, shape, params", SEED)
def test_seed_figures(spec, layer, shape, params):
    report = analyze(load_spec(str(ROOT / "specs" / spec)))
    row = next(row for row in report.layers if row.name == layer)
    assert row.output_shape == shape
    assert row.counts.params == params


def test_seed_conv_macs():
    # 296·296 outputs · 16 filters · 5·5 kernel · 3 channels (README, "How MACs are counted").
    report = analyze(load_spec(str(ROOT / "specs" / "seed_conv.yaml")))
    assert report.totals.macs == 296 * 296 * 16 * 5 * 5 * 3 == 105_139_200


def test_mnist_convnet_total():
    # keras.io "Simple MNIST convnet": "Total params: 34,826".
    report = analyze(load_spec(str(ROOT / "specs" / "mnist_convnet.yaml")))
    assert (report.totals.params, report.totals.trainable_params, report.totals.non_trainable_params) == (
        34826, 34826, 0)
