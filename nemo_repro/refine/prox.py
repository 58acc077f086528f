"""ProX: programs written by a small LM refine a document; this module runs them safely.

The language has five functions, called with literal keyword arguments only:

    drop_doc()  keep_doc()                                   document level
    remove_lines(line_start=3, line_end=7)                   chunk level, inclusive, global 0-based lines
    normalize(source_str="&amp;", target_str="&")            chunk level, global string replace (newlines allowed)
    keep_chunk()                                             chunk level, leave the chunk as it is

Programs are parsed with `ast` and interpreted here; nothing is ever evaluated,
so a program such as `__import__('os').system('x')` is just a call that does
not parse as the language and counts as an error. Names must be written
exactly (Python folds fullwidth and other NFKC look-alikes into ASCII names;
here `ｄｒｏｐ_ｄｏｃ()` is not `drop_doc()`). Execution follows the ProX rules:
within a chunk, the removed line ranges (numbered as the model saw them) go
first, then each normalization is a global replace over the chunk's text, in
program order; with r = words_after / words_before the document is dropped if
r <= 0.05 and errors < 2, else dropped if <= 10 words remain, else the refined
text is kept if errors < 2, else the original is kept.

Size bound: a normalization that would make its chunk longer than the original
chunk plus `max(GROWTH_CHARS, GROWTH_FRACTION * len(chunk))` characters is an
error and changes nothing, so a refined document is never longer than its
original plus that margin per chunk. `execute` never raises on program text:
anything unexpected keeps the original with the error as the reason.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Union

# name -> {argument: type}; every argument is required.
SIGNATURES: dict[str, dict[str, type]] = {
    "drop_doc": {},
    "keep_doc": {},
    "remove_lines": {"line_start": int, "line_end": int},
    "normalize": {"source_str": str, "target_str": str},
    "keep_chunk": {},
}
DOC_FUNCTIONS = frozenset({"drop_doc", "keep_doc"})
CHUNK_FUNCTIONS = frozenset({"remove_lines", "normalize", "keep_chunk"})

MAX_CHUNK_TOKENS = 1500
DROP_RATIO = 0.05
"""Drop a document whose refined text keeps at most this fraction of its words (and errors < MAX_ERRORS)."""
MIN_WORDS = 10
"""Drop a document whose refined text has at most this many words."""
MAX_ERRORS = 2
"""With this many failed calls or more the programs are distrusted and the original text is kept."""
GROWTH_FRACTION = 0.1
GROWTH_CHARS = 100
"""A chunk may grow by normalizations by at most max(GROWTH_CHARS, GROWTH_FRACTION x its length) characters."""

ArgValue = Union[int, str]


@dataclass(frozen=True)
class Call:
    """One parsed call of the ProX language."""

    name: str
    """Function name, one of `SIGNATURES`."""

    args: tuple[tuple[str, ArgValue], ...] = ()
    """Keyword arguments as sorted (name, literal value) pairs."""

    def arg(self, name: str) -> ArgValue:
        return dict(self.args)[name]


@dataclass(frozen=True)
class Program:
    """The calls of a program that parsed, and how many did not."""

    calls: tuple[Call, ...]
    """Valid calls, in program order."""

    errors: int
    """Statements that are not a valid call of the allowed functions."""


def _literal(node: ast.expr) -> ArgValue | None:
    """An int or str literal, or one minus sign before an int; None for anything else, bools too."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = node.operand
        return -operand.value if isinstance(operand, ast.Constant) and type(operand.value) is int else None
    if isinstance(node, ast.Constant) and type(node.value) in (int, str):
        return node.value
    return None


def _written(source: str, node: ast.AST, name: str) -> bool:
    """True when the source text at `node` starts with `name` exactly (not an NFKC look-alike that parses as it)."""
    segment = ast.get_source_segment(source, node)
    return segment is not None and segment.startswith(name)


def _call(statement: ast.stmt, allowed: frozenset[str], source: str) -> Call | None:
    """The statement as a valid call of an allowed function, or None."""
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
        return None
    node = statement.value
    if not isinstance(node.func, ast.Name) or node.func.id not in allowed or node.args or not _written(source, node.func, node.func.id):
        return None
    signature = SIGNATURES[node.func.id]
    args: dict[str, ArgValue] = {}
    for keyword in node.keywords:
        value = None if keyword.arg is None else _literal(keyword.value)  # arg None: a `**mapping`
        if value is None or keyword.arg not in signature or keyword.arg in args or not _written(source, keyword, keyword.arg):
            return None
        if not isinstance(value, signature[keyword.arg]):
            return None
        args[keyword.arg] = value
    if set(args) != set(signature):
        return None
    return Call(node.func.id, tuple(sorted(args.items())))


