"""A claim's citations, checked deterministically: does each cited work exist in the
reference list, and does the entry it links to agree with how the claim cites it (journal,
year, authors, study type; citations.check_citation)? Any problem makes the claim "miscited",
with both sides named.
"""

from __future__ import annotations

from typing import Any

from assistant.audit.citations import check_citation
from assistant.audit.claims import Claim
from assistant.audit.linking import Link, ReferenceFacts, link_mention
from assistant.audit.mentions import Mention


def _not_listed(mention: Mention, refs: list[ReferenceFacts]) -> str:
    """Why a citation matches no entry, naming what the list does hold."""
    if mention.kind == "number":
        return f"but the reference list has no entry {', '.join(map(str, mention.numbers))}"
    held = "; ".join(
        f"{r.number}: {', '.join(r.journals) or r.title[:50] or r.cited_as[:50]}"
        + (f" {max(r.years)}" if r.years else "")
        for r in refs
    )
    where = (
        f"in {mention.journal}" if mention.kind == "journal" else f"by {', '.join(mention.names)}"
    )
    return f"but no entry of the reference list is {where} (it lists {held or 'nothing'})"


def citation_findings(claim: Claim, refs: list[ReferenceFacts]) -> tuple[list[dict], list[str]]:
    """Each citation's link and check, and the problems among them (each a readable line)."""
    links: list[dict] = []
    problems: list[str] = []
    for m in claim.mentions:
        link: Link = link_mention(m, claim.context, refs)
        ref = link.reference
        row: dict[str, Any] = {
            "cited": m.text,
            "reference": ref.number if ref else None,
            "candidates": list(link.candidates),  # every entry the name matched, best first
        }
        if ref is None:
            row["status"] = "not_in_list"
            problems.append(f"cites '{m.text}', {_not_listed(m, refs)}")
        else:
            check = check_citation("", [m.text], ref.actual)
            row.update(status=check.status, mismatches=check.mismatches, checked=check.checked)
            if check.status == "mismatch":
                diffs = "; ".join(
                    f"{d['field'].replace('_', ' ')}: cited {d['cited']}, actually {d['actual']}"
                    for d in check.mismatches
                )
                problems.append(f"cites '{m.text}', which links to {ref.label}: {diffs}")
        links.append(row)
    return links, problems


def unverifiable(links: list[dict], refs: list[ReferenceFacts]) -> str:
    """A lead-in naming the first cited entry that could not be checked (no verified record
    and no text), or "" when every linked entry could be. An entry with text was checked
    against it, whatever its record says."""
    by_number = {r.number: r for r in refs}
    for row in links:
        ref = by_number.get(row.get("reference"))  # type: ignore[arg-type]
        with_text = ref is not None and ref.provenance in ("full_text", "curated_notes")
        if ref is not None and row.get("status") == "unresolved" and not with_text:
            why = (ref.remark or "no verified record and no text").split(". ")[0].rstrip(".")
            return f"It cites {ref.label}, which could not be checked ({why}). "
    return ""
