"""A small OpenAI-compatible HTTP server in front of the `hf` backend.

Serves `GET /v1/models` and `POST /v1/chat/completions` (non-streaming) with
the standard library only, so a local HF folder can stand in for a vLLM server
or NIM: pipelines written for the `openai` backend run unchanged on a laptop,
and the `openai` backend is tested for real. Requests are served one at a time
(the model is shared); use vLLM's server for throughput.

    python -m nemo_repro.generation.server --model <hf folder> --port 8000
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from nemo_repro.config.fields import ConfigError
from nemo_repro.generation.base import SamplingConfig, is_chat
from nemo_repro.generation.hf import Completion, HFGenerator


class RequestError(ValueError):
    """A bad request; answered with HTTP 400 and an OpenAI-style error body."""

    def __init__(self, message: str, param: str | None = None, status: HTTPStatus = HTTPStatus.BAD_REQUEST):
        super().__init__(message)
        self.param = param
        self.status = status


def _sampling(body: dict[str, Any], default_max_tokens: int) -> SamplingConfig:
    """OpenAI request fields -> SamplingConfig (OpenAI's defaults: temperature 1, top_p 1)."""
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens")) or default_max_tokens
    seed = body.get("seed")
    if seed is not None and (type(seed) is not int or seed < 0):
        raise RequestError("seed must be a non-negative integer", param="seed")
    try:
        return SamplingConfig(
            temperature=float(body.get("temperature") if body.get("temperature") is not None else 1.0),
            top_p=float(body.get("top_p") if body.get("top_p") is not None else 1.0),
            max_new_tokens=int(max_tokens),
            seed=seed,
        )
    except (ConfigError, TypeError, ValueError) as error:
        raise RequestError(str(error)) from error


def _stop_strings(body: dict[str, Any]) -> list[str]:
    stop = body.get("stop")
    if stop is None:
        return []
    stops = [stop] if isinstance(stop, str) else stop
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise RequestError("stop must be a non-empty string or a list of them", param="stop")
    return stops


def _apply_stop(completion: Completion, stops: list[str]) -> tuple[str, str]:
    """Cut the text at the earliest stop string (OpenAI semantics: the stop string is not returned)."""
    cuts = [completion.text.find(s) for s in stops if s in completion.text]
    if not cuts:
        return completion.text, completion.finish_reason
    return completion.text[: min(cuts)], "stop"


class ChatCompletionsHandler(BaseHTTPRequestHandler):
    """Routes the two endpoints; the server object carries the generator and a lock."""

    server: "OpenAICompatServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, error: RequestError) -> None:
        kind = "server_error" if error.status >= 500 else "invalid_request_error"
        self._send(error.status, {"error": {"message": str(error), "type": kind, "param": error.param, "code": None}})

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/v1/models":
            return self._error(RequestError(f"no route {self.path}", status=HTTPStatus.NOT_FOUND))
        model = {"id": self.server.model_name, "object": "model", "created": 0, "owned_by": "nemo_repro"}
        self._send(HTTPStatus.OK, {"object": "list", "data": [model]})

    def do_POST(self) -> None:
        try:
            if self.path.rstrip("/") != "/v1/chat/completions":
                raise RequestError(f"no route {self.path}", status=HTTPStatus.NOT_FOUND)
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise RequestError(f"request body is not JSON: {error}") from error
            if not isinstance(body, dict):
                raise RequestError("request body must be a JSON object")
            self._send(HTTPStatus.OK, self.server.chat_completion(body))
        except RequestError as error:
            self._error(error)
        except Exception as error:  # a generation failure: answer 500 instead of dropping the connection
            self._error(RequestError(f"{type(error).__name__}: {error}", status=HTTPStatus.INTERNAL_SERVER_ERROR))


class OpenAICompatServer(ThreadingHTTPServer):
    """`/v1/chat/completions` and `/v1/models` over an `HFGenerator`; `port=0` picks a free port.

    Use as a context manager (`with OpenAICompatServer(gen) as server: ... server.url`) to
    serve from a background thread, or call `serve_forever()` in the foreground.
    """

    daemon_threads = True

    def __init__(
        self,
        generator: HFGenerator,
        host: str = "127.0.0.1",
        port: int = 0,
        model_name: str | None = None,
        default_max_tokens: int = 2048,
        verbose: bool = False,
    ) -> None:
        super().__init__((host, port), ChatCompletionsHandler)
        self.generator = generator
        self.model_name = model_name or generator.name
        self.default_max_tokens = default_max_tokens
        self.verbose = verbose
        self._lock = threading.Lock()  # one generate at a time on the shared model
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL for OpenAI clients, e.g. `http://127.0.0.1:8000/v1`."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    def chat_completion(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer one chat-completions request body (raises `RequestError` on bad fields)."""
        if body.get("model") != self.model_name:
            raise RequestError(
                f"model {body.get('model')!r} is not served; this server serves {self.model_name!r}",
                param="model",
                status=HTTPStatus.NOT_FOUND,
            )
        if body.get("stream"):
            raise RequestError("stream=true is not supported by this server", param="stream")
        messages = body.get("messages")
        try:
            valid = bool(messages) and is_chat(messages)
        except TypeError:
            valid = False
        if not valid:
            raise RequestError("messages must be a non-empty list of {role, content} strings", param="messages")
        n = body.get("n") or 1
        if not isinstance(n, int) or n < 1:
            raise RequestError("n must be a positive integer", param="n")
        sampling = _sampling(body, self.default_max_tokens)
        stops = _stop_strings(body)
        with self._lock:
            completions = self.generator.complete([messages] * n, sampling)
        choices = []
        for index, completion in enumerate(completions):
            text, finish_reason = _apply_stop(completion, stops)
            message = {"role": "assistant", "content": text}
            choices.append({"index": index, "message": message, "finish_reason": finish_reason, "logprobs": None})
        prompt_tokens = completions[0].prompt_tokens
        completion_tokens = sum(c.completion_tokens for c in completions)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model_name,
            "choices": choices,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def __enter__(self) -> "OpenAICompatServer":
        self._thread = threading.Thread(target=self.serve_forever, name="openai-compat-server", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="local HF model folder")
    parser.add_argument("--served-model-name", default=None, help="name clients send as `model` (default: --model)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--batch-size", type=int, default=8, help="prompts per forward pass (for n > 1)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="auto")
    args = parser.parse_args(argv)
    generator = HFGenerator(args.model, batch_size=args.batch_size, device=args.device, dtype=args.dtype)
    server = OpenAICompatServer(generator, args.host, args.port, model_name=args.served_model_name, verbose=True)
    print(f"serving {server.model_name!r} at {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
