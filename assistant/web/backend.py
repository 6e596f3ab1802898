"""What the page does, without the page: answering, the audit, the documents, the index.

One WebBackend serves every browser session. It holds one retriever (thread-safe, and it
follows index rebuilds by itself) and answer engines that share it, so the chat keeps
answering from the previous index while a rebuild writes the next one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answer import Turn
from assistant.audit import (
    annotated_body,
    annotated_report,
    audited_article,
    check_reference_list,
    load_or_run_audit,
)
from assistant.errors import AssistantError, DocumentExistsError, IndexLockedError, InputError
from assistant.index import HybridRetriever, Store, build_index, index_status, load_bulk
from assistant.settings import BUNDLED, Settings
from assistant.sources import (
    add_document,
    corpus_files,
    fetch_references,
    for_article,
    list_articles,
    load_corpus,
)
from assistant.types import Answer, ClaimVerdict, Document

if TYPE_CHECKING:
    from assistant.answer import AnswerEngine

LOG = logging.getLogger("assistant.web")
AuditLoader = Callable[[], list[ClaimVerdict]]


def llm_configured(settings: Settings) -> bool:
    if settings.llm_provider == "openai":
        return bool(settings.llm_base_url)
    if settings.llm_provider == "gguf":
        return settings.llm_gguf_path is not None and settings.llm_gguf_path.exists()
    return True  # ollama has a default local endpoint


@dataclass
class BuildProgress:
    """What the Index tab shows while a rebuild runs."""

    stage: str = "getting ready"
    done: int = 0
    total: int = 0  # 0: a stage whose size is not known, shown by its name alone
    finished: bool = False
    message: str = ""
    ok: bool = True
    started: float = field(default_factory=time.perf_counter)

    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def line(self) -> str:
        if self.finished:
            return self.message
        if self.total:
            return f"{self.stage}: {self.done} of {self.total} ({self.seconds():.0f} s)"
        return f"{self.stage}… ({self.seconds():.0f} s)"


class WebBackend:
    def __init__(self, settings: Settings, *, audit_loader: AuditLoader | None = None) -> None:
        self.settings = settings
        self._audit_loader = audit_loader
        self._lock = threading.Lock()
        self._retriever: Any = None
        self._engines: dict[int, AnswerEngine] = {}
        self._audit_lock = threading.Lock()  # one audit run at a time
        self._audit_cache: tuple[Any, list[ClaimVerdict]] | None = None
        self._audit_verifier: str | None = None  # the model the cached audit used
        self._audit_failed: Any = None  # the index stamp an audit run failed on
        self._audit_thread: threading.Thread | None = None
        self._docs_cache: tuple[Any, list[Document]] | None = None
        self.warm = threading.Event()  # set once the model and the index are loaded

    # --- answering ---------------------------------------------------------------------------
    def retriever(self) -> Any:
        with self._lock:
            if self._retriever is None:
                self._retriever = HybridRetriever(self.settings)
            return self._retriever

    def engine(self, top_k: int | None = None) -> AnswerEngine:
        k = int(top_k or self.settings.top_k)
        retriever = self.retriever()
        with self._lock:
            if k not in self._engines:
                from assistant.answer import AnswerEngine  # lazy: LangChain after the page is up

                settings = self.settings.model_copy(update={"top_k": k})
                self._engines[k] = AnswerEngine(settings, retriever, audit=self.verdicts_touching)
            return self._engines[k]

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        engine: str | None = None,
        top_k: int | None = None,
    ) -> Iterator[str | Answer]:
        yield from self.engine(top_k).stream(question, history, engine)

    def warm_up(self) -> None:
        """Load the model, the index and the audit before the first question (errors surface
        when asking)."""
        try:
            engine = self.engine()
            engine.retriever.embedder.embed(["warm up"])  # the model's first call is slow
        except Exception:
            self.warm.set()  # nothing more to wait for: the error shows when asking
            return
        self.warm.set()  # answers are quick from here; the rest only makes them quicker
        self._quiet_audit()
        try:
            load_bulk(engine.retriever.embedder)  # new passages' sentences embed 3x faster
            engine.judge([])  # the verifier, loaded now rather than at the first yes/no question
        except Exception:  # speed-ups only: a failure (or the process exiting) changes no answer
            return
        engine.retriever.warm_sentences()

    # --- documents ---------------------------------------------------------------------------
    def _stamp(self) -> Any:
        try:
            return Store(self.settings).manifest_stamp()
        except AssistantError:
            return None

    def documents(self) -> list[Document]:
        key = tuple((str(p), p.stat().st_mtime_ns) for p in corpus_files(self.settings))
        if self._docs_cache is None or self._docs_cache[0] != key:
            self._docs_cache = (key, load_corpus(self.settings))
        return self._docs_cache[1]

    @property
    def article_id(self) -> str:
        """The article this backend serves, as links name it (``?article=ID``)."""
        return self.settings.article or BUNDLED

    def links(self) -> dict[str, dict[str, str]]:
        """Document id -> DOI / PMID, for the links on source cards."""
        try:
            docs = self.documents()
        except AssistantError:
            return {}
        return {d.id: {k: str(d.meta[k]) for k in ("doi", "pmid") if d.meta.get(k)} for d in docs}

    def fetch_results(self) -> dict[int, dict[str, Any]]:
        """The last fetch report, per reference number (empty when never fetched)."""
        path = self.settings.sources_path / "fetched" / "report.json"
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            return {int(r["number"]): r for r in report.get("results", [])}
        except (OSError, ValueError, KeyError, TypeError):
            return {}

    def citation_checks(self) -> dict[int, Any]:
        checks = check_reference_list(self.settings)
        return {c.reference: c for c in checks if c.reference is not None}

    # --- audit -------------------------------------------------------------------------------
    def audit(self) -> list[ClaimVerdict]:
        """The claim audit for the current index: cached until the index changes, run (once,
        however many sessions ask) when missing."""
        if self._audit_loader is not None:
            return self._audit_loader()
        with self._audit_lock:
            stamp = self._stamp()
            cached = self._audit_cache
            if cached is not None and stamp is not None and cached[0] == stamp:
                return cached[1]
            try:
                report = load_or_run_audit(self.settings, retriever=self.retriever())
            except AssistantError:
                self._audit_failed = stamp
                raise
            self._audit_cache = (stamp, list(report.verdicts))
            self._audit_verifier = report.verifier
            return self._audit_cache[1]

    def annotated(self, verdicts: list[ClaimVerdict]) -> tuple[str, str]:
        """The article with its audited claims highlighted: the page's view, and the same as
        one self-contained HTML file to download."""
        article = audited_article(self.documents())
        report = annotated_report(article, verdicts, self._audit_verifier)
        return annotated_body(article, verdicts), report

    def audit_state(self) -> str:
        """ready; running (or not started); updating (running, while the previous index's
        audit is served); or failed."""
        if self._audit_loader is not None:
            return "ready"
        stamp = self._stamp()
        cached = self._audit_cache
        if cached is not None and stamp is not None and cached[0] == stamp:
            return "ready"
        if self._audit_failed == stamp:
            return "failed"
        return "updating" if cached is not None else "running"

    def _quiet_audit(self) -> None:
        with contextlib.suppress(AssistantError):  # the Audit tab says why
            self.audit()

    def verdicts_touching(self, start: int, end: int) -> list[ClaimVerdict]:
        """Audited claims overlapping an article span, for answers. Never makes an answer wait
        for an audit run: until it is ready (it is started here) answers carry the previous
        index's verdicts where there is one, for claims still word for word where they were
        in the article, and no callout otherwise."""
        state = self.audit_state()
        if state == "failed":
            return []
        if state in ("running", "updating"):
            with self._lock:
                if self._audit_thread is None or not self._audit_thread.is_alive():
                    # Not a daemon: at exit Python waits for it rather than tearing torch's
                    # native threads down mid-computation (which aborts the process).
                    self._audit_thread = threading.Thread(
                        target=self._quiet_audit, name="claim-audit", daemon=False
                    )
                    self._audit_thread.start()
            return self._still_standing(start, end)
        return [v for v in self.audit() if v.span[0] < end and start < v.span[1]]

    def _still_standing(self, start: int, end: int) -> list[ClaimVerdict]:
        """The previous audit's verdicts overlapping the span whose claim text is unchanged at
        its place in the article now (a rebuild may have changed the article)."""
        cached = self._audit_cache
        if cached is None:
            return []
        try:
            text = audited_article(self.documents()).text
        except AssistantError:
            return []
        return [
            v
            for v in cached[1]
            if v.span[0] < end and start < v.span[1] and text[v.span[0] : v.span[1]] == v.claim
        ]

    # --- index -------------------------------------------------------------------------------
    def status(self) -> Any:
        return index_status(self.settings)

    def rebuild(self, full: bool = False, tick: float = 0.4) -> Iterator[BuildProgress]:
        """Run an index build in a thread and yield its progress until it ends.

        Readers are untouched until the build switches the manifest at its very end."""
        progress = BuildProgress()

        def on_progress(stage: str, done: int, total: int) -> None:
            progress.stage, progress.done, progress.total = stage, done, total

        def run() -> None:
            try:
                report = build_index(self.settings, rebuild=full, progress=on_progress)
                progress.message = _build_message(report)
            except IndexLockedError as exc:
                progress.ok, progress.message = False, f"Not rebuilt: {exc}"
            except AssistantError as exc:
                progress.ok, progress.message = False, f"Rebuild failed: {exc}"
            except Exception as exc:
                progress.ok, progress.message = (
                    False,
                    f"Rebuild failed: {type(exc).__name__}: {exc}",
                )
            finally:
                progress.finished = True

        worker = threading.Thread(target=run, name="index-rebuild", daemon=False)
        worker.start()
        while worker.is_alive():
            yield progress
            worker.join(tick)
        yield progress

    def add(
        self, paths: Sequence[Path], ref: int | None, replace: bool
    ) -> tuple[list[str], list[str]]:
        """Add uploaded files as sources of this article (with ``ref``: one file, the text of
        that reference), with the checks of `assistant add`; (titles added, what went wrong,
        in plain words and without the upload's temporary path). The index is not rebuilt."""
        paths = [Path(p) for p in paths]
        if ref is not None and len(paths) > 1:
            return [], [f"The text of reference {ref} is one file; {len(paths)} were chosen."]
        added, problems = [], []
        for path in paths:
            try:
                doc = add_document(self.settings, path, ref=ref, replace=replace)
            except DocumentExistsError:
                what = f"reference {ref} already has its text" if ref else "it is already added"
                problems.append(f"{path.name}: {what}. Tick “Replace” to replace it.")
            except InputError as exc:
                problems.append(str(exc).replace(str(path), path.name))
            else:
                added.append(doc.title or path.name)
        return added, problems

    def fetch(self) -> tuple[bool, str]:
        """Fetch the references; (ok, message). Offline it says so and changes nothing."""
        try:
            report = fetch_references(self.settings)
        except AssistantError as exc:
            return False, f"Fetch failed: {exc}"
        if report.offline:  # the network error's details are for the server's log
            LOG.info("fetch: offline: %s", report.message)
            return False, (
                "Not fetched: this server cannot reach PubMed Central or the other article "
                f"services (it may be offline). {report.keeps} Try again once it is online."
            ).replace("  ", " ")
        ok = report.exit_code == 0
        tail = " Press “Rebuild index” to use the new texts." if ok else ""
        return ok, f"{report.message}{tail}"


def _build_message(report: Any) -> str:
    if report.status == "up_to_date":
        return f"The index is already up to date ({report.chunks_total} passages)."
    why = f" ({report.reason})" if report.reason else ""
    return (
        f"Index {report.status}{why}: documents {len(report.added)} added, "
        f"{len(report.changed)} changed, {len(report.removed)} removed, "
        f"{len(report.unchanged)} unchanged; {report.chunks_embedded} passages read anew, "
        f"{report.chunks_total} in all, in {report.seconds:.1f} s."
    )


class Library:
    """The page's articles: the one it started on, and any other of the library, each with
    its own WebBackend, made when the article is first chosen."""

    def __init__(self, settings: Settings, first: WebBackend | None = None) -> None:
        self.settings = settings
        self.default = settings.article or BUNDLED
        self._backends = {self.default: first or WebBackend(settings)}
        self._lock = threading.Lock()

    def choices(self) -> list[tuple[str, str]]:
        """(title, id) of each article, the one the page started on among them."""
        try:
            found = [(e.title, e.id) for e in list_articles(self.settings)]
        except AssistantError:
            found = []
        if self.default not in {i for _, i in found}:
            found.insert(0, (self.default, self.default))
        return found

    def get(self, article_id: str | None) -> WebBackend:
        key = article_id or self.default
        with self._lock:
            if key not in self._backends:
                self._backends[key] = WebBackend(for_article(self.settings, key))
            return self._backends[key]