def _statements(source: str) -> list[ast.stmt] | None:
    try:
        return ast.parse(source, mode="exec").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: NUL bytes in 3.11
        return None


def _incomplete(source: str) -> bool:
    """True when `source` is not valid Python yet but could become valid with more lines (an open bracket or string)."""
    import codeop
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return codeop.compile_command(source, symbol="exec") is None  # compiles, never runs
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError):
        return False


def _split_statements(text: str) -> tuple[list[tuple[str, ast.stmt]], int]:
    """(source, statement) pairs of a program that is not valid Python as a whole, and the count of broken statements.

    Lines are gathered until they parse (so a call may span lines); a piece that can never parse counts once,
    whatever its number of lines, and the line that broke it starts over on its own.
    """
    out: list[tuple[str, ast.stmt]] = []
    errors = 0
    buffer: list[str] = []

    def take(lines: list[str]) -> str:
        """'done', 'open' (needs more lines) or 'bad'."""
        source = "\n".join(lines)
        parsed = _statements(source)
        if parsed is not None:
            out.extend((source, statement) for statement in parsed)
            return "done"
        return "open" if _incomplete(source) else "bad"

    for line in text.split("\n"):
        if not buffer and not line.strip():
            continue
        candidate = [*buffer, line] if buffer else [line.strip()]
        state = take(candidate)
        if state == "open":
            buffer = candidate
            continue
        if state == "bad" and buffer:
            errors += 1  # the unfinished statement before this line
            state = take([line.strip()]) if line.strip() else "done"
            if state == "open":
                buffer = [line.strip()]
                continue
        errors += state == "bad"
        buffer = []
    return out, errors + bool(buffer)


def parse_program(text: str, allowed: frozenset[str] = frozenset(SIGNATURES)) -> Program:
    """Parse a ProX program; never evaluates anything and never raises.

    The whole text is parsed first; if it is not valid Python, statements are
    gathered line by line until they parse, and each piece that cannot parse
    counts as one error (a valid call over several lines counts as one call).
    Each statement that is not a valid call of an `allowed` function (wrong or
    look-alike name, positional or missing arguments, a non-literal value, any
    other expression) counts as one error. Markdown code-fence lines (```),
    which chat models like to add, are ignored.
    """
    text = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("```"))
    whole = _statements(text)
    if whole is not None:
        statements, errors = [(text, statement) for statement in whole], 0
    else:
        statements, errors = _split_statements(text)
    calls = []
    for source, statement in statements:
        call = _call(statement, allowed, source)
        if call is None:
            errors += 1
        else:
            calls.append(call)
    return Program(tuple(calls), errors)


def whitespace_tokens(text: str) -> int:
    """A tokenizer-free token count: whitespace-separated pieces."""
    return len(text.split())


def tokenizer_counter(tokenizer) -> Callable[[str], int]:
    """A token counter from a HF tokenizer (no special tokens), for `chunk_document`."""
    return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])


@dataclass(frozen=True)
class Chunk:
    """Whole consecutive lines of a document, at most `max_tokens` of them unless one line alone is longer."""

    start: int
    """Global 0-based number of the first line."""

    lines: tuple[str, ...]
    """The lines, without their newline."""

    @property
    def end(self) -> int:
        """Global number of the last line (inclusive)."""
        return self.start + len(self.lines) - 1


