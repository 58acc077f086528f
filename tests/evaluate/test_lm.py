"""Our LogitsLM against a direct forward pass of the same weights."""

import pytest
import torch
import torch.nn.functional as F
from lm_eval.api.instance import Instance


def _reqs(kind, args):
    return [Instance(request_type=kind, doc={}, arguments=a, idx=i) for i, a in enumerate(args)]


def _direct_loglikelihood(model, tokens, n_cont):
    with torch.no_grad():
        logprobs = F.log_softmax(model(torch.tensor([tokens[:-1]])).logits[0].float(), dim=-1)
    targets = torch.tensor(tokens[-n_cont:])
    picked = logprobs[-n_cont:].gather(-1, targets[:, None])
    return float(picked.sum()), bool((logprobs[-n_cont:].argmax(-1) == targets).all())


PAIRS = [
    ("Experts recommend that you water raised beds", " early in the week."),
    ("The key point is that", " compost heaps are hardy."),
    ("A", " b"),
    ("Keep a simple notebook: write down when you prune mulch and what happened.", "\nAnswer: mulch"),
]


def test_loglikelihood_equals_direct_forward_for_any_batch_size(make_logits_lm, tiny_hf_model):
    one, three = make_logits_lm(batch_size=1), make_logits_lm(batch_size=3)
    got = one.loglikelihood(_reqs("loglikelihood", PAIRS), disable_tqdm=True)
    batched = three.loglikelihood(_reqs("loglikelihood", PAIRS), disable_tqdm=True)
    assert [ll for ll, _ in batched] == pytest.approx([ll for ll, _ in got], abs=1e-4)
    assert [g for _, g in batched] == [g for _, g in got]
    for (ctx, cont), (ll, greedy) in zip(PAIRS, got):
        ctx_enc, cont_enc = one._encode_pair(ctx, cont)
        want_ll, want_greedy = _direct_loglikelihood(tiny_hf_model, ctx_enc + cont_enc, len(cont_enc))
        assert ll == pytest.approx(want_ll, abs=1e-4)
        assert greedy == want_greedy
        assert ll < 0


def test_long_inputs_keep_their_rightmost_tokens(make_logits_lm, tiny_hf_model):
    lm = make_logits_lm(max_length=8)
    ctx, cont = PAIRS[0]
    ctx_enc, cont_enc = lm._encode_pair(ctx, cont)
    assert len(ctx_enc) + len(cont_enc) > 9
    (ll, _), = lm.loglikelihood(_reqs("loglikelihood", [(ctx, cont)]), disable_tqdm=True)
    assert ll == pytest.approx(_direct_loglikelihood(tiny_hf_model, (ctx_enc + cont_enc)[-9:], len(cont_enc))[0], abs=1e-4)


def test_rolling_loglikelihood_sums_every_token(make_logits_lm, tiny_hf_model):
    lm = make_logits_lm()
    text = "Most new growers find that it helps to water raised beds early in the week."
    (got,) = lm.loglikelihood_rolling(_reqs("loglikelihood_rolling", [(text,)]), disable_tqdm=True)
    tokens = [lm.prefix_token_id] + lm.tok_encode(text)
    assert got == pytest.approx(_direct_loglikelihood(tiny_hf_model, tokens, len(tokens) - 1)[0], abs=1e-3)
    # windows shorter than the text: still every token scored once, each with some context
    short = make_logits_lm(max_length=8)
    (windowed,) = short.loglikelihood_rolling(_reqs("loglikelihood_rolling", [(text,)]), disable_tqdm=True)
    assert windowed < 0 and windowed != pytest.approx(got)


def test_generate_until_is_greedy(make_logits_lm, tiny_hf_model):
    lm = make_logits_lm()
    context = "The key point is that"
    (text,) = lm.generate_until(_reqs("generate_until", [(context, {"until": ["\n\n"], "max_gen_toks": 5})]), disable_tqdm=True)
    tokens = lm.tok_encode(context)
    with torch.no_grad():
        for _ in range(5):
            tokens.append(int(tiny_hf_model(torch.tensor([tokens])).logits[0, -1].argmax()))
    assert text == lm.tok_decode(tokens[len(lm.tok_encode(context)) :]).split("\n\n")[0]
    # the model's own greedy continuation is a greedy match
    if lm._encode_pair(context, text)[1] == tokens[len(lm.tok_encode(context)) :]:
        (ll, greedy), = lm.loglikelihood(_reqs("loglikelihood", [(context, text)]), disable_tqdm=True)
        assert greedy
    with pytest.raises(ValueError, match="greedily"):
        lm.generate_until(_reqs("generate_until", [(context, {"do_sample": True})]), disable_tqdm=True)
