"""Fixtures for the wire tests: every decoder test runs on both implementations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from matd.wire.decoder import Impl, new_decoder
from matd.wire.messages import Frame, Message
from matd.wire.stream import StreamDecoder

IMPLS: tuple[Impl, ...] = ("reference", "compiled")


def message_key(msg: Message) -> tuple[Any, ...]:
    """Everything observable about a message, in a comparable form.

    Stricter than Frame.__eq__: it also holds the sparse flag, the cells' dtype, their
    C-contiguity and writeability: both decoders must hand out the same kind of array."""
    if isinstance(msg, Frame):
        cells = msg.cells
        return (
            "Frame",
            msg.seq,
            msg.device_time_us,
            msg.sparse,
            cells.shape,
            cells.dtype.str,
            bool(cells.flags.c_contiguous),
            bool(cells.flags.writeable),
            cells.tobytes(),
        )
    return (type(msg).__name__, msg)


@pytest.fixture(params=IMPLS)
def impl(request: pytest.FixtureRequest) -> Impl:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def decoder(impl: Impl) -> StreamDecoder:
    return new_decoder(impl)


@pytest.fixture(scope="session")
def key() -> Callable[[Message], tuple[Any, ...]]:
    return message_key
