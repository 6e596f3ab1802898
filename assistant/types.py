"""The one chain of data the pipeline passes along.

    Document -> Chunk -> Evidence -> Answer
    article claims -> ClaimVerdict

Plain dataclasses: LangChain and Chroma types stay inside the modules that wrap them.
Every span is a half-open character range ``[start, end)`` into ``Document.text``, so
``document.text[start:end]`` is always the exact quoted text.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

DocumentKind = Literal["article", "reference"]
Provenance = Literal["full_text", "curated_notes", "metadata_only"]
Verdict = Literal["supported", "partial", "unsupported", "contradicted", "miscited"]

PROVENANCE_LABELS: dict[str, str] = {
    "full_text": "full text",
    "curated_notes": "curated notes, not the authors' words",
    "metadata_only": "metadata only",
}

# Block kinds. Only BODY_KINDS are indexed and can hold claims; the rest are kept,
# labelled, so that nothing in the source is silently dropped or mistaken for a claim.
BODY_KINDS = frozenset({"paragraph", "list_item", "caption", "table"})
HEADING = "heading"


@dataclass(frozen=True)
class Block:
    """One structural unit of a document's text: a heading, paragraph, list item...

    ``section`` is the path of headings above the block (outermost first).
    """

    kind: str
    start: int
    end: int
    section: tuple[str, ...] = ()

    @property
    def is_body(self) -> bool:
        return self.kind in BODY_KINDS


@dataclass
class ReferenceRecord:
    """One entry of an article's reference list: the one record of a reference.

    Read from a ``[[reference]]`` entry of references.toml (only number and cited_as are
    required) or parsed from the article's own list (then ``start``/``end`` locate the entry
    in the article's text)."""

    number: int
    cited_as: str
    url: str | None = None
    pmcid: str | None = None
    pmid: str | None = None
    doi: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    journal: str | None = None
    year: int | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    published: str | None = None
    study_type: str | None = None
    status: str | None = None
    remark: str | None = None
    notes: str | None = None
    licence: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know
    start: int = 0  # the entry's span in the article, when parsed from it
    end: int = 0

    def bibliographic(self) -> dict[str, Any]:
        """The known bibliographic facts, for Document.meta (unknown ones left out)."""
        out: dict[str, Any] = {}
        for name in BIBLIOGRAPHIC_FIELDS:
            value = getattr(self, name)
            if value not in (None, "", []):
                out[name] = list(value) if isinstance(value, list) else value
        return out


# The record's facts about the paper (all fields but the number, link, notes file and span).
BIBLIOGRAPHIC_FIELDS = tuple(
    f.name
    for f in fields(ReferenceRecord)
    if f.name not in ("number", "url", "notes", "extra", "start", "end")
)


@dataclass
class Document:
    """A source the assistant can quote: the article, or one of its references."""

    id: str
    kind: DocumentKind
    title: str
    text: str
    blocks: list[Block]
    provenance: Provenance = "full_text"
    citation: str = ""
    url: str | None = None
    licence: str | None = None
    reference: int | None = None
    notice: str | None = None  # must travel with every quote (e.g. "not the authors' text")
    meta: dict[str, Any] = field(default_factory=dict)
    references: list[ReferenceRecord] = field(default_factory=list)  # articles only

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        for part in (self.id, self.kind, self.title, self.provenance, self.url or "", self.text):
            h.update(part.encode("utf-8"))
            h.update(b"\0")
        h.update(repr(sorted(self.meta.items())).encode("utf-8"))
        h.update(repr([(b.kind, b.start, b.end, b.section) for b in self.blocks]).encode())
        return h.hexdigest()[:16]

    def body_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.is_body]

    @property
    def sections(self) -> list[tuple[str, ...]]:
        """The document's section paths in reading order, each once: its outline. (The text
        of a section is the blocks that carry its path.)"""
        return list(dict.fromkeys(b.section for b in self.blocks if b.section))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: how parsed documents are cached under index/sources/."""
        d = asdict(self)
        d["blocks"] = [[b.kind, b.start, b.end, list(b.section)] for b in self.blocks]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        d = dict(d)
        d["blocks"] = [Block(k, s, e, tuple(sec)) for k, s, e, sec in d.get("blocks", [])]
        d["references"] = [ReferenceRecord(**r) for r in d.get("references", [])]
        return cls(**d)


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: consecutive body blocks of one section of one document."""

    id: str
    document_id: str
    section: tuple[str, ...]
    paragraph: int  # index of the first block among the document's body blocks
    start: int
    end: int
    text: str  # == document.text[start:end]
    sentences: tuple[tuple[int, int], ...]  # absolute spans, each inside [start, end)
    kind: DocumentKind = "article"
    provenance: Provenance = "full_text"
    reference: int | None = None
    title: str = ""
    url: str | None = None
    notice: str | None = None

    def embed_text(self) -> str:
        """What is embedded: the passage with its title and section as context."""
        context = " > ".join(p for p in (self.title, *self.section) if p)
        return f"{context}\n{self.text}" if context else self.text

    def sentence_texts(self) -> list[str]:
        return [self.text[s - self.start : e - self.start] for s, e in self.sentences]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["section"] = list(self.section)
        d["sentences"] = [list(s) for s in self.sentences]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Chunk:
        d = dict(d)
        d["section"] = tuple(d.get("section") or ())
        d["sentences"] = tuple(tuple(s) for s in d.get("sentences") or ())
        return cls(**d)


