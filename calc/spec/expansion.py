"""Blocks and repeat, expanded into a flat list of layers, and the block arguments substituted
into them ('$filters', and '${filters * 4}' by a small integer expression evaluator).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Optional, Tuple

from ..dims import MAX_DIM
from ..errors import Location, Param, SpecError, closest, describe
from ..record import Record, record
from .model import BlockInstance, LayerSpec, Ref, YamlList, YamlMap, with_output

MAX_BLOCK_DEPTH = 32
MAX_EXPRESSION_CHARS = 200  # of a '${...}' block-argument expression
CYCLE_SHOWN = 10  # blocks a cycle's message names; a longer cycle is shortened in the middle
RESERVED_LAYER_KEYS = ("type", "name", "inputs", "repeat", "trainable")
CALL_KEYS = ("call", "name", "inputs")  # a call's own keys; any other is a call argument the graph checks
# Keras 2's way to give a model's input on a layer, and where a spec gives it: the top-level key for each.
MODEL_ARGUMENTS = {"input_shape": "the model's input shape is the top-level 'input:' (without the batch axis)",
                   "batch_input_shape": "the model's input shape is the top-level 'input:' (without the batch "
                                        "axis) and its batch the top-level 'batch:'",
                   "batch_size": "the batch is the top-level 'batch:'"}


def parse_names(value: Any, location: Location, what: str) -> Tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise SpecError(f"'{what}' must be a layer or input name or a list of them, found {describe(value)}",
                    location=location)


# -- blocks ---------------------------------------------------------------------------

_REQUIRED = object()  # the default of a block argument that has none
_ARGUMENT = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)|\$\{([^}]*)\}")
BLOCK_KEYS = ("args", "inputs", "layers", "output")


@record
class BlockDef(Record):
    """A named group of layers with arguments, used in `layers` like a layer type."""

    name: str
    args: Dict[str, Any]  # name -> default (_REQUIRED if none)
    inputs: Tuple[str, ...]  # local names of the block's inputs
    output: Optional[str]  # local name of the layer whose output is the block's; default: the last
    layers: YamlList
    location: Location

    def uses(self) -> List[Tuple[str, Location]]:
        """(type, location) of every entry in the block, for cycle checks."""
        return [(entry["type"], entry.value_locations["type"]) for entry in self.layers
                if isinstance(entry, YamlMap) and isinstance(entry.get("type"), str)]


def parse_blocks(data: YamlMap) -> Dict[str, BlockDef]:
    value = data.get("blocks")
    if value is None:
        return {}
    if not isinstance(value, YamlMap):
        raise SpecError(f"'blocks' must be a mapping of block names to definitions, found {describe(value)}",
                        location=data.value_locations["blocks"])
    blocks = {}
    for name, body in value.items():
        where = value.value_locations[name]
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise SpecError(f"block name must be an identifier, found {describe(name)}",
                            location=value.key_locations[name])
        if not isinstance(body, YamlMap):
            raise SpecError(f"block '{name}' must be a mapping with 'layers', found {describe(body)}", location=where)
        for key in body:
            if key not in BLOCK_KEYS:
                raise SpecError(f"block '{name}': unknown key '{key}'{closest(str(key), BLOCK_KEYS)}; expected "
                                f"one of: {', '.join(BLOCK_KEYS)}", location=body.key_locations[key])
        layers = body.get("layers")
        if not isinstance(layers, YamlList) or not layers:
            raise SpecError(f"block '{name}' needs a non-empty list of 'layers'",
                            location=body.value_locations.get("layers", where))
        inputs = ("input",)
        if "inputs" in body:
            inputs = parse_names(body["inputs"], body.value_locations["inputs"], f"block '{name}' inputs")
        output = body.get("output")
        if output is not None and not isinstance(output, str):
            raise SpecError(f"block '{name}': 'output' must be a layer name, found {describe(output)}",
                            location=body.value_locations["output"])
        blocks[name] = BlockDef(name, _parse_block_args(name, body), inputs, output, layers, where)
    _check_block_cycles(blocks)
    return blocks


def _parse_block_args(block: str, body: YamlMap) -> Dict[str, Any]:
    """args: [filters, kernel: 3] -> {'filters': required, 'kernel': 3}, like a Python signature."""
    value = body.get("args")
    where = body.value_locations.get("args")
    if value is None:
        return {}
    if isinstance(value, YamlMap):  # also accept {kernel: 3, strides: 1}: all with defaults
        return dict(value)
    if not isinstance(value, YamlList):
        raise SpecError(f"block '{block}': 'args' must be a list such as [filters, kernel: 3], found "
                        f"{describe(value)}", location=where)
    args: Dict[str, Any] = {}
    for item, item_where in zip(value, value.item_locations):
        pairs = item.items() if isinstance(item, YamlMap) else [(item, _REQUIRED)]
        for name, default in pairs:
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise SpecError(f"block '{block}': an argument name must be an identifier, found {describe(name)}",
                                location=item_where)
            args[name] = default
    return args


def _check_block_cycles(blocks: Dict[str, BlockDef]) -> None:
    """A block that uses itself, directly or through others, is an error naming the cycle.

    A depth-first walk with its own stack, not Python's: a chain of thousands of blocks is valid data."""
    done = set()
    for start in blocks:
        if start in done:
            continue
        path, open_ = [start], {start}  # the blocks being walked, outermost first
        pending = [iter(blocks[start].uses())]  # what each of them uses, still to visit
        while pending:
            step = next(pending[-1], None)
            if step is None:
                pending.pop()
                open_.discard(path[-1])
                done.add(path.pop())
                continue
            used, where = step
            if used not in blocks or used in done:
                continue
            if used in open_:
                cycle = path[path.index(used):] + [used]
                raise SpecError(f"block '{used}' uses itself: {_cycle_text(cycle)}", location=where)
            path.append(used)
            open_.add(used)
            pending.append(iter(blocks[used].uses()))


