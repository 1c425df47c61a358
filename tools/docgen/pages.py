"""Templated pages: `templates/NAME.md` becomes `docs/NAME.md`, each `{{snippet:X}}` replaced by
snippet X with its real output (snippets.py), and page-specific `{{name}}` blocks by the values
of that page's provider (the compiler stages, the benchmark table)."""
import os
import re

from . import snippets

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")


def render(name, values=None):
    """The text of templates/NAME.md with its placeholders filled."""
    path = os.path.join(TEMPLATES, name + ".md")
    with open(path) as f:
        text = f.read()
    values = values or {}

    def sub(m):
        key = m.group(1)
        if key.startswith("snippet:"):
            return snippets.block(key.split(":", 1)[1])
        if key not in values:
            raise KeyError(f"{path}: unknown placeholder {{{{{key}}}}}")
        return values[key]
    return re.sub(r"\{\{([\w:]+)\}\}", sub, text)


def write(docs_dir, name, values=None):
    text = render(name, values)
    with open(os.path.join(docs_dir, name + ".md"), "w") as f:
        f.write(text)
    return name + ".md"
