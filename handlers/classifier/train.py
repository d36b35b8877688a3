"""Rebuild the shipped model: ``python -m handlers.classifier.train DATA.jsonl``."""

from __future__ import annotations

import hashlib
import json
import sys
from importlib import resources
from pathlib import Path

from .pipeline import Example, train

MODEL_PATH = Path(__file__).with_name("model.json")


def load_examples(path: Path) -> list[Example]:
    """Labelled examples from a JSON-lines file in the dev-data schema."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def resources_digest() -> str:
    """Hash of the lexicons and char map the model was trained against.

    The model's weights are keyed by lexicon tags, so editing a lexicon without
    re-training silently skews it; a test compares this digest to catch that.
    """
    digest = hashlib.sha256()
    for name in ("lexicons.toml", "t2s.txt"):
        digest.update(resources.files(__package__).joinpath(name).read_bytes())
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m handlers.classifier.train DATA.jsonl\n")
        return 2
    examples = load_examples(Path(args[0]))
    data = json.loads(train(examples).to_json())
    data["meta"] = {"examples": len(examples), "resources_sha256": resources_digest()}
    MODEL_PATH.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.stderr.write(f"wrote {MODEL_PATH}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
