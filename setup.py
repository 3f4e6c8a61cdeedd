"""Map every package folder under the repository root into the `newsbeam` namespace."""

from setuptools import find_packages, setup

NOT_SHIPPED = ["tests", "tests.*", "benchmarks", "benchmarks.*", "deploy", "deploy.*", "docs", "build", "build.*"]

setup(packages=["newsbeam", *(f"newsbeam.{name}" for name in find_packages(".", exclude=NOT_SHIPPED))])
