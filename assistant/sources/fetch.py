"""Download the references' JATS full text from PubMed Central (NCBI efetch, Europe PMC).

Behaviour users of NCBI's services expect: at most 3 requests a second (10 with an API key)
across the whole run; retries with exponential backoff on timeouts, connection errors, 429
and 5xx, honouring Retry-After; no retry on other 4xx. A service whose host refuses the first
connection is down for the rest of the run (no retries, no backoff) and the other service is
tried instead: NCBI and Europe PMC fail separately. Only when neither can be reached is the
run offline, and it stops at once instead of trying every reference. Each reference's files
are written atomically as soon as it is done, so a failure later never loses earlier work.

Files under ``<sources>/fetched/``: ``PMCID.xml`` (raw reply) and ``PMCID.json`` (the parsed
full-text Document) for full text; ``PMCID.meta.xml`` (raw reply) and ``PMCID.meta.json`` for
a metadata-only reply, which must never replace curated notes (nor the raw XML of full text
fetched earlier); ``report.json`` (the last run's per-reference report). Each JSON records
where its raw reply came from, when, and the reply's SHA-256, so either can be checked
against the other.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from assistant.errors import FetchError, OfflineError, SourceError, UsageError
from assistant.files import atomic_write
from assistant.settings import Settings
from assistant.sources.jats import find_article, parse_jats, parse_xml, plain_text
from assistant.sources.references import extract_identifiers, load_references
from assistant.types import ReferenceRecord

FAILED = frozenset({"not_found", "unreachable", "error"})
SERVICES = ("efetch", "europepmc")  # in the order tried: NCBI first, Europe PMC as fallback
MAX_REPLY_BYTES = 50_000_000  # a JATS article is rarely over a few MB
MAX_RETRY_AFTER = 120.0


@dataclass
class ReferenceResult:
    number: int
    pmcid: str | None
    status: str  # full_text | metadata_only | not_found | unreachable | skipped | error
    detail: str = ""
    source_url: str | None = None


@dataclass
class FetchReport:
    results: list[ReferenceResult] = field(default_factory=list)
    offline: bool = False
    message: str = ""
    keeps: str = ""  # which references stay on what (notes, metadata) when not fetched

    @property
    def exit_code(self) -> int:
        """0 when every reference was fetched, skipped or is known to be metadata only."""
        return 1 if any(r.status in FAILED for r in self.results) else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "results": [asdict(r) for r in self.results],
            "offline": self.offline,
            "message": self.message,
            "exit_code": self.exit_code,
        }


def http_client(settings: Settings) -> httpx.Client:
    """The HTTP client every download of this package uses: redirects followed, named."""
    return httpx.Client(
        follow_redirects=True, headers={"User-Agent": f"{settings.tool_name} (python-httpx)"}
    )


def ncbi_limiter(settings: Settings) -> RateLimiter:
    """NCBI's rate: 3 requests a second, 10 with an API key."""
    return RateLimiter(10.0 if settings.ncbi_api_key is not None else 3.0)


