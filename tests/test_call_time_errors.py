"""Arguments Keras 3.15.1 accepts when it builds a layer but that fail on the layer's first call.

Keras computes these layers' output shapes without running them, so a model with such an
argument builds, then raises as soon as data flows (each `why` quotes that error, from a
Keras 3.15.1 run with TensorFlow 2.21 on a real tensor). layercalc refuses them up front
rather than report shapes of a model that cannot run.
"""

import pytest

from calc import LayercalcError, analyze, parse_spec
from tests.conftest import single_layer_spec

CASES = [
    ("ZeroPadding2D", {"padding": -1}, [5, 5, 3], "'padding' cannot be negative, found -1",
     "tf Pad: Paddings must be non-negative: -1 -1"),
    ("ZeroPadding3D", {"padding": -1}, [5, 5, 5, 3], "'padding' cannot be negative, found -1",
     "tf Pad: Paddings must be non-negative: -1 -1"),
    ("UpSampling2D", {"interpolation": "linear"}, [5, 5, 3],
     "argument 'interpolation' must be one of bilinear, nearest, lanczos3, lanczos5, bicubic, area, found 'linear' "
     "(did you mean 'bilinear'?)",
     "Invalid value for argument `interpolation`. Expected of one ('bilinear', 'nearest', ...)"),
    ("Resizing", {"height": 5, "width": 6, "interpolation": "BICUBIC"}, [10, 12, 3],
     "argument 'interpolation' must be one of bilinear, nearest, lanczos3, lanczos5, bicubic, area, found 'BICUBIC' "
     "(did you mean 'bicubic'?)",
     "Invalid value for argument `interpolation` (Resizing does not lowercase it, unlike UpSampling2D)"),
    ("Resizing", {"height": 5, "width": 6, "fill_mode": "reflect"}, [10, 12, 3],
     "argument 'fill_mode' must be one of constant, found 'reflect'",
     "Invalid value for argument `fill_mode`. Only `'constant'` is supported."),
    ("Resizing", {"height": 5, "width": 6, "crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, [10, 12, 3],
     "crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be true",
     "Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`."),
    ("Resizing", {"height": 0, "width": 6}, [10, 12, 3], "argument 'height' must be a positive integer, found 0",
     "tf ResizeBilinear: output dimensions must be positive"),
    ("Resizing", {"height": 5, "width": 6}, [10, 12, 3, 4],
     "expected a batch of images (rank 4) or one image (rank 3), found rank 5 (None, 10, 12, 3, 4)",
     "Expected image tensor to have rank 3 (single image) or 4 (batch of images)."),
    ("Resizing", {"height": 5, "width": 6}, [10],
     "expected a batch of images (rank 4) or one image (rank 3), found rank 2 (None, 10)",
     "IndexError: tuple index out of range"),
    ("Softmax", {"axis": 3}, [4, 5], "axis 3 is out of range for input (None, 4, 5)",
     "`dim` must be in the range [-3, 3) where 3 is the number of dimensions in the input. Received: dim=3"),
    ("Softmax", {"axis": [1, 3]}, [4, 5], "axis 3 is out of range for input (None, 4, 5)",
     "tf Max: Invalid reduction dimension (3 for input with 3 dimension(s)"),
    ("LayerNormalization", {"axis": [1, 1]}, [4, 5], "axis [1, 1] names the same axis of input (None, 4, 5) twice",
     "tf Mean: Invalid reduction arguments: Axes contains duplicate dimension: 1"),
    ("LayerNormalization", {"axis": [2, -1], "center": False, "scale": False}, [4, 5],
     "axis [2, -1] names the same axis of input (None, 4, 5) twice",
     "tf Mean: Invalid reduction arguments: Axes contains duplicate dimension: 2"),
    ("UnitNormalization", {"axis": [2, -1]}, [4, 5], "axis [2, -1] names the same axis of input (None, 4, 5) twice",
     "tf Sum: Invalid reduction arguments: Axes contains duplicate dimension: 2"),
    ("RMSNormalization", {"axis": 1}, [4, 5],
     "the scale of shape (4,) (the sizes of axis 1) does not broadcast against the last axes (5,) of input (None, 4, 5)",
     "tf Mul: Incompatible shapes: [2,4,5] vs. [4]"),
    ("RMSNormalization", {"axis": [-1, 1]}, [4, 5],
     "the scale of shape (5, 4) (the sizes of axis [-1, 1]) does not broadcast against the last axes (4, 5) of input "
     "(None, 4, 5)", "tf Mul: Incompatible shapes: [2,4,5] vs. [5,4]"),
    ("RMSNormalization", {"axis": 1}, [4, 1],
     "the scale of shape (4,) (the sizes of axis 1) does not broadcast against the last axes (1,) of input (None, 4, 1)",
     "runs, but gives (2, 4, 4) where Keras declares (None, 4, 1)"),
    ("Dot", {"axes": 0}, [[5], [5]], "axes 0 picks the batch axis of input (None, 5)",
     "Cannot perform batch_dot over axis 0 (Keras declares an output (5, 1))"),
    ("Dot", {"axes": -3}, [[3, 5], [3, 4]], "axes -3 picks the batch axis of input (None, 3, 5)",
     "Cannot perform batch_dot over axis 0 (Keras declares an output (3, 5, 4))"),
]


@pytest.mark.parametrize("layer_type, args, input_shape, message, why", CASES,
                         ids=[f"{case[0]}-{index}" for index, case in enumerate(CASES)])
def test_refused_although_keras_builds_it(layer_type, args, input_shape, message, why):
    several = bool(input_shape) and isinstance(input_shape[0], list)  # a list of shapes: a merge layer's inputs
    spec = single_layer_spec({"type": layer_type, "args": args, ("inputs" if several else "input"): input_shape})
    with pytest.raises(LayercalcError) as raised:
        analyze(parse_spec(spec))
    assert raised.value.message == message, why
