"""Held-out perplexity: exp of the mean per-token NLL over every token of every text."""

import math

import pytest

from nemo_repro.evaluate.perplexity import rolling_perplexity


class UniformLM:
    """Each character a token, each token probability 1/vocab: perplexity must be exactly vocab."""

    def __init__(self, vocab: int) -> None:
        self.vocab = vocab

    def tok_encode(self, text):
        return list(text)

    def loglikelihood_rolling(self, requests, disable_tqdm=False):
        return [-len(req.args[0]) * math.log(self.vocab) for req in requests]


def test_uniform_model_has_perplexity_vocab():
    out = rolling_perplexity(UniformLM(50), ["abc", "defgh", "  "])
    assert out["perplexity"] == pytest.approx(50.0) and out["tokens"] == 8 and out["docs"] == 2


def test_no_text_is_an_error():
    with pytest.raises(ValueError, match="no non-empty text"):
        rolling_perplexity(UniformLM(5), ["", " "])
