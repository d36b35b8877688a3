"""JSON-lines in, JSON-lines out: the engine behind ``gridbot classify``."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from . import Classifier


def classify_stream(inp: TextIO, out: TextIO, *, err: TextIO | None = None) -> int:
    """Copy each JSON line from `inp` to `out` with is_report, category and urgent added.

    A line that is not a JSON object with a string "text" is not written; instead
    ``line N: <problem>`` goes to stderr and the return code becomes 2. Blank
    lines are skipped silently. Returns 0 when every line was classified.
    """
    errors = sys.stderr if err is None else err
    classifier = Classifier.default()
    status = 0
    for number, line in enumerate(inp, start=1):
        if not line.strip():
            continue
        record = _parse(line)
        if isinstance(record, str):
            errors.write(f"line {number}: {record}\n")
            status = 2
            continue
        text = record["text"]
        assert isinstance(text, str)  # checked by _parse; narrows the type
        result = classifier.classify(text)
        record["is_report"] = result.is_report
        record["category"] = result.category
        record["urgent"] = result.urgent
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return status


def _parse(line: str) -> dict[str, object] | str:
    """The record of a good line, or what is wrong with a bad one."""
    try:
        record: object = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"invalid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(record, dict):
        return f"expected a JSON object, got {type(record).__name__}"
    if "text" not in record:
        return 'missing "text" field'
    if not isinstance(record["text"], str):
        return f'"text" must be a string, got {type(record["text"]).__name__}'
    return record