def _cycle_text(cycle: List[str]) -> str:
    """'a -> b -> a'; a cycle through thousands of blocks keeps its ends: 'b0 -> ... (4,991 more) -> b0'."""
    if len(cycle) > CYCLE_SHOWN:
        half = CYCLE_SHOWN // 2
        cycle = cycle[:half] + [f"... ({len(cycle) - 2 * half:,} more)"] + cycle[-half:]
    return " -> ".join(cycle)


# -- expansion: blocks and repeat into a flat list of layers ------------------------------------


@dataclass
class _Scope:
    """Where an entry is expanded: inside which block instance, with which arguments."""

    prefix: str  # 'stage2/block1/' inside a block instance, '' at the top
    path: Tuple[str, ...]  # the enclosing block instances
    env: Dict[str, Tuple[Any, Optional[Location]]]  # block arguments: value and where it was given
    names: Optional[Dict[str, Ref]]  # local name -> reference; None at the top level (names are global)
    trainable: bool = True
    copies: int = 1  # how many identical copies of this scope the spec holds: the product of the repeats around it


@dataclass(frozen=True, eq=False, repr=False)
class _Use(Record):
    """A block instance as written, so a call can expand it again: its layers are Expansion.layers[start:end]."""

    name: str
    block: BlockDef
    entry: YamlMap
    env: Dict[str, Tuple[Any, Optional[Location]]]
    trainable: bool
    start: int
    end: int


