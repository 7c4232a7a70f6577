"""A layer given as another layer's argument (`layer: {type: LSTM, units: 64}`): its rule, built through the
registry, with errors that point at the wrapper's argument. Shared by the wrappers of several families
(Bidirectional, TimeDistributed, SpectralNormalization, ...), so that none imports another family for it."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, List, Optional

from ..dims import Dim, Shape
from ..errors import LayercalcError, SpecError, closest, describe
from .arguments import LayerConfig, check_dtype_policy
from .base import Layer, Weight
from .registry import all_type_names, lookup


@contextmanager
def inside(argument: str, label: str) -> Iterator[None]:
    """Errors of a wrapped layer point at the wrapper's argument and say which layer failed."""
    try:
        yield
    except LayercalcError as error:
        raise type(error)((f"{label}: ", *error.parts), argument=argument) from None


@dataclass(frozen=True)
class Wrapped:
    """A wrapped layer's rule, and whether its weights train (its own `trainable` key)."""

    rule: Layer
    trainable: bool
    argument: str
    label: str  # how messages name it: "layer (LSTM)"
    dtype: Optional[str] = None  # its own Keras dtype policy (`dtype: float16`): its weights' dtype

    @classmethod
    def build(cls, config: LayerConfig, argument: str, framework: str = "keras") -> "Wrapped":
        """The rule of a layer given as an argument (`layer: {type: LSTM, units: 64}`), a type of the framework."""
        type_name = config["type"]
        rule_class = lookup(type_name, framework=framework)
        if rule_class is None:
            raise SpecError(f"unknown layer type '{type_name}' in '{argument}'"
                            f"{closest(type_name, all_type_names(framework))}", argument=argument)
        label = f"{argument} ({type_name})"
        with inside(argument, label):
            trainable = config.get("trainable", True)
            if not isinstance(trainable, bool):
                raise SpecError(f"'trainable' must be true or false, found {describe(trainable)}")
            name = config.get("name")
            if name is not None and not isinstance(name, str):
                raise SpecError(f"'name' must be a string, found {describe(name)}")
            args = {key: value for key, value in config.items() if key not in ("type", "name", "trainable")}
            dtype = check_dtype_policy(args.get("dtype")) if rule_class.dtype_policy else None
            return cls(rule_class.from_args(args), trainable, argument, label, dtype)

    @property
    def type_name(self) -> str:
        return type(self.rule).__name__

    def output_shape(self, x: Shape) -> Any:
        with inside(self.argument, self.label):
            return self.rule.output_shape(x)

    def weights(self, x: Shape, prefix: str = "") -> List[Weight]:
        with inside(self.argument, self.label):
            weights = self.rule.weights(x)
        return [Weight(prefix + w.name, w.shape, w.trainable and self.trainable, w.buffer, w.dtype or self.dtype)
                for w in weights]

    def macs(self, x: Shape) -> Dim:
        with inside(self.argument, self.label):
            return self.rule.macs(x, self.rule.output_shape(x))

    def bias_adds(self, x: Shape) -> Dim:
        with inside(self.argument, self.label):
            return self.rule.bias_adds(x, self.rule.output_shape(x))

    def elementwise(self, x: Shape) -> Dim:
        with inside(self.argument, self.label):
            return self.rule.elementwise(x, self.rule.output_shape(x))
