"""What the article claims, and which works it cites for it.

A claim is one sentence (or list item) of the article's body that asserts something a source
could confirm: a number, an effect, a mechanism, a study finding, a dose, a prevalence, a safety
statement. Lead-ins ending with ':' , self-description ("This article ...") and advice in the
imperative mood ("Consult a healthcare provider ...") are not claims. A list item under a
lead-in reads as the lead-in's continuation ("Symptoms of X: Chronic fatigue"), so the verifier
and the retriever see that context while the claim keeps its own exact text and span.

In-text citations ("A randomized trial in <Journal> (2021)", "(<Organisation>, 2021)",
"<Author> et al. (2020)", "[3]") are found by shape only and linked to the article's reference
list by journal, author or organisation name, then year and title words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.audit.citations import design_of, journal_matches, parse_cited, surname
from assistant.text import fold, split_sentences, tokens
from assistant.types import Document

# --- in-text citations ------------------------------------------------------------------------
_YEAR = r"(?:19|20)\d{2}"
_CAP = r"[A-Z][\w'’&.\-]*"
_LINK_WORD = r"(?:of|and|the|for|in|on|&|de|der|und|y|et)"
_WORK = (
    r"(?i:study|studies|trial|trials|research|review|reviews|meta-analysis|meta-analyses|"
    r"analysis|analyses|paper|papers|report|reports|survey|surveys|experiment|experiments|"
    r"investigation|investigations|data|work|findings|evidence)"
)
# "<designator> (published) in (the) <Journal Name> (<year>)"
_JOURNAL_RE = re.compile(
    rf"(?:\b(?:[\w-]+\s+){{0,3}}?{_WORK}\s+)?(?:(?i:published|appearing|reported)\s+)?"
    rf"\bin\s+(?:[Tt]he\s+)?(?P<journal>{_CAP}(?:\s+(?:{_CAP}|{_LINK_WORD}))*?)"
    rf"\s*[(,]\s*(?P<year>{_YEAR})[a-z]?\)?"
)
# "<Surname> et al. (2020)", "<Surname> and <Surname> (2020)"
_NARRATIVE_RE = re.compile(
    rf"\b(?P<names>[A-Z][\w'’\-]+(?:\s+et\s+al\.?|\s+(?:and|&)\s+[A-Z][\w'’\-]+))"
    rf",?\s+\((?P<year>{_YEAR})[a-z]?\)"
)
_PAREN_RE = re.compile(rf"\((?P<body>[^()]*?{_YEAR}[a-z]?)\)")
_PAREN_PART_RE = re.compile(
    rf"(?<![^\s(;])(?P<names>[A-Z][^\d;()]*?),?\s+(?P<year>{_YEAR})[a-z]?(?=\s*[;)])"
)
_NUMERIC_RE = re.compile(r"\[(?P<body>\d{1,3}(?:\s*[-–,]\s*\d{1,3})*)\]")
_ET_AL = re.compile(r"\s+et\s+al\.?", re.I)


@dataclass(frozen=True)
class Mention:
    """One in-text citation: what the article says it cites, where, and its checkable facts."""

    text: str
    start: int
    end: int
    kind: str  # "journal" | "author" | "organization" | "number"
    journal: str | None = None
    year: int | None = None
    names: tuple[str, ...] = ()
    numbers: tuple[int, ...] = ()
    design: str | None = None  # canonical study design the wording names, if any


def _numbers(body: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in re.split(r"\s*,\s*", body):
        lo, _, hi = part.partition("-") if "-" in part else part.partition("–")
        if hi.strip().isdigit() and int(hi) - int(lo) < 50:
            out += range(int(lo), int(hi) + 1)
        elif lo.strip().isdigit():
            out.append(int(lo))
    return tuple(out)


def _names(raw: str) -> tuple[str, tuple[str, ...]]:
    """'Smith & Jones' -> author names; 'National Institutes of Health' -> an organisation."""
    name = _ET_AL.sub("", raw).strip().rstrip(",")
    parts = [p.strip() for p in re.split(r"\s*(?:&|\band\b)\s*", name) if p.strip()]
    if _ET_AL.search(raw) or all(len(p.split()) == 1 for p in parts):
        return "author", tuple(parts)
    return "organization", (name,)


def find_mentions(text: str, offset: int = 0) -> list[Mention]:
    """In-text citations in ``text`` (spans absolute: ``offset`` is where text starts)."""
    found: list[Mention] = []

    def add(start: int, end: int, kind: str, **facts: object) -> None:
        if any(start < m.end - offset and m.start - offset < end for m in found):
            return
        found.append(Mention(text[start:end], offset + start, offset + end, kind, **facts))

    for m in _JOURNAL_RE.finditer(text):
        design = design_of(m.group(0))
        start = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
        add(
            start,
            m.end(),
            "journal",
            journal=m["journal"].strip(),
            year=int(m["year"]),
            design=design[0] if design else None,
        )
    for m in _NARRATIVE_RE.finditer(text):
        kind, names = _names(m["names"])
        add(m.start(), m.end(), kind, year=int(m["year"]), names=names)
    for m in _PAREN_RE.finditer(text):  # "(Org, 2021)", "(Smith & Jones, 2019; Lee, 2020)"
        for p in _PAREN_PART_RE.finditer(text, m.start() + 1, m.end()):
            kind, names = _names(p["names"])
            add(p.start(), p.end(), kind, year=int(p["year"]), names=names)
    for m in _NUMERIC_RE.finditer(text):
        add(m.start(), m.end(), "number", numbers=_numbers(m["body"]))
    return sorted(found, key=lambda x: x.start)


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- claims -------------------------------------------------------------------------------------
# Base-form verbs that open advice in the imperative ("Take ... with meals"). Generic English
# advice vocabulary; a sentence opening with one of these has no subject, so it is advice.
ADVICE_VERBS = _word_set(
    """add adhere adopt aim apply ask avoid be begin buy call check choose combine consider
    consult continue cut decrease discuss divide do don't drink eat ensure exercise explore find
    follow get give go hydrate include incorporate increase inform keep learn let limit look
    maintain make massage maximize maximise measure minimize minimise mix monitor note order pair
    pick plan practice practise protect read record remember replace rest rinse schedule see
    seek shop skip sleep speak split start stay stick stop store supplement swap switch take
    talk tell test track try use visit wait wash watch"""
)
_LEADING_ADVERB = re.compile(
    r"^(?:always|never|please|also|then|first|finally|just|simply|regularly|instead|ideally)\s+",
    re.I,
)
_PURPOSE_CLAUSE = re.compile(r"^(?:to|for|if|when|before|after|during)\b[^,:;]{0,80},\s+", re.I)
_LABEL = re.compile(r"^(?P<label>[^:.!?]{1,60}):\s+(?=\S)")
_SELF_REFERENCE = re.compile(
    r"^(?:this|the present|our)\s+(?:article|post|guide|page|piece|blog|review)\b"
    r"|\bin this (?:article|post|guide|page)\b|^(?:we|i)\s+(?:will|'ll|’ll)\b|^read on\b",
    re.I,
)
_FUTURE_WORK = re.compile(
    r"\b(?:further|future|more|additional)\s+(?:research|studies|trials|work|investigation)\b"
    r"|\bresearch directions?\b|\bremains? (?:to be|unclear|unknown)\b",
    re.I,
)
# Generic cues that a statement is checkable: quantities, study language, effect and causal
# verbs, hedges, safety, prevalence, requirement and definition.
_CUES: dict[str, re.Pattern[str]] = {
    "number": re.compile(r"\d|\b(?:half|third|quarter|twice|double|triple|fold)\b", re.I),
    "study": re.compile(
        r"\b(?:stud(?:y|ies)|trials?|research|evidence|meta-analys[ie]s|reviews?|clinical|"
        r"scientific(?:ally)?|found|show(?:s|ed|n)|demonstrat\w*|report\w*|confirm\w*|"
        r"observ\w*|associat\w*|linked)\b",
        re.I,
    ),
    "effect": re.compile(
        r"\b(?:reduc|increas|improv|enhanc|promot|prevent|caus|lead|result|impair|damag|"
        r"weaken|protect|support|regulat|modulat|inhibit|lower|rais|boost|restor|neutrali|"
        r"mitigat|trigger|contribut|affect|disrupt|help|benefi|hinder|exacerbat|accelerat|"
        r"stimulat|relax|deliver|depend|complement|nourish|repair|heal|treat|cur|slow)\w*",
        re.I,
    ),
    "hedge": re.compile(r"\b(?:can|may|might|could|often|typically|generally|usually)\b", re.I),
    "safety": re.compile(
        r"\b(?:safe\w*|side effects?|tolera\w*|toxic\w*|adverse|overdose|excessive|symptoms?)\b",
        re.I,
    ),
    "prevalence": re.compile(r"\b(?:prevalen\w*|common|rare|population|deficien\w*|risk)\b", re.I),
    "requirement": re.compile(
        r"\b(?:essential|necessary|crucial|critical|vital|required?s?|needed)\b", re.I
    ),
    "definition": re.compile(r"\b(?:is|are|was|were)\b|\b(?:form|type)\s+of\b", re.I),
}


@dataclass(frozen=True)
class Claim:
    """A checkable statement of the article: exact text and span, and what it cites."""

    text: str
    start: int
    end: int
    section: tuple[str, ...]
    kind: str  # the block kind: paragraph, list_item...
    context: str  # what retrieval and the verifier read (lead-in + claim, citations removed)
    statement: str  # the claim itself with its citations removed (no lead-in)
    mentions: tuple[Mention, ...] = ()
    cues: tuple[str, ...] = ()
    lead_in: str | None = None


def strip_label(text: str) -> tuple[str | None, str]:
    """'Study Insight: Research found ...' -> ('Study Insight', 'Research found ...')."""
    m = _LABEL.match(text)
    return (m["label"], text[m.end() :]) if m else (None, text)


def is_imperative(text: str) -> bool:
    """Advice: the sentence (or its label) opens with a bare verb, after any purpose clause
    ("To ensure safety, adhere ...") and leading adverb ("Always consult ...")."""
    label, body = strip_label(text.strip())
    for part in (label, body):
        if not part:
            continue
        part = _LEADING_ADVERB.sub("", _PURPOSE_CLAUSE.sub("", part.strip()))
        first = re.match(r"[A-Za-z'’]+", part)
        if first and first.group(0).lower().replace("’", "'") in ADVICE_VERBS:
            return True
    return False


def claim_cues(text: str) -> tuple[str, ...]:
    return tuple(name for name, pattern in _CUES.items() if pattern.search(text))


def _without_mentions(text: str, start: int, mentions: tuple[Mention, ...]) -> str:
    """The statement with its citations taken out (a journal citation keeps its designator:
    'A randomized trial in Nutrients (2021) showed' -> 'A randomized trial showed')."""
    out, pos = [], 0
    for m in mentions:
        out.append(text[pos : m.start - start])
        if m.kind == "journal":
            out.append(
                re.split(
                    r"(?:^|\s+)(?:(?i:published|appearing|reported)\s+)?in\s+", m.text, maxsplit=1
                )[0]
            )
        pos = m.end - start
    out.append(text[pos:])
    joined = re.sub(r"\(\s*[;,\s]*\)", "", "".join(out))  # parentheses left empty
    return re.sub(r"\s+([,.;:])", r"\1", " ".join(joined.split()))


@dataclass
class _Lead:
    text: str
    advice: bool
    future: bool


def extract_claims(doc: Document) -> list[Claim]:
    """The checkable claims of an article's body blocks, in document order."""
    claims: list[Claim] = []
    lead: _Lead | None = None
    for block in sorted(doc.body_blocks(), key=lambda b: b.start):
        section_text = " ".join(block.section)
        if block.kind != "list_item":
            lead = None
        for s, e in split_sentences(doc.text, block.start, block.end):
            text = doc.text[s:e]
            if text.rstrip().endswith(":"):  # a lead-in: its items carry the claims
                lead = _Lead(text, is_imperative(text), bool(_FUTURE_WORK.search(text)))
                continue
            if _SELF_REFERENCE.search(text) or is_imperative(text):
                continue
            if _FUTURE_WORK.search(section_text) or (lead and lead.future):
                continue
            under = lead.text if lead and block.kind == "list_item" else None
            mentions = tuple(find_mentions(text, s))
            statement = _without_mentions(text, s, mentions)
            context = f"{under} {statement}" if under else statement
            cues = claim_cues(context if under else text)
            if not cues:
                continue
            claims.append(
                Claim(
                    text, s, e, block.section, block.kind, context, statement, mentions, cues, under
                )
            )
    return claims


