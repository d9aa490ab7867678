import io

import pytest
from django.core.management import call_command

from govtrust.core.models import ObjectChange
from govtrust.registry.models import Agency

from .builders import make_uscc


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("agency", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit:
        code = int(exit.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_agency_add_and_show(cast):
    uscc = make_uscc(900, area="320102")
    code, out, err = run(
        "add", "--uscc", uscc, "--name", "南京市玄武区审计局", "--region", "320102", "--parent", cast.xw_gov.uscc
    )
    assert (code, err) == (0, "")
    assert uscc in out
    agency = Agency.objects.get(uscc=uscc)
    assert agency.parent == cast.xw_gov and agency.level == "county"
    assert ObjectChange.objects.get(object_id=str(agency.pk), object_type="registry.agency").user_name.startswith(
        "cli:"
    )
    code, out, _ = run("show", uscc)
    assert code == 0
    assert "南京市玄武区审计局" in out and "320102 玄武区" in out and cast.xw_gov.uscc in out


@pytest.mark.django_db
def test_agency_add_with_type_level_and_credit_office(cast):
    uscc = make_uscc(901, area="320100")
    code, _, err = run(
        "add", "--uscc", uscc, "--name", "南京市信用中心", "--region", "320100",
        "--type", "institution", "--level", "city", "--credit-office",
    )  # fmt: skip
    assert code == 0, err
    agency = Agency.objects.get(uscc=uscc)
    assert (agency.org_type, agency.level, agency.is_credit_office) == ("institution", "city", True)


@pytest.mark.django_db
def test_agency_add_prints_every_error_in_chinese_and_stores_nothing(cast):
    audit_rows = ObjectChange.objects.count()
    code, out, err = run("add", "--uscc", "ABC", "--name", "", "--region", "999999", "--type", "pirate")
    assert code == 1 and out == ""
    assert "统一社会信用代码应为18位" in err
    assert "单位名称不能为空" in err
    assert "行政区划代码“999999”不存在" in err
    assert "机构类型“pirate”无效" in err
    assert ObjectChange.objects.count() == audit_rows


@pytest.mark.django_db
def test_agency_add_refuses_a_duplicate_naming_the_body(cast):
    code, _, err = run("add", "--uscc", cast.xw_gov.uscc, "--name", "重复", "--region", "320102")
    assert code == 1 and "南京市玄武区人民政府" in err


@pytest.mark.django_db
def test_agency_add_warns_about_a_legacy_code(cast, legacy_uscc):
    code, out, _ = run("add", "--uscc", legacy_uscc, "--name", "老单位", "--region", "320102")
    assert code == 0 and "历史代码" in out
    assert "历史代码" in run("show", legacy_uscc)[1]


@pytest.mark.django_db
def test_agency_show_of_an_unknown_code_fails(cast):
    code, out, err = run("show", make_uscc(999))
    assert code == 1 and out == "" and "未登记" in err
