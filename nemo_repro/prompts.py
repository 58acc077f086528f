"""Prompt builders and output parsers of the recycling methods.

RePro: a rephrase prompt (our own words for the paper's instructions) whose
answer starts with a fixed marker; only the text after the marker counts.
"""

from __future__ import annotations

from dataclasses import dataclass

REPRO_MARKER = "Here is a paraphrased version:"

REPRO_SYSTEM = "You are a helpful assistant that edits web documents carefully. /no_think"

REPRO_USER_TEMPLATE = """Below is a document taken from the web. Rewrite it into a clean, high-quality version.

- Remove content that is clearly irrelevant: site headers, navigation menus, unrelated links or ads, cookie notices, share buttons, boilerplate footers and decorative lines.
- Keep every relevant fact, term, piece of reasoning and example. Where a sentence mixes relevant and irrelevant parts, trim only the irrelevant part.
- Keep the original structure, logic and depth: paragraphs stay paragraphs, lists stay lists, tables, code and JSON stay as they are.
- Do not add anything that is not in the document.
- Write in clear English and start your answer with "{marker}".

Document:
{document}"""


def repro_messages(document: str, max_chars: int | None = 7000) -> list[dict[str, str]]:
    """Chat messages asking the rephraser to recycle `document` (cut to `max_chars`)."""
    if max_chars is not None:
        document = document[:max_chars]
    return [
        {"role": "system", "content": REPRO_SYSTEM},
        {"role": "user", "content": REPRO_USER_TEMPLATE.format(marker=REPRO_MARKER, document=document)},
    ]


@dataclass(frozen=True)
class ParsedRephrase:
    """A rephraser output split at the marker."""

    text: str
    """The rephrasing: the stripped text after the first marker; empty without a marker."""

    has_marker: bool
    """Whether the marker was present."""


def parse_repro_output(output: str) -> ParsedRephrase:
    """Split a rephraser output at `Here is a paraphrased version:`.

    Only the text after the first marker is the rephrasing; an output without
    the marker is an empty rephrasing (the format reward then scores 0, and the
    length and semantic rewards see an empty candidate).
    """
    head, sep, tail = output.partition(REPRO_MARKER)
    if not sep:
        return ParsedRephrase(text="", has_marker=False)
    return ParsedRephrase(text=tail.strip(), has_marker=True)
