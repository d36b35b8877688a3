"""Rebuild the shipped word list and model: ``python -m handlers.classifier.train DATA.jsonl``."""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import resources
from pathlib import Path

from .features import WORDLIST_PATH
from .lexicon import load_groups
from .pipeline import Example, train

MODEL_PATH = Path(__file__).with_name("model.json")
# jieba's dictionary has 349,000 words. The 20,000 most frequent cover everyday text, and
# segmenting with them scores the same in cross-validation (see bench/README.md, classify).
TOP_WORDS = 20_000


def load_examples(path: Path) -> list[Example]:
    """Labelled examples from a JSON-lines file in the dev-data schema."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def build_wordlist(path: Path = WORDLIST_PATH, top: int = TOP_WORDS) -> int:
    """Write the classifier's segmentation dictionary, in jieba's format; returns its size.

    Taken from jieba's own dictionary: every single character, the `top` most frequent
    words, and every lexicon keyword jieba knows (so cue words stay whole). It depends
    only on jieba's dictionary and the lexicons, never on the labelled messages, so
    cross-validation stays honest.
    """
    import jieba

    with jieba.Tokenizer().get_dict_file() as fh:
        lines = [line.decode("utf-8").split() for line in fh]
    entries = [e for e in lines if len(e) > 1]  # "word freq [tag]"; the tags are not needed
    lexicon = {w.strip().lower() for words in load_groups().values() for w in words}
    by_freq = sorted((e for e in entries if len(e[0]) > 1), key=lambda e: -int(e[1]))
    frequent = {e[0] for e in by_freq[:top]}
    keep = [e for e in entries if len(e[0]) == 1 or e[0] in frequent or e[0] in lexicon]
    path.write_text("".join(f"{e[0]} {e[1]}\n" for e in keep), encoding="utf-8")
    return len(keep)


def resources_digest() -> str:
    """Hash of the lexicons, char map and word list the model was trained against.

    The model's weights are keyed by lexicon tags and words, so editing a lexicon or
    the word list without re-training silently skews it; a test compares this digest
    to catch that.
    """
    digest = hashlib.sha256()
    for name in ("lexicons.toml", "t2s.txt", WORDLIST_PATH.name):
        digest.update(resources.files(__package__).joinpath(name).read_bytes())
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m handlers.classifier.train DATA.jsonl\n")
        return 2
    examples = load_examples(Path(args[0]))
    words = build_wordlist()  # first: training segments with it
    sys.stderr.write(f"wrote {WORDLIST_PATH} ({words} words)\n")
    data = json.loads(train(examples).to_json())
    data["meta"] = {"examples": len(examples), "resources_sha256": resources_digest()}
    MODEL_PATH.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.stderr.write(f"wrote {MODEL_PATH}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