class Expansion:
    def __init__(self, blocks: Dict[str, BlockDef], max_layers: int) -> None:
        self.blocks = blocks
        self.max_layers = max_layers
        self.layers: List[LayerSpec] = []
        self.instances: Dict[str, BlockInstance] = {}
        self.aliases: Dict[str, Ref] = {}  # top-level block instance -> its output
        self.auto_counters: Dict[str, int] = {}
        self._sizes: Dict[str, int] = {}
        self.uses: Dict[str, _Use] = {}  # block instance -> how it was written, for its calls
        self.call_counters: Dict[str, int] = {}  # block instance -> its calls so far

    def run(self, entries: YamlList, first_input: Optional[str]) -> Tuple[LayerSpec, ...]:
        total = self._count(entries, _Scope("", (), {}, None))
        if total > self.max_layers:
            raise SpecError((f"the spec expands to {total:,} layers, more than the limit of {self.max_layers:,} "
                             "(raise it with ", Param("max_layers"), ")"), location=entries.location)
        self._expand(entries, _Scope("", (), {}, None), previous=first_input)
        if not self.aliases:
            return tuple(self.layers)
        return tuple(replace(layer, inputs=tuple(self.resolve_alias(ref) for ref in layer.inputs) if layer.inputs
                             else layer.inputs,
                             call=self._called(layer.call))
                     if layer.inputs or isinstance(layer.call, str) else layer for layer in self.layers)

    def _called(self, ref: Optional[Ref]) -> Optional[Ref]:
        """A call's layer: `stage` names the last copy of a repeated layer; a block instance's name is kept
        (the graph refuses a call listed before the instance it calls)."""
        return self.resolve_alias(ref) if isinstance(ref, str) and ref not in self.instances else ref

    def resolve_alias(self, ref: Ref) -> Ref:
        """A block instance's name (or 'name:n') -> the reference of its output (or that output's n-th)."""
        base, colon, index = ref.rpartition(":") if isinstance(ref, str) else ("", "", "")
        if colon and index.isdigit() and base in self.aliases:
            return with_output(self.resolve_alias(base), int(index))
        seen = set()
        while isinstance(ref, str) and ref in self.aliases and ref not in seen:
            seen.add(ref)
            ref = self.aliases[ref]
        return ref

    # -- counting first, so `repeat: 1000000000` fails before any work -------------------
    def _count(self, entries: YamlList, scope: _Scope, depth: int = 0) -> int:
        total = 0
        for entry, where in zip(entries, entries.item_locations):
            if not isinstance(entry, YamlMap):
                continue  # reported during expansion
            repeat = self._repeat(entry, scope)
            block = self.blocks.get(entry.get("type")) if isinstance(entry.get("type"), str) else None
            if block is None:
                total += repeat
                continue
            if depth >= MAX_BLOCK_DEPTH:
                raise SpecError(f"blocks nest more than {MAX_BLOCK_DEPTH} deep", location=where)
            if block.name not in self._sizes:
                # Arguments are not bound yet: a `repeat: $n` inside counts as 1 here and is checked when bound.
                self._sizes[block.name] = self._count(block.layers, _Scope("", (), {}, {}, trainable=True), depth + 1)
            total += repeat * self._sizes[block.name]
            if total > self.max_layers:
                return total
        return total

    def _repeat(self, entry: YamlMap, scope: _Scope) -> int:
        if "repeat" not in entry:
            return 1
        value, where = _substitute(entry["repeat"], entry.value_locations["repeat"], scope.env, lenient=True)
        if isinstance(value, str) and value.startswith("$"):
            return 1
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SpecError(f"'repeat' must be a positive integer, found {describe(value)}", location=where,
                            layer_type=entry.get("type") if isinstance(entry.get("type"), str) else None)
        return value

    # -- expansion ------------------------------------------------------------------------
    def _expand(self, entries: YamlList, scope: _Scope, previous: Optional[Ref]) -> Optional[Ref]:
        if scope.names is not None:  # inside a block: explicit names are local and may be referenced forward
            for entry in entries:
                name = entry.get("name") if isinstance(entry, YamlMap) else None
                if isinstance(name, str) and name not in scope.names:
                    scope.names[name] = scope.prefix + name
        for entry, where in zip(entries, entries.item_locations):
            previous = self._expand_entry(entry, where, scope, previous)
        return previous

    def _expand_entry(self, entry: Any, location: Location, scope: _Scope, previous: Optional[Ref]) -> Ref:
        if not isinstance(entry, YamlMap):
            raise SpecError(f"a layer must be a mapping with a 'type', found {describe(entry)}", location=location)
        if "call" in entry:
            return self._expand_call(entry, location, scope, previous)
        if "type" not in entry:
            raise SpecError("layer has no 'type' (such as Dense or Conv2D)", location=location)
        layer_type = entry["type"]
        if not isinstance(layer_type, str):
            raise SpecError(f"layer 'type' must be a name such as Dense, found {describe(layer_type)}",
                            location=entry.value_locations["type"])
        name = _entry_name(entry, scope)
        context = dict(layer=scope.prefix + name if name else None, layer_type=layer_type)
        try:
            repeat = self._repeat(entry, scope)
            trainable, where = _substitute(entry.get("trainable", True), entry.value_locations.get("trainable"),
                                           scope.env)
            if not isinstance(trainable, bool):
                raise SpecError(f"'trainable' must be true or false, found {describe(trainable)}", location=where)
            inputs = self._inputs(entry, scope, previous)
        except SpecError as error:
            raise error.add_context(**context)
        trainable = trainable and scope.trainable
        block = self.blocks.get(layer_type)
        self._check_room(repeat * (self._sizes.get(layer_type, 1) if block else 1), scope,
                         entry.value_locations.get("repeat", location), context)
        arguments = None  # a layer's arguments, the same for every copy: substituted once, shared by the copies
        for copy in range(repeat):
            copy_name = name if repeat == 1 or name is None else f"{name}_{copy + 1}"
            if block is not None:
                previous = self._expand_block(block, entry, location, scope, copy_name, inputs, trainable, copy,
                                              repeat)
            else:
                previous, arguments = self._add_layer(entry, location, scope, copy_name, inputs, trainable, arguments)
            inputs = (previous,)
        if name is not None and repeat > 1:  # the base name stands for the last copy
            self._name(scope, name, previous)
        return previous

    def _check_room(self, size: int, scope: _Scope, location: Location, context: Dict[str, Any]) -> None:
        # A `repeat: $n` inside a block is known only now; each copy of the enclosing repeats holds it too, so
        # nested repeats are refused on the first copy rather than after a million layers.
        at_least = max(len(self.layers) + size, scope.copies * size)
        if at_least > self.max_layers:
            raise SpecError((f"the spec expands to at least {at_least:,} layers, more than the limit of "
                             f"{self.max_layers:,} (raise it with ", Param("max_layers"), ")"),
                            location=location, **context)

    def _expand_call(self, entry: YamlMap, location: Location, scope: _Scope, previous: Optional[Ref]) -> Ref:
        """`{call: encoder, inputs: [right]}`: the layer or block instance `encoder` applied again, with its
        weights.  A layer's call is resolved by the graph (its name may be an auto name); a block instance's
        is expanded again here, each of its layers a call of the instance's."""
        target, where = entry["call"], entry.value_locations["call"]
        if not isinstance(target, str) or not target or ":" in target:
            raise SpecError(f"'call' must name a layer or a block instance listed before it, such as call: encoder, "
                            f"found {describe(target)}", location=where)
        name = _entry_name(entry, scope)
        context = dict(layer=scope.prefix + name if name else None, layer_type=None)
        for key in entry:
            if key in CALL_KEYS:
                continue
            if key == "type":
                message = ("give either 'type' (a new layer) or 'call' (another call of a layer listed before), "
                           "not both")
            elif key == "trainable":
                message = f"'trainable' belongs to the layer, not to one of its calls: set it on '{target}'"
            elif key == "repeat":
                message = "a call does not repeat: write one call per application of the layer"
            elif scope.prefix + target in self.uses:
                message = (f"a call of a block instance takes no arguments, found '{key}': it applies '{target}' as "
                           "it is, with the same arguments and weights")
            else:
                continue  # a call argument (reverse: true): the graph checks it against the called layer's rule
            raise SpecError(message, location=entry.key_locations[key], **context)
        call_args, call_arg_locations = {}, {}
        for key, value in entry.items():
            if key not in CALL_KEYS:
                call_args[key] = _substitute(value, entry.value_locations[key], scope.env)[0]
                call_arg_locations[key] = entry.key_locations[key]
        try:
            inputs = self._inputs(entry, scope, previous)
        except SpecError as error:
            raise error.add_context(**context)
        instance = self.uses.get(scope.prefix + target)
        if instance is not None:
            return self._call_block(instance, entry, location, scope, name, inputs, context)
        if scope.names is None:
            reference: Ref = target
        elif target in scope.names:
            reference = scope.names[target]
        else:
            raise SpecError(f"calls unknown layer '{target}'{closest(target, scope.names)}; inside a block, 'call' "
                            "names one of the block's layers", location=where, **context)
        full_name = scope.prefix + name if name else None
        if full_name and scope.names is not None:
            scope.names[name] = full_name
        self._check_room(1, scope, location, context)
        self.layers.append(LayerSpec(
            type="", name=full_name, inputs=inputs, trainable=True, args=call_args, location=location,
            type_location=where, arg_locations=call_arg_locations,
            inputs_location=entry.value_locations.get("inputs"), prefix=scope.prefix, scope=scope.path,
            call=reference,
        ))
        return full_name if full_name else len(self.layers) - 1

    def _call_block(self, instance: "_Use", entry: YamlMap, location: Location, scope: _Scope, name: Optional[str],
                    inputs: Optional[Tuple[Ref, ...]], context: Dict[str, Any]) -> Ref:
        """The block instance expanded again as it was written, named after the call ('encoder@1' by
        default), each layer a call of the instance's layer at the same place."""
        block = instance.block
        if inputs is not None and len(inputs) != len(block.inputs):
            raise SpecError(f"block '{block.name}' takes {len(block.inputs)} input(s) ({', '.join(block.inputs)}), "
                            f"found {len(inputs)}", location=entry.value_locations.get("inputs", location), **context)
        self._check_room(instance.end - instance.start, scope, location, context)
        if name is None:
            count = self.call_counters.get(instance.name, 0) + 1
            self.call_counters[instance.name] = count
            name = f"{instance.name[len(scope.prefix):]}@{count}"
        start = len(self.layers)
        output = self._expand_block(block, instance.entry, location, replace(scope, env=instance.env), name,
                                    inputs, instance.trainable, 0, 1)
        for offset in range(len(self.layers) - start):
            if self.layers[start + offset].call is None:  # a call inside the block already calls the copy's layer
                self.layers[start + offset] = replace(self.layers[start + offset], call=instance.start + offset,
                                                      args={}, arg_locations={})  # the arguments are the layer's
        return output

    def _inputs(self, entry: YamlMap, scope: _Scope, previous: Optional[Ref]) -> Optional[Tuple[Ref, ...]]:
        if "inputs" not in entry:
            return None if previous is None else (previous,)
        where = entry.value_locations["inputs"]
        value, _ = _substitute(entry["inputs"], where, scope.env)
        names = parse_names(value, where, "inputs")
        if scope.names is None:
            return names
        resolved = []
        for reference in names:
            local, colon, index = reference.rpartition(":")
            base = local if colon and index.isdigit() else reference
            if base not in scope.names:
                raise SpecError(f"unknown input '{base}'{closest(base, scope.names)}; inside a block, inputs name "
                                "the block's layers or its inputs", location=where)
            target = scope.names[base]
            resolved.append(target if base == reference else with_output(target, int(index)))
        return tuple(resolved)

    def _name(self, scope: _Scope, local: str, ref: Ref) -> None:
        if scope.names is None:
            self.aliases[local] = ref
        else:
            scope.names[local] = ref

    def _add_layer(self, entry: YamlMap, location: Location, scope: _Scope, name: Optional[str],
                   inputs: Optional[Tuple[Ref, ...]], trainable: bool,
                   arguments: Optional[Tuple[Dict[str, Any], Dict[str, Location]]] = None,
                   ) -> Tuple[Ref, Tuple[Dict[str, Any], Dict[str, Location]]]:
        """The layer's reference, and its (arguments, their locations): given, those of an earlier copy."""
        full_name = scope.prefix + name if name else None
        if arguments is None:
            arguments = {}, {}
            for key, value in entry.items():
                if key in RESERVED_LAYER_KEYS:
                    continue
                if key in MODEL_ARGUMENTS:
                    raise SpecError(f"'{key}' does not belong on a layer: {MODEL_ARGUMENTS[key]}; remove '{key}'",
                                    location=entry.key_locations[key], layer=full_name, layer_type=entry["type"])
                try:
                    arguments[0][key], arguments[1][key] = _substitute(value, entry.value_locations[key], scope.env)
                except SpecError as error:
                    raise error.add_context(layer=full_name, layer_type=entry["type"])
        args, arg_locations = arguments
        if full_name and scope.names is not None:
            scope.names[name] = full_name
        self.layers.append(LayerSpec(
            type=entry["type"], name=full_name, inputs=inputs, trainable=trainable, args=args, location=location,
            type_location=entry.value_locations["type"], arg_locations=arg_locations,
            inputs_location=entry.value_locations.get("inputs"), prefix=scope.prefix, scope=scope.path,
        ))
        return (full_name if full_name else len(self.layers) - 1), arguments

    def _expand_block(self, block: BlockDef, entry: YamlMap, location: Location, scope: _Scope,
                      name: Optional[str], inputs: Optional[Tuple[Ref, ...]], trainable: bool, copy: int,
                      repeat: int) -> Ref:
        if name is None:
            base = scope.prefix + block.name
            count = self.auto_counters.get(base, 0)
            self.auto_counters[base] = count + 1
            name = block.name if count == 0 else f"{block.name}_{count}"
        full_name = scope.prefix + name
        context = dict(layer=full_name, layer_type=block.name)
        env = {}
        for key, value in entry.items():
            if key in RESERVED_LAYER_KEYS:
                continue
            if key not in block.args:
                expected = ", ".join(block.args) or "no arguments"
                raise SpecError(f"unknown argument '{key}'{closest(str(key), block.args)}; block '{block.name}' "
                                f"takes: {expected}", location=entry.key_locations[key], **context)
            try:
                env[key] = _substitute(value, entry.value_locations[key], scope.env)
            except SpecError as error:
                raise error.add_context(**context)
        for key, default in block.args.items():
            if key not in env:
                if default is _REQUIRED:
                    raise SpecError(f"missing required argument '{key}' of block '{block.name}'", location=location,
                                    **context)
                env[key] = (default, block.location)
        if inputs is None:
            raise SpecError(f"the model has several inputs: say which block '{block.name}' takes, with inputs: [...]",
                            location=location, **context)
        if len(inputs) != len(block.inputs):
            raise SpecError(f"block '{block.name}' takes {len(block.inputs)} input(s) ({', '.join(block.inputs)}), "
                            f"found {len(inputs)}", location=entry.value_locations.get("inputs", location), **context)
        start = len(self.layers)
        inner = _Scope(prefix=full_name + "/", path=scope.path + (full_name,), env=env,
                       names=dict(zip(block.inputs, inputs)), trainable=trainable, copies=scope.copies * repeat)
        last = self._expand(block.layers, inner, previous=inputs[0])
        output = last
        if block.output is not None:  # a layer, or its n-th output: 'lstm:1'
            base, colon, index = block.output.rpartition(":")
            base, index = (base, int(index)) if colon and index.isdigit() and base else (block.output, 0)
            if base not in inner.names:
                raise SpecError(f"block '{block.name}': output '{block.output}' is not one of its layers"
                                f"{closest(base, inner.names)}", location=block.location)
            output = with_output(inner.names[base], index)
        if full_name in self.instances:
            raise SpecError(f"duplicate name '{full_name}'", location=location, **context)
        self.instances[full_name] = BlockInstance(full_name, block.name, output, location)
        self.uses[full_name] = _Use(full_name, block, entry, scope.env, trainable, start, len(self.layers))
        self._name(scope, name, output)
        return output


