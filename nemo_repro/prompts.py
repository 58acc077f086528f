"""Prompt builders and output parsers of the recycling methods.

RePro: a rephrase prompt (our own words for the paper's instructions) whose
answer starts with a fixed marker; only the text after the marker counts.
ReWire: a guided-rewrite prompt whose answer has a thinking part, then the
improved text under a fixed heading. ProX: prompts whose answers are programs
(document level and chunk level with globally numbered lines).
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


# ReWire: guided rewrite. The document is treated as a draft answer; the model
# first reasons as an expert, then writes an improved version. Two fixed
# headings separate the parts so the answer can be cut out deterministically.

REWIRE_THINKING_MARKER = "## Thinking"
REWIRE_ANSWER_MARKER = "## Improved text"

REWIRE_SYSTEM = "You are an expert writer and teacher who improves drafts without losing any of their substance."

REWIRE_USER_TEMPLATE = """Below is a draft taken from the web. Treat it as a first attempt at answering a question or carrying out a task.

First, under the heading "{thinking}", think as the expert best placed to do this task:
- What is the core problem or purpose the draft serves, and who is it for?
- How would you break the problem down, and which alternative approaches exist?
- What is wrong with or missing from the draft, and how would you improve it?

Then, under the heading "{answer}", write the improved version. It must:
- be at least as long as the draft and reuse all of its useful details, facts and examples;
- be better organised and better formatted (paragraphs, lists, headings where they help);
- leave out noise such as navigation, ads, links and boilerplate;
- contain only the improved text, with no comments about the draft.

Draft:
{document}"""


def rewire_messages(document: str, max_chars: int | None = None) -> list[dict[str, str]]:
    """Chat messages asking for a ReWire guided rewrite of `document` (cut to `max_chars`)."""
    if max_chars is not None:
        document = document[:max_chars]
    user = REWIRE_USER_TEMPLATE.format(thinking=REWIRE_THINKING_MARKER, answer=REWIRE_ANSWER_MARKER, document=document)
    return [{"role": "system", "content": REWIRE_SYSTEM}, {"role": "user", "content": user}]


@dataclass(frozen=True)
class ParsedRewrite:
    """A ReWire output split into its reasoning and its improved text."""

    thinking: str
    """The reasoning: text between the first thinking heading (or the start) and the answer heading, stripped."""

    text: str
    """The improved text: everything after the last answer heading, stripped; empty without that heading."""

    has_answer: bool
    """Whether the answer heading was present."""


def parse_rewire_output(output: str) -> ParsedRewrite:
    """Split a ReWire output at `## Improved text`.

    The last answer heading wins, because the reasoning may mention the heading
    while planning. Without it the output is unfinished reasoning (e.g. cut by
    the token limit): the rewrite is empty and everything counts as thinking.
    The thinking part starts after the first `## Thinking` heading (a preamble
    before it is dropped), or at the start when that heading is missing.
    """
    head, sep, tail = output.rpartition(REWIRE_ANSWER_MARKER)
    if not sep:
        head, tail = output, ""
    _, has_heading, reasoning = head.partition(REWIRE_THINKING_MARKER)
    thinking = reasoning if has_heading else head
    return ParsedRewrite(thinking=thinking.strip(), text=tail.strip(), has_answer=bool(sep))


# ProX: a small LM answers with a program. Document level: drop_doc() or
# keep_doc(). Chunk level: the chunk's lines numbered globally ("[000] text"),
# answered with remove_lines / normalize / keep_chunk calls. The grammar and the
# executor live in `nemo_repro.refine.prox`.

PROX_SYSTEM = "You are a data-cleaning assistant. You answer only with function calls, one per line."

PROX_DOC_USER_TEMPLATE = """Decide whether the web document below is worth keeping as training data for a language model.
Keep it if it has informative, coherent content (explanations, knowledge, reasoning, useful instructions, real discussion).
Drop it if it is mostly spam, ads, navigation, lists of links, boilerplate, machine-generated gibberish or has almost no content.

Answer with exactly one line: keep_doc() or drop_doc()

Document:
{document}"""

PROX_CHUNK_USER_TEMPLATE = """Below is part of a web document; every line starts with its line number in brackets.
Write a program that cleans it, using only these functions, one call per line, keyword arguments only:
- remove_lines(line_start=A, line_end=B): delete lines A to B, both included (use the bracketed numbers);
- normalize(source_str="...", target_str="..."): replace every occurrence of a string within a line, e.g. to strip leftover markup or fix broken characters;
- keep_chunk(): keep the part as it is (answer only this when nothing needs cleaning).
Remove navigation, headers, footers, ads, share buttons, link lists, cookie notices and other noise; never remove real content.

Lines:
{lines}"""


def prox_doc_messages(document: str, max_chars: int | None = None) -> list[dict[str, str]]:
    """Chat messages asking for a document-level ProX decision (`keep_doc()` or `drop_doc()`)."""
    if max_chars is not None:
        document = document[:max_chars]
    return [{"role": "system", "content": PROX_SYSTEM}, {"role": "user", "content": PROX_DOC_USER_TEMPLATE.format(document=document)}]


def number_lines(lines: list[str] | tuple[str, ...], first_line: int = 0) -> str:
    """Lines prefixed with their global number, `[000] text` (at least three digits)."""
    return "\n".join(f"[{first_line + k:03d}] {line}" for k, line in enumerate(lines))


def prox_chunk_messages(lines: list[str] | tuple[str, ...], first_line: int) -> list[dict[str, str]]:
    """Chat messages asking for a chunk-level ProX program over `lines`, numbered from `first_line`."""
    user = PROX_CHUNK_USER_TEMPLATE.format(lines=number_lines(lines, first_line))
    return [{"role": "system", "content": PROX_SYSTEM}, {"role": "user", "content": user}]
