"""YAML text -> located spec data (YamlMap, YamlList and scalars, each node's line:col kept).

Hardened for untrusted text: safe tags only, duplicate keys refused, aliases counted before
anything is built, nesting depth and integer size limited, files read as UTF-8 up to a size.
The only reader that imports yaml.

Two paths give the same data: a spec without aliases, anchors or tagged collections (nearly every
spec) is built in one pass over the parser's events (`_read_plain`, several times faster on large
specs); any other text, and any text the reader refuses, goes through PyYAML's composer and this
module's constructors, which say why in the words of every error message.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from typing import Any, Dict, NoReturn, Tuple

import yaml

from ..errors import Location, SpecError, describe
from ..spec.model import YamlList, YamlMap
from . import MAX_FILE_BYTES

# The C parser is several times faster; its safe variant builds only plain
# data (never Python objects), like the pure-Python SafeLoader fallback.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_YAML_DEPTH = 100  # lists and mappings inside each other; deeper would exhaust Python's stack
# Lists, mappings and scalars, YAML aliases expanded: each costs about 300 bytes once composed, so the
# text is counted before it is composed, and aliases (a 'billion laughs') before anything is built.
MAX_SPEC_NODES = 1_000_000
MAX_INTEGER_DIGITS = 100  # a spec's largest sensible number has 19 (MAX_DIM); bigger ones only cost time

# Integers every reader reads alike: decimal (digits grouped as Python groups them, 1_000) and hexadecimal
# (0x10 is 16 in YAML 1.1, YAML 1.2 and Python).  YAML 1.1 also reads octal (010 is 8; 10 in YAML 1.2),
# binary (0b11), base 60 (1:20 is 80) and stray underscores (1__0 is 10), and YAML 1.2 reads 0o10 as 8:
# a number nobody meant, or that another reader reads differently, so these are refused.
_PLAIN_INTEGER = re.compile(r"[-+]?(?:0|[1-9](?:_?[0-9])*|0x[0-9a-fA-F]+)")
_YAML12_OCTAL = re.compile(r"[-+]?0o[0-7]+")


_KEY_TYPES = (str, int, float, bool)  # what a mapping key may be: a plain scalar, never null

def _make_loader(source: str):
    class Loader(_BaseLoader):  # type: ignore[misc, valid-type]
        _tags: Dict[Any, str] = {}
        depth = 0  # of the list or mapping being built

        def resolve(self, kind, value, implicit):
            # Specs repeat the same scalars (type names, sizes) thousands of times: resolve each once.
            if kind is not yaml.ScalarNode:
                return super().resolve(kind, value, implicit)
            key = (value, implicit)
            tag = self._tags.get(key)
            if tag is None:
                tag = self._tags[key] = super().resolve(kind, value, implicit)
            return tag

    def where(node) -> Location:
        return Location(source, node.start_mark.line + 1, node.start_mark.column + 1)

    def nested(loader, node) -> None:
        loader.depth += 1
        if loader.depth > MAX_YAML_DEPTH:  # deeper, building (and any walk over the data) would exhaust the stack
            raise SpecError(f"lists and mappings nest more than {MAX_YAML_DEPTH} deep", location=where(node))

    def construct_map(loader, node):
        data = YamlMap()
        data.location = where(node)
        data.key_locations, data.value_locations = {}, {}
        yield data
        nested(loader, node)
        loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key is None:
                written = key_node.value
                raise SpecError(f"key {describe(written)} is null in YAML, not a name: write the name meant, or "
                                f"quote it (\"{written}\") to use the word" if written else
                                "a key is empty (null in YAML): write a name", location=where(key_node))
            if not isinstance(key, _KEY_TYPES):
                raise SpecError("mapping keys must be plain scalars", location=where(key_node))
            if key in data:
                raise SpecError(
                    f"duplicate key '{key}' (first at line {data.key_locations[key].line})",
                    location=where(key_node),
                )
            data[key] = loader.construct_object(value_node, deep=True)
            data.key_locations[key] = where(key_node)
            data.value_locations[key] = where(value_node)
        loader.depth -= 1

    def construct_list(loader, node):
        data = YamlList()
        data.location = where(node)
        data.item_locations = [where(child) for child in node.value]
        yield data
        nested(loader, node)
        data.extend(loader.construct_object(child, deep=True) for child in node.value)
        loader.depth -= 1

    def construct_int(loader, node):
        value = node.value
        if value.isascii() and value.isdigit() and len(value) <= MAX_INTEGER_DIGITS and value[0] != "0":
            return int(value)  # the common case, fast
        digits = len(value.lstrip("+-").replace("_", ""))
        if digits > MAX_INTEGER_DIGITS:
            raise SpecError(f"integer too large: {digits:,} digits (at most {MAX_INTEGER_DIGITS})",
                            location=where(node))
        number = loader.construct_yaml_int(node)
        if not _PLAIN_INTEGER.fullmatch(value):
            body = value.lstrip("+-")
            kind = ("binary number" if body.startswith("0b") else "hexadecimal number" if body.startswith("0x")
                    else "base-60 number" if ":" in body else "octal number" if body.startswith("0") else "number")
            ambiguous(node, number, kind, "1.2" if body.startswith("0o") else "1.1")
        return number

    def construct_float(loader, node):
        number = loader.construct_yaml_float(node)
        if ":" in node.value:
            ambiguous(node, number, "base-60 number", "1.1")
        if "_" in node.value:
            try:
                float(node.value)  # Python's rule: an underscore only between digits
            except ValueError:
                ambiguous(node, number, "number", "1.1")
        return number

    def ambiguous(node, number, kind: str, version: str) -> NoReturn:
        raise SpecError(f"{describe(node.value)} is read by YAML {version} as the {kind} {number}; write {number}, "
                        f"or {describe(node.value)} in quotes for a string", location=where(node))

    def checked(construct, expected: str):  # an explicit tag on a scalar that does not fit it: !!float abc
        def construct_checked(loader, node):
            try:
                return construct(loader, node)
            except (ValueError, KeyError):
                tag = node.tag.replace("tag:yaml.org,2002:", "!!")
                raise SpecError(f"invalid YAML: {describe(node.value)} is not {expected} ({tag})",
                                location=where(node)) from None
        return construct_checked

    def refuse(loader, node):  # plain data only: no bytes, sets or pairs (no Python objects, ever)
        raise yaml.constructor.ConstructorError(None, None, f"could not determine a constructor for the tag "
                                                            f"'{node.tag}'", node.start_mark)

    Loader.add_constructor("tag:yaml.org,2002:map", construct_map)
    Loader.add_constructor("tag:yaml.org,2002:seq", construct_list)
    Loader.add_constructor("tag:yaml.org,2002:int", checked(construct_int, "an integer"))
    Loader.add_constructor("tag:yaml.org,2002:float", checked(construct_float, "a number"))
    Loader.add_constructor("tag:yaml.org,2002:bool", checked(_BaseLoader.construct_yaml_bool, "true or false"))
    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    Loader.add_implicit_resolver("tag:yaml.org,2002:int", _YAML12_OCTAL, list("-+0"))  # refused as an int
    for tag in ("binary", "set", "omap", "pairs"):
        Loader.add_constructor(f"tag:yaml.org,2002:{tag}", refuse)
    return Loader


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else []


def _count_nodes(text: str, source: str) -> bool:
    """Refuse text of more than MAX_SPEC_NODES nodes before composing it (parsing alone keeps nothing);
    whether it holds aliases."""
    parser = _BaseLoader(text)
    try:
        nodes, aliases = 0, False
        while True:
            event = parser.get_event()
            if event is None:
                return aliases
            if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
                nodes += 1
                if nodes > MAX_SPEC_NODES:
                    raise SpecError(f"the spec has more than {MAX_SPEC_NODES:,} lists, mappings and scalars",
                                    location=Location(source, event.start_mark.line + 1,
                                                      event.start_mark.column + 1))
            elif isinstance(event, yaml.AliasEvent):
                aliases = True
    finally:
        parser.dispose()


def _check_aliases(root, source: str) -> None:
    """Refuse, before building anything, YAML whose aliases expand too far ('billion laughs': each alias is
    shared when built, but any walk over the data would follow it) or nest too deeply once expanded."""
    measured: Dict[int, Tuple[int, int]] = {}  # id(node) -> (nodes with aliases expanded, height)
    stack = [(root, False)]
    while stack:
        node, children_measured = stack.pop()
        if not children_measured:
            if id(node) not in measured:
                measured[id(node)] = (1, 1)  # until measured; an alias to an open node is recursive (refused later)
                stack.append((node, True))
                stack.extend((child, False) for child in _children(node))
            continue
        size, height = 1, 1
        for child in _children(node):
            child_size, child_height = measured[id(child)]
            size, height = size + child_size, max(height, child_height + 1)
        measured[id(node)] = (size, height)
    size, height = measured[id(root)]
    if height > MAX_YAML_DEPTH:
        node = root
        for _ in range(MAX_YAML_DEPTH):  # follow the deepest branch down to the first node past the limit
            node = max(_children(node), key=lambda child: measured[id(child)][1])
        raise SpecError(f"lists and mappings nest more than {MAX_YAML_DEPTH} deep",
                        location=Location(source, node.start_mark.line + 1, node.start_mark.column + 1))
    if size > MAX_SPEC_NODES:
        raise SpecError(f"YAML aliases expand the spec to {size:,} lists, mappings and scalars, more than the "
                        f"limit of {MAX_SPEC_NODES:,}", location=Location(source, 1, 1))


_UNUSUAL = object()  # what _read_plain returns for text it leaves to the full reader
# The tags a collection read in one pass may carry: none, or its own written out.
_PLAIN_TAGS = {yaml.MappingStartEvent: (None, "!", "tag:yaml.org,2002:map"),
               yaml.SequenceStartEvent: (None, "!", "tag:yaml.org,2002:seq")}


def _read_plain(text: str, source: str) -> Any:
    """The data of YAML without aliases, anchors or tags on collections, read in one pass over the parser's
    events, without composing a node tree or counting its nodes first; _UNUSUAL for any other text,
    and for any text the full reader would refuse, which then reads it again and says why in its own
    words (whichever error comes first there). Each scalar is built by the full reader's constructors,
    once per distinct text."""
    loader = _make_loader(source)(text)
    get_event, resolve, construct = loader.get_event, loader.resolve, loader.construct_object
    scalars: Dict[Any, Any] = {}  # (text, implicit, tag) -> its value
    new_location = tuple.__new__
    stack: list = []  # the open mappings and lists
    keys: list = []  # for each open mapping, its key waiting for a value (_UNUSUAL: none), and where it is
    root, nodes, documents = _UNUSUAL, 0, 0
    try:
        while True:
            event = get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                if event.anchor is not None:
                    return _UNUSUAL
                key = (event.value, event.implicit, event.tag)
                value = scalars.get(key, _UNUSUAL)
                if value is _UNUSUAL:
                    tag = event.tag
                    if tag is None or tag == "!":
                        tag = resolve(yaml.ScalarNode, event.value, event.implicit)
                    value = scalars[key] = construct(
                        yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style), deep=True)
                is_collection = False
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if event.anchor is not None or event.tag not in _PLAIN_TAGS[kind] or len(stack) >= MAX_YAML_DEPTH:
                    return _UNUSUAL
                if kind is yaml.MappingStartEvent:
                    value = YamlMap()
                    value.key_locations, value.value_locations = {}, {}
                else:
                    value = YamlList()
                    value.item_locations = []
                is_collection = True
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                if type(stack.pop()) is YamlMap:
                    keys.pop()
                continue
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    return _UNUSUAL
                continue
            elif kind is yaml.StreamEndEvent:
                return None if root is _UNUSUAL else root
            elif kind is yaml.AliasEvent:
                return _UNUSUAL
            else:  # the stream's start, the document's end
                continue
            nodes += 1
            if nodes > MAX_SPEC_NODES:
                return _UNUSUAL
            mark = event.start_mark
            location = new_location(Location, (source, mark.line + 1, mark.column + 1))
            if stack:
                parent = stack[-1]
                if type(parent) is YamlMap:
                    pending = keys[-1]
                    if pending is _UNUSUAL:  # this node is a key
                        if is_collection or value is None or not isinstance(value, _KEY_TYPES) or value in parent:
                            return _UNUSUAL  # the full reader says what is wrong with the key
                        keys[-1] = (value, location)
                    else:
                        name, key_location = pending
                        parent[name] = value
                        parent.key_locations[name] = key_location
                        parent.value_locations[name] = location
                        keys[-1] = _UNUSUAL
                else:
                    parent.append(value)
                    parent.item_locations.append(location)
            else:
                root = value
            if is_collection:
                value.location = location
                stack.append(value)
                if type(value) is YamlMap:
                    keys.append(_UNUSUAL)
    except (SpecError, yaml.YAMLError):
        return _UNUSUAL
    finally:
        loader.dispose()


def parse_yaml(text: str, source: str) -> Any:
    """YAML text -> plain data with locations (YamlMap / YamlList / scalars)."""
    data = _read_plain(text, source)
    if data is not _UNUSUAL:
        return data
    loader = _make_loader(source)(text)  # what yaml.load does, with a check between composing and building
    try:
        aliases = _count_nodes(text, source)
        node = loader.get_single_node()
        if node is None:
            return None
        if aliases:
            _check_aliases(node, source)
        return loader.construct_document(node)
    except SpecError:
        raise
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as NUL
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise SpecError(f"invalid YAML: character #x{exc.character:04x} is not allowed ({exc.reason})",
                        location=Location(source, line, column)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(source, mark.line + 1, mark.column + 1) if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if problem.startswith("could not determine a constructor"):
            problem = f"YAML tag not allowed here: {problem.split('tag ')[-1]}"
        raise SpecError(f"invalid YAML: {problem}", location=location) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"invalid YAML: {exc}", location=Location(source, 1, 1)) from None
    finally:
        loader.dispose()


def read_text(path: str) -> Tuple[str, str]:
    """(text, source name) of a spec file, or of standard input for '-'."""
    source = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            if sys.stdin is None:  # started with standard input closed (`<&-`)
                raise OSError(errno.EBADF, os.strerror(errno.EBADF))
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"cannot read spec: {exc.strerror or exc}", location=Location(source, 1, 1)) from None
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(
            f"spec file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", location=Location(source, 1, 1)
        )
    try:
        return data.decode("utf-8-sig"), source
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(
            f"spec is not valid UTF-8 (byte 0x{data[exc.start]:02x})", location=Location(source, line, column)
        ) from None
