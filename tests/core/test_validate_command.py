"""`govtrust validate uscc|id CODE…`: output format and exit status."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from govtrust.core.services import legacy_code_add
from govtrust.core.validators import uscc_check_digit

SRC = Path(__file__).resolve().parents[2] / "src"


def run(*args):
    out = StringIO()
    call_command("validate", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.django_db
def test_it_prints_one_tab_separated_line_per_code_and_succeeds_when_none_is_invalid():
    lines = run("uscc", "91350100M000100Y43", "91350211M00013FA1N", "11100000mb0341032y")
    assert lines == [
        "91350100M000100Y43\tvalid\t",
        "91350211M00013FA1N\tlegacy\t校验码不符，但属于已登记的早期历史代码",
        "11100000MB0341032Y\tvalid\t",
    ]


@pytest.mark.django_db
def test_it_fails_with_status_1_when_any_code_is_invalid_but_still_prints_every_line():
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("validate", "uscc", "91350100M000100Y43", "91350100M000100Y44", stdout=out)
    assert excinfo.value.returncode == 1
    assert out.getvalue().splitlines() == [
        "91350100M000100Y43\tvalid\t",
        "91350100M000100Y44\tinvalid\t校验码错误：第18位应为“3”",
    ]


@pytest.mark.django_db
def test_it_uses_the_legacy_list_from_the_database():
    first17 = "91320000140003191"
    code = first17 + ("0" if uscc_check_digit(first17) != "0" else "1")
    with pytest.raises(CommandError):
        run("uscc", code)
    legacy_code_add(actor=None, code=code, note="核实")
    assert run("uscc", code) == [f"{code}\tlegacy\t校验码不符，但属于已登记的早期历史代码"]


@pytest.mark.django_db
def test_it_validates_id_numbers():
    assert run("id", "11010519491231002X", "110105491231002") == [
        "11010519491231002X\tvalid\t",
        "110105491231002\tlegacy\t第一代15位身份证号码，应换用18位号码",
    ]
    with pytest.raises(CommandError) as excinfo:
        run("id", "11010519490229002X")
    assert excinfo.value.returncode == 1


@pytest.mark.django_db
def test_an_unknown_kind_is_a_usage_error_with_status_2():
    with pytest.raises(CommandError) as excinfo:
        run("passport", "E12345678")
    assert excinfo.value.returncode == 2


def _cli(*args, var_dir):
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "GOVTRUST_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir}/cli.sqlite3",
    }
    return subprocess.run(
        [sys.executable, "-m", "govtrust.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_the_real_console_script_prints_lines_and_exit_statuses(tmp_path):
    assert _cli("migrate", "-v", "0", var_dir=tmp_path).returncode == 0
    ok = _cli("validate", "uscc", "91350100M000100Y43", "91350211M00013FA1N", var_dir=tmp_path)
    assert (ok.returncode, ok.stdout) == (
        0,
        "91350100M000100Y43\tvalid\t\n91350211M00013FA1N\tlegacy\t校验码不符，但属于已登记的早期历史代码\n",
    )
    bad = _cli("validate", "uscc", "91310115MA1H8R7C6D", var_dir=tmp_path)
    assert bad.returncode == 1
    assert bad.stdout == "91310115MA1H8R7C6D\tinvalid\t校验码错误：第18位应为“7”\n"
    assert _cli("validate", "passport", "E1", var_dir=tmp_path).returncode == 2
    assert _cli("validate", "uscc", var_dir=tmp_path).returncode == 2  # no codes
