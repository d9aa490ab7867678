"""A small cast for the records tests, built by hand with the registry services and the default roles.

Regions: 江苏省 320000 > 南京市 320100 > 玄武区 320102; 江苏省 > 苏州市 320500.
Bodies: 省发改委 (provincial credit office), 南京市发改委 (city credit office), 玄武区人民政府 >
玄武区教育局; 苏州市财政局; 玄武区纪委 (discipline department). Subjects: one civil servant of 玄武区教育局,
one person, one enterprise.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from registry.builders import SYSTEM, add_agency, make_id, make_region, make_uscc, make_user

from govtrust.accounts.models import Role, User
from govtrust.registry import services as registry_services
from govtrust.registry.models import Agency, CivilServant, Enterprise, Person

PAST = datetime.date(2025, 6, 2)


@dataclass
class Cast:
    prov_credit: Agency
    nj_credit: Agency
    xw_gov: Agency
    xw_edu: Agency
    sz_finance: Agency
    xw_discipline: Agency
    servant: CivilServant
    person: Person
    enterprise: Enterprise
    prov_user: User
    city_user: User
    xw_user: User
    sz_user: User
    discipline_user: User
    norole_user: User


def role(code: str) -> Role:
    return Role.objects.get(code=code)


@pytest.fixture
def cast(db) -> Cast:  # type: ignore[no-untyped-def]
    js = make_region("320000", "江苏省", 1, None)
    nj = make_region("320100", "南京市", 2, js)
    xw = make_region("320102", "玄武区", 3, nj)
    sz = make_region("320500", "苏州市", 2, js)
    prov_credit = add_agency(1, "江苏省发展和改革委员会", js, is_credit_office=True)
    nj_credit = add_agency(3, "南京市发展和改革委员会", nj, is_credit_office=True)
    xw_gov = add_agency(5, "南京市玄武区人民政府", xw)
    xw_edu = add_agency(6, "南京市玄武区教育局", xw, parent=xw_gov)
    sz_finance = add_agency(4, "苏州市财政局", sz)
    xw_discipline = add_agency(9, "中共南京市玄武区纪律检查委员会", xw, parent=xw_gov)
    servant = registry_services.civil_servant_create(actor=SYSTEM, agency=xw_edu, name="张三丰", id_number=make_id(1))
    person = registry_services.person_create(actor=SYSTEM, name="李四光", id_number=make_id(2))
    enterprise = registry_services.enterprise_create(
        actor=SYSTEM, uscc=make_uscc(77, area="320102", kind="91"), name="南京某建设有限公司", region_code="320102"
    )
    return Cast(
        prov_credit=prov_credit,
        nj_credit=nj_credit,
        xw_gov=xw_gov,
        xw_edu=xw_edu,
        sz_finance=sz_finance,
        xw_discipline=xw_discipline,
        servant=servant,
        person=person,
        enterprise=enterprise,
        prov_user=make_user("prov", prov_credit, role("provincial_credit_office")),
        city_user=make_user("city", nj_credit, role("city_credit_office")),
        xw_user=make_user("xw", xw_edu, role("recorded_body")),
        sz_user=make_user("sz", sz_finance, role("recorded_body")),
        # The district's discipline/organisation users sit in the district government body: unit_and_below
        # from there covers every body under it.
        discipline_user=make_user("jw", xw_gov, role("discipline_department")),
        norole_user=make_user("nobody", xw_edu),
    )


def record_kwargs(cast: Cast, **overrides: Any) -> dict[str, Any]:
    """The arguments of one valid 一般 administrative penalty on 玄武区教育局, supplied by 南京市发改委."""
    data: dict[str, Any] = {
        "subject": cast.xw_edu,
        "record_class": "penalty",
        "severity": "general",
        "document_number": "宁市监罚〔2025〕12号",
        "authority_name": "南京市市场监督管理局",
        "authority_uscc": make_uscc(501, area="320100"),
        "decision_date": PAST,
        "facts": "未按合同约定支付中小企业款项",
        "basis": "《保障中小企业款项支付条例》第九条",
        "content": "警告，罚款",
        "supplier": cast.nj_credit,
        "source": "console",
    }
    data.update(overrides)
    return data
