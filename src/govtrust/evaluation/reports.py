"""An evaluation run as a PDF (issue 7 item 5: results export to xlsx and PDF): the ranking with each unit's
rank interval, the sensitivity indices, and what makes the run reproducible (seed, input and result digests)."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.core.pdf import paragraph, report_font
from govtrust.evaluation.models import EvaluationRun


def _number(value: Any, places: int) -> str:
    return "—" if value is None else f"{float(value):.{places}f}"


def run_pdf(run: EvaluationRun, *, sobol: list[dict[str, Any]]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    font = report_font()
    base = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=10, textColor=colors.HexColor("#444444"))
    title = ParagraphStyle("title", parent=base, fontSize=15, leading=21, alignment=1, spaceAfter=4)
    heading = ParagraphStyle("h2", parent=base, fontSize=11, leading=16, spaceBefore=8, spaceAfter=4)
    grid = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), font, 8.5),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
    )
    framework = f"{run.framework.name} {run.framework_version}" + (
        f"（{_('暂定')}）" if getattr(run.framework, "provisional", False) else ""
    )
    story: list[Any] = [
        paragraph(run.title, title),
        paragraph(
            f"{_('评价编号')} {run.number} · {_('期间')} {run.period} · {_('指标体系')} {framework} · "
            f"{_('打印时间')} {timezone.localtime():%Y-%m-%d %H:%M}",
            small,
        ),
        paragraph(
            f"{_('随机种子')} {run.seed} · {_('输入数据SHA-256')} {run.inputs_sha256} · "
            f"{_('结果SHA-256')} {run.results_sha256}",
            small,
        ),
        paragraph(_("排名"), heading),
    ]
    rows = [[_("排名"), _("名称"), _("综合得分"), _("排名中位数"), _("排名区间（5%–95%）")]]
    for row in run.unit_rows():
        interval = "—" if row["q05"] is None else f"{_number(row['q05'], 0)}–{_number(row['q95'], 0)}"
        rows.append(
            [
                _number(row["rank"], 0),
                paragraph(row["name"], base),
                _number(row["score"], 2),
                _number(row["median"], 1),
                interval,
            ]
        )
    table = Table(rows, colWidths=[16 * mm, 70 * mm, 26 * mm, 26 * mm, 32 * mm], repeatRows=1)
    table.setStyle(grid)
    story.append(table)
    if sobol:
        story += [paragraph(_("敏感性（Sobol指数）"), heading)]
        rows = [[_("不确定因素"), _("一阶指数"), _("总效应指数")]]
        rows += [[s["factor"], _number(s["first"], 3), _number(s["total"], 3)] for s in sobol]
        table = Table(rows, colWidths=[60 * mm, 40 * mm, 40 * mm])
        table.setStyle(grid)
        story.append(table)
    if run.notes:
        story.append(paragraph(_("说明"), heading))
        story += [paragraph(f"· {note}", base) for note in run.notes]
    story.append(Spacer(1, 4 * mm))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm,
        title=f"{run.title} {run.number}", author="GovTrust",
    )  # fmt: skip
    doc.build(story)
    return buffer.getvalue()
