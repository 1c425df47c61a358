"""Package list for the wheel: every package under `autograph_jit/` (some, like `ops/`, are namespace
packages without an `__init__.py`), plus the top-level `runtime/` folder installed as
`autograph_jit.runtime` (the checkout keeps `runtime/` beside the package; see
`autograph_jit._load_runtime`). Metadata lives in pyproject.toml; only the package list is computed
here, because pyproject's `packages.find` cannot rename a folder into another package."""
from setuptools import find_namespace_packages, setup

RUNTIME = "autograph_jit.runtime"
SKIP = ["*__pycache__*"]
packages = find_namespace_packages(include=["autograph_jit", "autograph_jit.*"], exclude=SKIP)
packages += [RUNTIME] + [RUNTIME + "." + name
                         for name in find_namespace_packages(where="runtime", exclude=SKIP)]

setup(packages=packages, package_dir={"autograph_jit": "autograph_jit", RUNTIME: "runtime"})