# A claim's dependent clauses ("..., reducing cortisol and mitigating hair loss") are further
# claims: a source that backs the main clause alone backs the sentence only in part.
_CLAUSE_BREAK = re.compile(
    r";\s*|,\s+(?=(?:\w+ing|which|thereby|thus|leading|resulting|making)\b)", re.I
)


def clauses(statement: str) -> list[str]:
    """The statement's main clause, then its dependent clauses (each at least 3 words)."""
    _, body = strip_label(statement)
    parts = [p.strip(" ,.;") for p in _CLAUSE_BREAK.split(body)]
    parts = [p for p in parts if len(p.split()) >= 3]
    return parts if len(parts) > 1 else [statement]


# --- the reference list and links -------------------------------------------------------------
@dataclass(frozen=True)
class ReferenceFacts:
    """What is known about one entry of the reference list, for linking and checking."""

    number: int
    cited_as: str
    label: str  # short human form for reasons: "Veronese et al. 2022, Nutrients"
    journals: tuple[str, ...]
    years: tuple[int, ...]
    surnames: tuple[str, ...]
    title: str
    searchable: str  # folded text an organisation name may appear in
    actual: dict = field(default_factory=dict)  # the verified facts (fetched or recorded)
    document: str | None = None  # id of the reference's document in the corpus
    provenance: str | None = None
    status: str | None = None
    remark: str | None = None