class RateLimiter:
    """Spaces request starts at least 1/rate seconds apart, across threads."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second
        self.clock, self.sleep = clock, sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            if now < self._next:
                self.sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


class HttpStatusError(FetchError):
    """A 4xx reply other than 429: asking again will not help."""

    def __init__(self, status: int, url: str) -> None:
        super().__init__(f"{url} answered HTTP {status}")
        self.status = status


class UnreachableError(FetchError):
    """Retries exhausted on timeouts, connection errors, 429 or 5xx."""


class HostDownError(UnreachableError):
    """No connection to a host that has not answered once in this run.

    It is down, or we are offline: retrying would only make an offline run slow, so the
    host is not asked again in this run and the caller tries another service.
    """


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    content: bytes


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


class PmcClient:
    """GET with rate limit, retries and an overall per-request deadline."""

    def __init__(
        self,
        settings: Settings,
        client: httpx.Client,
        limiter: RateLimiter,
        backoff_base: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings, self.client, self.limiter = settings, client, limiter
        self.backoff_base, self.sleep = backoff_base, sleep
        self.answered: set[str] = set()  # hosts that sent an HTTP reply in this run
        self.down: dict[str, str] = {}  # host -> why it could not be reached at all

    def _once(self, url: str, params: dict[str, str]) -> Reply:
        timeout = self.settings.http_timeout
        deadline = time.monotonic() + timeout
        with self.client.stream("GET", url, params=params, timeout=timeout) as resp:
            chunks, size = [], 0
            for chunk in resp.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if time.monotonic() > deadline:  # a reply trickling in counts as hanging
                    raise httpx.ReadTimeout(f"reply not complete after {timeout} s")
                if size > MAX_REPLY_BYTES:
                    raise FetchError(f"{url}: reply larger than {MAX_REPLY_BYTES} bytes")
            return Reply(resp.status_code, resp.headers, b"".join(chunks))

    def get(self, url: str, params: dict[str, str] | None = None) -> bytes:
        params = params or {}
        host = httpx.URL(url).netloc.decode("ascii")  # with the port: services may share a host
        if host in self.down:
            raise HostDownError(self.down[host])
        attempts = self.settings.http_retries + 1
        problem = ""
        for attempt in range(attempts):
            self.limiter.wait()
            wait: float | None = None
            try:
                reply = self._once(url, params)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if host not in self.answered:
                    self.down[host] = f"cannot connect to {host} ({exc})"
                    raise HostDownError(self.down[host]) from exc
                problem = f"connection failed ({exc})"
            except httpx.TimeoutException:
                problem = f"no complete reply within {self.settings.http_timeout} s"
            except httpx.TransportError as exc:
                problem = f"network error ({exc.__class__.__name__}: {exc})"
            else:
                self.answered.add(host)
                if reply.status < 400:
                    return reply.content
                if reply.status != 429 and reply.status < 500:
                    raise HttpStatusError(reply.status, url)
                problem, wait = f"HTTP {reply.status}", _retry_after(reply.headers)
            if attempt + 1 < attempts:
                delay = wait if wait is not None else self.backoff_base * 2**attempt
                self.sleep(min(delay, MAX_RETRY_AFTER))
        raise UnreachableError(f"{url}: {problem} (after {attempts} attempts)")

    # --- the three services ---------------------------------------------------------------
    def _ncbi_params(self) -> dict[str, str]:
        s = self.settings
        params = {"tool": s.tool_name}
        if s.contact_email:
            params["email"] = s.contact_email
        if s.ncbi_api_key is not None:
            params["api_key"] = s.ncbi_api_key.get_secret_value()
        return params

    def pmcid_for(self, identifier: str) -> str | None:
        """NCBI's ID converter: the PMCID of a PMID or DOI, or None when PMC has no copy."""
        params = {"ids": identifier, "format": "json", **self._ncbi_params()}
        try:
            data = json.loads(self.get(self.settings.idconv_base_url, params))
        except ValueError as exc:
            raise FetchError(f"the ID converter sent a reply that is not JSON ({exc})") from exc
        for record in data.get("records", []) if isinstance(data, dict) else []:
            pmcid = record.get("pmcid") if isinstance(record, dict) else None
            if pmcid:
                return str(pmcid).upper()
        return None

    def efetch_url(self, pmcid: str) -> tuple[str, dict[str, str]]:
        url = f"{self.settings.ncbi_base_url.rstrip('/')}/efetch.fcgi"
        return url, {"db": "pmc", "id": pmcid.removeprefix("PMC"), "retmode": "xml"}

    def europepmc_url(self, pmcid: str) -> tuple[str, dict[str, str]]:
        return f"{self.settings.europepmc_base_url.rstrip('/')}/{pmcid}/fullTextXML", {}

    def download(self, service: str, pmcid: str) -> tuple[bytes, str]:
        """The raw XML and the URL it came from (without tool, email or key)."""
        url, params = self.efetch_url(pmcid) if service == "efetch" else self.europepmc_url(pmcid)
        shown = str(httpx.URL(url, params=params))
        extra = self._ncbi_params() if service == "efetch" else {}
        return self.get(url, {**params, **extra}), shown


# --- storing ------------------------------------------------------------------------------
def _record_json(doc_dict: dict[str, Any], raw: bytes, source_url: str) -> bytes:
    doc_dict["meta"]["fetch"] = {
        "source_url": source_url,
        "retrieved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "licence": doc_dict.get("licence"),
    }
    return json.dumps(doc_dict, ensure_ascii=False, indent=1).encode("utf-8")


def _fallback(rec: ReferenceRecord, sources: Path) -> str:
    """What the index keeps using for a reference whose full text was not fetched now."""
    pmcid = _pmcid(rec)
    if pmcid and (sources / "fetched" / f"{pmcid}.json").is_file():
        return "the full text fetched earlier"
    if rec.notes and (sources / rec.notes).is_file():
        return "curated notes"
    return "metadata only"


# --- one reference ------------------------------------------------------------------------
def _pmcid(rec: ReferenceRecord) -> str | None:
    return rec.pmcid or extract_identifiers(rec.url or "").get("pmcid")


