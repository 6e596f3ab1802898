"""One settings object: defaults, environment, TOML file, and clear errors."""

from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.settings import load_settings


def test_defaults_resolve_under_the_repository() -> None:
    s = load_settings()
    assert s.sources_path == s.root_dir / "index" / "sources"
    assert s.index_path == s.root_dir / "index" / "store"
    assert s.host == "127.0.0.1" and s.engine == "extractive"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path))
    monkeypatch.setenv("ASSISTANT_TOP_K", "9")
    s = load_settings()
    assert s.index_path == tmp_path and s.top_k == 9


def test_toml_config_file_and_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "assistant.toml"
    cfg.write_text('top_k = 4\nengine = "llm"\nllm_base_url = "http://127.0.0.1:9/v1"\n')
    monkeypatch.setenv("ASSISTANT_CONFIG", str(cfg))
    s = load_settings()
    assert (s.top_k, s.engine) == (4, "llm")
    monkeypatch.setenv("ASSISTANT_TOP_K", "5")  # the environment beats the file
    assert load_settings().top_k == 5


def test_unknown_key_and_bad_value_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = tmp_path / "assistant.toml"
    cfg.write_text("top_kk = 4\n")
    monkeypatch.setenv("ASSISTANT_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match="top_kk"):
        load_settings()
    cfg.write_text("top_k = = 4\n")
    with pytest.raises(ConfigError, match="config file"):
        load_settings()
    cfg.write_text("")
    monkeypatch.setenv("ASSISTANT_ENGINE", "magic")
    with pytest.raises(ConfigError, match="engine"):
        load_settings()


def test_index_hash_changes_only_with_index_shaping_settings() -> None:
    base = load_settings()
    assert load_settings(top_k=12).index_hash() == base.index_hash()
    assert load_settings(chunk_max_tokens=100).index_hash() != base.index_hash()


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", "sk-very-secret")
    monkeypatch.setenv("ASSISTANT_AUTH_PASSWORD", "hunter2")
    s = load_settings()
    assert "sk-very-secret" not in repr(s) and "hunter2" not in repr(s)
    assert s.llm_api_key is not None and s.llm_api_key.get_secret_value() == "sk-very-secret"
