"""Spec data: the types every reader's data becomes (model.py), the one builder (build.py), block and
repeat expansion (expansion.py), counts and budgets (counts.py), and YAML writing (dumping.py).

No yaml and no readers here: readers import the spec package, never the other way round.
"""

from .model import BlockInstance, InputSpec, LayerSpec, Ref, Spec, YamlList, YamlMap, with_output

__all__ = ["BlockInstance", "InputSpec", "LayerSpec", "Ref", "Spec", "YamlList", "YamlMap", "with_output"]
