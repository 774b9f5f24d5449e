"""Package metadata; the version lives in timelapse/__init__.py (a test keeps debian/changelog in step)."""

import re
from pathlib import Path

from setuptools import find_packages, setup

VERSION = re.search(r'__version__ = "([^"]+)"', Path(__file__).with_name("timelapse").joinpath(
    "__init__.py").read_text()).group(1)

setup(
    name="timelapse",
    version=VERSION,
    description="Timelapse camera appliance for the Raspberry Pi",
    license="MIT",
    packages=find_packages(include=["timelapse", "timelapse.*"]),
    package_data={"timelapse.web": ["templates/*.html", "static/*.css", "static/*.js", "static/*.svg"]},
    python_requires=">=3.11",
    entry_points={"console_scripts": ["timelapse = timelapse.cli:main"]},
)
