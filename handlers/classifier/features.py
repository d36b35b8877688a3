"""Turn a message into sparse features: lexicon tags, jieba words, a few shape cues."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from .lexicon import Matcher, default_matcher
from .normalize import normalize

if TYPE_CHECKING:
    import jieba

Features = dict[str, float]

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None

# Ages like "3岁" / "八十一岁" / "10 yrs": young children and old people raise urgency.
_AGE = re.compile(r"(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(?:岁|周岁|yrs?\b|years? old)")
_CN_DIGITS = {ch: i for i, ch in enumerate("一二三四五六七八九", start=1)} | {"两": 2}
# WeChat sends stickers as text codes like "[抱拳]" or "[Facepalm]"; their words
# ("拳", "炸弹") are not about the message, so they are cut out before matching.
_WECHAT_CODE = re.compile(r"\[[^\[\]\s]{1,8}\]")
_SKIP = frozenset(" \t\r\n,.!?;:~…、,。!?;:\"'()()[]【】《》“”‘’-—_/\\|*#@")
_TAG_CAP = 3.0
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[a-z]")


# jieba's own dictionary has 349,000 words and costs about 70 MB once loaded. The
# classifier segments with a small one instead (train.build_wordlist): every single
# character, jieba's 20,000 most frequent words and the lexicon words jieba knows.
WORDLIST_PATH = Path(__file__).with_name("words.txt")


def _jieba() -> jieba.Tokenizer:
    """A private, lazily initialised jieba tokenizer (keeps the global one untouched)."""
    global _tokenizer  # noqa: PLW0603 - one shared tokenizer per process is the point
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                # jieba logs "Building prefix dict..." at DEBUG/INFO on first use.
                logging.getLogger("jieba").setLevel(logging.WARNING)
                tok = jieba.Tokenizer(dictionary=str(WORDLIST_PATH))
                tok.initialize()
                _tokenizer = tok
    return _tokenizer


def _cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text.startswith("十"):
        text = "一" + text
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0)
    return _CN_DIGITS.get(text, 0)


def _age_cues(text: str, out: Features) -> None:
    for match in _AGE.finditer(text):
        age = _cn_number(match.group(1))
        if 0 < age <= 12:  # noqa: PLR2004 - a child who cannot look after themself
            out["age:child"] = 1.0
        elif age >= 65:  # noqa: PLR2004 - elderly
            out["age:old"] = 1.0


def extract(text: str, matcher: Matcher | None = None) -> Features:
    """Features of one raw message."""
    norm = normalize(text)
    out: Features = {}
    if "[" in norm:
        norm, codes = _WECHAT_CODE.subn(" ", norm)
        if codes:
            out["shape:sticker"] = 1.0
    for tag, count in (matcher or default_matcher()).tags(norm).items():
        out["t:" + tag] = min(float(count), _TAG_CAP)
    _combine(out)
    _age_cues(norm, out)
    stripped = norm.strip()
    if len(stripped) <= 6:  # noqa: PLR2004 - "收到", "+1", "👍👍" ...
        out["shape:short"] = 1.0
    elif len(stripped) >= 60:  # noqa: PLR2004
        out["shape:long"] = 1.0
    if stripped.endswith(("?", "吗", "呢")):
        out["shape:question"] = 1.0
    # English messages lack the Chinese function words that many word weights sit on,
    # so the model gets to learn a separate baseline per script.
    han = len(_HAN.findall(stripped))
    latin = len(_LATIN.findall(stripped))
    out["script:han" if han >= latin else "script:latin"] = 1.0
    if han and latin >= 4:  # noqa: PLR2004 - a word of English in a Chinese message
        out["script:mixed"] = 1.0
    for word in _jieba().lcut(norm, HMM=False):
        if word in _SKIP or word.isspace():
            continue
        key = "w:<num>" if word.isdigit() else "w:" + word
        out[key] = 1.0
    return out


ACUTE_TAGS = (
    "t:u_fire", "t:u_injury", "t:u_trapped", "t:u_attack", "t:u_fraud_live",
    "t:u_intrusion", "t:u_traffic_danger",
)  # fmt: skip


def _combine(out: Features) -> None:
    """Conjunctions a linear model cannot form by itself."""
    now = "t:u_now" in out
    acute = any(tag in out for tag in ACUTE_TAGS)
    past = "t:u_past" in out
    if now and acute:
        out["x:now_danger"] = 1.0
    if acute and not past:
        out["x:danger_not_past"] = 1.0
    if past and not now:
        out["x:past_only"] = 1.0
    recent = now or "t:u_recent" in out
    # A person missing for hours (not days) is the case where minutes matter most.
    if "t:c_missing" in out:
        out["x:missing_recent" if recent else "x:missing_other"] = 1.0
    neg = sum(v for k, v in out.items() if k.startswith("t:n_"))
    pos = sum(v for k, v in out.items() if k.startswith("t:c_"))
    # Totals generalise where a single rare tag has too little training support.
    if pos:
        out["x:topic_cues"] = min(pos, _TAG_CAP)
    if neg:
        out["x:chatter_cues"] = min(neg, _TAG_CAP)
    if neg and not pos:
        out["x:only_negative"] = 1.0
    if not neg and not pos:
        out["x:no_cue"] = 1.0
