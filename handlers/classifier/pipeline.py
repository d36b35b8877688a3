"""The three models that make a classification, and how they are trained."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypedDict

from .features import ACUTE_TAGS, Features, extract
from .model import LinearModel, fit

L2 = 0.02
L2_WORDS = 0.02

CATEGORIES: tuple[str, ...] = (
    "dispute", "noise", "theft", "fraud", "missing_person", "lost_found", "traffic",
    "safety_hazard", "violence", "household_services", "help", "non_police", "none",
)  # fmt: skip
REPORT_CATEGORIES = CATEGORIES[:-1]

# Missing an urgent report costs far more than a false alarm, so the cut is low.
URGENT_THRESHOLD = 0.2
REPORT_THRESHOLD = 0.5


class Example(TypedDict):
    """One labelled message (the fields training needs)."""

    text: str
    is_report: bool
    category: str
    urgent: bool


@dataclass(frozen=True, slots=True)
class Bundle:
    """is-report, category (reports only) and urgency (reports only) models."""

    report: LinearModel
    category: LinearModel
    urgent: LinearModel

    def predict(self, feats: Features) -> tuple[bool, str, bool, float]:
        """(is_report, category, urgent, report confidence) for one feature dict."""
        p_report = self.report.proba(feats)[1]
        if p_report < REPORT_THRESHOLD and not any(t in feats for t in _RULE_TRIGGERS):
            return False, "none", False, p_report  # fast path: the rule below cannot fire
        category, probs = self._category(feats)
        by_rule = urgent_by_rule(feats, category)
        if p_report < REPORT_THRESHOLD:
            # Safety first: what the README calls urgent is never dismissed as chatter,
            # unless the message reads as news, a notice, thanks or a joke.
            chatter = any(t in feats for t in _CHATTER_TAGS)
            if chatter or not by_rule:
                return False, "none", False, p_report
            p_report = REPORT_THRESHOLD
        return True, category, self._urgent(feats, probs) or by_rule, p_report

    def predict_report(self, feats: Features) -> tuple[str, bool, float]:
        """(category, urgent, report confidence) for a message its author says is a report."""
        category, probs = self._category(feats)
        urgent = self._urgent(feats, probs) or urgent_by_rule(feats, category)
        return category, urgent, self.report.proba(feats)[1]

    def _category(self, feats: Features) -> tuple[str, list[float]]:
        probs = self.category.proba(feats)
        return self.category.classes[probs.index(max(probs))], probs

    def _urgent(self, feats: Features, probs: list[float]) -> bool:
        # The category is a strong urgency cue (violence now vs. a lost ID card). The model
        # is trained on gold categories; here probabilities stand in for them, so one
        # category slip does not hide urgency.
        urgent_feats = dict(feats)
        for name, prob in zip(self.category.classes, probs, strict=True):
            urgent_feats["cat:" + name] = prob
        return self.urgent.proba(urgent_feats)[1] >= URGENT_THRESHOLD

    def to_json(self) -> str:
        parts = {"report": self.report, "category": self.category, "urgent": self.urgent}
        return json.dumps({k: m.to_json() for k, m in parts.items()}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Bundle:
        data: Mapping[str, Mapping[str, object]] = json.loads(raw)
        return cls(
            report=LinearModel.from_json(data["report"]),
            category=LinearModel.from_json(data["category"]),
            urgent=LinearModel.from_json(data["urgent"]),
        )


# Categories where the README's "minutes matter" cases live; the rest never are by rule.
_RULE_CATEGORIES = frozenset(
    {"violence", "missing_person", "safety_hazard", "help", "traffic", "fraud", "theft"}
)


_CHATTER_TAGS = (
    "t:n_media", "t:n_notice", "t:n_resolved", "t:n_thanks", "t:n_laugh", "t:n_passing",
)  # fmt: skip


_VULNERABLE = ("t:u_missing_vuln", "age:child", "age:old")
_RULE_TRIGGERS = ACUTE_TAGS + _VULNERABLE
_NEEDS_NOW = frozenset({"t:u_intrusion", "t:u_fraud_live"})


def urgent_by_rule(feats: Features, category: str) -> bool:
    """README urgency made explicit, so it holds for phrasings the model never saw.

    Acute danger (fire, gas, injury, someone trapped, an attack, a scam call in
    progress, a break-in) that is not told as past or hypothetical; or a child,
    an elderly or vulnerable person missing for hours rather than days.
    """
    if category not in _RULE_CATEGORIES or "x:past_only" in feats:
        return False
    if any(tag in feats for tag in ("t:u_hypo", "t:u_long", "t:u_calm")):
        return False
    if category == "missing_person":
        return any(tag in feats for tag in _VULNERABLE)
    now = "t:u_now" in feats
    # A pried lock or a scam call is only urgent while it is still going on.
    return any(tag in feats for tag in ACUTE_TAGS if now or tag not in _NEEDS_NOW)


def train(examples: Iterable[Example]) -> Bundle:
    """Fit the bundle on labelled examples (numpy needed here only)."""
    items = [(extract(ex["text"]), ex) for ex in examples]
    return train_features(items)


def train_features(items: list[tuple[Features, Example]]) -> Bundle:
    """Fit the bundle on pre-extracted features (lets cross-validation extract once)."""
    rows = [f for f, _ in items]
    report = fit(
        rows,
        ["yes" if ex["is_report"] else "no" for _, ex in items],
        ("no", "yes"),
        l2=L2,
        l2_words=L2_WORDS,
    )
    reports = [(f, ex) for f, ex in items if ex["is_report"]]
    category = fit(
        [f for f, _ in reports],
        [ex["category"] for _, ex in reports],
        REPORT_CATEGORIES,
        l2=L2,
        l2_words=L2_WORDS,
    )
    urgent_rows = [{**f, "cat:" + ex["category"]: 1.0} for f, ex in reports]
    urgent = fit(
        urgent_rows,
        ["yes" if ex["urgent"] else "no" for _, ex in reports],
        ("no", "yes"),
        class_weight={"yes": 2.0},
        l2=L2,
        l2_words=L2_WORDS,
    )
    return Bundle(report, category, urgent)
