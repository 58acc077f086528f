"""load_for_inference: a checkpoint directory alone gives model, tokenizer and logits."""

from __future__ import annotations

import pytest
import torch

from nemo_repro.pretrain.checkpoint import load_for_inference, resolve_checkpoint_dir
from nemo_repro.pretrain.inference import forward_logits


def test_logits_from_checkpoint_dir(reference_run):
    model, tokenizer, cfg = load_for_inference(reference_run.checkpoint_dir)
    ids = tokenizer.tokenize("Rain fell over the valley all night.")
    logits = forward_logits(model, [ids, ids], vocab_size=tokenizer.vocab_size)
    assert logits.shape == (2, len(ids), tokenizer.vocab_size) and logits.dtype == torch.float32
    # causal: the logits of a prefix do not depend on what follows it
    assert torch.allclose(forward_logits(model, [ids[:4]], vocab_size=tokenizer.vocab_size)[0], logits[0, :4], atol=1e-5)
    # trained: the model predicts the sample corpus better than uniform
    log_probs = torch.log_softmax(logits[0, :-1], dim=-1)
    nll = -log_probs.gather(1, torch.tensor(ids[1:]).unsqueeze(1)).mean()
    assert nll < torch.log(torch.tensor(float(tokenizer.vocab_size)))
    assert cfg.hidden_size == 64 and tokenizer.detokenize(ids) == "Rain fell over the valley all night."


def test_resolve_checkpoint_dir_accepts_run_root_and_iteration(reference_run):
    latest = reference_run.checkpoint_dir / "iter_0000010"
    assert resolve_checkpoint_dir(reference_run.run_dir) == latest
    assert resolve_checkpoint_dir(reference_run.checkpoint_dir) == latest
    assert resolve_checkpoint_dir(reference_run.checkpoint_dir / "iter_0000005").name == "iter_0000005"
    with pytest.raises(FileNotFoundError, match="not a nemo_repro pretrain checkpoint"):
        resolve_checkpoint_dir(reference_run.run_dir / "data")
