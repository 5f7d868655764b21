"""Build hook: ship the top-level ``prompts/`` folder inside the package as ``playground._prompts``
(pyproject's package finder cannot map a folder outside the package; everything else is there)."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["playground*"]), "playground._prompts"],
    package_dir={"playground._prompts": "prompts"},
)