def _label(
    number: int, surnames: list[str], year: int | None, journal: str | None, title: str
) -> str:
    who = ""
    if surnames:
        who = surnames[0].title() + (" et al." if len(surnames) > 1 else "")
    head = " ".join(str(x) for x in (who, year) if x) or title[:60]
    return f"reference {number} ({head}{', ' + journal if journal else ''})"


def reference_facts(article: Document, references: list[Document]) -> list[ReferenceFacts]:
    """One ReferenceFacts per numbered entry: the article's wording (cited_as) merged with the
    facts its reference document carries (fetched metadata or the references.toml record)."""
    by_number = {d.reference: d for d in references if d.reference is not None}
    numbers = sorted({e.number for e in article.references} | set(by_number))
    entries = {e.number: e for e in article.references}
    out = []
    for n in numbers:
        doc = by_number.get(n)
        meta = dict(doc.meta) if doc else {}
        cited_as = str(meta.get("cited_as") or (entries[n].cited_as if n in entries else ""))
        parsed = parse_cited(cited_as, [])
        actual = {k: v for k, v in meta.items() if k not in ("cited_as", "remark", "status")}
        journals = [j for j in (actual.get("journal"), *parsed["journals"]) if j]
        years = {int(y) for y in parsed["years"]}
        for key in ("year", "published"):
            if str(actual.get(key) or "")[:4].isdigit():
                years.add(int(str(actual[key])[:4]))
        surnames = [surname(a) for a in actual.get("authors") or [] if a.strip()]
        surnames += [fold(a) for a in parsed["authors"]]
        title = str(actual.get("title") or parsed.get("title") or "")
        searchable = fold(
            " ".join(
                [
                    cited_as,
                    title,
                    *journals,
                    *(actual.get("authors") or []),
                    str(actual.get("publisher") or ""),
                ]
            )
        )
        year = min(years) if years else None
        out.append(
            ReferenceFacts(
                number=n,
                cited_as=cited_as,
                label=_label(
                    n,
                    list(dict.fromkeys(surnames)),
                    actual.get("year") or year,
                    journals[0] if journals else None,
                    title,
                ),
                journals=tuple(dict.fromkeys(journals)),
                years=tuple(sorted(years)),
                surnames=tuple(dict.fromkeys(surnames)),
                title=title,
                searchable=searchable,
                actual=actual,
                document=doc.id if doc else None,
                provenance=doc.provenance if doc else None,
                status=meta.get("status"),
                remark=meta.get("remark"),
            )
        )
    return out