def chunk_document(
    text: str, max_tokens: int = MAX_CHUNK_TOKENS, count_tokens: Callable[[str], int] = whitespace_tokens
) -> list[Chunk]:
    """Split `text` on `\\n` into greedy chunks of whole lines of at most `max_tokens` tokens.

    A line is never split: one longer than `max_tokens` forms a chunk by itself.
    Joining all chunk lines with `\\n` gives `text` back exactly.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens={max_tokens} must be >= 1")
    chunks: list[Chunk] = []
    current: list[str] = []
    start = used = 0
    for number, line in enumerate(text.split("\n")):
        tokens = count_tokens(line)
        if current and used + tokens > max_tokens:
            chunks.append(Chunk(start, tuple(current)))
            current, start, used = [], number, 0
        current.append(line)
        used += tokens
    chunks.append(Chunk(start, tuple(current)))
    return chunks


def refine_chunk(chunk: Chunk, program: str) -> tuple[list[str], int]:
    """Run a chunk-level program on `chunk`: its refined lines and the error count.

    The union of removed ranges goes first (line numbers as the model saw
    them); then each normalization replaces `source_str` by `target_str`
    everywhere in the chunk's remaining text, newlines included, in program
    order. A call that cannot apply is an error and changes nothing: a range
    outside the chunk or with `line_start > line_end`, an empty `source_str`,
    or a replacement that would grow the chunk past the size bound.
    """
    parsed = parse_program(program, CHUNK_FUNCTIONS)
    errors = parsed.errors
    removed: set[int] = set()
    for call in parsed.calls:
        if call.name == "remove_lines":
            first, last = call.arg("line_start"), call.arg("line_end")
            if not chunk.start <= first <= last <= chunk.end:
                errors += 1
                continue
            removed.update(range(first - chunk.start, last - chunk.start + 1))
    text = "\n".join(line for k, line in enumerate(chunk.lines) if k not in removed)
    limit = sum(len(line) + 1 for line in chunk.lines)
    limit += max(GROWTH_CHARS, int(GROWTH_FRACTION * limit))
    for call in parsed.calls:
        if call.name == "normalize":
            source, target = str(call.arg("source_str")), str(call.arg("target_str"))
            # the size after the replace, known before doing it: no huge string is ever built
            if not source or len(text) + text.count(source) * (len(target) - len(source)) > limit:
                errors += 1
                continue
            text = text.replace(source, target)
    return (text.split("\n") if text or not removed or len(removed) < len(chunk.lines) else []), errors


DROP, KEEP_REFINED, KEEP_ORIGINAL = "drop", "keep_refined", "keep_original"


@dataclass(frozen=True)
class ProXResult:
    """What the ProX rules made of one document."""

    decision: str
    """`drop`, `keep_refined` or `keep_original`."""

    reason: str
    """Why, in words (e.g. `drop_doc()`, `kept 3% of words`, `4 program errors`)."""

    text: str
    """The text to keep: the refined text, the original, or empty when dropped."""

    refined: str
    """The refined text, whatever the decision (for inspection)."""

    errors: int
    """Calls of the chunk programs that failed to parse or apply."""

    words_before: int
    """Whitespace-separated words of the original."""

    words_after: int
    """Whitespace-separated words of the refined text."""


def decide_document(program: str) -> tuple[bool, int]:
    """Document level: (keep?, errors). The first valid call decides; without one the document is kept."""
    parsed = parse_program(program, DOC_FUNCTIONS)
    keep = not parsed.calls or parsed.calls[0].name == "keep_doc"
    return keep, parsed.errors


def execute(chunks: Sequence[Chunk], programs: Sequence[str], doc_program: str | None = None) -> ProXResult:
    """Apply the ProX programs to a document given as its chunks; never raises on program text.

    `programs[i]` is the chunk-level program written for `chunks[i]`;
    `doc_program`, when given, is the document-level answer and a `drop_doc()`
    there drops the document before any chunk program runs.
    """
    if len(programs) != len(chunks):
        raise ValueError(f"{len(programs)} programs for {len(chunks)} chunks")
    original = "\n".join(line for chunk in chunks for line in chunk.lines)
    try:
        return _execute(chunks, programs, doc_program, original)
    except Exception as exc:
        words = len(original.split())
        return ProXResult(KEEP_ORIGINAL, f"executor error: {type(exc).__name__}", original, original, MAX_ERRORS, words, words)


def _execute(chunks: Sequence[Chunk], programs: Sequence[str], doc_program: str | None, original: str) -> ProXResult:
    words_before = len(original.split())
    if doc_program is not None and not decide_document(doc_program)[0]:
        return ProXResult(DROP, "drop_doc()", "", original, 0, words_before, words_before)
    kept: list[str] = []
    errors = 0
    for chunk, program in zip(chunks, programs):
        lines, chunk_errors = refine_chunk(chunk, program)
        kept.extend(lines)
        errors += chunk_errors
    refined = "\n".join(kept)
    words_after = len(refined.split())
    ratio = words_after / words_before if words_before else 0.0

    def result(decision: str, reason: str, text: str) -> ProXResult:
        return ProXResult(decision, reason, text, refined, errors, words_before, words_after)

    if ratio <= DROP_RATIO and errors < MAX_ERRORS:
        return result(DROP, f"kept {ratio:.0%} of words", "")
    if words_after <= MIN_WORDS:
        return result(DROP, f"{words_after} words left", "")
    if errors < MAX_ERRORS:
        return result(KEEP_REFINED, "refined", refined)
    return result(KEEP_ORIGINAL, f"{errors} program errors", original)
