"""What a rephraser actually writes: greedy answers to a few pages, with the checks the recycler applies."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from nemo_repro.prompts import parse_repro_output, repro_messages


def policy_answers(model_dir: str | Path, documents: Sequence[str], max_doc_chars: int, max_new_tokens: int) -> list[str]:
    """Greedy answers of the HF model in `model_dir` to the RePro prompt for each document."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    answers = []
    with torch.no_grad():
        for document in documents:
            inputs = tokenizer.apply_chat_template(
                repro_messages(document, max_doc_chars), add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
            out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id)
            answers.append(tokenizer.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True))
    return answers


def answer_rows(pages: Sequence[dict], answers: Sequence[str], split: str, stage: str) -> list[dict]:
    """One row per answer: the page id, its clean article, the answer, and whether it has the marker."""
    rows = []
    for page, answer in zip(pages, answers):
        parsed = parse_repro_output(answer)
        rows.append({"stage": stage, "split": split, "id": page["id"], "clean_text": page["clean_text"], "answer": answer,
                     "has_marker": parsed.has_marker, "answer_chars": len(parsed.text), "clean_chars": len(page["clean_text"])})
    return rows
