"""`assistant new SOURCE`: an article of the user's own, from a web page, a PDF or a file, to
an audited library entry; against a real HTTP server on 127.0.0.1 standing in for the news
site, Europe PMC's search, NCBI's ID converter and efetch."""

from __future__ import annotations

import html
import json
import re
import tomllib
from pathlib import Path

import pytest
from conftest import REPO, RunCli
from pmc_server import FakePMC, Reply, closed_port_url, fixture_reply, pmc_server

from assistant.errors import FetchError
from assistant.settings import Settings

__all__ = ["pmc_server"]  # the fixture, imported so pytest finds it

ARTICLES = REPO / "tests" / "fixtures" / "articles"
PAGE = "/news/street-lights-moths.html"
SEARCH = "/europepmc/search"
LIT = "Street lighting shortens night-time foraging of urban moths: a field experiment"


def env_for(tmp_path: Path, base: str) -> dict[str, str]:
    return {
        "ASSISTANT_LIBRARY_DIR": str(tmp_path / "library"),
        "ASSISTANT_EMBEDDING_MODEL": "hash:256",
        "ASSISTANT_NCBI_BASE_URL": f"{base}/eutils",
        "ASSISTANT_IDCONV_BASE_URL": f"{base}/idconv",
        "ASSISTANT_EUROPEPMC_BASE_URL": f"{base}/europepmc",
        "ASSISTANT_HTTP_TIMEOUT": "2",
        "ASSISTANT_HTTP_RETRIES": "0",
    }


def search_reply(*hits: dict[str, str]) -> Reply:
    body = {"hitCount": len(hits), "resultList": {"result": list(hits)}}
    return Reply(body=json.dumps(body).encode(), content_type="application/json")


def serve_the_web(server: FakePMC) -> None:
    page = (ARTICLES / "moths.html").read_bytes()
    server.route(PAGE, Reply(body=page, content_type="text/html; charset=utf-8"))
    lit = {"id": "90000001", "source": "MED", "pmid": "90000001", "pmcid": "PMC1000001"}
    lit |= {"doi": "10.9999/uel.2021.0042", "title": f"{LIT}.", "pubYear": "2021"}
    lit |= {"authorString": "Lindqvist M, Okafor CE.", "journalTitle": "Urban Ecol Lett"}
    other = {"id": "1", "source": "MED", "pmid": "1", "title": "Lamps in old houses: a history"}
    server.route(SEARCH, search_reply())
    words = "Street lighting shortens night-time foraging of urban moths a field experiment"
    server.route(SEARCH, search_reply(lit), query=f'TITLE:"{words}"')
    server.route(
        SEARCH, search_reply(other | {"pubYear": "1990"}), query='TITLE:"Lamps and insects"'
    )
    server.route("/idconv", Reply(body=b'{"records": [{"pmid": "90000002"}]}'))
    server.route("/eutils/efetch.fcgi", fixture_reply("open_access.xml"), id="1000001")


def test_a_web_article_becomes_an_audited_library_entry(
    pmc_server: FakePMC, tmp_path: Path, cli: RunCli
) -> None:
    serve_the_web(pmc_server)
    env = env_for(tmp_path, pmc_server.url)
    result = cli("new", f"{pmc_server.url}{PAGE}", "--id", "moths", env=env)
    assert result.exit_code == 0, result.output
    assert "references: 3 (1 with an identifier given, 1 matched by title, 1 unresolved)" in (
        result.output
    )
    assert "fetched: 1 full text" in result.output
    folder = tmp_path / "library" / "moths" / "sources"
    refs = tomllib.loads((folder / "references.toml").read_text())["reference"]
    by_number = {r["number"]: r for r in refs}
    assert by_number[1]["pmcid"] == "PMC1000001"
    assert (by_number[1]["status"], by_number[1]["confidence"]) == ("matched", "high")
    assert by_number[1]["resolved_by"] == "Europe PMC title search"
    assert by_number[2]["status"] == "unresolved"
    assert "Lamps in old houses" in by_number[2]["remark"]  # the near miss, named, not taken
    assert by_number[3]["pmid"] == "90000002"
    assert by_number[3]["resolved_by"] == "the article's link"
    assert "no PubMed Central copy of 90000002" in by_number[3]["remark"]  # asked the converter
    assert (folder / "fetched" / "PMC1000001.json").is_file()
    assert (folder / "originals" / "street-lights-moths.html").read_bytes() == (
        ARTICLES / "moths.html"
    ).read_bytes()
    text = (folder / "article.txt").read_text()
    assert "by 40%, according to a field experiment in twelve paired meadow plots.[1]" in text
    assert "An older survey of city insects [3] found" in text  # the body link, now cited
    assert "Subscribe now" not in text and "Bats in the city" not in text  # page furniture
    page = (ARTICLES / "moths.html").read_text()
    mapping = json.loads((folder / "article.map.json").read_text())
    assert mapping["original"] == "originals/street-lights-moths.html"
    assert len(mapping["blocks"]) >= 8  # all but the reference the body link added
    for m in mapping["blocks"]:
        start, end = m["source"]
        # the same words, once citation markers (superscripts in the page, [n] in the text)
        # and list numbers are set aside
        shown = re.sub(r"^\d+\. |\[\d+(?:,\d+)*\]|\s", "", text[m["start"] : m["end"]])
        read = re.sub(r"<sup>[^<]*(?:</sup>)?|<[^>]*>|\s", "", page[start:end])
        assert shown == html.unescape(read)
    assert "8 traced to their place in the original" in result.output

    audit = cli("--article", "moths", "audit", "--json", env=env)
    assert audit.exit_code == 0, audit.output
    verdicts = json.loads(audit.output)
    twice = next(v for v in verdicts if "twice as many" in v["claim"])
    assert twice["reference"] == 1
    assert twice["verdict"] != "supported"
    quotes = [q for v in verdicts for q in v["evidence"]]
    lit_text = json.loads((folder / "fetched" / "PMC1000001.json").read_text())["text"]
    assert quotes and all(q["quote"] in lit_text or q["quote"] in text for q in quotes)
    assert any(q["reference"] == 1 and q["provenance"] == "full_text" for q in quotes)

    listed = cli("articles", "--json", env=env)
    rows = {row["id"]: row for row in json.loads(listed.output)}
    assert set(rows) >= {"bundled", "moths"}
    assert rows["moths"]["identified"] == 2 and rows["moths"]["references"] == 3
    assert rows["moths"]["claims"] and sum(rows["moths"]["claims"].values()) == len(verdicts)


