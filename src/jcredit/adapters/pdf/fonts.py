"""Finding a Japanese TrueType font to embed.

Debian's ``fonts-ipaexfont-gothic`` (installed by ``scripts/setup``) provides IPAex Gothic,
which reportlab can embed and subset. Without it, reportlab's built-in CID font
HeiseiKakuGo-W5 is used: the text is still correct Unicode, but the glyphs then come from
the reader's own fonts.
"""

from __future__ import annotations

import logging
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger(__name__)

CANDIDATES = (
    Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf"),
    Path("/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf"),
)
FONT_NAME = "JCreditGothic"
_registered: str | None = None


def japanese_font() -> str:
    """Register (once) and return the name of the font to draw Japanese text with."""
    global _registered
    if _registered is not None:
        return _registered
    for path in CANDIDATES:
        if path.exists():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path.resolve())))
            _registered = FONT_NAME
            return _registered
    log.warning("no Japanese TrueType font found; using the non-embedded CID font")
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    _registered = "HeiseiKakuGo-W5"
    return _registered
