"""Audit: the article's claims, checked against its references -> ``ClaimVerdict``.

Owns claim extraction and in-text citation linking, the citation check (is each reference
link what the article cites?), evidence gathering, verdicts with reasons, the cached report
beside the index, and its text / Markdown / gold formats.
"""

from assistant.audit.reference_list import check_reference_list, source_overview
from assistant.audit.run import (
    AuditReport,
    audit_lookup,
    evaluate_audit_gold,
    format_gold,
    format_markdown,
    format_text,
    load_or_run_audit,
    run_audit,
)

__all__ = [
    "AuditReport",
    "audit_lookup",
    "check_reference_list",
    "evaluate_audit_gold",
    "format_gold",
    "format_markdown",
    "format_text",
    "load_or_run_audit",
    "run_audit",
    "source_overview",
]
