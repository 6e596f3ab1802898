"""The measures the eval and the benchmarks report, as plain functions on plain data.

Ranking metrics take, for each rank, the set of relevant items found there ("hits"), so one
function serves both the eval (a chunk can contain several gold passages) and BEIR (a document is
relevant or not). Citation metrics follow ALCE (Gao et al., 2023, "Enabling Large Language Models
to Generate Text with Citations"): a statement is supported when its cited passages together
entail it (citation recall; a statement without a citation is unsupported); a citation is
irrelevant when it does not support the statement on its own and the other citations still do
without it (citation precision; an answer that cites nothing scores 0, as in ALCE's code).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.answer import MARKER
from assistant.text import normalize, words
from assistant.types import Answer, Citation, Document

Hits = Sequence[Collection[str]]  # per rank: the relevant items found at that rank
Supports = Callable[[str, str], bool]  # (statement, evidence text) -> entailed?
_QUOTED = re.compile(r'^(?:[^"]{0,120}?:\s*)?"(?P<q>.+)"\s*$')
_HEADING = re.compile(r"^\*\*.*\*\*$")
_QUOTATION = re.compile(r'"[^"]+"')
# A sentence ends at . ! or ? (plus closing quotes and any citation markers right after it),
# before a capital, a digit, an opening quote or the end of the line; not at the full stop of
# an abbreviation ("et al. 2022", "e.g.", "i.e.", "vs.", "cf.", "Fig.").
_SENTENCE_END = re.compile(
    r"(?<!\bal)(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bcf)(?<!\bFig)"
    r'[.!?]["\')]*(?:\s*\[\d+\])*(?=\s+["(*-]?[A-Z0-9]|\s*$)'
)


# --- ranking ------------------------------------------------------------------------------------
def hits_from_ids(ranked: Sequence[str], relevant: Collection[str]) -> list[set[str]]:
    return [{item} if item in relevant else set() for item in ranked]


def recall_at_k(hits: Hits, n_relevant: int, k: int) -> float:
    """Share of the relevant items found in the top k (0 when nothing is relevant)."""
    if n_relevant <= 0:
        return 0.0
    found: set[str] = set()
    for at_rank in hits[:k]:
        found |= set(at_rank)
    return len(found) / n_relevant


def reciprocal_rank(hits: Hits, k: int | None = None) -> float:
    """1 / rank of the first rank holding any relevant item, within the top k; 0 if none."""
    for rank, at_rank in enumerate(hits[:k] if k else hits, start=1):
        if at_rank:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], gains: Mapping[str, float], k: int) -> float:
    """nDCG@k with linear gains and a log2(rank + 1) discount, as trec_eval and BEIR compute it."""
    dcg = sum(gains.get(item, 0.0) / math.log2(rank + 1) for rank, item in enumerate(ranked[:k], 1))
    ideal = sorted((g for g in gains.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


# --- spans --------------------------------------------------------------------------------------
def find_spans(text: str, quote: str) -> list[tuple[int, int]]:
    """Every place the quote stands verbatim in the text."""
    spans, pos = [], text.find(quote)
    while quote and pos >= 0:
        spans.append((pos, pos + len(quote)))
        pos = text.find(quote, pos + 1)
    return spans


def contains(outer: tuple[int, int], inner: tuple[int, int]) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def quote_faithful(citation: Citation, documents: Mapping[str, Document]) -> bool:
    """The quote stands verbatim in its source document exactly at its span."""
    doc = documents.get(citation.document)
    if doc is None or not citation.quote:
        return False
    return doc.text[citation.start : citation.end] == citation.quote


# --- key facts ----------------------------------------------------------------------------------
@lru_cache(maxsize=512)
def _fact_pattern(fact: str) -> re.Pattern[str]:
    if fact.startswith("re:"):
        return re.compile(fact[3:], re.IGNORECASE)
    return re.compile(re.escape(normalize(fact).lower()))


def fact_present(fact: str, text: str) -> bool:
    """A fact is a plain string (case, whitespace, dashes and quote marks normalized) or, with
    the prefix "re:", a case-insensitive regular expression searched in the normalized text."""
    hay = normalize(text)
    return bool(_fact_pattern(fact).search(hay if fact.startswith("re:") else hay.lower()))


def answer_body(text: str) -> str:
    """The answer without its source list (lines that start with a marker, and "Sources:"), so
    a key fact only counts when the answer says it, not when a section title holds it."""
    lines = [ln for ln in text.splitlines() if not MARKER.match(ln.strip())]
    return "\n".join(ln for ln in lines if ln.strip().lower() != "sources:")


def check_fact(fact: str) -> str | None:
    """Why the fact cannot be used, or None when it is fine."""
    if not isinstance(fact, str) or not fact.strip() or fact.strip() == "re:":
        return "a fact must be a non-empty string"
    try:
        _fact_pattern(fact)
    except re.error as exc:
        return f"fact {fact!r} is not a valid regular expression ({exc})"
    return None


# --- citations (ALCE) ---------------------------------------------------------------------------
@dataclass
class Statement:
    text: str
    evidence: list[str]  # one text per citation it carries (markers without a citation: empty)


@dataclass
class CitationScores:
    statements: int = 0
    citations: int = 0
    supported: int = 0  # statements whose citations jointly entail them
    precise: int = 0  # citations that are not irrelevant
    uncited: int = 0  # statements with no citation (in recall, as unsupported)
    details: list[dict] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        """Share of statements supported; None when there is no statement to judge."""
        return self.supported / self.statements if self.statements else None

    @property
    def precision(self) -> float | None:
        """Share of citations that are relevant; 0 when the statements cite nothing (ALCE's
        rule), None when there is no statement to judge."""
        if self.citations:
            return self.precise / self.citations
        return 0.0 if self.statements else None


def evidence_window(passage: str, quote: str, most: int = 600) -> str:
    """The passage, or when it is long the part of it centred on the quote: the verifier reads
    only its first ~128 tokens of evidence, so the quoted sentence must be inside the window."""
    if len(passage) <= most:
        return passage
    pos = passage.find(quote) if quote else -1
    if pos < 0:
        return passage[:most]
    start = max(0, min(pos - (most - len(quote)) // 2, len(passage) - most))
    return passage[start : start + most]


def statement_text(sentence: str) -> str:
    """What a cited sentence asserts: markers removed and, when the sentence is a quotation with
    an optional "Label:" in front (the extractive engine's format), just the quotation."""
    bare = re.sub(r"\s+([.,;:!?])", r"\1", normalize(MARKER.sub("", sentence))).strip(" -*")
    quoted = _QUOTED.match(bare)
    return quoted.group("q").strip() if quoted else bare


def answer_sentences(text: str) -> list[str]:
    """Sentences of an answer, line by line, each keeping the markers that follow it; never
    split inside a quotation (an even number of quote marks must precede a boundary).
    Markdown headings (**...** or #...) are not sentences and are left out."""
    return [s for line in text.splitlines() for s in _line_sentences(line)]


def _line_sentences(raw: str) -> list[str]:
    line = normalize(raw)
    if _HEADING.match(line) or line.startswith("#"):
        return []
    line = line.lstrip(" -*•>\t").strip()
    if MARKER.match(line):  # an entry of the source list: one unit, never a statement
        return [line]
    out, start = [], 0
    for m in _SENTENCE_END.finditer(line):
        if line.count('"', 0, m.end()) % 2 == 0 and m.end() > start:
            out.append(line[start : m.end()].strip())
            start = m.end()
    out.append(line[start:].strip())
    return [s for s in out if s]


def claim_sentences(answer: Answer) -> list[str]:
    """The sentences of the answer that assert something, cited or not (ALCE's statements).

    Never statements: headings, lead-ins ending in ":" and the source list ("Sources:" and the
    lines that start with a marker). The extractive engine asserts only by quoting: its claims
    are the lines that hold a quotation (what the article or a source says, and the audit's
    verdict on a quoted claim, reason included). Its other lines (the headline, "none of the
    references addresses this", a reference known only by its record) are framing written from
    what the search found, which no passage could support. Any other engine writes free text,
    so each of its sentences is a statement.
    """
    extractive = answer.engine == "extractive"
    out = []
    for line in answer.text.splitlines():
        if extractive and not _QUOTATION.search(normalize(line)):
            continue
        out += [s for s in _line_sentences(line) if not (MARKER.match(s) or s.endswith(":"))]
    return out


def answer_statements(answer: Answer) -> tuple[list[Statement], int]:
    """The answer's statements (see claim_sentences), each with the evidence of the citations
    it carries (none: it will count as unsupported), and how many of them cite nothing."""
    by_marker = {c.marker: c for c in answer.citations}
    statements, uncited = [], 0
    for sentence in claim_sentences(answer):
        markers = list(dict.fromkeys(int(m) for m in MARKER.findall(sentence)))
        uncited += not markers
        evidence = []
        for m in markers:
            c = by_marker.get(m)
            evidence.append(evidence_window(c.passage or c.quote, c.quote) if c else "")
        statements.append(Statement(statement_text(sentence), evidence))
    return statements, uncited


def alce_scores(statements: Sequence[Statement], supports: Supports) -> CitationScores:
    """Citation recall and precision over statements, ALCE's rules (see the module docstring)."""
    out = CitationScores()
    for st in statements:
        cited = [e for e in st.evidence if e]
        joint = bool(cited) and supports(st.text, "\n".join(cited))
        out.statements += 1
        out.uncited += not st.evidence
        out.citations += len(st.evidence)
        out.supported += int(joint)
        precise = 0
        if joint and len(cited) == 1:
            precise = 1
        elif joint:
            for i, ev in enumerate(cited):
                rest = cited[:i] + cited[i + 1 :]
                if supports(st.text, ev) or not supports(st.text, "\n".join(rest)):
                    precise += 1
        out.precise += precise
        out.details.append(
            {
                "statement": st.text,
                "citations": len(st.evidence),
                "supported": joint,
                "precise": precise,
            }
        )
    return out


def overlap_supports(statement: str, evidence: str, share: float = 0.8) -> bool:
    """Fallback judge when no verifier is trained: supported when at least `share` of the
    statement's content words occur in the evidence. Cruder than entailment: it cannot see
    negation or changed numbers, so reports name it as the judge used."""
    wanted = set(words(statement))
    if not wanted:
        return False
    return len(wanted & set(words(evidence))) / len(wanted) >= share
