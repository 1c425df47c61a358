"""A docstring as Markdown: doctest blocks become fenced code, `Args:`/`Returns:`/`Raises:`
sections become bold titles with one list item an argument; the rest is kept (the project's
docstrings are written in Markdown already: backticks, lists)."""
import re

SECTIONS = ("Args", "Arguments", "Returns", "Return", "Raises", "Yields", "Attributes",
            "Example", "Examples", "Note", "Notes", "Call arguments", "Input shape",
            "Output shape", "Reference", "References", "See also")
_SECTION = re.compile(r"^(%s):\s*(.*)$" % "|".join(re.escape(s) for s in SECTIONS))
_ITEM = re.compile(r"^(\s{2,4})([\w*.\[\], ]+?)(\s*\([^)]*\))?:\s+(.*)$")


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def convert(doc):
    """Markdown text of the docstring `doc` (already dedented, as inspect.getdoc gives it)."""
    lines = doc.expandtabs().splitlines()
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(">>>"):
            base = _indent(line)
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i][base:] if _indent(lines[i]) >= base else lines[i].strip())
                i += 1
            out += ["", "```python", *block, "```", ""]
            continue
        m = _SECTION.match(line)
        if m and m.group(2):  # "Attributes: text..." is a paragraph with a bold lead
            out.append(f"**{m.group(1)}:** {m.group(2)}")
            i += 1
            continue
        if m:
            out += ["", f"**{m.group(1)}:**", ""]
            i += 1
            items = []
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > 0):
                sub = lines[i]
                if not sub.strip():
                    # a blank line ends the section unless more indented text follows
                    if i + 1 < len(lines) and _indent(lines[i + 1]) > 0 and \
                            not lines[i + 1].strip().startswith(">>>"):
                        i += 1
                        continue
                    break
                if sub.strip().startswith(">>>"):
                    break
                im = _ITEM.match(sub)
                if im and (not items or _indent(sub) <= items[-1][0]):
                    kind = im.group(3) or ""
                    items.append([_indent(sub), f"- `{im.group(2).strip()}`{kind}: "
                                  f"{im.group(4).strip()}"])
                elif items:
                    items[-1][1] += " " + sub.strip()
                else:
                    items.append([_indent(sub), sub.strip()])
                i += 1
            out += [text for _, text in items]
            out.append("")
            continue
        out.append(line)
        i += 1
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
