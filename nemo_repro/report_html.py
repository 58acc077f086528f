"""Render a run's report.md as one self-contained HTML file (PNG plots inlined)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; }
code, pre { background: #f5f5f5; }
pre { padding: 0.6em; overflow-x: auto; }
blockquote { border-left: 4px solid #e0a000; margin: 1em 0; padding: 0.2em 1em; background: #fff8e6; }
"""


def _inline_images(html: str, base_dir: Path) -> str:
    def replace(match: re.Match) -> str:
        src = match.group(2)
        path = (base_dir / src) if not Path(src).is_absolute() else Path(src)
        if src.startswith("data:") or not path.is_file():
            return match.group(0)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'{match.group(1)}data:image/png;base64,{data}{match.group(3)}'

    return re.sub(r'(<img[^>]*?src=")([^"]+)(")', replace, html)


LIST_ITEM = re.compile(r"^ {0,3}([-*+]|\d+[.)])\s")


def separate_lists(markdown_text: str) -> str:
    """Put a blank line before a list that directly follows a paragraph line.

    Python-Markdown (unlike GitHub) needs that blank line, else the items are run into the
    paragraph as one line of text. Fenced code blocks are left as they are.
    """
    out: list[str] = []
    fenced = False
    for line in markdown_text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and LIST_ITEM.match(line) and out and out[-1].strip() and not LIST_ITEM.match(out[-1]) and not out[-1].startswith((" ", "\t")):
            out.append("")
        out.append(line)
    return "\n".join(out) + ("\n" if markdown_text.endswith("\n") else "")


def markdown_to_html(markdown_text: str, base_dir: str | Path, title: str = "nemo_repro report") -> str:
    """HTML for `markdown_text`, with images referenced relative to `base_dir` embedded as data URIs."""
    import markdown

    body = markdown.markdown(separate_lists(markdown_text), extensions=["tables", "fenced_code"])
    body = _inline_images(body, Path(base_dir))
    return f'<!doctype html>\n<html><head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n'


def write_html_report(markdown_path: str | Path, out_path: str | Path | None = None) -> Path:
    """Write `report.html` beside `report.md` (or at `out_path`)."""
    markdown_path = Path(markdown_path)
    out = Path(out_path) if out_path else markdown_path.with_suffix(".html")
    out.write_text(markdown_to_html(markdown_path.read_text(encoding="utf-8"), markdown_path.parent), encoding="utf-8")
    return out
