"""Activations as layers."""

from __future__ import annotations
