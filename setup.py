"""Builds the Cython kernels in ext/ into the matd package.

Compiler directives are set once here for the whole build. Set MATD_CYTHON_DEBUG=1
to build with bounds checks, wrap-around and initialised-variable checks switched
back on (slower, but an out-of-range index raises instead of corrupting memory).
"""

import os

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("MATD_CYTHON_DEBUG", "") not in ("", "0")

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": not DEBUG,
    "nonecheck": DEBUG,
    "embedsignature": True,
}

extensions = [
    Extension(
        f"matd._{name}",
        [f"ext/{name}.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O0", "-g"] if DEBUG else ["-O3"],
    )
    for name in ("wire", "kernels")
]

setup(ext_modules=cythonize(extensions, compiler_directives=directives, quiet=True))
