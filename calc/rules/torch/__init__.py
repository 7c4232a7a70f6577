"""PyTorch's modules (torch.nn) and the functional operations models write inline (torch.add, torch.cat),
as rules: one module per family, one class per module type, registered in the torch registry
(rules/registry.py), which a spec with `framework: torch` uses.

The fields are the constructor's arguments, with torch's names and defaults; tensors are channels-first.
An argument the input determines (in_channels, in_features, num_features) may be omitted: it is then
inferred, or checked when given.  Parameters are `module.parameters()`; buffers (BatchNorm's running
statistics) are Weights with buffer=True, counted apart.  Costs follow the Keras rules' conventions.
"""
