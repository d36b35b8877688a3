"""A CJK font for the report chart: shipped, installed by name, or found on disk."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import structlog
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

log = structlog.get_logger("gridbot.reports")

SHIPPED = Path(__file__).parent / "fonts"
# Simplified Chinese faces first; the others still carry the common hanzi.
FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans SC",
    "Droid Sans Fallback",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
)
FILE_HINTS = (
    "notosanscjk",
    "sourcehansans",
    "wqy-microhei",
    "wqy-zenhei",
    "notosanssc",
    "droidsansfallback",
    "notoserifcjk",
    "uming",
)


@cache
def _locate() -> tuple[str, str] | None:
    """('family', name) or ('file', path); None when the machine has no CJK font."""
    for shipped in sorted(SHIPPED.glob("*.[ot]t[fc]")):
        return "file", str(shipped)
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in FAMILIES:
        if family in known:
            return "family", family
    # Matplotlib's font cache predates fonts installed after it was built: look on disk.
    for path in sorted(font_manager.findSystemFonts()):
        if any(hint in Path(path).name.lower().replace(" ", "") for hint in FILE_HINTS):
            return "file", path
    log.warning("report.no_cjk_font", hint="apt-get install fonts-noto-cjk")
    return None


def cjk_font(size: float | None = None) -> FontProperties | None:
    """A fresh FontProperties (they are mutable, so never shared between charts)."""
    found = _locate()
    if found is None:
        return None
    kind, value = found
    font = FontProperties(family=value) if kind == "family" else FontProperties(fname=value)
    if size is not None:
        font.set_size(size)
    return font
