"""Preprocessing layers that change shapes or hold weights."""

from __future__ import annotations
