"""A tiny model whose greedy output depends on the prompt.

The shared random `tiny_qwen2_dir` is so flat that greedy decoding emits the
same token for every prompt, which would let a wrong batching or padding pass
unnoticed. Re-drawing its matrices with a large std makes every prompt decode
to a different string.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def varied_qwen2_dir(tmp_path_factory, tiny_qwen2_dir) -> Path:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path_factory.mktemp("varied_qwen2")
    model = AutoModelForCausalLM.from_pretrained(str(tiny_qwen2_dir))
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() == 2:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
    model.save_pretrained(str(out))
    AutoTokenizer.from_pretrained(str(tiny_qwen2_dir)).save_pretrained(str(out))
    return out
