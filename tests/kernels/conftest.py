"""Fixtures of the kernel tests: the implementation under test, msgpack style."""

from __future__ import annotations

import pytest

from matd.kernels import IMPLS, Impl, Kernels, get


@pytest.fixture(params=IMPLS)
def impl(request: pytest.FixtureRequest) -> Impl:
    """Each test taking this runs once on the compiled kernels and once on the reference."""
    name: Impl = request.param
    return name


@pytest.fixture
def kernels(impl: Impl) -> Kernels:
    return get(impl)


@pytest.fixture(scope="session")
def compiled() -> Kernels:
    return get("compiled")


@pytest.fixture(scope="session")
def reference() -> Kernels:
    return get("reference")
