"""Sparse linear (softmax) models: pure-python inference, numpy training."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .features import Features

# Lexicon tags and shape cues are few and general; words are many and specific,
# so only words seen at least this often in training get a weight.
_MIN_WORD_COUNT = 2


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Multinomial logistic regression over named sparse features."""

    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: Mapping[str, tuple[float, ...]]
    # Two-class models reduce to one logit per feature (w1 - w0): a scalar sum is
    # several times cheaper than updating a score list per feature.
    _delta: Mapping[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        binary = len(self.classes) == 2  # noqa: PLR2004
        delta = {f: row[1] - row[0] for f, row in self.weights.items()} if binary else {}
        object.__setattr__(self, "_delta", delta)

    def proba(self, feats: Features) -> list[float]:
        """Class probabilities for one feature dict."""
        if self._delta:
            return self._binary(feats)
        scores = list(self.bias)
        weights = self.weights
        for name, value in feats.items():
            row = weights.get(name)
            if row is not None:
                scores = [s + w * value for s, w in zip(scores, row)]  # noqa: B905 - hot path
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def _binary(self, feats: Features) -> list[float]:
        delta = self._delta
        z = self.bias[1] - self.bias[0]
        for name, value in feats.items():
            w = delta.get(name)
            if w is not None:
                z += w * value
        # Clamp so exp() cannot overflow on absurd inputs.
        p = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
        return [1.0 - p, p]

    def to_json(self) -> dict[str, object]:
        """Plain-JSON form; weights rounded since 4 decimals change nothing."""
        return {
            "classes": list(self.classes),
            "bias": [round(b, 4) for b in self.bias],
            "weights": {f: [round(x, 4) for x in row] for f, row in sorted(self.weights.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> LinearModel:
        classes, bias, weights = data["classes"], data["bias"], data["weights"]
        if not (isinstance(classes, list) and isinstance(bias, list)):
            raise ValueError("model file: classes and bias must be lists")
        if not isinstance(weights, dict):
            raise ValueError("model file: weights must be an object")
        return cls(
            classes=tuple(str(c) for c in classes),
            bias=tuple(float(b) for b in bias),
            weights={str(f): tuple(float(x) for x in row) for f, row in weights.items()},
        )


def fit(
    rows: Sequence[Features],
    labels: Sequence[str],
    classes: Sequence[str],
    *,
    l2: float = 0.02,
    l2_words: float | None = None,
    iters: int = 300,
    class_weight: Mapping[str, float] | None = None,
) -> LinearModel:
    """Train a softmax regression with L2 by full-batch Adam (numpy, train time only)."""
    import numpy as np

    counts: dict[str, int] = {}
    for feats in rows:
        for name in feats:
            counts[name] = counts.get(name, 0) + 1
    vocab = sorted(n for n, c in counts.items() if not n.startswith("w:") or c >= _MIN_WORD_COUNT)
    col = {n: i for i, n in enumerate(vocab)}
    x = np.zeros((len(rows), len(vocab)))
    for i, feats in enumerate(rows):
        for name, value in feats.items():
            j = col.get(name)
            if j is not None:
                x[i, j] = value
    cls_index = {c: i for i, c in enumerate(classes)}
    y = np.zeros((len(rows), len(classes)))
    y[np.arange(len(rows)), [cls_index[lab] for lab in labels]] = 1.0
    sample_w = np.array([(class_weight or {}).get(lab, 1.0) for lab in labels])
    sample_w = sample_w / sample_w.sum()

    # Words can get a stronger penalty than lexicon tags: tags carry across languages
    # and phrasings, words mostly describe the training sentences.
    penalty = np.array(
        [l2 if not n.startswith("w:") or l2_words is None else l2_words for n in vocab]
    )[:, None]
    w = np.zeros((len(vocab), len(classes)))
    b = np.zeros(len(classes))
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
    for step in range(1, iters + 1):
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        err = (p - y) * sample_w[:, None]
        g_w = x.T @ err + penalty * w
        g_b = err.sum(axis=0)
        _adam_step(w, g_w, m_w, v_w, step)
        _adam_step(b, g_b, m_b, v_b, step)
    weights = {
        name: tuple(float(x) for x in w[j])
        for name, j in col.items()
        if float(np.abs(w[j]).max()) > 1e-3  # noqa: PLR2004 - drop dead weights
    }
    return LinearModel(tuple(classes), tuple(float(v) for v in b), weights)


def _adam_step(param: Any, grad: Any, m: Any, v: Any, step: int) -> None:
    """One in-place Adam update (arrays are numpy; typed loosely so numpy stays optional)."""
    import numpy as np

    lr, beta1, beta2, eps = 0.1, 0.9, 0.999, 1e-8
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1**step)
    v_hat = v / (1 - beta2**step)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
