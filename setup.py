"""Builds the optional C accelerator of the HJ 212 codec; everything else is configured in pyproject.toml.

`optional=True`: without a compiler or Python headers the build is skipped with a warning and the codec runs its
pure-Python reference path (`ecomon.ingest.hj212.codec.accel.ACTIVE_PATH` says which one is in use).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("ecomon.ingest.hj212.codec._speedups", ["src/ecomon/ingest/hj212/codec/_speedups.c"],
                             extra_compile_args=["-O2"], optional=True)])
