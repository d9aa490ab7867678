import pytest
from django.template import Context, Template

from govtrust.core.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "110105********002X"),
        ("11010519491231002x", "110105********002X"),
        ("110105491231002", "110105******002"),
        ("E12345678", "*********"),
        ("", ""),
        (None, ""),
    ],
)
def test_id_numbers_hide_the_birth_date(number, masked):
    assert mask_id_number(number) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("025-83391234", "025****1234"),
        ("0512-12345678", "0512****5678"),
        ("12345", "*2345"),
        ("110", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_phone_numbers_hide_the_middle_four_digits(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张明", "张*"),
        ("张晓明", "张*明"),
        ("欧阳晓明", "欧**明"),
        ("阿卜杜拉·买买提", "阿******提"),
        ("张", "*"),
        (" 张晓明 ", "张*明"),
        ("", ""),
        (None, ""),
    ],
)
def test_names_keep_only_the_first_and_last_character(name, masked):
    assert mask_name(name) == masked


def test_the_template_filters_mask_and_still_escape():
    template = Template(
        "{% load masking %}{{ id|mask_id }}|{{ phone|mask_phone }}|{{ name|mask_name }}|{{ none|mask_name }}"
    )
    rendered = template.render(
        Context({"id": "11010519491231002X", "phone": "13812345678", "name": "<b>晓明</b>", "none": None})
    )
    assert rendered == "110105********002X|138****5678|&lt;*******&gt;|"
