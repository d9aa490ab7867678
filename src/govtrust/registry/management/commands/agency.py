"""`govtrust agency add|show`: register or show a government body from the command line.

Errors are printed in Chinese on stderr and the command exits with status 1; the service's transaction
guarantees that nothing is stored half-way.
"""

from __future__ import annotations

import getpass
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from govtrust.core.masking import mask_name
from govtrust.core.validators import normalise_code
from govtrust.registry import services
from govtrust.registry.models import Agency


def cli_actor() -> SimpleNamespace:
    """Audit rows name the operating-system account that ran the command."""
    try:
        who = getpass.getuser()
    except Exception:  # no login name in some containers
        who = "unknown"
    return SimpleNamespace(username=f"cli:{who}", is_authenticated=False)


class Command(BaseCommand):
    help = "登记或查看政府部门"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add", help="登记政府部门")
        add.add_argument("--uscc", required=True, help="统一社会信用代码")
        add.add_argument("--name", required=True, help="单位名称")
        add.add_argument("--region", required=True, help="行政区划代码（GB/T 2260）")
        add.add_argument("--parent", default=None, help="上级单位的统一社会信用代码")
        add.add_argument("--type", dest="org_type", default="organ", help="机构类型：organ/institution/mass_org/other")
        add.add_argument("--level", default=None, help="层级：province/city/county/township（默认按行政区划）")
        add.add_argument("--credit-office", action="store_true", help="信用主管部门")
        show = sub.add_parser("show", help="查看政府部门")
        show.add_argument("uscc")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "add":
            self._add(options)
        else:
            self._show(options["uscc"])

    def _fail(self, lines: list[str]) -> None:
        for line in lines:
            self.stderr.write(line)
        raise SystemExit(1)

    def _add(self, options: dict[str, Any]) -> None:
        try:
            agency = services.agency_create(
                actor=cli_actor(),
                uscc=options["uscc"],
                name=options["name"],
                region_code=options["region"],
                parent_uscc=options["parent"],
                level=options["level"],
                org_type=options["org_type"],
                is_credit_office=options["credit_office"],
            )
        except ValidationError as error:
            self._fail([f"{_('错误')}：{msg}" for msgs in error.message_dict.values() for msg in msgs])
        self.stdout.write(_("已登记：%(uscc)s %(name)s") % {"uscc": agency.uscc, "name": agency.name})
        if agency.is_legacy_code:
            self.stdout.write(self.style.WARNING(_("警告：统一社会信用代码校验位不符，已按历史代码登记")))

    def _show(self, uscc: str) -> None:
        code = normalise_code(uscc)
        agency = Agency.objects.select_related("region", "parent").filter(uscc=code).first()
        if agency is None:
            self._fail([_("错误：统一社会信用代码%(code)s未登记") % {"code": code}])
            return
        leader = agency.current_leader()
        rows = [
            (_("统一社会信用代码"), f"{agency.uscc}（{agency.get_uscc_status_display()}）"),
            (_("名称"), agency.name),
            (_("机构类型"), agency.get_org_type_display()),
            (_("信用主管部门"), _("是") if agency.is_credit_office else _("否")),
            (_("行政区划"), f"{agency.region.code} {agency.region.name}"),
            (_("层级"), agency.get_level_display()),
            (_("状态"), agency.get_status_display()),
            (_("上级单位"), f"{agency.parent.uscc} {agency.parent.name}" if agency.parent else "—"),
            (_("主要负责人"), f"{mask_name(leader.name)} {leader.position}" if leader else "—"),
            (_("下级单位数"), str(agency.children.count())),
            (_("公务员人数"), str(agency.civil_servants.count())),
        ]
        for label, value in rows:
            self.stdout.write(f"{label}\t{value}")
        if agency.is_legacy_code:
            self.stdout.write(self.style.WARNING(_("警告：统一社会信用代码校验位不符，系已登记的历史代码")))
