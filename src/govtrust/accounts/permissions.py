"""The action vocabulary that roles grant, and the scopes that API clients may hold.

A role's `grants` maps an action from `ACTIONS` to a `DataScope` ("all", "unit_and_below", "unit",
"self"); `User.data_scope(action)` returns the widest one granted. A role may only grant actions listed
here, so a typo cannot silently grant nothing (or something unintended).

Later modules add their actions to `ACTIONS` (and their API scopes to `API_SCOPES`) in the same change
that first checks them, plus a data migration granting them to the default roles, e.g.:
    records.view, records.ingest, screening.query, personnel_query.run
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# action code → what it lets a user do, grouped by module.
ACTIONS: dict[str, StrPromise] = {
    "registry.view": _("查看主体（政府部门、公务员、企业）"),
    "registry.change": _("新增、修改主体"),
    "records.ingest": _("报送数据（归集导入）"),
    "audit.view": _("查看审计记录、登录日志和操作日志"),
    "notification.view": _("查看通知"),
    "api_client.manage": _("管理接口客户端和令牌"),
    "user.manage": _("管理用户和角色"),
    "records.view": _("查看信用记录和信用档案"),
    "records.change": _("更正、撤销、修复信用记录；核对容错纠错认定"),
    "fault_tolerance.manage": _("登记容错纠错认定（纪检监察、组织人事部门）"),
    "remedies.view": _("查看异议、信用修复申请及办理时效"),
    "remedies.file": _("提出异议、信用修复申请（被记录主体或其委托代理人）"),
    "remedies.decide": _("办理异议、信用修复申请（数据提供部门、认定单位）"),
    "remedies.review": _("复核异议（省社会信用综合管理部门）"),
    "sanctions.view": _("查看失信惩戒案件、限期整改、移送追责和守信激励"),
    "sanctions.decide": _("决定失信惩戒措施（确认、变更、不予采取），审核整改"),
    "rectification.respond": _("提交限期整改的书面说明和整改材料"),
    "referral.record": _("接收移送追责并反馈处理结果（纪检监察、组织人事部门）"),
    "screening.watchlist": _("管理比对名单（导入、移出名单条目）"),
    "evaluation.view": _("查看政务诚信评价、排名、看板和预警"),
    "evaluation.manage": _("维护指标体系、导入指标数据、运行和发布政务诚信评价"),
    "alert.manage": _("处理预警（确认、解除）和维护预警规则"),
    "personnel_query.run": _("人员信用查询（录用、调任、评优评先、提拔任用），出具个人信用报告"),
    "honours.check": _("评优评先资格核查（政府部门、公务员）"),
    "screening.view": _("查看自动比对记录、拦截统计（招标投标监督）"),
    "screening.review": _("人工复核比对结果（改判并说明理由）"),
    "pledge.manage": _("登记和核查投标人信用承诺（履行、违诺、撤回）"),
}

# API scope → what a machine caller may call with a token carrying it.
API_SCOPES: dict[str, StrPromise] = {
    "registry.read": _("读取主体信息"),
    "screening.query": _("自动比对查询"),
    "opendata.read": _("读取开放数据"),
    "records.ingest": _("报送信用记录"),
    "records.feed": _("订阅信用记录变更（不含自然人记录）"),
    "records.feed_personal": _("订阅信用记录变更时包含公务员、自然人记录"),
    "evaluation.read": _("读取已发布的政务诚信评价结果"),
}


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))
