"""The PubMed Central client against a real local HTTP server standing in for NCBI / Europe PMC."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from conftest import JATS_FIXTURES, RunCli, make_settings
from pmc_server import FakePMC, Reply, closed_port_url, fixture_reply, pmc_server

from assistant.errors import UsageError
from assistant.settings import Settings
from assistant.sources.corpus import load_corpus
from assistant.sources.fetch import FetchReport, RateLimiter, ReferenceResult, fetch_references
from assistant.sources.jats import parse_jats
from assistant.types import Document

__all__ = ["pmc_server"]  # the fixture, imported so pytest finds it

EFETCH = "/eutils/efetch.fcgi"
IDCONV = "/idconv"
EPMC = "/europepmc"
# The real corpus's references: number -> PMCID digits.
REFS = {1: "9710406", 2: "8838086", 3: "6380979", 4: "7761127"}


def settings_for(tmp_path: Path, base: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "ncbi_base_url": f"{base}/eutils",
        "idconv_base_url": f"{base}{IDCONV}",
        "europepmc_base_url": f"{base}{EPMC}",
        "http_timeout": 0.5,
        "http_retries": 2,
        "contact_email": "dev@example.org",
    }
    values.update(overrides)
    return make_settings(tmp_path, **values)


def fast() -> RateLimiter:
    return RateLimiter(1000.0)


def statuses(report: FetchReport) -> dict[int, str]:
    return {r.number: r.status for r in report.results}


def test_full_text_is_stored_with_provenance_and_reindexed(
    pmc_server: FakePMC, tmp_path: Path
) -> None:
    pmc_server.route(EFETCH, fixture_reply("open_access.xml"))
    settings = settings_for(tmp_path, pmc_server.url)
    before = {d.id: d for d in load_corpus(settings)}
    report = fetch_references(settings, only=2, limiter=fast())
    assert statuses(report) == {2: "full_text"}
    assert report.exit_code == 0
    (hit,) = pmc_server.hits(EFETCH)
    assert hit.query["db"] == "pmc" and hit.query["id"] == REFS[2]
    assert hit.query["retmode"] == "xml" and hit.query["email"] == "dev@example.org"
    assert hit.query["tool"] == settings.tool_name
    assert not pmc_server.hits(f"{EPMC}/PMC{REFS[2]}/fullTextXML")  # no fallback needed

    fetched = settings.sources_path / "fetched"
    raw = (fetched / f"PMC{REFS[2]}.xml").read_bytes()
    assert raw == (JATS_FIXTURES / "open_access.xml").read_bytes()
    stored = json.loads((fetched / f"PMC{REFS[2]}.json").read_text())
    info = stored["meta"]["fetch"]
    assert info["sha256"] == hashlib.sha256(raw).hexdigest()
    assert info["source_url"].startswith(f"{pmc_server.url}{EFETCH}?db=pmc&id={REFS[2]}")
    assert "email" not in info["source_url"]
    assert info["retrieved_at"][:4].isdigit() and "creativecommons" in info["licence"]
    doc = Document.from_dict(stored)
    assert doc.provenance == "full_text" and doc.reference == 2

    # the corpus now prefers the full text for reference 2, and only for it
    after = {d.id: d for d in load_corpus(settings)}
    assert before["ref-2"].provenance == "curated_notes"
    assert after["ref-2"].provenance == "full_text"
    changed = [i for i in after if after[i].content_hash != before[i].content_hash]
    assert changed == ["ref-2"]
    report_file = json.loads((fetched / "report.json").read_text())
    assert report_file["results"][0]["status"] == "full_text"

    # already fetched: skipped without a request, unless forced
    assert statuses(fetch_references(settings, only=2, limiter=fast())) == {2: "skipped"}
    assert len(pmc_server.hits(EFETCH)) == 1
    assert statuses(fetch_references(settings, only=2, force=True, limiter=fast())) == {
        2: "full_text"
    }
    assert len(pmc_server.hits(EFETCH)) == 2


def test_metadata_only_tries_europe_pmc_and_never_replaces_notes(
    pmc_server: FakePMC, tmp_path: Path
) -> None:
    pmc_server.route(EFETCH, fixture_reply("metadata_only.xml"))
    pmc_server.route(f"{EPMC}/PMC{REFS[3]}/fullTextXML", Reply(404, b"<error/>"))
    pmc_server.route(f"{EPMC}/PMC{REFS[4]}/fullTextXML", fixture_reply("open_access.xml"))
    settings = settings_for(tmp_path, pmc_server.url)
    report = fetch_references(settings, limiter=fast())
    assert statuses(report) == {
        1: "metadata_only",
        2: "metadata_only",
        3: "metadata_only",
        4: "full_text",
    }
    assert report.exit_code == 0
    assert len(pmc_server.hits(f"{EPMC}/PMC{REFS[3]}/fullTextXML")) == 1
    four = next(r for r in report.results if r.number == 4)
    assert four.source_url == f"{pmc_server.url}{EPMC}/PMC{REFS[4]}/fullTextXML"
    fetched = settings.sources_path / "fetched"
    assert not (fetched / f"PMC{REFS[3]}.json").exists()
    meta = json.loads((fetched / f"PMC{REFS[3]}.meta.json").read_text())
    assert meta["provenance"] == "metadata_only" and meta["meta"]["journal"] == "Coastal Agronomy"
    docs = {d.id: d for d in load_corpus(settings)}
    assert docs["ref-3"].provenance == "curated_notes"
    assert docs["ref-4"].provenance == "full_text"
    assert "reference 1 on metadata only" in report.message
    assert "references 2, 3 on curated notes" in report.message


def test_metadata_only_keeps_the_raw_reply_with_its_provenance(
    pmc_server: FakePMC, tmp_path: Path
) -> None:
    pmc_server.route(EFETCH, fixture_reply("metadata_only.xml"))
    pmc_server.route(f"{EPMC}/PMC{REFS[3]}/fullTextXML", Reply(404, b"<error/>"))
    settings = settings_for(tmp_path, pmc_server.url)
    assert statuses(fetch_references(settings, only=3, limiter=fast())) == {3: "metadata_only"}
    fetched = settings.sources_path / "fetched"
    raw = (fetched / f"PMC{REFS[3]}.meta.xml").read_bytes()
    assert raw == fixture_reply("metadata_only.xml").body
    info = json.loads((fetched / f"PMC{REFS[3]}.meta.json").read_text())["meta"]["fetch"]
    assert info["sha256"] == hashlib.sha256(raw).hexdigest()
    assert info["source_url"].startswith(f"{pmc_server.url}{EFETCH}?db=pmc&id={REFS[3]}")
    assert "email" not in info["source_url"]
    assert info["retrieved_at"][:4].isdigit()
    assert not (fetched / f"PMC{REFS[3]}.xml").exists()  # never mistaken for full text
    # full text fetched later replaces both metadata-only files
    pmc_server.route(EFETCH, fixture_reply("open_access.xml"), id=REFS[3])
    assert statuses(fetch_references(settings, only=3, limiter=fast())) == {3: "full_text"}
    assert not list(fetched.glob(f"PMC{REFS[3]}.meta.*"))
    assert (fetched / f"PMC{REFS[3]}.xml").read_bytes() == fixture_reply("open_access.xml").body


def test_not_found_is_not_retried(pmc_server: FakePMC, tmp_path: Path) -> None:
    pmc_server.route(EFETCH, fixture_reply("efetch_error.xml"), id=REFS[1])
    pmc_server.route(EFETCH, Reply(400, b"bad id"), id=REFS[2])
    settings = settings_for(tmp_path, pmc_server.url)
    report = fetch_references(settings, only=1, limiter=fast())
    assert statuses(report) == {1: "not_found"}
    assert "not available" in report.results[0].detail
    assert fetch_references(settings, only=2, limiter=fast()).results[0].status == "not_found"
    assert len(pmc_server.hits(EFETCH)) == 2  # one each: a 4xx or an error reply is final
    assert report.exit_code == 1


def test_429_waits_for_retry_after(pmc_server: FakePMC, tmp_path: Path) -> None:
    busy = Reply(429, b"slow down", headers={"Retry-After": "1"})
    pmc_server.route(EFETCH, busy, fixture_reply("open_access.xml"))
    settings = settings_for(tmp_path, pmc_server.url)
    report = fetch_references(settings, only=2, limiter=fast(), backoff_base=0.01)
    assert statuses(report) == {2: "full_text"}
    first, second = pmc_server.hits(EFETCH)
    assert second.time - first.time >= 0.9  # Retry-After, not the 0.01 s backoff


def test_500_then_success_backs_off(pmc_server: FakePMC, tmp_path: Path) -> None:
    pmc_server.route(EFETCH, Reply(500), Reply(503), fixture_reply("open_access.xml"))
    settings = settings_for(tmp_path, pmc_server.url)
    report = fetch_references(settings, only=2, limiter=fast(), backoff_base=0.2)
    assert statuses(report) == {2: "full_text"}
    t = [h.time for h in pmc_server.hits(EFETCH)]
    assert len(t) == 3
    assert t[1] - t[0] >= 0.15 and t[2] - t[1] >= 0.35  # exponential: 0.2 s, then 0.4 s


def test_persistent_500_is_unreachable_after_retries(pmc_server: FakePMC, tmp_path: Path) -> None:
    pmc_server.route(EFETCH, Reply(500))
    pmc_server.route(f"{EPMC}/PMC{REFS[2]}/fullTextXML", Reply(502))
    settings = settings_for(tmp_path, pmc_server.url, http_retries=2)
    report = fetch_references(settings, only=2, limiter=fast(), backoff_base=0.01)
    assert statuses(report) == {2: "unreachable"}
    assert report.exit_code == 1
    assert len(pmc_server.hits(EFETCH)) == 3
    assert len(pmc_server.hits(f"{EPMC}/PMC{REFS[2]}/fullTextXML")) == 3
    assert "HTTP 500" in report.results[0].detail and "HTTP 502" in report.results[0].detail
    assert not (settings.sources_path / "fetched" / f"PMC{REFS[2]}.json").exists()


def test_hanging_reply_times_out(pmc_server: FakePMC, tmp_path: Path) -> None:
    pmc_server.route(EFETCH, Reply(200, b"<late/>", delay=1.5))
    pmc_server.route(f"{EPMC}/PMC{REFS[2]}/fullTextXML", Reply(404))
    settings = settings_for(tmp_path, pmc_server.url, http_timeout=0.5, http_retries=1)
    start = time.monotonic()
    report = fetch_references(settings, only=2, limiter=fast(), backoff_base=0.01)
    elapsed = time.monotonic() - start
    assert statuses(report) == {2: "unreachable"}
    assert "no complete reply within 0.5 s" in report.results[0].detail
    assert len(pmc_server.hits(EFETCH)) == 2
    assert elapsed < 1.5 * 2  # two attempts of ~0.5 s, never waiting for the 1.5 s replies


def test_trickling_reply_counts_as_hanging(pmc_server: FakePMC, tmp_path: Path) -> None:
    """Bytes that keep coming, each within the read timeout, still hit the overall deadline."""
    import socket
    import threading

    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]

    def serve() -> None:
        conn, _ = sock.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
            for _ in range(10):
                time.sleep(0.2)
                try:
                    conn.sendall(b"<a>xxxxx</a>")
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    pmc_server.route(f"{EPMC}/PMC{REFS[2]}/fullTextXML", Reply(404))
    settings = settings_for(
        tmp_path,
        pmc_server.url,
        ncbi_base_url=f"http://127.0.0.1:{port}/eutils",
        http_timeout=0.5,
        http_retries=0,
    )
    try:
        report = fetch_references(settings, only=2, limiter=fast())
    finally:
        thread.join(timeout=5)
        sock.close()
    assert "no complete reply" in report.results[0].detail


def test_rate_limit_three_per_second_across_the_run(pmc_server: FakePMC, tmp_path: Path) -> None:
    pmc_server.route(EFETCH, fixture_reply("metadata_only.xml"))  # each ref: efetch + Europe PMC
    settings = settings_for(tmp_path, pmc_server.url)
    fetch_references(settings)  # the default limiter: 3/s without an API key
    times = sorted(h.time for h in pmc_server.requests)
    assert len(times) == 8
    # measured at the server, so allow for thread-scheduling jitter on a busy machine
    assert times[6] - times[0] >= 2.0 - 0.08  # 7 requests at 3/s span at least 2 s
    windows = [b - a for a, b in zip(times, times[3:], strict=False)]
    assert min(windows) >= 1.0 - 0.08  # never 4 requests within one second


def test_api_key_allows_ten_per_second_and_is_never_stored(
    pmc_server: FakePMC, tmp_path: Path
) -> None:
    pmc_server.route(EFETCH, fixture_reply("metadata_only.xml"))
    settings = settings_for(tmp_path, pmc_server.url, ncbi_api_key="sekret-key")
    start = time.monotonic()
    report = fetch_references(settings)
    elapsed = time.monotonic() - start
    times = sorted(h.time for h in pmc_server.requests)
    assert len(times) == 8
    assert times[-1] - times[0] >= 0.7 - 0.08 and elapsed < 1.5
    assert all(h.query.get("api_key") == "sekret-key" for h in pmc_server.hits(EFETCH))
    fetched = settings.sources_path / "fetched"
    for path in fetched.iterdir():
        assert "sekret-key" not in path.read_text(errors="replace")
    assert "sekret-key" not in json.dumps(report.to_dict())


def test_partial_progress_survives_a_failure_on_reference_3(
    pmc_server: FakePMC, tmp_path: Path
) -> None:
    pmc_server.route(EFETCH, fixture_reply("open_access.xml"))
    pmc_server.route(EFETCH, fixture_reply("malformed.xml"), id=REFS[3])
    pmc_server.route(f"{EPMC}/PMC{REFS[3]}/fullTextXML", fixture_reply("malformed.xml"))
    settings = settings_for(tmp_path, pmc_server.url)
    report = fetch_references(settings, limiter=fast())
    assert statuses(report) == {1: "full_text", 2: "full_text", 3: "error", 4: "full_text"}
    assert "malformed" in report.results[2].detail
    assert report.exit_code == 1
    fetched = settings.sources_path / "fetched"
    assert not (fetched / f"PMC{REFS[3]}.json").exists()
    assert not list(fetched.glob(".*tmp"))  # no half-written files left behind


def test_a_crash_mid_run_keeps_earlier_references(pmc_server: FakePMC, tmp_path: Path) -> None:
    pmc_server.route(EFETCH, fixture_reply("open_access.xml"))
    settings = settings_for(tmp_path, pmc_server.url)

    def crash_after_two(result: ReferenceResult) -> None:
        if result.number == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch_references(settings, limiter=fast(), progress=crash_after_two)
    fetched = settings.sources_path / "fetched"
    for n in (1, 2):
        Document.from_dict(json.loads((fetched / f"PMC{REFS[n]}.json").read_text()))
    saved = json.loads((fetched / "report.json").read_text())
    assert [r["number"] for r in saved["results"]] == [1, 2, 3]
    # the next run picks up where it stopped
    report = fetch_references(settings, limiter=fast())
    assert statuses(report) == {1: "skipped", 2: "skipped", 3: "skipped", 4: "full_text"}


def test_offline_fails_fast_and_says_what_stays(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, closed_port_url(), http_retries=4)
    fetched = settings.sources_path / "fetched"
    fetched.mkdir()
    earlier = parse_jats(fixture_reply("open_access.xml").body, doc_id="ref-4", reference=4)
    (fetched / f"PMC{REFS[4]}.json").write_text(json.dumps(earlier.to_dict()))  # still skipped
    start = time.monotonic()
    report = fetch_references(settings, backoff_base=1.0)
    assert time.monotonic() - start < 1.0  # no backoff loops: 4 retries would take 15 s
    assert report.offline
    assert statuses(report) == {1: "unreachable", 2: "unreachable", 3: "unreachable", 4: "skipped"}
    assert report.exit_code == 1
    assert report.message.startswith("Offline: cannot connect to 127.0.0.1")
    assert "reference 1 on metadata only" in report.message
    assert "references 2, 3 on curated notes" in report.message
    assert sorted(p.name for p in fetched.iterdir()) == [f"PMC{REFS[4]}.json", "report.json"]
    # nothing else breaks: the corpus still loads on notes and metadata
    docs = {d.id: d.provenance for d in load_corpus(settings) if d.id in ("ref-1", "ref-2")}
    assert docs == {"ref-1": "metadata_only", "ref-2": "curated_notes"}


def test_ncbi_unreachable_falls_back_to_europe_pmc(pmc_server: FakePMC, tmp_path: Path) -> None:
    """NCBI refusing connections is not "offline" while Europe PMC answers."""
    ncbi = closed_port_url()
    for digits in REFS.values():
        pmc_server.route(f"{EPMC}/PMC{digits}/fullTextXML", fixture_reply("open_access.xml"))
    settings = settings_for(
        tmp_path, pmc_server.url, ncbi_base_url=f"{ncbi}/eutils", http_retries=4
    )
    start = time.monotonic()
    report = fetch_references(settings, limiter=fast(), backoff_base=1.0)
    assert time.monotonic() - start < 1.0  # the refused host is not retried with backoff
    assert not report.offline
    assert statuses(report) == {1: "full_text", 2: "full_text", 3: "full_text", 4: "full_text"}
    assert report.exit_code == 0
    for r in report.results:
        assert r.source_url == f"{pmc_server.url}{EPMC}/PMC{REFS[r.number]}/fullTextXML"
        assert len(pmc_server.hits(f"{EPMC}/PMC{REFS[r.number]}/fullTextXML")) == 1
    host = ncbi.removeprefix("http://")
    assert f"Cannot connect to {host}" in report.message  # says which service was down
    fetched = settings.sources_path / "fetched"
    assert all((fetched / f"PMC{digits}.json").is_file() for digits in REFS.values())


def test_europe_pmc_unreachable_keeps_what_ncbi_gave(pmc_server: FakePMC, tmp_path: Path) -> None:
    pmc_server.route(EFETCH, fixture_reply("metadata_only.xml"))
    settings = settings_for(tmp_path, pmc_server.url, europepmc_base_url=closed_port_url())
    report = fetch_references(settings, only=2, limiter=fast(), backoff_base=1.0)
    assert not report.offline
    assert statuses(report) == {2: "metadata_only"}
    assert "europepmc: unreachable: cannot connect to 127.0.0.1" in report.results[0].detail


def test_offline_names_every_service_it_could_not_reach(tmp_path: Path) -> None:
    ncbi, epmc = closed_port_url(), closed_port_url()
    settings = settings_for(tmp_path, ncbi, europepmc_base_url=f"{epmc}{EPMC}", http_retries=4)
    start = time.monotonic()
    report = fetch_references(settings, backoff_base=1.0)
    assert time.monotonic() - start < 1.0
    assert report.offline and report.exit_code == 1
    assert statuses(report) == {n: "unreachable" for n in REFS}
    assert report.results[1].detail == "not tried: offline"  # stopped after the first
    for base in (ncbi, epmc):
        assert f"cannot connect to {base.removeprefix('http://')}" in report.message
    assert "references 2, 3, 4 on curated notes" in report.message


def test_id_converter_resolves_a_missing_pmcid(pmc_server: FakePMC, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, pmc_server.url)
    (settings.sources_path / "references.toml").write_text(
        '[article]\nfile = "magnesium-glycinate-hair-follicles.txt"\n\n'
        '[[reference]]\nnumber = 1\ncited_as = "A paper known by PMID."\npmid = "90000001"\n\n'
        '[[reference]]\nnumber = 2\ncited_as = "A paper with no PMC copy."\n'
        'doi = "10.9999/closed"\n',
        encoding="utf-8",
    )
    found = {"records": [{"pmid": "90000001", "pmcid": "PMC1000001", "doi": "10.9999/x"}]}
    missing = {"records": [{"doi": "10.9999/closed", "status": "error", "errmsg": "not found"}]}
    pmc_server.route(IDCONV, Reply(200, json.dumps(found).encode()), ids="90000001")
    pmc_server.route(IDCONV, Reply(200, json.dumps(missing).encode()), ids="10.9999/closed")
    pmc_server.route(EFETCH, fixture_reply("open_access.xml"), id="1000001")
    report = fetch_references(settings, limiter=fast())
    assert statuses(report) == {1: "full_text", 2: "not_found"}
    assert report.results[0].pmcid == "PMC1000001"
    assert "10.9999/closed" in report.results[1].detail
    (conv, _) = pmc_server.hits(IDCONV)
    assert conv.query["format"] == "json" and conv.query["tool"] == settings.tool_name
    assert (settings.sources_path / "fetched" / "PMC1000001.json").is_file()
    # the corpus then uses the full text for reference 1, though its record names no PMCID
    docs = {d.id: d.provenance for d in load_corpus(settings)}
    assert docs["ref-1"] == "full_text"


def test_unknown_reference_number_is_a_usage_error(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, closed_port_url())
    with pytest.raises(UsageError, match="no reference number 9"):
        fetch_references(settings, only=9)


def test_rate_limiter_spacing_with_a_fake_clock() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(3.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(7):
        limiter.wait()
    assert now[0] == pytest.approx(2.0)
    now[0] += 5.0  # idle time is not banked into a burst
    limiter.wait()
    limiter.wait()
    assert slept[-1] == pytest.approx(1 / 3)


def test_cli_fetch_reports_and_exits_by_outcome(
    pmc_server: FakePMC, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: RunCli
) -> None:

    settings = settings_for(tmp_path, pmc_server.url, http_retries=0)
    for key, value in {
        "ASSISTANT_SOURCES_DIR": settings.sources_path,
        "ASSISTANT_INDEX_DIR": settings.index_path,
        "ASSISTANT_NCBI_BASE_URL": settings.ncbi_base_url,
        "ASSISTANT_EUROPEPMC_BASE_URL": settings.europepmc_base_url,
        "ASSISTANT_IDCONV_BASE_URL": settings.idconv_base_url,
        "ASSISTANT_HTTP_TIMEOUT": "0.5",
        "ASSISTANT_HTTP_RETRIES": "0",
    }.items():
        monkeypatch.setenv(key, str(value))
    pmc_server.route(EFETCH, fixture_reply("open_access.xml"))
    ok = cli("fetch", "--ref", "2")
    assert ok.exit_code == 0, ok.output
    assert "reference 2 (PMC8838086): full_text" in ok.output
    pmc_server.route(EFETCH, Reply(500), id=REFS[3])
    pmc_server.route(f"{EPMC}/PMC{REFS[3]}/fullTextXML", Reply(500))
    failed = cli("fetch", "--ref", "3", "--json")
    assert failed.exit_code == 1
    assert json.loads(failed.output)["results"][0]["status"] == "unreachable"
