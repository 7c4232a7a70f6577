"""Plain spec data -> readable YAML (what `layercalc convert` writes).  Imported only by convert."""

from __future__ import annotations

import re
from typing import Any, Dict, Mapping, Optional, Sequence

import yaml

from ..errors import BEYOND_C0, escaped_beyond_c0, visible


class _Entry(dict):
    """A layer entry: always written as a block mapping, one key a line."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)  # list items indented under their key


def _is_flat(value: Any) -> bool:
    """Scalars, or lists of them (nested too): written on one line, as [3, 3] or [[1, 1], [2, 2]]."""
    return not isinstance(value, dict) and (not isinstance(value, list) or all(map(_is_flat, value)))


def _represent_list(dumper, data):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=_is_flat(data))


def _represent_dict(dumper, data):
    # A small mapping of flat values (an input with its dtype, a wrapped layer) stays on one line.
    short = not isinstance(data, _Entry) and len(data) <= 6 and all(map(_is_flat, data.values()))
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=short)


def _represent_str(dumper, data):
    # Double-quoted, where escaped_beyond_c0 can spell out the bidi controls PyYAML writes as they are.
    if re.search(f"[{BEYOND_C0}]", data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_str(data)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(_Entry, _represent_dict)


def dump_spec(data: Dict[str, Any], header: Sequence[str] = (),
              comments: Optional[Mapping[str, Sequence[str]]] = None) -> str:
    """Plain spec data -> readable YAML that parses back to the same data: one block mapping per layer,
    short lists and small mappings in flow style, `header` as comment lines on top (control characters in
    them, and bidi controls anywhere, spelled out); `comments`: layer name -> comment lines written above
    that layer's entry (a TODO)."""
    data = dict(data)
    data["layers"] = [_Entry(entry) for entry in data.get("layers", [])]
    if "blocks" in data:
        data["blocks"] = {name: {**block, "layers": [_Entry(entry) for entry in block.get("layers", [])]}
                          for name, block in data["blocks"].items()}
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
    for name, lines in (comments or {}).items():
        written = yaml.dump(name, Dumper=_Dumper, allow_unicode=True).split("\n")[0]
        text = re.sub(rf"^( *)(- type: [^\n]+\n +name: {re.escape(written)}\n)",
                      lambda match: "".join(f"{match.group(1)}# {visible(line)}\n" for line in lines) + match.group(0),
                      text, count=1, flags=re.MULTILINE)
    top = "".join(f"# {visible(line)}".rstrip() + "\n" for line in header)
    return top + escaped_beyond_c0(text)
