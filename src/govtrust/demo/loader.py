"""`govtrust demo load` / `demo info`: write the generated demo set into the database, once.

A load is one import: bulk inserts in batches and ONE audit row for the batch. A `DemoLoad` row marks
the database; loading again with the same version, seed and scale is a no-op.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govtrust.accounts.models import Role, User
from govtrust.core.audit import log_change
from govtrust.core.crypto import keyed_hash, sm4_encrypt
from govtrust.core.events import deliver_pending
from govtrust.core.masking import mask_id_number
from govtrust.core.models import Region
from govtrust.demo.generator import DemoSet, RegionRow, demo_login_regions, generate
from govtrust.demo.models import DemoLoad
from govtrust.demo.records import load_demo_records
from govtrust.evaluation.demo import load_demo_evaluation
from govtrust.registry.models import (
    Agency,
    AgencyLeader,
    AgencyType,
    CivilServant,
    Enterprise,
    Person,
)
from govtrust.registry.search import index_names

DEMO_VERSION = 2  # 2: credit records and fault-tolerance rulings
DEFAULT_SEED = 20260101
DEMO_PASSWORD = "Demo@2026!"
BATCH = 500


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    body: str  # "province_credit" / "city_credit" / … resolved against the loaded bodies
    display_name: str


DEMO_LOGINS = [
    DemoLogin("sheng_xinyong", "provincial_credit_office", "province_credit", "省信用办操作员"),
    DemoLogin("nanjing_xinyong", "city_credit_office", "city_credit", "市信用办操作员"),
    DemoLogin("jiangning_xinyong", "county_credit_office", "county_credit", "区信用办操作员"),
    DemoLogin("nanjing_shichang", "supplier", "city_market", "市场监管局信息员"),
    DemoLogin("jiangning_caizheng", "recorded_body", "county_finance", "财政局联络员"),
    DemoLogin("nanjing_renshe", "hr_department", "city_hr", "人社局干部科"),
    DemoLogin("shenji", "auditor", "province_credit", "安全审计员"),
    DemoLogin("admin", "system_admin", "province_credit", "系统管理员"),
]


@dataclass(frozen=True)
class LoadResult:
    loaded: bool  # False: the same data set was already there
    counts: dict[str, int]
    seconds: float


class DemoConflict(Exception):
    """The database holds other data (a different demo set, or real bodies): refuse to mix them."""


def scale_text(scale: float) -> str:
    return f"{scale:g}"


def region_rows() -> list[RegionRow]:
    return [
        RegionRow(pk, code, name, level, kind, parent_id)
        for pk, code, name, level, kind, parent_id in Region.objects.filter(level__lte=3)
        .order_by("code")
        .values_list("pk", "code", "name", "level", "kind", "parent_id")
    ]


def load_demo(*, seed: int = DEFAULT_SEED, scale: float = 1.0, people: bool = True) -> LoadResult:
    """Load the demo set unless this exact set is already loaded. `people=False` writes bodies only (benchmarks)."""
    started = time.monotonic()
    marker = DemoLoad.objects.order_by("pk").first()
    if marker is not None:
        if (marker.version, marker.seed, marker.scale) == (DEMO_VERSION, seed, scale_text(scale)):
            return LoadResult(False, marker.counts, time.monotonic() - started)
        raise DemoConflict(
            _("数据库中已有其他演示数据（版本 %(v)s，种子 %(seed)s，规模 %(scale)s），请使用空数据库。")
            % {"v": marker.version, "seed": marker.seed, "scale": marker.scale}
        )
    if Agency.objects.exists():
        raise DemoConflict(_("数据库中已有政府部门数据，演示数据只能载入空数据库。"))
    regions = region_rows()
    if not any(r.level == 1 for r in regions):
        raise DemoConflict(_("没有省级行政区划数据，无法生成演示数据。"))
    demo = generate(regions, seed=seed, scale=scale, people=people)
    with transaction.atomic():
        agencies = _write_bodies(demo)
        Agency.objects.rebuild_tree_paths()  # bulk inserts bypass the services that keep tree_path
        counts = {"bodies": len(agencies), "name_grams": index_names((a.pk, a.name) for a in agencies)}
        if people:
            counts.update(_write_people(demo, agencies))
            counts["users"] = _write_users(demo, agencies)
            counts.update(load_demo_records(seed=seed, scale=scale, today=timezone.localdate()))
            counts.update(load_demo_evaluation(seed=seed))
        marker = DemoLoad.objects.create(version=DEMO_VERSION, seed=seed, scale=scale_text(scale), counts=counts)
        log_change(
            actor=None,
            action="import",
            obj=marker,
            after={"seed": seed, "scale": scale_text(scale), **counts},
            message=_("载入演示数据"),
        )
    # The records' batch events are the worker's job (sanction cases, repair guidance, the GOVTRUST list);
    # deliver them now so that the demo set is complete before the server starts.
    while deliver_pending(limit=500):
        pass
    return LoadResult(True, counts, time.monotonic() - started)


def _write_bodies(demo: DemoSet) -> list[Agency]:
    """Insert bodies parents first (bulk_create returns primary keys on SQLite ≥ 3.35 and PostgreSQL)."""
    depth: dict[int, int] = {}
    for body in demo.bodies:  # parents always precede children in the generated list
        depth[body.key] = 0 if body.parent is None else depth[body.parent] + 1
    objects: dict[int, Agency] = {}
    for level in sorted(set(depth.values())):
        batch = []
        for body in demo.bodies:
            if depth[body.key] != level:
                continue
            objects[body.key] = Agency(
                uscc=body.uscc,
                name=body.name,
                org_type=AgencyType.ORGAN if body.org_type == "organ" else AgencyType.INSTITUTION,
                is_credit_office=body.is_credit_office,
                region_id=body.region.pk,
                parent_id=objects[body.parent].pk if body.parent is not None else None,
                level=body.level,
            )
            batch.append(objects[body.key])
        Agency.objects.bulk_create(batch, batch_size=BATCH)
    return [objects[b.key] for b in demo.bodies]


def _protected(name: str, id_number: str) -> dict[str, Any]:
    return {
        "name": name,
        "id_number_encrypted": sm4_encrypt(id_number),
        "id_number_hash": keyed_hash(id_number),
        "id_number_masked": mask_id_number(id_number),
    }


def _write_people(demo: DemoSet, agencies: list[Agency]) -> dict[str, int]:
    staff = [
        CivilServant(
            agency_id=agencies[p.body].pk,
            position=p.position,
            start_date=p.start_date,
            **_protected(p.name, p.id_number),
        )
        for p in demo.civil_servants
        if p.body is not None  # always set for civil servants
    ]
    CivilServant.objects.bulk_create(staff, batch_size=BATCH)
    AgencyLeader.objects.bulk_create(
        [
            AgencyLeader(
                agency_id=agencies[leader.body].pk,
                name=leader.name,
                civil_servant_id=staff[leader.civil_servant].pk if leader.civil_servant is not None else None,
                position=leader.position,
                term_start=leader.term_start,
                term_end=leader.term_end,
            )
            for leader in demo.leaders
        ],
        batch_size=BATCH,
    )
    Person.objects.bulk_create([Person(**_protected(p.name, p.id_number)) for p in demo.persons], batch_size=BATCH)
    Enterprise.objects.bulk_create(
        [Enterprise(uscc=e.uscc, name=e.name, region_id=e.region.pk) for e in demo.enterprises], batch_size=BATCH
    )
    return {
        "civil_servants": len(staff),
        "leaders": len(demo.leaders),
        "persons": len(demo.persons),
        "enterprises": len(demo.enterprises),
    }


def login_bodies(demo: DemoSet, agencies: list[Agency]) -> dict[str, Agency]:
    regions = [b.region for b in demo.bodies]
    city, county = demo_login_regions(sorted(set(regions), key=lambda r: r.code))
    found: dict[str, Agency] = {}
    for body, agency in zip(demo.bodies, agencies, strict=True):
        region = body.region
        if body.is_credit_office and region.level == 1:
            found.setdefault("province_credit", agency)
        elif body.is_credit_office and region == city:
            found["city_credit"] = agency
        elif body.is_credit_office and region == county:
            found["county_credit"] = agency
        elif region == city and body.name.endswith("市场监督管理局"):
            found["city_market"] = agency
        elif region == city and body.name.endswith("人力资源和社会保障局"):
            found["city_hr"] = agency
        elif region == county and body.name.endswith("财政局"):
            found["county_finance"] = agency
    return found


def _write_users(demo: DemoSet, agencies: list[Agency]) -> int:
    # The default roles come from accounts' data migration, with their real grants.
    roles = {role.code: role for role in Role.objects.filter(code__in={login.role for login in DEMO_LOGINS})}
    bodies = login_bodies(demo, agencies)
    probe = User()
    probe.set_password(DEMO_PASSWORD)  # hash once: every demo login shares the printed password
    created = 0
    for login in DEMO_LOGINS:
        user, made = User.objects.get_or_create(
            username=login.username,
            defaults={
                "display_name": login.display_name,
                "agency": bodies.get(login.body),
                "password": probe.password,
                "is_staff": login.username == "admin",
                "is_superuser": login.username == "admin",
            },
        )
        user.roles.add(roles[login.role])
        created += made
    return created


def demo_info(base_url: str = "http://127.0.0.1:8000") -> str:
    """The text `govtrust demo info` prints: where to go and how to log in."""
    base = base_url.rstrip("/")
    lines = [
        _("政务诚信平台 演示环境"),
        f"  {_('工作台')}:   {base}/console/",
        f"  {_('公开门户')}: {base}/",
        f"  {_('运维后台')}: {base}/admin/",
        f"  {_('接口文档')}: {base}/api/docs",
        "",
    ]
    marker = DemoLoad.objects.order_by("pk").first()
    if marker is None:
        lines.append(_("尚未载入演示数据：请运行 govtrust demo load"))
        return "\n".join(lines)
    lines.append(
        _("演示数据：种子 %(seed)s，规模 %(scale)s，政府部门 %(bodies)s 个，公务员 %(staff)s 人")
        % {
            "seed": marker.seed,
            "scale": marker.scale,
            "bodies": marker.counts.get("bodies", 0),
            "staff": marker.counts.get("civil_servants", 0),
        }
    )
    lines.append(_("演示账号（统一密码 %(password)s）：") % {"password": DEMO_PASSWORD})
    logins = User.objects.filter(username__in=[d.username for d in DEMO_LOGINS]).select_related("agency")
    users = {u.username: u for u in logins.prefetch_related("roles")}
    for login in DEMO_LOGINS:
        user = users.get(login.username)
        if user is None:
            continue
        role = next((r.name for r in user.roles.all() if r.code == login.role), login.role)
        lines.append(f"  {login.username:<20}{role:<12}{user.agency or '—'}")
    return "\n".join(lines)
