"""The lists that ship with the platform (data migration 0002 writes the same rows, spelled out there).

Codes are stable: they name the import kinds (`screening.watchlist.<CODE>` incremental,
`screening.watchlist.<CODE>.full` full replacement) and appear in every screening result.
"""

from __future__ import annotations

from typing import NamedTuple


class ListDefinition(NamedTuple):
    code: str
    name: str
    source: str
    basis: str
    feed: str  # "file" (loaded by import) or "records" (the platform's own dishonesty records in force)


LISTS: tuple[ListDefinition, ...] = (
    ListDefinition(
        "SXBZXR",
        "失信被执行人",
        "最高人民法院（中国执行信息公开网）",
        "《最高人民法院关于公布失信被执行人名单信息的若干规定》（2013年，2017年修正）",
        "file",
    ),
    ListDefinition(
        "SW_ZDSSWF",
        "重大税收违法失信主体",
        "国家税务总局及各级税务机关",
        "《重大税收违法失信主体信息公布管理办法》",
        "file",
    ),
    ListDefinition(
        "SC_YZWFSX",
        "市场监督管理严重违法失信名单",
        "国家市场监督管理总局及地方市场监管部门",
        "《市场监督管理严重违法失信名单管理办法》",
        "file",
    ),
    ListDefinition(
        "TJ_YZSX",
        "统计严重失信企业",
        "国家统计局及地方统计机构",
        "《统计严重失信企业信用管理办法》",
        "file",
    ),
    ListDefinition(
        "ZFCG_YZWF",
        "政府采购严重违法失信行为记录名单",
        "财政部（中国政府采购网）及地方财政部门",
        "《中华人民共和国政府采购法》第七十七条；《政府采购法实施条例》",
        "file",
    ),
    ListDefinition(
        "OTHER_YZSX",
        "其他部门严重失信主体名单",
        "国务院有关部门及省级有关部门",
        "《全国失信惩戒措施基础清单》所列严重失信主体名单",
        "file",
    ),
    ListDefinition(
        "GOVTRUST",
        "本平台政务失信记录（有效期内）",
        "本平台信用记录",
        "苏政发〔2023〕55号；平台信用记录中处于有效期、属失信类别且未被容错认定覆盖的记录",
        "records",
    ),
)

FILE_LISTS = tuple(d for d in LISTS if d.feed == "file")


def kind_code(list_code: str, *, full: bool) -> str:
    return f"screening.watchlist.{list_code}" + (".full" if full else "")
