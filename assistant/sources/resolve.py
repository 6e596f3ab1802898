"""Each entry of a new article's reference list, resolved to a paper, and the file that says so.

An identifier the article itself gives (a PMC, PubMed or DOI link, or one written in the
entry) is taken as given; a PMID or DOI without a PMCID is given to NCBI's ID converter,
which names the PMCID when PubMed Central holds a copy. An entry with no identifier is looked
up by its title in Europe PMC's search; the closest record is taken only when its title
matches the entry's closely (``MATCH_HIGH``; or ``MATCH_MEDIUM`` when the year agrees too),
and how close is written down. Full text is fetched afterwards by `fetch`.

The result is written as references.toml, the file a user can read and correct: each entry
says what was resolved, how (``resolved_by``) and how sure (``confidence``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from assistant.errors import FetchError
from assistant.sources.fetch import PmcClient, UnreachableError
from assistant.text import fold
from assistant.types import ReferenceRecord

MATCH_HIGH = 0.9  # title similarity taken on its own
MATCH_MEDIUM = 0.75  # taken when the year agrees as well
_SEGMENT_RE = re.compile(r"(?<=[.?!])\s+(?=[A-Z(\d])")
_YEAR_RE = re.compile(r"\b((?:19|20)\d{2})\b")


@dataclass
class Resolution:
    number: int
    cited_as: str
    url: str | None = None
    ids: dict[str, str] = field(default_factory=dict)  # pmcid / pmid / doi
    facts: dict[str, Any] = field(default_factory=dict)  # title, authors, journal, year
    status: str = "unresolved"  # identified | matched | unresolved
    resolved_by: str = ""
    confidence: str = ""  # given | high | medium
    remark: str = ""


def title_guess(cited: str) -> str:
    """The part of a reference entry most likely to be the paper's title: its longest
    sentence-like segment that is not the author list."""
    segments = [s.strip(" .") for s in _SEGMENT_RE.split(cited)]
    titled = [s for s in segments if len(s.split()) >= 3 and "et al" not in s]
    return max(titled or segments, key=len)


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, " ".join(fold(a).split()), " ".join(fold(b).split())).ratio()


def _search(pmc: PmcClient, base_url: str, guess: str) -> list[dict[str, Any]]:
    words = re.sub(r"[^\w\s'-]", " ", guess).split()
    params = {
        "query": f'TITLE:"{" ".join(words)}"',
        "format": "json",
        "resultType": "lite",
        "pageSize": "5",
    }
    try:
        data = json.loads(pmc.get(f"{base_url.rstrip('/')}/search", params))
    except ValueError as exc:
        raise FetchError(f"Europe PMC's search sent a reply that is not JSON ({exc})") from exc
    results = data.get("resultList", {}).get("result", []) if isinstance(data, dict) else []
    return [r for r in results if isinstance(r, dict) and r.get("title")]


def _facts(hit: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    ids = {k: str(hit[k]) for k in ("pmcid", "pmid", "doi") if hit.get(k)}
    facts: dict[str, Any] = {"title": str(hit["title"]).rstrip(".")}
    if hit.get("authorString"):
        facts["authors"] = [a.strip() for a in str(hit["authorString"]).rstrip(".").split(",")]
    if hit.get("journalTitle"):
        facts["journal"] = str(hit["journalTitle"])
    if str(hit.get("pubYear", "")).isdigit():
        facts["year"] = int(hit["pubYear"])
    return ids, facts


def _match(res: Resolution, hits: list[dict[str, Any]], guess: str) -> None:
    year = _YEAR_RE.search(res.cited_as)
    scored = sorted(((_similarity(guess, str(h["title"])), h) for h in hits), key=lambda x: -x[0])
    if not scored:
        res.remark = f'Europe PMC has no paper titled "{guess}".'
        return
    score, hit = scored[0]
    same_year = bool(year) and str(hit.get("pubYear")) == year.group(1)
    if score >= MATCH_HIGH or (score >= MATCH_MEDIUM and same_year):
        res.ids, res.facts = _facts(hit)
        res.status, res.resolved_by = "matched", "Europe PMC title search"
        res.confidence = "high" if score >= MATCH_HIGH else "medium"
        res.remark = f"title similarity {score:.2f}" + (", same year" if same_year else "")
    else:
        res.remark = (
            f'Closest record in Europe PMC: "{hit["title"]}" ({hit.get("pubYear", "no year")}), '
            f"title similarity {score:.2f}: not taken. Add its identifier here if it is the one."
        )


def _converted(res: Resolution, pmc: PmcClient) -> str:
    """A PMID or DOI turned into a PMCID by NCBI's ID converter, where PMC has a copy;
    returns why the converter could not be asked, if it could not."""
    ident = res.ids.get("pmid") or res.ids.get("doi", "")
    try:
        pmcid = pmc.pmcid_for(ident)
    except UnreachableError as exc:
        return f"not looked up: NCBI's ID converter could not be reached ({exc})"
    except FetchError as exc:
        res.remark = f"NCBI's ID converter failed: {exc}"
        return ""
    if pmcid:
        res.ids["pmcid"] = pmcid
        res.resolved_by += ", its PMCID by NCBI's ID converter"
    else:
        res.remark = f"NCBI's ID converter knows no PubMed Central copy of {ident}."
    return ""


def resolve_references(
    records: list[ReferenceRecord],
    pmc: PmcClient | None,
    europepmc_url: str,
    progress: Callable[[Resolution], None] | None = None,
) -> tuple[list[Resolution], str]:
    """Resolve each entry (see module doc). ``pmc`` None, or a service that cannot be
    reached, leaves the entries without identifiers unresolved; the message says why."""
    out, offline = [], "" if pmc is not None else "not looked up: offline"
    for rec in records:
        res = Resolution(rec.number, rec.cited_as, rec.url)
        res.ids = {
            k: v for k, v in (("pmcid", rec.pmcid), ("pmid", rec.pmid), ("doi", rec.doi)) if v
        }
        if res.ids:
            in_link = rec.url is not None and any(v in rec.url for v in res.ids.values())
            res.status, res.confidence = "identified", "given"
            res.resolved_by = "the article's link" if in_link else "the entry's text"
            if "pmcid" not in res.ids and pmc is not None and not offline:
                offline = _converted(res, pmc) or offline
        elif offline or pmc is None:
            res.remark = offline
        else:
            guess = title_guess(rec.cited_as)
            try:
                _match(res, _search(pmc, europepmc_url, guess), guess)
            except UnreachableError as exc:
                offline = f"not looked up: Europe PMC could not be reached ({exc})"
                res.remark = offline
            except FetchError as exc:
                res.remark = f"Europe PMC's search failed: {exc}"
        out.append(res)
        if progress is not None:
            progress(res)
    return out, offline


# --- references.toml ---------------------------------------------------------------------------
_HEADER = """\
# The article's reference list, as `assistant new` read and resolved it.
# Each [[reference]] says how the article cites the paper (cited_as), the identifiers found
# (pmcid, pmid, doi), how they were found (resolved_by: the article's link, the entry's text,
# or a Europe PMC title search) and how sure that is (confidence: given, high, medium).
# status is identified, matched or unresolved. Correct anything here, add an identifier an
# entry lacks, then run `assistant fetch` and `assistant index` again.
"""


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def _table(name: str, values: dict[str, Any]) -> str:
    lines = [name] + [f"{k} = {_value(v)}" for k, v in values.items() if v not in (None, "", [])]
    return "\n".join(lines) + "\n"


def references_toml(article: dict[str, Any], resolutions: list[Resolution]) -> str:
    """The text of references.toml for a new article (read back by ``load_references``)."""
    parts = [_HEADER, _table("[article]", article)]
    for r in resolutions:
        entry: dict[str, Any] = {"number": r.number, "cited_as": r.cited_as, "url": r.url}
        entry |= r.ids | r.facts
        entry |= {"status": r.status, "resolved_by": r.resolved_by, "confidence": r.confidence}
        entry["remark"] = r.remark
        parts.append(_table("[[reference]]", entry))
    return "\n".join(parts)
