"""Each reference model rewritten with blocks (specs/<name>.yaml) gives the same report as its flat
version (tests/data/flat_specs/<name>.yaml, written by tools/keras_to_spec.py from the Keras model):
the same graph, and layer by layer the same type, output shape, parameters and MACs."""

import pytest

from calc import analyze, load_spec
from tests.conftest import ROOT
from tests.flat import FLAT_DIR, FLAT_SPECS, corresponding_layers

REWRITTEN = ["convnext_tiny", "densenet121", "efficientnet_b0", "inception_v3", "mobilenet_v2",
             "mobilenet_v3_small", "resnet50", "transformer_encoder",
             "unet_small", "vgg16"]  # lstm_text (4 layers) stays flat in specs/


def test_every_rewritten_model_has_its_flat_version():
    assert sorted(path.stem for path in FLAT_SPECS) == sorted(REWRITTEN)


@pytest.mark.parametrize("stem", REWRITTEN)
def test_blocks_version_equals_flat_version(stem):
    blocks = analyze(load_spec(str(ROOT / "specs" / f"{stem}.yaml")))
    flat = analyze(load_spec(str(FLAT_DIR / f"{stem}.yaml")))
    assert blocks.blocks, "specs/ should hold the blocks version"
    pairs = corresponding_layers(blocks, flat)  # same number of layers, types and inputs
    for row, flat_row in pairs:
        assert (row.output_shape, row.counts) == (flat_row.output_shape, flat_row.counts), (row.name, flat_row.name)
    assert blocks.totals == flat.totals
    if stem != "inception_v3":  # Keras interleaves Inception's branches; its blocks list them one by one
        flat_name = {row.name: flat_row.name for row, flat_row in pairs}
        assert [flat_name[row.name] for row in blocks.layers] == [row.name for row in flat.layers]
    assert [row.shape for row in blocks.inputs] == [row.shape for row in flat.inputs]
