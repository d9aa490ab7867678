"""Open data downloads: every published record as CSV (UTF-8 with BOM, for Excel) or a JSON array, streamed.

Same filters as the API (`published.parse_filter`), which only narrow `public_records()`. Anonymous downloads
are limited per client address (a whole-province file is heavy): GOVTRUST_OPENDATA_DOWNLOADS_PER_HOUR (10).
Cells that a spreadsheet would run as a formula get a leading apostrophe (`core.exports.neutralise`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from govtrust.accounts.ratelimit import rate_limit_take
from govtrust.accounts.request_info import client_ip
from govtrust.core.crypto import keyed_hash
from govtrust.core.exports import neutralise
from govtrust.disclosure import published as pub

# (key in public values, CSV header)
CSV_COLUMNS: list[tuple[str, Any]] = [
    ("number", gettext_lazy("记录编号")),
    ("body_name", gettext_lazy("主体名称")),
    ("body_uscc", gettext_lazy("统一社会信用代码")),
    ("region_code", gettext_lazy("行政区划代码")),
    ("region_name", gettext_lazy("行政区划")),
    ("record_class", gettext_lazy("记录类别代码")),
    ("record_class_label", gettext_lazy("记录类别")),
    ("sub_type_label", gettext_lazy("子类")),
    ("severity", gettext_lazy("严重程度")),
    ("document_number", gettext_lazy("决定书（判决书）文号")),
    ("authority_name", gettext_lazy("决定机关")),
    ("authority_uscc", gettext_lazy("决定机关统一社会信用代码")),
    ("decision_date", gettext_lazy("决定日期")),
    ("conduct_date", gettext_lazy("行为发生日期")),
    ("facts", gettext_lazy("事实")),
    ("basis", gettext_lazy("依据")),
    ("content", gettext_lazy("内容")),
    ("amount_fine", gettext_lazy("罚款金额（万元）")),
    ("amount_confiscated", gettext_lazy("没收金额（万元）")),
    ("publicity_start", gettext_lazy("公示起始日")),
    ("publicity_end", gettext_lazy("公示截止日")),
    ("supplier_name", gettext_lazy("数据提供部门")),
    ("under_objection", gettext_lazy("异议处理中")),
]


def downloads_per_hour() -> int:
    return int(getattr(settings, "GOVTRUST_OPENDATA_DOWNLOADS_PER_HOUR", 10))


def _limited(request: HttpRequest) -> HttpResponse | None:
    ip = client_ip(request) or "unknown"
    decision = rate_limit_take(
        key=f"opendata_download:{keyed_hash('download:' + ip)[:40]}", capacity=downloads_per_hour(), per_seconds=3600
    )
    if decision.allowed:
        return None
    response = JsonResponse(
        {"detail": _("下载过于频繁，请 %(n)d 秒后再试。") % {"n": decision.retry_after}}, status=429
    )
    response["Retry-After"] = str(decision.retry_after)
    return response


def _query(request: HttpRequest) -> Any:
    try:
        flt = pub.parse_filter(request.GET)
    except pub.FilterError as error:
        return JsonResponse({"detail": str(error)}, status=400)
    return pub.filter_public(pub.public_records(), flt)


def _filename(ext: str) -> str:
    return f"govtrust-records-{timezone.localdate():%Y%m%d}.{ext}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(qs: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([str(label) for _key, label in CSV_COLUMNS])
    for values in pub.iter_public_values(qs):
        row = []
        for key, _label in CSV_COLUMNS:
            value = values[key]
            if isinstance(value, bool):
                value = _("是") if value else ""
            row.append(neutralise(str(value)))
        yield writer.writerow(row)


def json_chunks(qs: Any) -> Iterator[str]:
    yield "["
    first = True
    for values in pub.iter_public_values(qs):
        yield ("" if first else ",\n") + json.dumps(values, ensure_ascii=False)
        first = False
    yield "]\n"


@require_GET
def records_csv(request: HttpRequest) -> HttpResponseBase:
    qs = _query(request)
    if isinstance(qs, HttpResponse):
        return qs
    limited = _limited(request)
    if limited is not None:
        return limited
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(qs)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


@require_GET
def records_json(request: HttpRequest) -> HttpResponseBase:
    qs = _query(request)
    if isinstance(qs, HttpResponse):
        return qs
    limited = _limited(request)
    if limited is not None:
        return limited
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in json_chunks(qs)), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename("json")}"'
    return response


def csv_text(qs: Any) -> str:
    """The whole CSV as one string (tests, small extracts)."""
    out = io.StringIO()
    for line in csv_lines(qs):
        out.write(line)
    return out.getvalue()
