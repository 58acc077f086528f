"""lm-eval `LM` adapters: any causal forward (token ids -> logits), and our Megatron-Core checkpoints.

`LogitsLM` needs only a forward function and a Megatron-style tokenizer
(`tokenize(text) -> ids` without special tokens, `detokenize(ids)`, `eod`, as
`nemo_repro.pretrain.tokenizer.HFTokenizer`), so the same scoring
code serves a Megatron-Core GPTModel and (in tests and the benchmark) an HF
model, which is how it is checked against lm-eval's own `hf` model.
`MegatronCheckpointLM` is registered in lm-eval as `nemo_repro_megatron`:

    lm_eval --model nemo_repro_megatron --model_args checkpoint=<dir>,batch_size=16 ...
    (after `import nemo_repro.evaluate.lm`)
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F
from lm_eval import utils as lm_utils
from lm_eval.api.model import TemplateLM
from lm_eval.api.registry import register_model
from tqdm import tqdm

# tokens [batch, seq] (long) -> logits [batch, seq, vocab]
Forward = Callable[[torch.Tensor], torch.Tensor]
# (context tokens, continuation tokens) as lm-eval's TemplateLM produces them
TokenRequest = tuple[Any, list[int], list[int]]


class LogitsLM(TemplateLM):
    """Batched loglikelihood, rolling loglikelihood and greedy generation over a forward function.

    Requests are sorted longest first and right-padded into batches of `batch_size`
    (padding after the last real token cannot change a causal model's earlier
    logits); each continuation is scored from the logits that precede it.
    Inputs longer than `max_length` keep their rightmost tokens, as lm-eval's `hf` does.
    """

    def __init__(self, forward: Forward, tokenizer, max_length: int, batch_size: int = 8, device: str | torch.device = "cpu") -> None:
        super().__init__()
        if batch_size < 1 or max_length < 2:
            raise ValueError(f"batch_size ({batch_size}) must be >= 1 and max_length ({max_length}) >= 2")
        self._forward = forward
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.batch_size = int(batch_size)
        self._device = torch.device(device)

    @property
    def eot_token_id(self) -> int:
        return int(self.tokenizer.eod)

    @property
    def device(self) -> torch.device:
        return self._device

    def tok_encode(self, string: str, add_special_tokens: bool | None = None, **kwargs: Any) -> list[int]:
        # our models are trained on documents without BOS (EOD separates them), so none is added
        return list(self.tokenizer.tokenize(string))

    def tok_decode(self, tokens: list[int]) -> str:
        return self.tokenizer.detokenize(tokens)

    @torch.no_grad()
    def _logits(self, rows: list[list[int]]) -> torch.Tensor:
        width = max(len(r) for r in rows)
        batch = torch.full((len(rows), width), self.eot_token_id, dtype=torch.long)
        for i, row in enumerate(rows):
            batch[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        return self._forward(batch.to(self._device))

    def _loglikelihood_tokens(self, requests: list[TokenRequest], disable_tqdm: bool = False, **kwargs: Any) -> list[tuple[float, bool]]:
        results: list[tuple[float, bool] | None] = [None] * len(requests)
        order = sorted(range(len(requests)), key=lambda i: -(len(requests[i][1]) + len(requests[i][2])))
        bar = tqdm(total=len(requests), disable=disable_tqdm, desc="loglikelihood")
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            rows = []
            for i in chunk:
                _, context, continuation = requests[i]
                if not continuation or len(continuation) > self.max_length:
                    raise ValueError(f"continuation of {len(continuation)} tokens cannot be scored with max_length={self.max_length}")
                rows.append((context + continuation)[-(self.max_length + 1) :][:-1])
            logits = self._logits(rows)
            for row_idx, i in enumerate(chunk):
                (key, _, continuation), length = requests[i], len(rows[row_idx])
                target = torch.tensor(continuation, device=logits.device)
                logprobs = F.log_softmax(logits[row_idx, length - len(continuation) : length].float(), dim=-1)
                answer = (float(logprobs.gather(-1, target[:, None]).sum()), bool((logprobs.argmax(-1) == target).all()))
                results[i] = answer
                if key is not None:
                    self.cache_hook.add_partial("loglikelihood", key, answer)
            bar.update(len(chunk))
        bar.close()
        return results  # type: ignore[return-value]

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False) -> list[float]:
        windows: list[TokenRequest] = []
        owners: list[int] = []
        for i, (text,) in enumerate(req.args for req in requests):
            for context, continuation in map(
                lm_utils.make_disjoint_window,
                lm_utils.get_rolling_token_windows(
                    token_list=self.tok_encode(text), prefix_token=self.prefix_token_id, max_seq_len=self.max_length, context_len=1
                ),
            ):
                windows.append((None, context, continuation))
                owners.append(i)
        totals = [0.0] * len(requests)
        for owner, (ll, _) in zip(owners, self._loglikelihood_tokens(windows, disable_tqdm=disable_tqdm)):
            totals[owner] += ll
        for req, total in zip(requests, totals):
            self.cache_hook.add_partial("loglikelihood_rolling", req.args, total)
        return totals

    @torch.no_grad()
    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        """Greedy decoding (no sampling), stopping at EOS, a stop string or `max_gen_toks`."""
        outputs = []
        for req in tqdm(requests, disable=disable_tqdm, desc="generate_until"):
            context, gen_kwargs = req.args
            if gen_kwargs.get("do_sample") or gen_kwargs.get("temperature", 0.0) > 0:
                raise ValueError(f"{type(self).__name__} decodes greedily only; got {gen_kwargs}")
            until = gen_kwargs.get("until") or []
            until = [until] if isinstance(until, str) else list(until)
            max_new = int(gen_kwargs.get("max_gen_toks", 256))
            tokens = self.tok_encode(context) or [self.prefix_token_id]
            generated: list[int] = []
            text = ""
            for _ in range(max_new):
                next_token = int(self._logits([(tokens + generated)[-self.max_length :]])[0, -1].argmax())
                if next_token == self.eot_token_id:
                    break
                generated.append(next_token)
                text = self.tok_decode(generated)
                if any(stop in text for stop in until):
                    break
            for stop in until:
                text = text.split(stop)[0]
            outputs.append(text)
            self.cache_hook.add_partial("generate_until", req.args, text)
        return outputs


@register_model("nemo_repro_megatron")
class MegatronCheckpointLM(LogitsLM):
    """One of our Megatron-Core checkpoints (any TP/PP it was saved with), loaded into this process.

    `checkpoint` is an `iter_*` folder, a `checkpoints/` root or a pretraining run
    directory (its latest checkpoint). The model goes where the loader puts it (the
    GPU when there is one) unless `device` is given. `max_length` defaults to the
    training sequence length, the longest a learned absolute position table allows.
    """

    def __init__(
        self,
        checkpoint: str,
        batch_size: int | str = 8,
        max_length: int | None = None,
        device: str | None = None,
        max_batch_size: int | None = None,  # passed by lm-eval's CLI; only its "auto" batch sizing uses it
    ) -> None:
        from nemo_repro.pretrain.checkpoint import load_for_inference
        from nemo_repro.pretrain.inference import forward_logits

        model, tokenizer, model_config = load_for_inference(checkpoint)
        if device is not None:
            model.to(device)
        limit = model_config.seq_length
        if max_length is None:
            max_length = limit
        elif int(max_length) > limit and model_config.position_embedding_type == "learned_absolute":
            raise ValueError(f"max_length={max_length} exceeds the checkpoint's seq_length={limit} (learned absolute positions)")
        vocab = tokenizer.vocab_size  # drop the vocabulary's padding rows: never targets, never predictions
        super().__init__(
            lambda ids: forward_logits(model, ids, vocab_size=vocab),
            tokenizer,
            max_length=int(max_length),
            batch_size=int(batch_size),
            device=next(model.parameters()).device,
        )
        self.model = model
        self.model_config = model_config