def _entry_name(entry: YamlMap, scope: _Scope) -> Optional[str]:
    name, _ = _substitute(entry.get("name"), entry.value_locations.get("name"), scope.env)
    if name is not None and (not isinstance(name, str) or not name or "/" in name or ":" in name):
        raise SpecError(f"layer 'name' must be a non-empty string without '/' or ':', found {describe(name)}",
                        location=entry.value_locations["name"])
    return name


def _substitute(value: Any, location: Optional[Location], env: Dict[str, Tuple[Any, Optional[Location]]],
                lenient: bool = False) -> Tuple[Any, Optional[Location]]:
    """Replace block arguments in a value: '$filters' -> its value, '${filters * 4}' -> computed.

    Returns the value and where it came from (the block use's argument, when substituted whole)."""
    if isinstance(value, str):
        match = _ARGUMENT.fullmatch(value.strip())
        if match is None:
            if "$" in value and _ARGUMENT.search(value):
                raise SpecError(f"block arguments must stand alone ('$name' or '${{expression}}'), found "
                                f"{describe(value)}", location=location)
            return value, location
        if lenient and not env:
            return value, location
        if match.group(1):
            name = match.group(1)
            if name not in env:
                raise SpecError(_unknown_argument(name, env), location=location)
            return env[name]
        return _evaluate(match.group(2), env, location), location
    if isinstance(value, YamlMap):
        return {key: _substitute(item, value.value_locations.get(key, location), env)[0]
                for key, item in value.items()}, location
    if isinstance(value, (list, tuple)):
        locations = getattr(value, "item_locations", [location] * len(value))
        return [_substitute(item, where, env)[0] for item, where in zip(value, locations)], location
    return value, location


