"""Input formats, one reader a module, chosen here and nowhere else.

Each reader turns a file into the same located spec data (YamlMap, YamlList and scalars) and hands
it to the one builder, `calc.spec.build.build_spec`:

- yaml_spec: a layercalc spec in YAML (or JSON, which is YAML), with line:col in its errors;
- keras_file: a Keras model, a .keras archive (model.save) or a .json file (model.to_json());
- hf_config: a Hugging Face model configuration (config.json: a JSON object with `model_type` or
  `architectures`), built as the spec of its architecture.

Readers are imported when a file needs them, so a YAML spec never loads the Keras reader.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ..spec.build import MAX_LAYERS, build_spec
from ..spec.model import Spec, located

MAX_FILE_BYTES = 16 * 1024 * 1024
KERAS_SUFFIXES = (".keras", ".json")


def is_keras_path(path: str) -> bool:
    return path.lower().endswith(KERAS_SUFFIXES)


def read_spec(path: str, *, max_layers: int = MAX_LAYERS, bindings: Optional[Dict[str, int]] = None) -> Spec:
    """Read and parse a spec file ('-' for standard input), or import a Keras model (.keras, .json)."""
    if path != "-" and is_keras_path(path):
        model = read_import(path)  # None: a .json file holding a layercalc spec
        if model is not None:
            return imported_spec(model.spec, path, max_layers, bindings)
    from .yaml_spec import read_text

    text, source = read_text(path)
    if path == "-" and text.lstrip().startswith("{"):  # model.to_json() piped in: a Keras model, or a JSON spec
        from .keras_file import model_from_text

        model = model_from_text(text, source)
        if model is not None:
            return imported_spec(model.spec, source, max_layers, bindings)
    return parse_spec(text, source, max_layers=max_layers, bindings=bindings)


def read_import(path: str, declare: bool = False) -> Any:
    """The model a .keras or .json file holds (a Keras model, or a Hugging Face configuration), with its
    spec data (`.spec`) and where it came from (`.origin`); None for a .json file holding a layercalc spec.
    declare: a Keras model's custom layers become Custom entries to fill in (`.todo`), as convert writes them."""
    from .keras_file import read_model

    model = read_model(path, MAX_FILE_BYTES, declare)
    if model is None:
        from .hf_config import read_config
        from .yaml_spec import read_text

        model = read_config(path, read_text(path)[0])
    return model


def parse_spec(text: str, source: str = "<spec>", max_layers: int = MAX_LAYERS,
               bindings: Optional[Dict[str, int]] = None) -> Spec:
    """Parse spec text into a `Spec`; structural checks only (layer types come later)."""
    from .yaml_spec import parse_yaml

    return build_spec(parse_yaml(text, source), source, max_layers, bindings)


def imported_spec(data: Dict[str, Any], path: str, max_layers: int = MAX_LAYERS,
                  bindings: Optional[Dict[str, int]] = None) -> Spec:
    """The Spec of plain spec data imported from `path`: its errors name the file, without line:col."""
    from .keras_file import file_location

    where = file_location(path)
    return build_spec(located(data, where), path, max_layers, bindings, start=where)
