"""The extractive answer: verbatim quotes, grouped and labelled, with a headline that claims no
more than the quotes show. Needs no language model."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from assistant.answer.direct import polar_claim
from assistant.answer.state import (
    DECLINE_TEXT,
    AnswerState,
    asks_for_quantity,
    citation_of,
    source_label,
)
from assistant.text import content_stems, quantities
from assistant.types import PROVENANCE_LABELS, Answer, Chunk, Citation, ClaimVerdict, Evidence

__all__ = ["compose_extractive", "is_keyword_line", "source_lines"]


def compose_extractive(
    state: AnswerState,
    threshold: float,
    topic: set[str],
    verdicts_of: Callable[[Evidence], list[ClaimVerdict]],
    link_evidence: Callable[[ClaimVerdict, list[Citation]], int | None],
) -> Answer:
    """The extractive answer: the best sentences above ``threshold``, quoted verbatim under
    what the article says and what its sources say, then the article claims they touch that
    the audit found going beyond the sources (``verdicts_of``; ``link_evidence`` gives the
    marker of a verdict's evidence quote), then the source list. Declines when nothing
    clears the bar. ``topic``: the articles' title words, which show a passage is on-topic
    but not that it answers."""
    th = threshold
    article = _pick(state.article, th, most=2, per_doc=2)
    # a bibliographic record is not what a paper says: it is never quoted as a source
    records = [p for p in state.sources if p[0].chunk.provenance == "metadata_only"]
    texts = [p for p in state.sources if p[0].chunk.provenance != "metadata_only"]
    sources = _pick(texts, th, most=3, per_doc=2)
    unread = sorted({ev.chunk.reference for ev, _ in _pick(records, th, 3, 1)} - {None})
    best = max([s for _, s in state.article + state.sources], default=0.0)
    if not article and not sources:
        return Answer(
            question=state.question,
            text=DECLINE_TEXT,
            declined=True,
            confidence=best,
            notes=["No passage of the article or its sources comes close enough to the question."],
        )
    citations: list[Citation] = []
    lines: list[str] = []
    beyond: list[ClaimVerdict] = []
    claim_marker: dict[tuple[int, int], int] = {}  # verdict span -> its article quote
    if article:
        lines.append("**What the article says**")
        for ev, _ in article:
            citations.append(citation_of(len(citations) + 1, ev))
            lines.append(f'- "{one_line(ev.quote)}" [{len(citations)}]')
            for v in verdicts_of(ev):
                beyond.append(v)
                claim_marker.setdefault(v.span, len(citations))
    lines.append("**What its sources say**")
    if sources:
        for ev, _ in sources:
            citations.append(citation_of(len(citations) + 1, ev))
            lines.append(f'- {source_label(ev)}: "{one_line(ev.quote)}" [{len(citations)}]')
    else:
        lines.append("- None of the article's references addresses this directly.")
    for number in unread:
        lines.append(
            f"- Reference {number}: only its bibliographic record is available here, so "
            "what the paper says cannot be quoted until its full text is fetched."
        )
    wanted = content_stems(state.question) - topic
    beyond = bearing(_unique(beyond), wanted)
    if beyond:
        lines.append("**Beyond the sources**")
        for v in beyond:
            marks = f" [{claim_marker[v.span]}]" if v.span in claim_marker else ""
            evidence = link_evidence(v, citations)
            cited = f" [{evidence}]" if evidence else ""
            lines.append(f'- "{_short(v.claim)}"{marks}: {v.verdict}. {v.reason}{cited}')
    lines.append("")
    lines.extend(source_lines(citations))
    article_direct, sources_direct = _direct(wanted, article), _direct(wanted, sources)
    headline = _headline(article_direct, sources_direct, bool(article), beyond)
    groups = (len(article), article_direct), (len(sources), sources_direct)
    lead = lead_quote(state.question, wanted, _addressing(citations, groups))
    first = f"{lead_line(lead)}\n\n" if lead else ""
    return Answer(
        question=state.question,
        text=first + headline + "\n\n" + "\n".join(lines),
        lead=lead.marker if lead else None,
        declined=False,
        citations=citations,
        beyond_sources=beyond,
        engine="extractive",
        confidence=best,
    )


def _addressing(citations: list[Citation], groups: Iterable[tuple[int, bool]]) -> list[Citation]:
    """The quotes of the groups that address the question. ``citations`` open with the
    groups' quotes in order (the article's, then the sources'); ``groups``: (how many quotes,
    whether the group addresses the question)."""
    out, start = [], 0
    for size, direct in groups:
        if direct:
            out += citations[start : start + size]
        start += size
    return out


def lead_quote(question: str, wanted: set[str], quoted: list[Citation]) -> Citation | None:
    """The quote a what / which / how-many question's first line gives as its answer, shown
    verbatim with its marker (``lead_line``). ``quoted``: the quotes that address the question
    (those of a group that holds half its own words, ``_direct``), best first; ``wanted``:
    those words. The quote holding most of them wins, ties going to the better-ranked. A
    question asking for a figure takes only a quote that holds one; a lead-in whose list was
    not quoted with it ("Symptoms include:") says nothing and is never the answer. Yes/no
    questions open with their yes or no instead (answer.direct); with no such quote, None."""
    if polar_claim(question) is not None:
        return None
    figure = asks_for_quantity(question)
    fit = [
        c
        for c in quoted
        if not c.quote.rstrip().endswith(":") and (not figure or quantities(c.quote))
    ]
    if not fit:
        return None
    return max(fit, key=lambda c: len(wanted & content_stems(c.quote)))  # ties: the first


def lead_line(lead: Citation) -> str:
    who = "the article" if lead.evidence.chunk.kind == "article" else source_label(lead.evidence)
    return f'**In short**, {who}: "{one_line(lead.quote)}" [{lead.marker}]'


def _pick(
    scored: list[tuple[Evidence, float]], threshold: float, most: int, per_doc: int
) -> list[tuple[Evidence, float]]:
    chosen: list[tuple[Evidence, float]] = []
    seen: set[tuple[int, int]] = set()
    per: dict[str, int] = {}
    for ev, sim in scored:
        doc = ev.chunk.document_id
        if sim < threshold or ev.sentence in seen or per.get(doc, 0) >= per_doc:
            continue
        chosen.append((ev, sim))
        seen.add(ev.sentence)  # type: ignore[arg-type]
        per[doc] = per.get(doc, 0) + 1
        if len(chosen) == most:
            break
    return chosen


def _direct(wanted: set[str], quoted: list[tuple[Evidence, float]]) -> bool:
    """Do the quotes (already above the corpus's calibrated relevance bar) address the
    question itself, not just its neighbourhood? Together they must hold at least half of
    `wanted`, the question's own content words (those beyond the article's topic words): a
    question on sleep answered with passages on circulation shares "magnesium" and little else.
    """
    if not quoted:
        return False
    if not wanted:
        return True
    held = set().union(*(content_stems(ev.quote) for ev, _ in quoted))
    return len(wanted & held) >= len(wanted) / 2


_KEYWORDS = re.compile(r"^\W*key\s?words?\b", re.I)


def is_keyword_line(ev: Evidence) -> bool:
    """A paper's keyword list ("Keywords: stress; magnesium; ...") names topics; it states
    nothing, so it is never quoted as what a source says."""
    in_section = any(_KEYWORDS.match(title) for title in ev.chunk.section)
    return in_section or bool(_KEYWORDS.match(ev.quote))


def bearing(verdicts: list[ClaimVerdict], wanted: set[str]) -> list[ClaimVerdict]:
    """The audited claims the question is about, out of those its quotes touch: the ones
    sharing the most of ``wanted`` (the question's own content words; a list item counts its
    lead-in). A quoted list of deficiency symptoms says nothing on a question about too much
    magnesium. When no claim shares a word, nothing shows which one is asked about (a
    paraphrase, say), so all stay. Measured on `assistant eval --split dev` and on
    `assistant bench audit --ask` (Check-COVID dev): keeping only the top-sharing claims lost
    none of the warnings about the asked passage or claim, where keeping those sharing at
    least three quarters or half as many words kept more warnings on other claims."""
    shared = [len(wanted & content_stems(f"{v.context or ''} {v.claim}")) for v in verdicts]
    most = max(shared, default=0)
    if not wanted or not most:
        return verdicts
    return [v for v, n in zip(verdicts, shared, strict=True) if n == most]


def _unique(verdicts: list[ClaimVerdict]) -> list[ClaimVerdict]:
    seen: set[tuple[int, int]] = set()
    out = []
    for v in verdicts:
        if v.span not in seen:
            seen.add(v.span)
            out.append(v)
    return out


def _short(text: str, most: int = 160) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _headline(
    article_direct: bool, sources_direct: bool, article_quoted: bool, beyond: list[ClaimVerdict]
) -> str:
    """One line that says what the quotes below show, claiming no more than they do.

    "Direct" quotes address the question itself (AnswerEngine._direct); other quotes are only
    the closest passages, and the headline says so rather than "the article says this"."""
    kinds = ", ".join(sorted({v.verdict for v in beyond}))
    if beyond and article_direct:
        return f"The article says this, but its sources do not back it as stated ({kinds})."
    if beyond:
        return (
            "The article does not say this in so many words; its closest passages make claims "
            f"its sources do not back as stated ({kinds})."
        )
    if article_direct and sources_direct:
        return "Here is what the article says, and what its sources say."
    if article_direct:
        return "The article says this; none of its references addresses it directly."
    if sources_direct:
        return "The article does not address this directly; its sources say:"
    if article_quoted:
        return "Neither the article nor its sources address this directly; the closest passages:"
    return "The article does not address this directly; the closest passages of its sources:"


def source_lines(citations: list[Citation]) -> list[str]:
    lines = ["Sources:"]
    for c in citations:
        who = "Article" if c.reference == "article" else f"Reference {c.reference}"
        if c.provenance != "full_text":
            who += f" ({PROVENANCE_LABELS[c.provenance]})"
        where = f" > {c.section}" if c.section else ""
        link = f" — {c.url}" if c.url and c.reference != "article" else ""
        lines.append(f"[{c.marker}] {who}{where}{link}")
    return lines


def one_line(quote: str) -> str:
    """A quote as one line of the answer (a list quoted with its lead-in keeps its items,
    its line breaks read as spaces); the citation keeps the exact span."""
    return " ".join(quote.split())


def what_is_covered(chunks: Iterable[Chunk], most: int = 5) -> str:
    """In plain words, what the article and its sources do cover: the article's section
    headings and the references whose text is here, a few of each, in their order."""
    sections: list[str] = []
    papers: list[str] = []
    for c in chunks:
        if c.kind == "article" and c.section and c.section[-1] not in sections:
            sections.append(c.section[-1])
        elif c.kind == "reference" and c.provenance != "metadata_only" and c.title:
            label = f"{c.title} (reference {c.reference})" if c.reference else c.title
            if label not in papers:
                papers.append(label)
        if len(sections) >= most and len(papers) >= most:  # enough: read no further chunks
            break
    parts = []
    if sections:
        parts.append("The article covers: " + "; ".join(sections[:most]) + ".")
    if papers:
        parts.append("Its sources with text: " + "; ".join(papers[:most]) + ".")
    if parts:
        parts.append("Ask about one of these.")
    return " ".join(parts)
