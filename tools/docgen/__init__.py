"""Generated documentation: the API reference from the docstrings (api.py), and the pages whose
code blocks are real output of this checkout (compiler.py, pages.py with snippets.py,
performance.py). `python -m tools.docgen` writes them into docs/; `make docs` then builds the site
with mkdocs."""