def _offline_env(tmp_path: Path) -> dict[str, str]:
    return env_for(tmp_path, closed_port_url())


def test_offline_it_builds_from_what_the_source_holds(tmp_path: Path, cli: RunCli) -> None:
    env = _offline_env(tmp_path)
    result = cli("new", ARTICLES / "moths.html", "--skip-audit", env=env)
    assert result.exit_code == 0, result.output
    assert "not looked up: Europe PMC could not be reached" in result.output
    assert "unresolved reference 1" in result.output and "unresolved reference 2" in result.output
    assert (tmp_path / "library" / "are-street-lights-starving-moths").is_dir()
    found = cli(
        "--article", "are-street-lights-starving-moths", "search", "moth visits", "--json", env=env
    )
    assert found.exit_code == 0, found.output
    assert json.loads(found.output)[0]["document"] == "article"


def test_a_pdf_article(tmp_path: Path, cli: RunCli) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    lines = [
        "Street lights and moths",
        "",
        "Street lamps cut moth visits to flowers by 40% [1]. Gardens need darkness [2].",
        "",
        "References",
        "1. Lindqvist M. Street lighting and moths. doi:10.9999/uel.2021.0042",
        "2. https://pmc.ncbi.nlm.nih.gov/articles/PMC1000002/",
    ]
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "moths.pdf"))
    result = cli(
        "new",
        tmp_path / "moths.pdf",
        "--id",
        "pdf",
        "--offline",
        "--skip-audit",
        env=_offline_env(tmp_path),
    )
    assert result.exit_code == 0, result.output
    assert "references: 2 (2 with an identifier given" in result.output
    refs = tomllib.loads(
        (tmp_path / "library" / "pdf" / "sources" / "references.toml").read_text()
    )["reference"]
    assert [r.get("doi") or r.get("pmcid") for r in refs] == ["10.9999/uel.2021.0042", "PMC1000002"]


def test_two_articles_keep_their_own_sources_and_answers(tmp_path: Path, cli: RunCli) -> None:
    env = _offline_env(tmp_path)
    page = tmp_path / "tea.md"
    page.write_text(
        "Green tea and sleep\n\nGreen tea before bed shortens sleep by an hour [1].\n\n"
        "References\n1. Leaf T. Tea and sleep. doi:10.1234/tea.2020\n"
    )
    assert (
        cli(
            "new", ARTICLES / "moths.html", "--id", "moths", "--skip-audit", "--offline", env=env
        ).exit_code
        == 0
    )
    assert cli("new", page, "--id", "tea", "--skip-audit", "--offline", env=env).exit_code == 0
    for article, word, other in (("moths", "moth", "tea"), ("tea", "tea", "moth")):
        found = cli("--article", article, "search", f"{word} sleep lamps", "--json", env=env)
        texts = " ".join(p["text"] for p in json.loads(found.output)).lower()
        assert word in texts and other not in texts
    sources = cli("sources", "--article", "tea", env=env)  # after the command name too
    assert "Reference 1" in sources.output and "moth" not in sources.output.lower()
    audit = cli("audit", "--article", "tea", "--json", env=env)
    assert audit.exit_code == 0, audit.output
    claims = [v["claim"] for v in json.loads(audit.output)]
    assert claims and all("moth" not in c.lower() for c in claims)
    assert any("shortens sleep" in c for c in claims)