def _fetch_one(pmc: PmcClient, rec: ReferenceRecord, out: Path) -> ReferenceResult:
    pmcid = _pmcid(rec)
    if not pmcid:
        ids = extract_identifiers(rec.url or "")
        ident = rec.pmid or rec.doi or ids.get("pmid") or ids.get("doi")
        if not ident:
            return ReferenceResult(rec.number, None, "not_found", "no PMCID, PMID or DOI given")
        try:
            pmcid = pmc.pmcid_for(ident)
        except UnreachableError as exc:
            return ReferenceResult(rec.number, None, "unreachable", f"NCBI's ID converter: {exc}")
        if not pmcid:
            detail = f"NCBI's ID converter knows no PubMed Central copy of {ident}"
            return ReferenceResult(rec.number, None, "not_found", detail)
    outcomes: dict[str, str] = {}
    down: list[str] = []
    meta_only: tuple[bytes, str, dict[str, Any]] | None = None
    for service in SERVICES:
        try:
            raw, url = pmc.download(service, pmcid)
        except HttpStatusError as exc:
            outcomes[service] = f"not_found: HTTP {exc.status}"
            continue
        except UnreachableError as exc:
            outcomes[service] = f"unreachable: {exc}"
            if isinstance(exc, HostDownError):
                down.append(str(exc))
            continue
        try:
            root = parse_xml(raw)
        except SourceError as exc:
            outcomes[service] = f"error: {exc}"
            continue
        if find_article(root) is None:
            outcomes[service] = f"not_found: {plain_text(root)[:200] or 'no <article>'}"
            continue
        doc = parse_jats(raw, doc_id=f"ref-{rec.number}", reference=rec.number, url=rec.url)
        if doc.provenance == "full_text":
            atomic_write(out / f"{pmcid}.xml", raw)
            atomic_write(out / f"{pmcid}.json", _record_json(doc.to_dict(), raw, url))
            (out / f"{pmcid}.meta.json").unlink(missing_ok=True)
            (out / f"{pmcid}.meta.xml").unlink(missing_ok=True)
            words = len(doc.text.split())
            return ReferenceResult(rec.number, pmcid, "full_text", f"{words} words", url)
        outcomes[service] = "metadata_only: the reply has no <body>"
        meta_only = meta_only or (raw, url, doc.to_dict())
    if len(down) == len(SERVICES):  # not one service answers: stop the run, do not go on
        raise OfflineError("; ".join(dict.fromkeys(down)))
    summary = "; ".join(f"{k}: {v}" for k, v in outcomes.items())
    if meta_only is not None:
        raw, url, doc_dict = meta_only
        atomic_write(out / f"{pmcid}.meta.xml", raw)
        atomic_write(out / f"{pmcid}.meta.json", _record_json(doc_dict, raw, url))
        return ReferenceResult(rec.number, pmcid, "metadata_only", summary, url)
    statuses = [v.split(":", 1)[0] for v in outcomes.values()]
    status = next(s for s in ("unreachable", "error", "not_found") if s in statuses)
    return ReferenceResult(rec.number, pmcid, status, summary)


# --- the run ------------------------------------------------------------------------------
def _summary(
    report: FetchReport, records: dict[int, ReferenceRecord], sources: Path, down: list[str]
) -> str:
    stays: dict[str, list[str]] = {}
    for r in report.results:
        if r.status not in ("full_text", "skipped"):
            stays.setdefault(_fallback(records[r.number], sources), []).append(str(r.number))
    parts = [
        f"reference{'s' if len(n) > 1 else ''} {', '.join(n)} on {how}" for how, n in stays.items()
    ]
    report.keeps = f"The index keeps {' and '.join(parts)}." if parts else ""
    keeps = f" {report.keeps}" if parts else ""
    if report.offline:
        return f"Offline: {report.message}{keeps} Connect to the internet and fetch again."
    counts: dict[str, int] = {}
    for r in report.results:
        counts[r.status] = counts.get(r.status, 0) + 1
    done = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts.items())
    gone = "".join(f" {d[0].upper()}{d[1:]}: not asked again in this run." for d in down)
    return f"{len(report.results)} reference(s): {done}.{gone}{keeps}"


def fetch_references(
    settings: Settings,
    *,
    only: int | None = None,
    force: bool = False,
    client: httpx.Client | None = None,
    progress: Callable[[ReferenceResult], None] | None = None,
    limiter: RateLimiter | None = None,
    backoff_base: float = 1.0,
) -> FetchReport:
    """Fetch every reference of references.toml (or reference ``only``); see module doc."""
    sources = settings.sources_path
    _, records = load_references(sources / "references.toml")
    if only is not None:
        records = [r for r in records if r.number == only]
        if not records:
            raise UsageError(f"no reference number {only} in references.toml.")
    out = sources / "fetched"
    own = client is None
    http = client or http_client(settings)
    pmc = PmcClient(settings, http, limiter or ncbi_limiter(settings), backoff_base)
    report = FetchReport()
    try:
        for rec in records:
            pmcid = _pmcid(rec)
            if pmcid and not force and (out / f"{pmcid}.json").is_file():
                result = ReferenceResult(rec.number, pmcid, "skipped", "already fetched")
            elif report.offline:
                result = ReferenceResult(rec.number, pmcid, "unreachable", "not tried: offline")
            else:
                try:
                    result = _fetch_one(pmc, rec, out)
                except OfflineError as exc:
                    report.offline, report.message = True, f"{exc}."
                    result = ReferenceResult(rec.number, pmcid, "unreachable", str(exc))
                except (FetchError, SourceError, OSError) as exc:
                    result = ReferenceResult(rec.number, pmcid, "error", str(exc))
            report.results.append(result)
            atomic_write(out / "report.json", json.dumps(report.to_dict(), indent=1).encode())
            if progress is not None:
                progress(result)
    finally:
        if own:
            http.close()
    down = [] if report.offline else list(pmc.down.values())
    report.message = _summary(report, {r.number: r for r in records}, sources, down)
    atomic_write(out / "report.json", json.dumps(report.to_dict(), indent=1).encode())
    return report
