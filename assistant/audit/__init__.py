"""Audit: the article's claims, checked against its references -> ``ClaimVerdict``.

Owns claim extraction (claims), in-text citations (mentions) and their links to the
reference list (linking), the citation check (citations, citing, reference_list: is each
reference link what the article cites?), evidence gathering (evidence), the verifier's part
(verify), verdicts with reasons (verdict), the cached report beside the index and the span
lookup answers use (cache), running it (run), its text / Markdown / gold formats (formats)
and the annotated article, a self-contained HTML report (annotated).
The audit runs only through ``run_audit`` or ``load_or_run_audit``; ``load_audit``
and ``audit_lookup`` (by default) only read a current cached report.
"""

from assistant.audit.annotated import VERDICT_MEANINGS, annotated_body, annotated_report
from assistant.audit.cache import VERDICTS, AuditReport, audit_lookup, load_audit
from assistant.audit.formats import (
    evaluate_audit_gold,
    format_counts,
    format_gold,
    format_markdown,
    format_text,
)
from assistant.audit.reference_list import check_reference_list, source_overview
from assistant.audit.run import audited_article, load_or_run_audit, run_audit

__all__ = [
    "VERDICTS",
    "VERDICT_MEANINGS",
    "AuditReport",
    "annotated_body",
    "annotated_report",
    "audit_lookup",
    "audited_article",
    "check_reference_list",
    "evaluate_audit_gold",
    "format_counts",
    "format_gold",
    "format_markdown",
    "format_text",
    "load_audit",
    "load_or_run_audit",
    "run_audit",
    "source_overview",
]
