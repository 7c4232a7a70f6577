"""Spec data: the types every reader's data becomes (model.py), the one builder (build.py), block and
repeat expansion (expansion.py), counts and budgets (counts.py), and YAML writing (dumping.py).

The spec package never imports a reader (readers import it) and reads no YAML; only dumping.py, which
`convert` alone imports, writes some.
"""

from .model import BlockInstance, InputSpec, LayerSpec, Ref, Spec, YamlList, YamlMap, with_output

__all__ = ["BlockInstance", "InputSpec", "LayerSpec", "Ref", "Spec", "YamlList", "YamlMap", "with_output"]
