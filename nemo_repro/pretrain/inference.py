"""Forward passes of a loaded model outside the training loop (scoring, evaluation).

`checkpoint.load_for_inference(dir)` gives the model; `forward_logits` runs it.
"""

from __future__ import annotations

import torch


@torch.no_grad()
def forward_logits(model, token_ids, vocab_size: int | None = None) -> torch.Tensor:
    """Float32 logits `[batch, seq, vocab]` for `token_ids` `[batch, seq]` (causal, positions 0..seq-1).

    Pass `vocab_size=tokenizer.vocab_size` to drop the padding rows of the
    vocabulary (they are never targets). Sequences may not exceed the
    training `seq_length` with learned absolute positions.
    """
    device = next(model.parameters()).device
    tokens = torch.as_tensor(token_ids, dtype=torch.long, device=device)
    if tokens.dim() == 1:
        tokens = tokens.unsqueeze(0)
    positions = torch.arange(tokens.shape[1], device=device).unsqueeze(0).expand_as(tokens)
    logits = model(tokens, positions, None).float()
    return logits[..., :vocab_size] if vocab_size else logits
