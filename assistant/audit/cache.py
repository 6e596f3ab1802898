"""The audit report and its file beside the index (index/store/audit.json), and the span
lookup answers use. Nothing here runs the audit: run.load_or_run_audit is the one entry
that does; ``load_audit`` only reads a cached report that is still current.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, get_args

from assistant.errors import AssistantError
from assistant.files import atomic_write
from assistant.index import Store
from assistant.settings import Settings
from assistant.sources import load_corpus
from assistant.types import ClaimVerdict, EvidenceQuote, Verdict

AUDIT_VERSION = 11  # bump when verdict logic changes: cached audits are redone
AUDIT_FILE = "audit.json"
VERDICTS: tuple[str, ...] = get_args(Verdict)  # supported, partial, ..., miscited

ReportLoader = Callable[[], "AuditReport | None"]  # what audit_lookup reads the report with


@dataclass
class AuditReport:
    """One audit of the article: a verdict per claim, the counts, what it was run on (index
    build, document hashes, verifier), its notes, and the key it is cached under."""

    verdicts: list[ClaimVerdict]
    counts: dict[str, int]
    build_id: str
    article_hash: str
    document_hashes: dict[str, str]
    seconds: float
    verifier: str | None  # the verifier model used, or None: deterministic checks only
    notes: list[str] = field(default_factory=list)
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AuditReport:
        d = dict(d)
        verdicts = []
        for v in d.pop("verdicts"):
            v = dict(v)
            v["span"] = tuple(v["span"])
            v["evidence"] = [EvidenceQuote(**e) for e in v["evidence"]]
            verdicts.append(ClaimVerdict(**v))
        return cls(verdicts=verdicts, **d)


def _verifier_stamp(settings: Settings) -> str:
    weights = settings.verifier_path / "model.safetensors"
    try:
        st = weights.stat()
    except OSError:
        return "none"
    calibration = settings.verifier_path / "support_calibration.json"
    bar = calibration.read_text() if calibration.exists() else ""
    digest = hashlib.sha256(bar.encode()).hexdigest()[:12]
    return f"{st.st_size}:{st.st_mtime_ns}:{digest}"


def audit_key(settings: Settings, manifest: dict[str, Any]) -> str:
    """Changes whenever the audit could change: index build, any source, verifier, this code."""
    hashes = sorted((d.id, d.content_hash) for d in load_corpus(settings))
    return json.dumps(
        [AUDIT_VERSION, manifest.get("build_id"), hashes, _verifier_stamp(settings)],
        separators=(",", ":"),
    )


def cached_audit(settings: Settings, key: str) -> AuditReport | None:
    """The saved report when it was made under ``key``; None when missing, unreadable (or
    from another version) or out of date."""
    path = settings.index_path / AUDIT_FILE
    if not path.exists():
        return None
    try:
        cached = AuditReport.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError):
        return None  # unreadable or from another version: recompute
    return cached if cached.key == key else None


def save_audit(settings: Settings, report: AuditReport, key: str) -> None:
    report.key = key
    atomic_write(
        settings.index_path / AUDIT_FILE, json.dumps(report.to_dict(), ensure_ascii=False, indent=1)
    )


def load_audit(settings: Settings) -> AuditReport | None:
    """The cached audit when it is current for this index, sources and verifier; None when
    there is no index or no current audit. Never runs the audit (run.load_or_run_audit does)."""
    manifest = Store(settings).read_manifest()
    return None if manifest is None else cached_audit(settings, audit_key(settings, manifest))


def _file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def audit_lookup(
    settings: Settings, *, load: ReportLoader | None = None
) -> Callable[[int, int], list[ClaimVerdict]] | None:
    """A function from an article span to the audited claims overlapping it, or None when
    there is no index yet.

    ``load`` gives the report; it is called on first use and again whenever the index or the
    audit file changes. By default it is ``load_audit``: the cached audit only, so an answer
    never waits for an audit to run. A caller that wants it run when missing says so:
    ``load=functools.partial(load_or_run_audit, settings, retriever)``. When it gives None or
    fails, lookups return nothing rather than break an answer."""
    store = Store(settings)
    try:
        if store.read_manifest() is None:
            return None
    except AssistantError:
        return None
    loader: ReportLoader = load if load is not None else (lambda: load_audit(settings))
    audit_file = settings.index_path / AUDIT_FILE
    lock = threading.Lock()
    state: dict[str, Any] = {"stamp": object(), "verdicts": []}

    def lookup(start: int, end: int) -> list[ClaimVerdict]:
        stamp = (store.manifest_stamp(), _file_stamp(audit_file))
        with lock:
            if stamp != state["stamp"]:
                try:
                    report = loader()
                    state["verdicts"] = report.verdicts if report is not None else []
                except AssistantError as exc:
                    state["verdicts"], state["error"] = [], str(exc)
                # the audit file as the loader left it (it may have just written it)
                state["stamp"] = (stamp[0], _file_stamp(audit_file))
            verdicts = state["verdicts"]
        return [v for v in verdicts if v.span[0] < end and start < v.span[1]]

    return lookup
