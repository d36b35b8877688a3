"""Offline classifier for grid-group messages: is it a report, what kind, is it urgent.

Pure Python at run time (jieba for segmentation); nothing is loaded at import.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import resources

from .features import extract
from .pipeline import CATEGORIES, Bundle

__all__ = ["CATEGORIES", "Classification", "Classifier"]


@dataclass(frozen=True, slots=True)
class Classification:
    """Result for one message."""

    is_report: bool
    category: str  # one of CATEGORIES; "none" iff not is_report
    urgent: bool  # never True when not is_report
    confidence: float  # 0..1, how sure it is a report


class Classifier:
    """Classifies messages with a trained bundle of linear models over lexicon cues."""

    __slots__ = ("_bundle",)

    def __init__(self, bundle: Bundle) -> None:
        self._bundle = bundle

    @classmethod
    def default(cls) -> Classifier:
        """The shipped model, loaded once per process on first use."""
        global _default  # noqa: PLW0603 - lazy process-wide cache
        if _default is None:
            with _lock:
                if _default is None:
                    raw = resources.files(__package__).joinpath("model.json").read_text("utf-8")
                    _default = cls(Bundle.from_json(raw))
        return _default

    def classify(self, text: str) -> Classification:
        """Classify one message (any of zh, zh-Hant, en or a mix)."""
        is_report, category, urgent, confidence = self._bundle.predict(extract(text))
        return Classification(is_report, category, urgent, round(confidence, 4))

    def classify_report(self, text: str) -> Classification:
        """Category and urgency of a message its author tagged as a report."""
        category, urgent, confidence = self._bundle.predict_report(extract(text))
        return Classification(True, category, urgent, round(confidence, 4))


_lock = threading.Lock()
_default: Classifier | None = None
