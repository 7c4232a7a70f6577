"""torch.nn's lookup tables: Embedding and EmbeddingBag."""

from __future__ import annotations

from dataclasses import field
from typing import Any, List

from ...dims import Shape, format_shape
from ...errors import ShapeError, SpecError
from ..arguments import PositiveInt, choices
from ..base import Weight, rule
from ..registry import register
from .base import Module


@register
@rule
class Embedding(Module):
    """A row of a num_embeddings × embedding_dim table for each integer index.

    output: (*x, embedding_dim)
    params: weight num_embeddings·embedding_dim
    MACs:   0 (a lookup)
    """

    num_embeddings: PositiveInt
    embedding_dim: PositiveInt
    padding_idx: int | None = None
    max_norm: Any = None
    norm_type: Any = 2.0
    scale_grad_by_freq: Any = False
    sparse: Any = False

    def validate(self) -> None:
        if self.padding_idx is not None and not -self.num_embeddings <= self.padding_idx < self.num_embeddings:
            raise SpecError(f"padding_idx {self.padding_idx} must be within num_embeddings {self.num_embeddings}",
                            argument="padding_idx")

    def output_shape(self, x: Shape) -> Shape:
        return (*x, self.embedding_dim)

    def weights(self, x: Shape) -> List[Weight]:
        return [Weight("weight", (self.num_embeddings, self.embedding_dim))]


@register
@rule
class EmbeddingBag(Embedding):
    """The sum, mean or max of the rows of a num_embeddings × embedding_dim table for each bag of indices
    (an input (N, L): N bags of L indices).

    output: (N, embedding_dim)
    params: weight num_embeddings·embedding_dim
    MACs:   0 (lookups, and one addition or comparison per looked-up element)
    """

    mode: str = field(default="mean", metadata=choices("sum", "mean", "max"))
    include_last_offset: Any = False

    def output_shape(self, x: Shape) -> Shape:
        if len(x) != 2:
            raise ShapeError(f"expected a 2D input of bags (N, L), found {format_shape(x)}")
        return (x[0], self.embedding_dim)
