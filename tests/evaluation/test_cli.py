"""`govtrust evaluate --spec SPEC --data DATA.csv --out OUT.csv` on real files."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from django.core.management import call_command

from . import asem


def evaluate(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("evaluate", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path):
    spec = tmp_path / "asem.toml"
    shutil.copyfile(asem.DATA / "asem-spec.toml", spec)
    data = asem.write_merged_csv(tmp_path / "asem.csv")
    return spec, data, tmp_path / "out.csv"


def read_out(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_asem_example_through_the_command_gives_coinrs_index_at_full_precision(files):
    spec, data, out = files
    status, stdout, stderr = evaluate("--spec", str(spec), "--data", str(data), "--out", str(out))
    assert status == 0, stderr
    assert "评价对象 51 个，指标 49 个，汇总项 11 个" in stdout
    assert "异常值处理：Services 缩尾（低端 0 个，高端 4 个）" in stdout
    assert "异常值处理：FemLab 缩尾（低端 1 个，高端 0 个）" in stdout
    rows = {r["unit"]: r for r in read_out(out)}
    expected = {r["UnitCode"]: r for r in asem.read("stage_Aggregated.csv")}
    assert len(rows) == 51
    for unit, row in rows.items():
        for code in ("Index", "Conn", "Sust", "Physical", "SusEcFin"):
            assert abs(float(row[f"{code}_score"]) - float(expected[unit][code])) <= 1e-9
    assert rows["CHE"]["Index_rank"] == "1" and rows["RUS"]["Index_rank"] == "51"
    assert "rank_median" not in rows["CHE"]  # the spec asks for no uncertainty


def test_with_uncertainty_the_output_carries_rank_intervals_and_is_byte_identical_on_a_rerun(files, tmp_path):
    spec, data, out = files
    with spec.open("a", encoding="utf-8") as handle:
        handle.write("\n[uncertainty]\nruns = 500\nweight_noise = 0.25\n")
    status, stdout, stderr = evaluate("--spec", str(spec), "--data", str(data), "--out", str(out))
    assert status == 0, stderr
    assert "不确定性分析：500 次模拟，不确定输入 weights、normalisation、aggregation" in stdout
    assert "一阶敏感性指数" in stdout and "总敏感性指数" in stdout
    again = tmp_path / "again.csv"
    evaluate("--spec", str(spec), "--data", str(data), "--out", str(again))
    assert out.read_bytes() == again.read_bytes()
    rows = read_out(out)
    for row in rows:
        assert float(row["rank_q05"]) <= float(row["rank_median"]) <= float(row["rank_q95"])
    other = tmp_path / "other.csv"
    evaluate("--spec", str(spec), "--data", str(data), "--out", str(other), "--seed", "99")
    assert other.read_bytes() != out.read_bytes()
    status, _, _ = evaluate("--spec", str(spec), "--data", str(data), "--out", str(other), "--no-uncertainty")
    assert status == 0 and "rank_median" not in read_out(other)[0]


def test_a_json_spec_works_like_toml(files, tmp_path):
    _, data, out = files
    spec = tmp_path / "asem.json"
    spec.write_text(json.dumps(asem.spec_mapping(), ensure_ascii=False), encoding="utf-8")
    status, _, stderr = evaluate("--spec", str(spec), "--data", str(data), "--out", str(out))
    assert status == 0, stderr
    assert read_out(out)[0]["unit"] == "AUT"


def test_a_spec_naming_a_missing_indicator_exits_2_with_a_chinese_message_and_writes_nothing(files):
    spec, data, out = files
    text = spec.read_text(encoding="utf-8").replace('code = "Goods"', 'code = "不存在的指标"')
    spec.write_text(text, encoding="utf-8")
    status, _, stderr = evaluate("--spec", str(spec), "--data", str(data), "--out", str(out))
    assert status == 2
    assert "错误：数据中缺少规格所需的列：不存在的指标" in stderr
    assert not out.exists()


def test_a_malformed_spec_file_exits_2(files):
    spec, data, out = files
    spec.write_text("[method\nnormalise = ", encoding="utf-8")
    status, _, stderr = evaluate("--spec", str(spec), "--data", str(data), "--out", str(out))
    assert status == 2 and "格式有误" in stderr


def test_a_data_file_with_a_non_numeric_cell_exits_2_naming_row_and_column(files, tmp_path):
    spec, data, out = files
    lines = data.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    header = lines[0].split(",")
    cells[header.index("LPI")] = "'; DROP TABLE units; --"
    lines[3] = ",".join(cells)
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, _, stderr = evaluate("--spec", str(spec), "--data", str(data), "--out", str(out))
    assert status == 2
    assert '第 4 行 LPI 列的值 "\'; DROP TABLE units; --" 不是数值' in stderr


def test_missing_files_and_non_utf8_data_exit_2(files, tmp_path):
    spec, data, out = files
    status, _, stderr = evaluate("--spec", str(tmp_path / "nope.toml"), "--data", str(data), "--out", str(out))
    assert status == 2 and "无法读取规格文件" in stderr
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("unit,指标\n南京,1\n".encode("gbk"))
    status, _, stderr = evaluate("--spec", str(spec), "--data", str(gbk), "--out", str(out))
    assert status == 2 and "无法读取数据文件" in stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    status, _, stderr = evaluate("--spec", str(spec), "--data", str(empty), "--out", str(out))
    assert status == 2 and "是空的" in stderr


def test_a_constant_indicator_exits_2_naming_it(files):
    spec, data, out = files
    with data.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    col = table[0].index("LPI")
    for row in table[1:]:
        row[col] = "3"
    with data.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(table)
    status, _, stderr = evaluate("--spec", str(spec), "--data", str(data), "--out", str(out))
    assert status == 2 and "指标 LPI 的取值全部相同" in stderr
