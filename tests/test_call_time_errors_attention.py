"""EinsumDense and attention inputs Keras 3.15.1 builds but that fail (or give another shape) when the layer runs.

Keras computes these layers' output shapes without running them (EinsumDense from its
equation, the attention layers from query and value alone), so a model with such inputs
builds and reports shapes, then raises as soon as data flows. Each `why` quotes what
Keras 3.15.1 (TensorFlow 2.21) did on real tensors; layercalc refuses them up front.
"""

import pytest

from calc import LayercalcError, analyze, parse_spec
from tests.conftest import single_layer_spec

CASES = [
    ("EinsumDense", {"equation": "abc,cd->abd", "output_shape": [None, 64]}, [[32, 16, 4]],
     "equation 'abc,cd->abd' needs an input of rank 3, found rank 4 (None, 32, 16, 4)",
     "reports (None, None, 64, 4), then BatchMatMulV2: Matrix size-incompatible: In[0]: [2,32,16,4], In[1]: [16,64]"),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": [32, 64]}, [[32]],
     "output_shape (32, 64) has 2 axes; equation 'ab,bc->ac' on input (None, 32) makes 1 "
     "(batch and ellipsis axes left out)",
     "reports (None, 32, 64) with a (32, 32) kernel, but returns (batch, 32)"),
    ("EinsumDense", {"equation": "...b,bc->...c", "output_shape": [3, 64]}, [[32]],
     "output_shape (3, 64) has 2 axes; equation '...b,bc->...c' on input (None, 32) makes 1 "
     "(batch and ellipsis axes left out)",
     "reports (None, 3, 64) with a (32, 3) kernel, but returns (batch, 3)"),
    ("EinsumDense", {"equation": "abc,cd->abd,e", "output_shape": [None, 64]}, [[32, 16]],
     "equation 'abc,cd->abd,e' must have the form ab,bc->ac, ...b,bc->...c or ab...,bc->ac... (letters only)",
     "Keras reads only the start of the equation; einsum: Subscripts have incorrect format: abc,cd->abd,e"),
    ("EinsumDense", {"equation": "aab,bc->ac", "output_shape": 64}, [[32, 32]],
     "letter 'a' appears twice in the input 'aab' of equation 'aab,bc->ac'",
     "reports (None, 64); on a batch of 2: Input shape and output shape do not match at shared dimension 'a'"),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, [[8], [6]],
     "query (None, 8) and value (None, 6) must have the same rank, 3 or more: (batch, ..., features)",
     "reports (None, 8), then Softmax.call(): tuple index out of range"),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, [[5, 8], [6]],
     "query (None, 5, 8) and value (None, 6) must have the same rank, 3 or more: (batch, ..., features)",
     "reports (None, 5, 8), then Einsum: Expected input 1 to have rank 4 but got: 3"),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4, "attention_axes": 1}, [[3, 5, 8], [3, 7, 6]],
     "query and key must be equal on axis 2, which is not an attention axis, found query 5, key 7",
     "Einsum: Expected dimension 7 at axis 2 of the input shaped [2,3,5,2,4] but got dimension 5"),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4, "attention_axes": 4}, [[3, 5, 8], [3, 5, 6]],
     "attention_axes 4 must name distinct axes between the batch and the last (1 to 2) of the inputs, rank 4",
     "Output subscripts contain a label appearing more than once: abcde,abcde->abcdee"),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4, "attention_axes": [1, 1]}, [[3, 5, 8], [4, 5, 6]],
     "attention_axes (1, 1) must name distinct axes between the batch and the last (1 to 2) of the inputs, rank 4",
     "Output subscripts contain a label appearing more than once: abcde,afcde->acdffbb"),
    ("Attention", {}, [[5, 8], [7, 16]],
     "query and key must be equal on the last axis, found query 8, key 16",
     "reports (None, 5, 16), then BatchMatMulV2: Matrix size-incompatible: In[0]: [2,5,8], In[1]: [2,16,7]"),
    ("Attention", {}, [[5, 4], [7, 8], [7, 8]],
     "query and key must be equal on the last axis, found query 4, key 8",
     "BatchMatMulV2: Matrix size-incompatible: In[0]: [2,5,4], In[1]: [2,8,7]"),
    ("Attention", {}, [[5, 8], [7, 8], [6, 8]],
     "key and value must be equal in length (axis -2), found key 6, value 7",
     "BatchMatMulV2: Matrix size-incompatible: In[0]: [2,5,6], In[1]: [2,7,8]"),
    ("Attention", {}, [[3, 5, 8], [4, 7, 8]],
     "query, value and key must be equal on axis 1, found query 3, value 4, key 4",
     "BatchMatMulV2: In[0] and In[1] must have compatible batch dimensions: [2,3,5,8] vs. [2,4,8,7]"),
    ("Attention", {}, [[3, 5, 8], [7, 8]],
     "query (None, 3, 5, 8), value (None, 7, 8) and key (None, 7, 8) must have the same rank, at least 2",
     "BatchMatMulV2: In[0] and In[1] must have compatible batch dimensions: [2,3,5,8] vs. [2,8,7]"),
    ("Attention", {"score_mode": "concat"}, [[5, 8], [7, 16]],
     "query and key must be equal on the last axis, found query 8, key 16",
     "AddV2: Incompatible shapes: [2,5,1,8] vs. [2,1,7,16]"),
    ("AdditiveAttention", {}, [[5, 8], [7, 16]],
     "query and key must be equal on the last axis, found query 8, key 16",
     "reports (None, 5, 16), then AddV2: Incompatible shapes: [2,5,1,8] vs. [2,1,7,16]"),
    ("Attention", {}, [[], []],
     "query (None,), value (None,) and key (None,) must have the same rank, at least 2",
     "reports (None,), then swapaxes: axis -2 is out of bounds for an array with dimension 1"),
]


@pytest.mark.parametrize("layer_type, args, inputs, message, why", CASES,
                         ids=[f"{case[0]}-{index}" for index, case in enumerate(CASES)])
def test_refused_although_keras_builds_it(layer_type, args, inputs, message, why):
    case = {"type": layer_type, "args": args}
    case.update({"inputs": inputs} if len(inputs) > 1 else {"input": inputs[0]})
    with pytest.raises(LayercalcError) as raised:
        analyze(parse_spec(single_layer_spec(case)))
    assert raised.value.message == message, why
