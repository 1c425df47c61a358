"""The documentation builds from this checkout: the generator writes every generated page (API
reference from the docstrings, the pages of real compiler output, the pictures) and mkdocs builds
the site offline with warnings as errors (`mkdocs build --strict`, as `make docs` does); the
Getting started page's code runs; the README points inside the repository."""
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory):
    pytest.importorskip("mkdocs")
    tmp = tmp_path_factory.mktemp("docs")
    docs = tmp / "docs"
    shutil.copytree(os.path.join(ROOT, "docs"), docs)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    gen = subprocess.run([sys.executable, "-m", "tools.docgen", "--docs", str(docs)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=600)
    assert gen.returncode == 0, gen.stdout + gen.stderr
    config = open(os.path.join(ROOT, "mkdocs.yml")).read()
    config = config.replace("docs_dir: docs", f"docs_dir: {docs}").replace(
        "site_dir: site", f"site_dir: {tmp / 'site'}")
    (tmp / "mkdocs.yml").write_text(config)
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                            str(tmp / "mkdocs.yml")], cwd=tmp, env=env, capture_output=True,
                           text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    return tmp


def test_mkdocs_builds_the_site_with_warnings_as_errors(built_docs):
    site = built_docs / "site"
    for page in ("index.html", "getting-started.html", "tf-function.html",
                 "inside-the-compiler.html", "performance.html", "differences.html",
                 "serving.html", "gpu.html", "architecture.html", "api/tf.html",
                 "api/tf.keras.layers.html"):
        assert (site / page).is_file(), page


def test_the_api_reference_has_an_entry_for_every_public_name(built_docs):
    sys.path.insert(0, ROOT)
    from tools.docgen import public
    text = "\n".join(p.read_text() for p in (built_docs / "docs" / "api").glob("*.md"))
    headings = set(re.findall(r"^## (tf\.[\w.]+)$", text, re.M))
    missing = [name for name, _ in public.public_objects() if name not in headings]
    assert not missing, missing[:20]


def test_inside_the_compiler_shows_real_output_of_every_stage(built_docs):
    page = (built_docs / "docs" / "inside-the-compiler.md").read_text()
    assert "{{" not in page
    for evidence in ("ag__.while_stmt", "func dense_layer(", "matmul_fusion", "fusion[",
                     "define internal i32 @\"k_matmul_0\"", "agj_entry:", "| llvm optimize |"):
        assert evidence in page, evidence
    for image in ("dense_layer-traced.svg", "dense_layer-optimized.svg", "collatz-optimized.svg"):
        svg = (built_docs / "docs" / "images" / image).read_text()
        assert "<svg" in svg and "examples.py:" in svg, image


def test_pages_with_snippets_show_their_real_errors(built_docs):
    page = (built_docs / "docs" / "tf-function.md").read_text()
    assert "{{" not in page
    assert "is float32 in the if branch but int32 in the else branch" in page
    assert "retraced because argument x: tensor float32[2] -> tensor float32[3]" in page
    perf = (built_docs / "docs" / "performance.md").read_text()
    assert "our graph time / that time" in perf and "How `mse` is compiled" in perf
    assert (built_docs / "docs" / "images" / "benchmarks.png").read_bytes()[:4] == b"\x89PNG"


def test_getting_started_code_runs(tmp_path):
    text = open(os.path.join(ROOT, "docs", "getting-started.md")).read()
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, re.S))
    (tmp_path / "getting_started.py").write_text(code)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if shutil.which("dot") is None:  # the two pictures need Graphviz (make test installs it)
        pytest.skip("Graphviz's dot is not installed")
    run = subprocess.run([sys.executable, "getting_started.py"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "tf.Tensor(111, shape=(), dtype=int32)" in run.stdout
    assert (tmp_path / "collatz.png").is_file() and (tmp_path / "model.png").is_file()


def test_readme_links_the_docs_and_nothing_outside_the_repository():
    readme = open(os.path.join(ROOT, "README.md")).read()
    assert "../shared" not in readme
    for target in re.findall(r"\]\(([^)#]+)", readme):
        if "://" not in target:
            assert os.path.exists(os.path.join(ROOT, target)), target
    assert "docs/index.md" in readme
