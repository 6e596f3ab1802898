"""The reference list, checked: what each link really points to against how the article cites
it, and the overview of every document the CLI's `sources` and the page's Sources tab show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.audit.citations import CitationCheck, check_citation
from assistant.audit.claims import extract_claims
from assistant.audit.linking import link_mention, reference_facts
from assistant.settings import Settings
from assistant.sources import (
    FETCHED_DIR,
    REFERENCES_FILE,
    extract_identifiers,
    load_corpus,
    load_references,
)
from assistant.types import ReferenceRecord


def _known_facts(rec: ReferenceRecord, fetched: Path) -> tuple[dict[str, Any], str]:
    pmcid = rec.pmcid or extract_identifiers(rec.url or "").get("pmcid")
    if pmcid:
        for name, label in (
            (f"{pmcid}.json", "fetched full text"),
            (f"{pmcid}.meta.json", "fetched metadata"),
        ):
            try:
                return json.loads((fetched / name).read_text(encoding="utf-8"))["meta"], label
            except (OSError, ValueError, KeyError, TypeError):
                continue
    facts = {k: v for k, v in rec.bibliographic().items() if k not in ("cited_as", "remark")}
    return facts, "references.toml"


def in_text_mentions(settings: Settings) -> dict[int, list[str]]:
    """How the article's text cites each reference-list entry: the wording of every in-text
    citation that links to it ("A randomized trial in Nutrients (2021)")."""
    docs = load_corpus(settings)
    article = next((d for d in docs if d.kind == "article"), None)
    if article is None:
        return {}
    refs = reference_facts(article, [d for d in docs if d.kind == "reference"])
    out: dict[int, list[str]] = {}
    for claim in extract_claims(article):
        for mention in claim.mentions:
            ref = link_mention(mention, claim.context, refs).reference
            if ref is not None and mention.text not in out.setdefault(ref.number, []):
                out[ref.number].append(mention.text)
    return out


def check_reference_list(settings: Settings) -> list[CitationCheck]:
    """Check every reference's citation, as the reference list gives it and as the article's
    text cites it, against its fetched metadata or verified record."""
    _, records = load_references(settings.sources_path / REFERENCES_FILE)
    mentions = in_text_mentions(settings)
    checks = []
    for rec in records:
        facts, source = _known_facts(rec, settings.sources_path / FETCHED_DIR)
        check = check_citation(rec.cited_as, mentions.get(rec.number, []), facts)
        check.reference, check.source = rec.number, source
        check.summary = f"Reference {rec.number}: {check.summary}"
        checks.append(check)
    return checks


def source_overview(settings: Settings) -> list[dict[str, Any]]:
    """One row per document for the CLI and the page: what it is, where it came from, its
    licence, the last fetch outcome, and the citation check (is the link what is cited?)."""
    report_path = settings.sources_path / FETCHED_DIR / "report.json"
    fetch_status: dict[int, str] = {}
    if report_path.is_file():
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
            fetch_status = {r["number"]: r["status"] for r in report.get("results", [])}
        except (OSError, ValueError, KeyError, TypeError):
            fetch_status = {}
    checks: dict[int | None, Any] = {}
    if (settings.sources_path / REFERENCES_FILE).is_file():
        checks = {c.reference: c for c in check_reference_list(settings)}
    rows = []
    for doc in load_corpus(settings):
        check = checks.get(doc.reference) if doc.kind == "reference" else None
        rows.append(
            {
                "id": doc.id,
                "kind": doc.kind,
                "reference": doc.reference,
                "title": doc.title,
                "citation": doc.citation,
                "url": doc.url,
                "provenance": doc.provenance,
                "notice": doc.notice,
                "licence": doc.licence,
                "meta": {k: v for k, v in doc.meta.items() if k != "in_text_citations"},
                "fetch_status": fetch_status.get(doc.reference) if doc.reference else None,
                "citation_check": check.to_dict() if check is not None else None,
            }
        )
    return rows