def test_an_article_without_a_reference_list_says_what_that_means(
    tmp_path: Path, cli: RunCli
) -> None:
    page = tmp_path / "opinion.txt"
    page.write_text(
        "Why I take zinc\n\nZinc cut my colds in half last winter.\n\n"
        "Sources\nmy own experience, and friends who agree\n"
    )
    result = cli("new", page, "--offline", "--skip-audit", env=_offline_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "references: 0" in result.output
    assert "no reference list found" in result.output


@pytest.mark.parametrize(
    ("make", "message"),
    [
        ("unreachable", "cannot fetch"),
        ("no_text", "no article text found"),
        ("empty_pdf", "no text layer"),
        ("folder", "a folder"),
        ("unknown_type", "unsupported file type"),
    ],
)
def test_bad_input_is_refused_clearly_and_changes_nothing(
    make: str, message: str, tmp_path: Path, cli: RunCli
) -> None:
    if make == "unreachable":
        source = f"{closed_port_url()}/article.html"
    elif make == "no_text":
        source = tmp_path / "app.html"
        source.write_text('<html><body><div id="root"></div><script>app()</script></body></html>')
    elif make == "empty_pdf":
        from fpdf import FPDF

        pdf = FPDF()
        pdf.add_page()
        source = tmp_path / "empty.pdf"
        pdf.output(str(source))
    elif make == "folder":
        source = tmp_path
    else:
        source = tmp_path / "article.docx"
        source.write_bytes(b"PK\x03\x04")
    result = cli("new", source, "--offline", env=_offline_env(tmp_path))
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "library").exists() or not any((tmp_path / "library").iterdir())


def test_an_article_id_is_taken_once_unless_replaced(tmp_path: Path, cli: RunCli) -> None:
    env = _offline_env(tmp_path)
    args = ("new", ARTICLES / "moths.html", "--id", "moths", "--skip-audit", "--offline")
    assert cli(*args, env=env).exit_code == 0
    again = cli(*args, env=env)
    assert again.exit_code == 2 and "already has an article 'moths'" in again.output
    assert cli(*args, "--replace", env=env).exit_code == 0
    assert [p.name for p in (tmp_path / "library").iterdir()] == ["moths"]  # no leftovers


def test_without_article_commands_work_on_the_most_recent_one(tmp_path: Path, cli: RunCli) -> None:
    env = _offline_env(tmp_path)
    assert "Magnesium Glycinate" in cli("sources", env=env).output  # only the bundled one
    made = cli(
        "new", ARTICLES / "moths.html", "--id", "moths", "--offline", "--skip-audit", env=env
    )
    assert made.exit_code == 0, made.output
    latest = cli("sources", env=env)
    assert "Are street lights starving moths?" in latest.output
    assert "Magnesium Glycinate" in cli("--article", "bundled", "sources", env=env).output
    assert (
        "Magnesium Glycinate" in cli("sources", env={**env, "ASSISTANT_ARTICLE": "bundled"}).output
    )


def test_an_unknown_article_is_named_with_the_ones_there_are(tmp_path: Path, cli: RunCli) -> None:
    result = cli("--article", "nope", "sources", env=_offline_env(tmp_path))
    assert result.exit_code == 2
    assert "no article 'nope' in the library (it has: bundled" in result.output


def test_library_articles_use_their_own_chroma_namespace(tmp_path: Path) -> None:
    one = Settings(library_dir=tmp_path, article="one")
    assert one.collection_namespace == "assistant-one"
    assert Settings().collection_namespace == "assistant"
    assert one.index_path == tmp_path / "one" / "store"


def test_a_page_without_a_file_name_is_named_by_its_kind(pmc_server: FakePMC, tmp_path) -> None:
    from assistant.settings import Settings
    from assistant.sources.intake import read_source

    page = (ARTICLES / "moths.html").read_bytes()
    pmc_server.route("/news/2022/123", Reply(body=page, content_type="text/html"))
    pmc_server.route("/paper", Reply(body=b"%PDF-1.4 ...", content_type="application/pdf"))
    settings = Settings(http_timeout=2)
    got = read_source(f"{pmc_server.url}/news/2022/123", settings)
    assert (got.name, got.fmt, got.data) == ("123.html", "html", page)
    assert read_source(f"{pmc_server.url}/paper", settings).name == "paper.pdf"
    missing = f"{pmc_server.url}/gone"
    with pytest.raises(FetchError, match="answered HTTP 404"):
        read_source(missing, settings)