@dataclass(frozen=True)
class Evidence:
    """A retrieved chunk, and optionally the one sentence of it that answers best."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    bm25_score: float | None = None
    sentence: tuple[int, int] | None = None  # absolute span of the selected sentence

    @property
    def quote(self) -> str:
        if self.sentence is None:
            return self.chunk.text
        s, e = self.sentence
        return self.chunk.text[s - self.chunk.start : e - self.chunk.start]


@dataclass(frozen=True)
class EvidenceQuote:
    document: str
    section: str
    quote: str
    provenance: Provenance
    reference: int | None = None
    start: int = 0
    end: int = 0
    url: str | None = None
    score: float | None = None
    # True: from a reference the claim cites; False: from another; None: it cites none with text
    cited: bool | None = None


@dataclass
class ClaimVerdict:
    claim: str
    span: tuple[int, int]
    section: str
    verdict: Verdict
    reason: str
    cited: str | None = None
    reference: int | None = None
    evidence: list[EvidenceQuote] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    summary: str = ""  # the reason in a sentence or two (audit.summary); reason has the rest
    context: str | None = None  # for a list item, the lead-in it continues


@dataclass(frozen=True)
class Citation:
    """Marker [n] of an answer and the evidence it quotes: everything shown about the quote
    (its document, section, span, provenance, link) is read from that evidence."""

    marker: int
    evidence: Evidence

    @property
    def document(self) -> str:  # document id
        return self.evidence.chunk.document_id

    @property
    def reference(self) -> int | str:  # reference number, or "article"
        c = self.evidence.chunk
        return c.reference if c.kind == "reference" and c.reference is not None else "article"

    @property
    def title(self) -> str:
        return self.evidence.chunk.title

    @property
    def section(self) -> str:
        return " > ".join(self.evidence.chunk.section)

    @property
    def span(self) -> tuple[int, int]:  # the quote's span: its sentence, else the passage
        return self.evidence.sentence or (self.evidence.chunk.start, self.evidence.chunk.end)

    @property
    def start(self) -> int:
        return self.span[0]

    @property
    def end(self) -> int:
        return self.span[1]

    @property
    def quote(self) -> str:
        return self.evidence.quote

    @property
    def provenance(self) -> Provenance:
        return self.evidence.chunk.provenance

    @property
    def url(self) -> str | None:
        return self.evidence.chunk.url

    @property
    def notice(self) -> str | None:
        return self.evidence.chunk.notice

    @property
    def passage(self) -> str:  # the whole passage the quote sits in, for display
        return self.evidence.chunk.text


@dataclass
class Answer:
    question: str
    text: str
    declined: bool
    citations: list[Citation] = field(default_factory=list)
    beyond_sources: list[ClaimVerdict] = field(default_factory=list)
    engine: str = "extractive"
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    confidence: float | None = None
    # a yes/no question's verdict (answer.direct.DIRECT_ANSWERS); None for other questions
    direct_answer: str | None = None
    # the marker of the quote an extractive answer's first line gives as the answer (what,
    # which, how-many questions; answer.extractive.lead_line); None when it has no such line
    lead: int | None = None
