"""Every recycling prompt is a chat, so the recycler must have a chat template: checked before any work.

A base (non-instruct) model folder usually has none; `hf` and `vllm` would fail on the first
document, an OpenAI-compatible server on the first request. One check serves every backend:
the local folder's tokenizer for `hf` and `vllm`, a one-token probe request for `openai`.
"""

from __future__ import annotations

from pathlib import Path

from nemo_repro.config.fields import ConfigError

FIX = (
    "the recycling prompts are chats. Fix: use an instruction-tuned rephraser, or give this one a chat template "
    "(a `chat_template.jinja` file next to its tokenizer_config.json, e.g. the ChatML template of "
    "nemo_repro.models.tiny.CHAT_TEMPLATE)"
)


def require_local_chat_template(folder: str | Path, key: str = "recycle.rephraser") -> None:
    """Fail with a ConfigError naming `key` when the tokenizer in `folder` has no chat template."""
    from transformers import AutoTokenizer

    if not AutoTokenizer.from_pretrained(str(folder)).chat_template:
        raise ConfigError(f"{key}={str(folder)!r} has no chat template (a base model?): {FIX}")


def require_served_chat_template(
    base_url: str, model: str, key: str = "recycle.rephraser", timeout: float = 120.0, api_key_env: str = "OPENAI_API_KEY"
) -> None:
    """Send one 1-token chat request; fail with a ConfigError naming `key` when the server has no template for `model`.

    Other failures (server not up yet, network) are left to the generator, which retries them.
    """
    import os

    import openai

    from nemo_repro.generation.openai import NO_KEY
    from nemo_repro.secrets import redact

    # the key by the variable's name, as the generator reads it; the URL redacted in any message
    client = openai.OpenAI(base_url=base_url, api_key=os.environ.get(api_key_env) or NO_KEY, max_retries=0, timeout=timeout)
    try:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=1)
    except openai.APIStatusError as error:
        if "chat template" in str(error).lower() or "chat_template" in str(error).lower():
            raise ConfigError(
                f"{key}={model!r}: the server at {redact(base_url)} has no chat template for it (a base model?): {FIX}; "
                "for a vLLM server, start it with --chat-template <file>"
            ) from None
    except openai.APIConnectionError:
        pass
    finally:
        client.close()