@dataclass(frozen=True)
class Link:
    mention: Mention
    reference: ReferenceFacts | None  # None: the cited work is not in the reference list
    candidates: tuple[int, ...] = ()  # every entry that matched the name, best first


def _title_overlap(context: str, ref: ReferenceFacts) -> float:
    want = tokens(ref.title)
    return len(want & tokens(context)) / len(want) if want else 0.0


def link_mention(mention: Mention, context: str, refs: list[ReferenceFacts]) -> Link:
    """The reference-list entry a citation points to: by journal, author or organisation name
    (or its number), then the closest year and the most title words shared with the claim."""
    if mention.kind == "number":
        hits = [r for r in refs if r.number in mention.numbers]
        return Link(mention, hits[0] if hits else None, tuple(r.number for r in hits))
    if mention.kind == "journal":
        hits = [r for r in refs if journal_matches(mention.journal or "", list(r.journals))]
    elif mention.kind == "author":
        wanted = [fold(n.split()[-1]) for n in mention.names]
        hits = [r for r in refs if all(w in r.surnames for w in wanted)]
    else:
        name = fold(" ".join(mention.names))
        hits = [r for r in refs if name and name in r.searchable]

    def rank(r: ReferenceFacts) -> tuple[float, ...]:
        gap = min((abs(y - mention.year) for y in r.years), default=99) if mention.year else 0
        return (-gap, _title_overlap(context, r), -r.number)

    hits.sort(key=rank, reverse=True)
    return Link(mention, hits[0] if hits else None, tuple(r.number for r in hits))
