"""JATS front matter and reference list -> bibliographic facts: title, authors, journal, dates,
identifiers, licence; and a citation line formatted from them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from assistant.sources.xml_text import child, children, local, plain_text

__all__ = ["format_citation", "parse_front", "parse_ref_list"]


def _person(el: ET.Element) -> str:
    """'Given Surname' for a <name>/<string-name>, the name of a <collab>."""
    surname = child(el, "surname")
    if local(el.tag) == "collab" or surname is None:
        return plain_text(el)
    return " ".join(t for t in (plain_text(child(el, "given-names")), plain_text(surname)) if t)


def _names(el: ET.Element | None, contrib_type: str | None = None) -> list[str]:
    """People of a contrib-group (those of ``contrib_type``) or of a reference citation."""
    if el is None:
        return []
    wanted = ("name", "string-name", "collab")
    if contrib_type is None:
        return [_person(n) for n in el.iter() if local(n.tag) in wanted]
    names = []
    for contrib in el.iter():
        if local(contrib.tag) != "contrib":
            continue
        if contrib.get("contrib-type", contrib_type) != contrib_type:
            continue
        found = next((n for n in contrib.iter() if local(n.tag) in wanted), None)
        if found is not None:
            names.append(_person(found))
    return names


def _dates(meta: ET.Element) -> tuple[int | None, list[dict[str, str]]]:
    """The citation year (print / issue date first, then electronic) and every pub-date."""
    dates, best, best_rank = [], None, 9
    for el in children(meta, "pub-date"):
        kind = el.get("pub-type") or el.get("date-type") or el.get("publication-format") or ""
        year = plain_text(child(el, "year"))
        if not year.isdigit():
            continue
        parts = [year] + [plain_text(child(el, n)).zfill(2) for n in ("month", "day")]
        dates.append({"type": kind, "date": "-".join(p for p in parts if p.strip("0"))})
        rank = 0 if kind in ("ppub", "collection", "epub-ppub", "print", "issue") else 1
        rank = 2 if kind in ("pmc-release", "nihms-submitted") else rank
        if rank < best_rank:
            best, best_rank = int(year), rank
    return best, dates


def _licence(meta: ET.Element) -> dict[str, str] | None:
    permissions = child(meta, "permissions")
    lic = child(permissions, "license")
    if lic is None:
        statement = plain_text(child(permissions, "copyright-statement"))
        return {"text": statement, "url": ""} if statement else None
    url = next((v for k, v in lic.attrib.items() if local(k) == "href"), "")
    for el in lic.iter():
        if not url and local(el.tag) in ("license_ref", "ext-link"):
            url = (el.text or "").strip() or next(
                (v for k, v in el.attrib.items() if local(k) == "href"), ""
            )
    text = " ".join(plain_text(p) for p in children(lic, "license-p")) or plain_text(lic)
    return {"text": text, "url": url, "type": lic.get("license-type", "")}


def parse_front(article: ET.Element) -> dict[str, Any]:
    """Bibliographic facts from <front>: the fields the citation check compares."""
    front = child(article, "front")
    journal_meta = child(front, "journal-meta")
    meta = child(front, "article-meta")
    if meta is None:
        meta = ET.Element("article-meta")
    jm = journal_meta if journal_meta is not None else ET.Element("journal-meta")
    journal = next((plain_text(e) for e in jm.iter() if local(e.tag) == "journal-title"), "")
    abbrev = [plain_text(e) for e in jm.iter() if local(e.tag) == "abbrev-journal-title"]
    abbrev += [
        plain_text(e)
        for e in children(jm, "journal-id")
        if e.get("journal-id-type") in ("iso-abbrev", "nlm-ta")
    ]
    ids = {e.get("pub-id-type", ""): plain_text(e) for e in children(meta, "article-id")}
    pmc = ids.get("pmcid") or ids.get("pmc") or ids.get("pmcaid") or ""
    pmcid = f"PMC{pmc.upper().removeprefix('PMC')}" if pmc else None
    year, dates = _dates(meta)
    fpage, lpage = plain_text(child(meta, "fpage")), plain_text(child(meta, "lpage"))
    pages = "-".join(p for p in (fpage, lpage) if p) or plain_text(child(meta, "elocation-id"))
    categories = child(meta, "article-categories")
    subjects = [
        plain_text(e)
        for e in (categories.iter() if categories is not None else [])
        if local(e.tag) == "subject"
    ]
    keywords = [plain_text(e) for e in meta.iter() if local(e.tag) == "kwd"]
    title = plain_text(child(child(meta, "title-group"), "article-title"))
    authors = [n for g in children(meta, "contrib-group") for n in _names(g, "author")]
    facts: dict[str, Any] = {
        "title": title,
        "authors": authors,
        "journal": journal,
        "journal_abbrev": sorted(set(a for a in abbrev if a)),
        "year": year,
        "dates": dates,
        "volume": plain_text(child(meta, "volume")),
        "issue": plain_text(child(meta, "issue")),
        "pages": pages,
        "doi": ids.get("doi") or None,
        "pmid": ids.get("pmid") or None,
        "pmcid": pmcid,
        "article_type": article.get("article-type", ""),
        "subjects": subjects,
        "keywords": keywords,
        "licence": _licence(meta),
    }
    facts["citation"] = format_citation(facts)
    return facts


def format_citation(f: dict[str, Any]) -> str:
    """A short human citation: 'A B, C D, et al. (2020). Title. Journal 12(3):45-67.'"""
    authors = ", ".join(f["authors"][:3]) + (", et al." if len(f["authors"]) > 3 else "")
    where = f["journal"] + (f" {f['volume']}" if f["volume"] else "")
    where += f"({f['issue']})" if f["issue"] else ""
    where += f":{f['pages']}" if f["pages"] else ""
    year = f" ({f['year']})." if f["year"] else ""
    doi = f" doi:{f['doi']}" if f["doi"] else ""
    return f"{authors}{year} {f['title']}. {where}.{doi}".strip()


def parse_ref_list(back: ET.Element | None) -> dict[str, dict[str, Any]]:
    """Reference-list entries by id, with the facts an in-text citation is checked against."""
    refs: dict[str, dict[str, Any]] = {}
    if back is None:
        return refs
    for ref in back.iter():
        if local(ref.tag) != "ref":
            continue
        cit = next((c for c in ref if local(c.tag).endswith("citation")), None)
        if cit is None:
            continue
        title = child(cit, "article-title")
        title = title if title is not None else child(cit, "chapter-title")
        refs[ref.get("id", "")] = {
            "label": plain_text(child(ref, "label")),
            "title": plain_text(title),
            "source": plain_text(child(cit, "source")),
            "year": plain_text(child(cit, "year")),
            "authors": _names(cit),
        }
    return refs
