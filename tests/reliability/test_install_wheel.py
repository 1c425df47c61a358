"""The package installs from a wheel and runs outside the checkout.

Builds the wheel from a copy of the source tree, installs it (without dependencies) into a fresh
venv in a temporary folder whose only other packages are the dependencies already installed for the
running interpreter, and runs a small `tf.function` there with no path into the checkout.

Also a script: `python tests/reliability/test_install_wheel.py` (what `make wheel-smoke` and CI run)
does the same in a temporary folder and prints what it checked.
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The source a wheel is built from; the build writes build/ and *.egg-info beside it, so it runs on
# a copy rather than in the checkout (which tests may share with other processes).
SOURCE = ("autograph_jit", "runtime", "pyproject.toml", "setup.py", "README.md")
# Runtime dependencies (pyproject.toml) and theirs, as import names.
DEPENDENCIES = ("numpy", "llvmlite", "astunparse", "scipy", "six")

SMOKE = r'''
import os, sys
import numpy as np
import autograph_jit as tf
import autograph_jit.runtime as runtime

prefix = os.path.realpath(sys.prefix)
for module in (tf, runtime):
    assert os.path.realpath(module.__file__).startswith(prefix), (module.__name__, module.__file__)

@tf.function
def collatz(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps

@tf.function
def affine(x, w):
    return tf.nn.relu(tf.matmul(x, w) + 1.0)

assert int(collatz(tf.constant(27))) == 111
x = np.arange(6, dtype=np.float32).reshape(2, 3)
w = np.ones((3, 2), np.float32)
np.testing.assert_allclose(affine(x, w).numpy(), np.maximum(x @ w + 1.0, 0.0))
print("smoke ok", tf.__file__)
'''


def copy_source(dest):
    """Copies the files a wheel is built from into `dest` (no caches, no build leftovers)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in SOURCE:
        src = os.path.join(ROOT, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, name), ignore=ignore)
        else:
            shutil.copy2(src, os.path.join(dest, name))


def _have(*modules):
    return all(importlib.util.find_spec(m) is not None for m in modules)


def build_wheel(workdir):
    """Builds the wheel from a copy of the tree; returns its path."""
    src, dist = os.path.join(workdir, "src"), os.path.join(workdir, "dist")
    os.makedirs(src)
    copy_source(src)
    # The build tools already installed make it fast and offline; without them pip fetches them.
    isolation = ["--no-build-isolation"] if _have("setuptools", "wheel") else []
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *isolation,
                    "-w", dist, src], check=True, cwd=workdir)
    (wheel,) = [os.path.join(dist, n) for n in os.listdir(dist) if n.endswith(".whl")]
    return wheel


def fresh_venv(workdir):
    """A new venv that sees only the declared runtime dependencies, taken from the running
    interpreter's installation (linked into one folder named by a .pth file; not this checkout,
    not an editable install of it, no optional package); returns its python."""
    venv = os.path.join(workdir, "venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = os.path.join(venv, "bin", "python")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    deps = os.path.join(workdir, "deps")
    os.makedirs(deps)
    for name in DEPENDENCIES:
        if not _have(name):
            continue
        origin = importlib.util.find_spec(name).origin
        path = os.path.dirname(origin) if os.path.basename(origin) == "__init__.py" else origin
        parent = os.path.dirname(path)
        # the package, plus the bundled shared libraries its extensions find beside it
        for item in [os.path.basename(path), name + ".libs"]:
            if os.path.exists(os.path.join(parent, item)) and \
                    not os.path.exists(os.path.join(deps, item)):
                os.symlink(os.path.join(parent, item), os.path.join(deps, item))
    with open(os.path.join(site, "autograph_jit_test_deps.pth"), "w") as f:
        f.write(deps + "\n")
    return python


def clean_env(**extra):
    """The environment without PYTHONPATH & co. (which would put the checkout on the path) or
    autograph_jit settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AUTOGRAPH_JIT"))}
    env.update(extra)
    return env


def install(python, wheel):
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
                    "--no-index", wheel], check=True, env=clean_env())


def run_smoke(python, workdir):
    """Runs SMOKE in the venv from a folder outside the checkout; returns its stdout."""
    script = os.path.join(workdir, "smoke.py")  # a file: AutoGraph reads the function's source
    with open(script, "w") as f:
        f.write(SMOKE)
    env = clean_env(AUTOGRAPH_JIT_CACHE_DIR=os.path.join(workdir, "cache"))
    out = subprocess.run([python, script], cwd=workdir, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def wheel_names(wheel):
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def test_wheel_holds_every_source_file_runtime_included_as_autograph_jit_runtime(tmp_path):
    names = wheel_names(build_wheel(str(tmp_path)))
    expected = set()
    for top, installed in (("autograph_jit", "autograph_jit"), ("runtime", "autograph_jit/runtime")):
        for dirpath, dirnames, files in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            rel = os.path.relpath(dirpath, os.path.join(ROOT, top))
            for f in files:
                if f.endswith(".py"):
                    expected.add(os.path.normpath(os.path.join(installed, rel, f)))
    assert "autograph_jit/runtime/cpu_engine.py" in expected
    assert expected - names == set()
    assert not any(n.startswith("runtime/") for n in names)  # no stray top-level package


def test_wheel_installed_in_fresh_venv_imports_and_runs_a_function(tmp_path):
    workdir = str(tmp_path)
    wheel = build_wheel(workdir)
    python = fresh_venv(workdir)
    install(python, wheel)
    assert "smoke ok" in run_smoke(python, workdir)


def test_checkout_import_loads_its_own_runtime_folder(tmp_path):
    code = ("import autograph_jit as tf, autograph_jit.runtime as r\n"
            "print(r.__file__)\n"
            "print(float(tf.function(lambda x: x * 2.0)(tf.constant(1.5))))\n")
    env = clean_env(PYTHONPATH=ROOT, AUTOGRAPH_JIT_CACHE_DIR=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    path, value = out.stdout.split()
    assert os.path.realpath(path) == os.path.realpath(os.path.join(ROOT, "runtime", "__init__.py"))
    assert value == "3.0"


def main():
    workdir = tempfile.mkdtemp(prefix="autograph_jit-wheel-smoke-")
    try:
        wheel = build_wheel(workdir)
        print("built", os.path.basename(wheel), f"({len(wheel_names(wheel))} files)")
        python = fresh_venv(workdir)
        install(python, wheel)
        print("installed into", os.path.dirname(os.path.dirname(python)))
        print(run_smoke(python, workdir).strip())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
