"""Real virtual mats for the link tests: `python -m matd simulate` subprocesses, and
in-process devices on real ptys and TCP sockets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from matd.sim.device import VirtualMat
from matd.sim.patterns import pattern_source
from matd.wire.stream import StreamDecoder

from .linkkit import SMALL, DeviceThread, SimProcess, compiled_or_reference


@pytest.fixture
def decoder_factory() -> Callable[[], StreamDecoder]:
    """The compiled decoder when it is built, else the reference (same API and counters)."""
    return compiled_or_reference()


@pytest.fixture
def simulators(tmp_path: Path) -> Iterator[Callable[..., SimProcess]]:
    """Start `matd simulate` subprocesses; every one left running is stopped at the end."""
    started: list[SimProcess] = []

    def start(*args: str) -> SimProcess:
        sim = SimProcess(*args, log_path=tmp_path / f"sim{len(started)}.log")
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def devices() -> Iterator[Callable[..., DeviceThread]]:
    """Start in-process virtual mats (a small grid unless a mat is given)."""
    started: list[DeviceThread] = []

    def start(
        mat: VirtualMat | None = None,
        *,
        tcp: bool = False,
        port: int = 0,
        link_path: str | None = None,
    ) -> DeviceThread:
        mat = mat or VirtualMat(pattern_source("moving-blob", 1, SMALL))
        dev = DeviceThread(mat, tcp=tcp, port=port, link_path=link_path)
        started.append(dev)
        return dev

    yield start
    for dev in started:
        dev.stop()