def _unknown_argument(name: str, env) -> str:
    if not env:
        return f"'${name}' is a block argument, but this layer is not inside a block"
    return f"unknown block argument '${name}'{closest(name, env)}; this block takes: {', '.join(env)}"


def _evaluate(expression: str, env, location: Optional[Location]) -> int:
    """A small integer expression over block arguments: + - * // % ( ) and names.

    Its text is bounded before it is parsed and every value, operands included, as it is computed: a
    size past MAX_DIM is a mistake, and unbounded integers only cost time (x*x*... nested in blocks)."""
    import ast

    if len(expression) > MAX_EXPRESSION_CHARS:
        raise SpecError(f"a block argument expression has {len(expression):,} characters, more than the limit "
                        f"of {MAX_EXPRESSION_CHARS}", location=location)

    operators = {ast.Add: int.__add__, ast.Sub: int.__sub__, ast.Mult: int.__mul__,
                 ast.FloorDiv: int.__floordiv__, ast.Mod: int.__mod__}

    def walk(node):
        value = compute(node)
        if abs(value) > MAX_DIM:
            raise SpecError(f"'${{{expression}}}' reaches {value:,}, more than the limit of 2**62 ({MAX_DIM:,})",
                            location=location)
        return value

    def compute(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in env:
                raise SpecError(_unknown_argument(node.id, env), location=location)
            value = env[node.id][0]
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(f"block argument '{node.id}' is {describe(value)}, not an integer, in "
                                f"'${{{expression}}}'", location=location)
            return value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in operators:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, (ast.FloorDiv, ast.Mod)) and right == 0:
                raise SpecError(f"division by zero in '${{{expression}}}'", location=location)
            return operators[type(node.op)](left, right)
        raise SpecError(f"'${{{expression}}}' is not an integer expression of block arguments "
                        "(use + - * // % and parentheses)", location=location)

    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise SpecError(f"'${{{expression}}}' is not a valid expression", location=location) from None
    return walk(tree)
