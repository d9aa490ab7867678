"""PDF building blocks shared by every report the platform prints (credit reports, evaluation results).

ReportLab embeds only TrueType outlines, so the CJK font is a TrueType one — WenQuanYi Micro Hei from Debian's
`fonts-wqy-microhei` by default (`GOVTRUST_REPORT_FONT`, `GOVTRUST_REPORT_FONT_INDEX` for a .ttc); ReportLab
subsets it, so a report carries only the glyphs it uses.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from govtrust.core.crypto import sm3_hex

FONT_NAME = "GovTrustCJK"


def report_font() -> str:
    """Register the configured CJK TrueType font once per process; its ReportLab name."""
    return _register_font(str(settings.GOVTRUST_REPORT_FONT), int(settings.GOVTRUST_REPORT_FONT_INDEX))


@lru_cache(maxsize=4)
def _register_font(path: str, index: int) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    if not Path(path).is_file():
        raise ImproperlyConfigured(
            f"报告字体文件不存在：{path}。请安装 fonts-wqy-microhei（apt-get install fonts-wqy-microhei）"
            f"或将 GOVTRUST_REPORT_FONT 设为一个 TrueType 中文字体（.ttf/.ttc）。/ Report font missing: {path}; "
            f"set GOVTRUST_REPORT_FONT to a TrueType CJK font."
        )
    name = f"{FONT_NAME}-{sm3_hex(f'{path}:{index}')[:8]}"
    try:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
    except TTFError as exc:  # CFF/OTF fonts cannot be embedded by ReportLab
        raise ImproperlyConfigured(
            f"报告字体无法使用：{path}（{exc}）。ReportLab 只能嵌入 TrueType 轮廓字体。/ Unusable report font."
        ) from exc
    return name


def paragraph(text: Any, style: Any) -> Any:
    """A ReportLab Paragraph of plain text: ReportLab reads Paragraph text as markup, so every value is escaped."""
    from reportlab.platypus import Paragraph

    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)
