"""Evaluation: the question-set eval of answers, retrieval, citations and declines.

Owns the question file format and its gold checks, the metrics (retrieval, ALCE citation
precision / recall, quotes, key facts), the run over the set, and its reports and chart.
"""

from assistant.evaluation.metrics import hits_from_ids, mean, ndcg_at_k, percentile, recall_at_k
from assistant.evaluation.questions import load_questions
from assistant.evaluation.report import default_out_dir, format_summary, write_reports
from assistant.evaluation.run import run_eval

__all__ = [
    "default_out_dir",
    "format_summary",
    "hits_from_ids",
    "load_questions",
    "mean",
    "ndcg_at_k",
    "percentile",
    "recall_at_k",
    "run_eval",
    "write_reports",
]
