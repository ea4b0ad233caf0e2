"""The compiled modules built from ext/, with one clear message when they are missing."""

from __future__ import annotations

import importlib
from types import ModuleType

FIX = "run `pip install .` in the matd checkout (or `python setup.py build_ext --inplace`)"


class NativeMissing(ImportError):
    pass


def load(name: str) -> ModuleType:
    """Import matd._<name>, the Cython build of ext/<name>.pyx."""
    try:
        return importlib.import_module(f"matd._{name}")
    except ImportError as exc:
        raise NativeMissing(
            f"matd: the compiled module matd._{name} is missing or broken ({exc}); {FIX}"
        ) from None
