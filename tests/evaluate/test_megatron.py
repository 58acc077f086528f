"""The `nemo_repro_megatron` adapter on a checkpoint written by our pretraining loop."""

import json

import pytest
import torch
import torch.nn.functional as F
from lm_eval.api.instance import Instance

from nemo_repro.config.evaluate import EvaluateConfig


@pytest.fixture(scope="module")
def megatron_lm(megatron_checkpoint):
    from nemo_repro.evaluate.lm import MegatronCheckpointLM

    return MegatronCheckpointLM(checkpoint=str(megatron_checkpoint), batch_size=3)


def test_registered_in_lm_eval():
    from lm_eval.api.registry import get_model

    from nemo_repro.evaluate.lm import MegatronCheckpointLM

    assert get_model("nemo_repro_megatron") is MegatronCheckpointLM


def test_loglikelihoods_equal_a_direct_forward_pass(megatron_lm):
    pairs = [
        ("Experts recommend that you water raised beds", " early in the week."),
        ("The key point is that", " compost heaps are hardy."),
        ("Many home cooks ask how to", " simmer stock."),
        ("A", " b"),
    ]
    got = megatron_lm.loglikelihood([Instance("loglikelihood", {}, p, i) for i, p in enumerate(pairs)], disable_tqdm=True)
    model, vocab = megatron_lm.model, megatron_lm.tokenizer.vocab_size
    assert megatron_lm.max_length == 256
    for (ctx, cont), (ll, greedy) in zip(pairs, got):
        ctx_enc, cont_enc = megatron_lm._encode_pair(ctx, cont)
        tokens = torch.tensor([ctx_enc + cont_enc])
        with torch.no_grad():
            logits = model(tokens[:, :-1], torch.arange(tokens.shape[1] - 1)[None], None)[0, :, :vocab].float()
        logprobs = F.log_softmax(logits[-len(cont_enc) :], dim=-1)
        target = torch.tensor(cont_enc)
        assert ll == pytest.approx(float(logprobs.gather(-1, target[:, None]).sum()), abs=1e-4)
        assert greedy == bool((logprobs.argmax(-1) == target).all())


def test_max_length_is_bounded_by_learned_positions_only(megatron_checkpoint, megatron_lm):
    from nemo_repro.evaluate.lm import MegatronCheckpointLM

    if megatron_lm.model_config.position_embedding_type == "learned_absolute":
        with pytest.raises(ValueError, match="exceeds the checkpoint's seq_length=256"):
            MegatronCheckpointLM(checkpoint=str(megatron_checkpoint), max_length=512)
    else:  # rotary positions extend past the training length
        assert MegatronCheckpointLM(checkpoint=str(megatron_checkpoint), max_length=512).max_length == 512


def test_arc_easy_200_through_evaluate(megatron_checkpoint, arc_easy_dir, tmp_path):
    from nemo_repro.evaluate import evaluate

    cfg = EvaluateConfig(model=str(megatron_checkpoint), data_dir=str(arc_easy_dir), tasks=["arc_easy"], num_fewshot=0, batch_size=16)
    results = evaluate(cfg, tmp_path)
    arc = results["tasks"]["arc_easy"]
    assert results["model_kind"] == "megatron"
    assert arc["n"] == 200 and 0.0 <= arc["acc"] <= 1.0
    assert arc["centered_acc"] == pytest.approx((arc["acc"] - 0.25) / 0.75)
    assert results["partial"] and results["core"] == arc["centered_acc"]
    assert json.loads((tmp_path / "results.json").read_text())["tasks"]["arc_easy"]["n"] == 200
