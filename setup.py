"""Builds the one C extension (``app.formats._native``); the rest is in pyproject.toml.

setuptools reads extension modules only from here in the versions we pin.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "app.formats._native",
            sources=["app/formats/_native.c"],
            extra_compile_args=["-O2", "-Wall", "-Wextra"],
        )
    ]
)
