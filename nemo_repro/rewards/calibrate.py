"""Per-encoder calibration of the semantic threshold: the F1 that random mismatched pairs rarely reach.

A BERTScore F1 has no meaning on its own: its level depends on the encoder,
the layer and the texts' length (MiniLM scores unrelated web pages around
0.3-0.5, deberta-large-mnli layer 18 is where the paper's 0.65 comes from).
So the threshold is read off the encoder itself: score pairs whose two sides
come from different documents (the original of one, the text of another) and
take the F1 that only `false_accept_rate` of them reach. A rewrite that
scores below it looks no more like its original than an unrelated page does.

`recycle.min_semantic_f1` takes a number, `auto` (calibrate on the run's own
input, written to `run.dir/calibration/semantic.json` and reused on resume) or
the path of such a json (from `nemo-repro recycle recycle.stage=calibrate`).
With the paper's encoder, `auto` is the paper's 0.65.

The same pairs calibrate the token similarity of the content coverage
(`nemo_repro.rewards.coverage`, `recycle.coverage_similarity=auto`): the cosine
that only `COVERAGE_FALSE_MATCH_RATE` of the original's content tokens reach in
a typical unrelated text (the median over pairs, `coverage_similarity_of`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from nemo_repro.config.fields import ConfigError

PAPER_ENCODER = "deberta-large-mnli"
"""The encoder of the paper's semantic reward (layer 18); its threshold is the paper's."""

PAPER_THRESHOLD = 0.65

COVERAGE_FALSE_MATCH_RATE = 0.01
"""Share of content tokens that count as carried by an unrelated text at the calibrated coverage similarity (the F1's
default false-accept rate, `semantic_false_accept_rate`)."""

COVERAGE_RULE = 2
"""Version of the content rule and its calibration (2: content words of lines printed once, the median over pairs of
each pair's 1% cosine). A calibration json of another version is recalibrated, never reused."""


def is_paper_encoder(model_path: str | Path | None) -> bool:
    """True when `model_path` is a copy of microsoft/deberta-large-mnli (by folder name or its config's name)."""
    if model_path is None:
        return False
    path = Path(model_path)
    names = [path.name]
    config = path / "config.json"
    if config.is_file():
        names.append(str(json.loads(config.read_text(encoding="utf-8")).get("_name_or_path", "")))
    return any(name.lower().rstrip("/").endswith(PAPER_ENCODER) for name in names)


def mismatched_pairs(n_docs: int, n_pairs: int, seed: int = 0) -> list[tuple[int, int]]:
    """`n_pairs` distinct (i, j) index pairs with i != j, drawn at random (all of them when there are fewer)."""
    if n_docs < 2:
        raise ValueError(f"calibration needs at least 2 documents, got {n_docs}")
    rng = np.random.default_rng(seed)
    total = n_docs * (n_docs - 1)
    picks = rng.choice(total, size=min(n_pairs, total), replace=False)
    # index k -> (i, j != i): row i, the k-th of the other n-1 documents
    return [(int(k // (n_docs - 1)), int(k % (n_docs - 1) + (k % (n_docs - 1) >= k // (n_docs - 1)))) for k in picks]


def threshold_at(f1: np.ndarray, false_accept_rate: float) -> float:
    """The smallest threshold that at most `false_accept_rate` of the scores reach (the filter keeps F1 >= threshold)."""
    ordered = np.sort(np.asarray(f1, dtype=float))[::-1]
    allowed = int(np.floor(false_accept_rate * len(ordered)))
    return float(np.nextafter(ordered[allowed], np.inf))


def calibrate_semantic(
    reward: Any,
    originals: Sequence[str],
    candidates: Sequence[str] | None = None,
    false_accept_rate: float = 0.01,
    n_pairs: int = 256,
    seed: int = 0,
    max_chars: int | None = None,
) -> dict[str, Any]:
    """Score mismatched pairs (original i vs candidate j, candidates default to the originals) with `reward.f1`.

    Returns the threshold at `false_accept_rate` and the pairs' F1 quantiles. `max_chars` cuts both sides
    (calibrate at the length the filter scores at, e.g. one segment). A reward with token matches (`match`, as
    `SemanticReward`) also gives `coverage_similarity`: the cosine that only `COVERAGE_FALSE_MATCH_RATE` of the
    originals' content tokens reach in a typical mismatched candidate (same pairs, same encoder pass).
    """
    if not 0.0 <= false_accept_rate < 1.0:
        raise ValueError(f"false_accept_rate must be in [0, 1), got {false_accept_rate}")
    candidates = list(originals) if candidates is None else list(candidates)
    keep = [i for i in range(min(len(originals), len(candidates))) if originals[i].strip() and candidates[i].strip()]
    cut = (lambda t: t[:max_chars]) if max_chars else (lambda t: t)
    pairs = mismatched_pairs(len(keep), n_pairs, seed)
    refs, cands = [cut(originals[keep[i]]) for i, _ in pairs], [cut(candidates[keep[j]]) for _, j in pairs]
    coverage: dict[str, Any] = {}
    if hasattr(reward, "match"):
        from nemo_repro.rewards.coverage import content_best
        from nemo_repro.rewards.semantic import prf_of

        matches = reward.match(refs, cands)
        f1 = prf_of(matches)[2]
        similarity = coverage_similarity_of([content_best(r, m) for r, m in zip(refs, matches) if m is not None])
        if similarity is not None:
            coverage = {"coverage_similarity": similarity[0], "coverage_false_match_rate": COVERAGE_FALSE_MATCH_RATE,
                            "coverage_rule": COVERAGE_RULE, "content_tokens": similarity[1]}
    else:
        f1 = reward.f1(refs, cands)
    return {
        "threshold": threshold_at(f1, false_accept_rate),
        "false_accept_rate": false_accept_rate,
        "pairs": len(pairs),
        "documents": len(keep),
        "max_chars": max_chars,
        "mismatched_f1_quantiles": {q: float(np.quantile(f1, float(q))) for q in ("0.5", "0.9", "0.99", "1.0")},
        **coverage,
    }


def coverage_similarity_of(best: Sequence[np.ndarray], false_match_rate: float = COVERAGE_FALSE_MATCH_RATE) -> tuple[float, int] | None:
    """The coverage similarity from mismatched pairs (`best`: each pair's content tokens' best cosine in the unrelated
    text): the median over pairs of the cosine that `false_match_rate` of a pair's content tokens reach, so a typical
    unrelated text carries that share of the content. A median, not one quantile over all tokens pooled: a sample of
    pages holds a few related pairs (two reports of one event), and pooled they raise the similarity (measured on 64
    pairs of the `aeb-*` pages: pooled 0.68-0.77, per-pair median 0.67-0.73, 5th-95th percentile of 200 draws).
    Returns (similarity, content tokens), or None without a content token."""
    per_pair = [float(np.quantile(b, 1.0 - false_match_rate)) for b in best if len(b)]
    if not per_pair:
        return None
    return float(np.median(per_pair)), int(sum(len(b) for b in best))


def load_calibration(path: str | Path) -> float:
    """The threshold stored in a calibration json; a clear error naming the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"recycle.min_semantic_f1={str(path)!r}: no such calibration file (a number, `auto` or a calibration json)")
    try:
        return float(json.loads(path.read_text(encoding="utf-8"))["threshold"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a calibration file with a numeric `threshold` ({exc})") from exc


def load_coverage_similarity(path: str | Path) -> float | None:
    """The coverage similarity stored in a calibration json; None when it has none or was calibrated for another
    content rule (an older file: its similarity means something else, so it is recalibrated)."""
    stored = json.loads(Path(path).read_text(encoding="utf-8"))
    value = stored.get("coverage_similarity")
    if value is None or stored.get("coverage_rule") != COVERAGE_RULE:
        return None
    return float(value)


def write_calibration(path: str | Path, result: dict[str, Any]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
