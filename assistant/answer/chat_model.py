"""The optional chat model: any LangChain chat model, chosen in settings.

- openai: any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server, LM Studio, and
  Ollama's /v1) through langchain-openai;
- ollama: Ollama's OpenAI-compatible endpoint (default http://127.0.0.1:11434/v1);
- gguf: any local GGUF file, run in process by llama.cpp (xllamacpp: `pip install -e '.[local]'`);
  `engine=local` is this with the model `make local-model` installs.
"""

from __future__ import annotations

from typing import Any

from assistant.answer.local_model import LocalChatModel
from assistant.errors import ConfigError
from assistant.settings import Settings

OLLAMA_DEFAULT = "http://127.0.0.1:11434/v1"


def make_chat_model(settings: Settings) -> Any:
    provider = settings.llm_provider
    if provider in ("openai", "ollama"):
        from langchain_openai import ChatOpenAI  # lazy: the provider's client, only when configured

        base_url = settings.llm_base_url or (OLLAMA_DEFAULT if provider == "ollama" else None)
        if base_url is None:
            raise ConfigError(
                "engine=llm needs ASSISTANT_LLM_BASE_URL (an OpenAI-compatible endpoint, e.g. "
                "http://127.0.0.1:8080/v1) or another llm_provider."
            )
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
        return ChatOpenAI(
            base_url=base_url,
            api_key=key,
            model=settings.llm_model,
            temperature=settings.llm_temperature,
            timeout=settings.llm_timeout,
            max_retries=0,
        )
    if provider == "gguf":
        if settings.llm_gguf_path is None or not settings.llm_gguf_path.exists():
            raise ConfigError("llm_provider=gguf needs ASSISTANT_LLM_GGUF_PATH to name a file.")
        return LocalChatModel(
            model_path=str(settings.llm_gguf_path),
            threads=settings.local_threads,
            temperature=settings.llm_temperature,
        )
    raise ConfigError(f"unknown llm_provider {provider!r}")  # pragma: no cover
