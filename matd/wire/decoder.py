"""Chooses the stream decoder: the compiled one (ext/wire.pyx) or the pure-Python reference."""

from __future__ import annotations

from typing import Literal

from matd.native import load
from matd.wire.stream import StreamDecoder

Impl = Literal["compiled", "reference"]


def new_decoder(impl: Impl = "compiled") -> StreamDecoder:
    """A fresh decoder. Both kinds have the same API and counters (tests hold them equal)."""
    if impl == "reference":
        return StreamDecoder()
    decoder: StreamDecoder = load("wire").StreamDecoder()
    return decoder
