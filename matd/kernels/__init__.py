"""The per-frame kernels: compiled (ext/kernels.pyx) and their NumPy/SciPy reference.

`matd.kernels.compiled` is the Cython build, imported on first use (so the reference
works in a checkout that has not been built); `matd.kernels.reference` is its twin.
Both provide the functions of `Kernels`, with the same signatures and results.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Literal, Protocol, cast

import numpy as np
import numpy.typing as npt

from matd.kernels import reference
from matd.native import load

Impl = Literal["compiled", "reference"]
IMPLS: tuple[Impl, ...] = ("compiled", "reference")


class Kernels(Protocol):
    """What both implementations provide (see ext/kernels.pyx for the contracts)."""

    def calibrate(
        self,
        raw: npt.NDArray[np.uint16],
        baseline: npt.NDArray[np.float32],
        floor: npt.NDArray[np.float32],
        mask: npt.NDArray[np.uint8],
        full_scale: float,
        p_half_kpa: float,
        out: npt.NDArray[np.float32],
        clip_share: float = ...,
    ) -> None: ...

    def track_baseline(
        self,
        raw: npt.NDArray[np.uint16],
        baseline: npt.NDArray[np.float32],
        var: npt.NDArray[np.float32],
        alpha: float,
    ) -> None: ...

    def moments(
        self, pressure: npt.NDArray[np.float32], row_pitch_mm: float, col_pitch_mm: float
    ) -> tuple[float, float, float]: ...

    def contacts(
        self,
        pressure: npt.NDArray[np.float32],
        min_kpa: float,
        min_cells: int,
        row_pitch_mm: float,
        col_pitch_mm: float,
        labels: npt.NDArray[np.int32],
    ) -> npt.NDArray[np.float64]: ...


def get(impl: Impl = "compiled") -> Kernels:
    """The kernels of one implementation; raises matd.native.NativeMissing if not built."""
    if impl == "reference":
        return cast(Kernels, reference)
    if impl == "compiled":
        return cast(Kernels, load("kernels"))
    raise ValueError(f"no kernel implementation {impl!r}; choose one of {IMPLS}")


def __getattr__(name: str) -> Any:
    if name == "compiled":
        module: ModuleType = load("kernels")
        return module
    raise AttributeError(f"module 'matd.kernels' has no attribute {name!r}")


__all__ = ["IMPLS", "Impl", "Kernels", "get", "reference"]
