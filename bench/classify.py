"""Cross-validated quality and throughput of the message classifier.

Run from the repo root: ``python -m bench.classify [DATA.jsonl] [--folds K]``.
Lexicons are fixed; the linear models are re-trained on each training fold only.
Always exits 0: it is a benchmark, the PASS/FAIL lines are for humans.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from handlers.classifier.features import extract
from handlers.classifier.pipeline import CATEGORIES, Example, train_features
from handlers.classifier.train import load_examples

# shared/ sits beside the repository, on a developer's machine and in CI alike.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "messages-dev.jsonl"
DEFAULT_DATA = Path(os.environ.get("GRIDBOT_DEV_DATA", str(SHARED_DATA)))
SEED = 20240601


@dataclass
class Prediction:
    """One held-out message with gold and predicted labels."""

    gold: Example
    lang: str
    is_report: bool
    category: str
    urgent: bool


@dataclass
class Metrics:
    """Scores over all held-out predictions."""

    report_p: float = 0.0
    report_r: float = 0.0
    report_f1: float = 0.0
    urgent_p: float = 0.0
    urgent_r: float = 0.0
    macro_f1: float = 0.0
    per_category: dict[str, float] = field(default_factory=dict)
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)
    lang_acc: dict[str, tuple[int, int]] = field(default_factory=dict)


def stratified_folds(examples: list[Example], k: int, seed: int = SEED) -> list[int]:
    """Fold number per example, balancing categories (and urgency) across folds."""
    rng = random.Random(seed)
    by_label: dict[tuple[str, bool], list[int]] = {}
    for i, ex in enumerate(examples):
        by_label.setdefault((ex["category"], ex["urgent"]), []).append(i)
    fold = [0] * len(examples)
    offset = 0
    for key in sorted(by_label):
        idx = by_label[key]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            fold[i] = (offset + j) % k
        offset += len(idx)  # continue the round-robin so small strata don't all hit fold 0
    return fold


def cross_validate(examples: list[Example], k: int = 5, seed: int = SEED) -> list[Prediction]:
    """Held-out predictions for every example, models trained without its fold."""
    feats = [extract(ex["text"]) for ex in examples]
    folds = stratified_folds(examples, k, seed)
    out: list[Prediction] = []
    for f in range(k):
        bundle = train_features(
            [(feats[i], examples[i]) for i in range(len(examples)) if folds[i] != f]
        )
        for i in (i for i in range(len(examples)) if folds[i] == f):
            rep, cat, urg, _ = bundle.predict(feats[i])
            lang = str(examples[i].get("lang", "?"))
            out.append(Prediction(examples[i], lang, rep, cat, urg))
    return out


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(preds: list[Prediction]) -> Metrics:
    """Aggregate held-out predictions into the figures the targets are about."""
    m = Metrics()
    rep = Counter((p.gold["is_report"], p.is_report) for p in preds)
    m.report_p, m.report_r, m.report_f1 = _prf(rep[True, True], rep[False, True], rep[True, False])
    urg = Counter((p.gold["urgent"], p.urgent) for p in preds)
    m.urgent_p, m.urgent_r, _ = _prf(urg[True, True], urg[False, True], urg[True, False])
    m.confusion = dict(Counter((p.gold["category"], p.category) for p in preds))
    for cat in CATEGORIES:
        tp = m.confusion.get((cat, cat), 0)
        fp = sum(v for (g, c), v in m.confusion.items() if c == cat and g != cat)
        fn = sum(v for (g, c), v in m.confusion.items() if g == cat and c != cat)
        m.per_category[cat] = _prf(tp, fp, fn)[2]
    m.macro_f1 = sum(m.per_category.values()) / len(CATEGORIES)
    for p in preds:
        ok = (p.is_report, p.category, p.urgent) == (
            p.gold["is_report"], p.gold["category"], p.gold["urgent"],
        )  # fmt: skip
        good, total = m.lang_acc.get(p.lang, (0, 0))
        m.lang_acc[p.lang] = (good + ok, total + 1)
    return m


def _confusion_table(m: Metrics) -> list[str]:
    short = [c[:6] for c in CATEGORIES]
    lines = ["gold \\ pred        " + " ".join(f"{s:>6}" for s in short)]
    for g in CATEGORIES:
        cells = " ".join(f"{m.confusion.get((g, c), 0) or '.':>6}" for c in CATEGORIES)
        lines.append(f"{g:<19}{cells}")
    return lines


def throughput(texts: list[str], n: int = 20_000) -> tuple[float, float]:
    """(start-up seconds, messages per second) of the shipped default classifier."""
    from handlers.classifier import Classifier

    t0 = time.perf_counter()
    clf = Classifier.default()
    clf.classify(texts[0])  # first call initialises jieba
    startup = time.perf_counter() - t0
    for text in texts[:200]:  # warm-up
        clf.classify(text)
    t0 = time.perf_counter()
    for i in range(n):
        clf.classify(texts[i % len(texts)])
    return startup, n / (time.perf_counter() - t0)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folds = 5
    if "--folds" in args:
        at = args.index("--folds")
        folds = int(args[at + 1])
        del args[at : at + 2]
    path = Path(args[0]) if args else DEFAULT_DATA
    examples = load_examples(path)
    texts = [ex["text"] for ex in examples]
    startup, rate = throughput(texts)  # first, so start-up is measured cold

    m = score(cross_validate(examples, folds))
    print(f"data: {path} ({len(examples)} messages), {folds}-fold stratified CV, seed {SEED}")
    print(f"is_report  P={m.report_p:.3f} R={m.report_r:.3f} F1={m.report_f1:.3f}")
    print(f"urgent     P={m.urgent_p:.3f} R={m.urgent_r:.3f}")
    print(f"category   macro-F1={m.macro_f1:.3f}")
    for cat in CATEGORIES:
        print(f"  {cat:<20}F1={m.per_category[cat]:.3f}")
    print("confusion (rows gold, columns predicted):")
    for line in _confusion_table(m):
        print("  " + line)
    print("per-language accuracy (is_report, category and urgent all right):")
    for lang, (good, total) in sorted(m.lang_acc.items()):
        print(f"  {lang:<8}{good / total:.3f} ({good}/{total})")
    print(f"start-up   {startup * 1000:.0f} ms (load model + init jieba + first message)")
    print(f"throughput {rate:,.0f} msg/s (one core, 20,000 messages after warm-up)")
    checks = [
        ("is_report F1 >= 0.90", m.report_f1 >= 0.90),
        ("urgent recall >= 0.95", m.urgent_r >= 0.95),
        ("urgent precision >= 0.60", m.urgent_p >= 0.60),
        ("category macro-F1 >= 0.80", m.macro_f1 >= 0.80),
        ("throughput >= 5,000 msg/s", rate >= 5000),
    ]
    for name, ok in checks:
        print(f"{_verdict(ok)}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
