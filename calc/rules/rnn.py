"""Embeddings and recurrent layers."""

from __future__ import annotations
