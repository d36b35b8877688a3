"""The station file: parsed and validated; a broken one is one line `file:line: field: what`."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.station_file import (
    StationFileError,
    load_station_file,
    parse_duration,
    parse_station,
)
from tests.fakes.station import station_toml

GOOD = station_toml()


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the n-th line containing `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def broken(text: str) -> str:
    with pytest.raises(StationFileError) as caught:
        parse_station(text, "st.toml")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_good_station_file_parses_every_section() -> None:
    spec = parse_station(GOOD)
    assert spec.station.name == "新城派出所"
    assert (spec.station.chiefs, spec.station.superiors) == ([1001], [1002])
    assert spec.sla.accept == 30 * 60
    assert spec.sla.resolve == 24 * 3600
    assert spec.sla.follow_up == 3 * 86400
    assert [o.id for o in spec.officers] == [2001, 2002]
    assert [g.code for g in spec.grids] == ["NH-01", "NH-02", "NH-03"]
    assert spec.grids[1].chat_id is None
    assert spec.departments[0].name == "城管"


def test_minimal_station_file_gets_defaults() -> None:
    spec = parse_station('[station]\nname = "x"\n')
    assert (spec.station.timezone, spec.station.language) == ("Asia/Shanghai", "zh")
    assert (spec.sla.accept, spec.sla.resolve, spec.sla.urgent_accept) == (1800, 86400, 300)
    assert spec.officers == []
    assert spec.grids == []


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("45s", 45), ("30m", 1800), ("2h", 7200), ("3d", 259200), (" 5 m ", 300)],
)
def test_parse_duration_reads_each_unit(value: str, seconds: int) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["0m", "30", "30 minutes", "1.5h", "-1h", "h", "", "2w"])
def test_parse_duration_rejects_bad_values(value: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(value)


def test_toml_syntax_error_names_file_and_line() -> None:
    text = GOOD.replace('name = "李明"', 'name = "李明')
    assert broken(text).startswith(f"st.toml:{line_of(text, '李明')}: TOML syntax error")


def test_unknown_grid_in_officer_list_names_that_officer() -> None:
    text = GOOD.replace('grids = ["NH-03"]', 'grids = ["NH-09"]')
    assert broken(text) == (f"st.toml:{line_of(text, 'NH-09')}: officers[1].grids: "
                            "unknown grid 'NH-09'")


def test_duplicate_grid_code_names_the_second_grid() -> None:
    text = GOOD.replace('code = "NH-03"', 'code = "NH-01"')
    assert broken(text) == (f"st.toml:{line_of(text, 'code = ', 3)}: grids[2].code: "
                            "duplicate grid code 'NH-01'")


def test_duplicate_officer_id_names_the_second_officer() -> None:
    text = GOOD.replace("id = 2002", "id = 2001")
    assert broken(text) == (f"st.toml:{line_of(text, 'id = 2001', 2)}: officers[1].id: "
                            "duplicate officer id 2001")


def test_bad_duration_names_the_sla_field() -> None:
    text = GOOD.replace('resolve = "24h"', 'resolve = "一天"')
    message = broken(text)
    assert message.startswith(f"st.toml:{line_of(text, 'resolve = ')}: sla.resolve: ")
    assert "bad duration" in message


def test_duration_given_as_number_is_refused() -> None:
    text = GOOD.replace('accept = "30m"', "accept = 30")
    assert broken(text).startswith(f"st.toml:{line_of(text, 'accept = 30')}: sla.accept: ")


def test_unknown_timezone_names_the_field() -> None:
    text = GOOD.replace("Asia/Shanghai", "Mars/Olympus")
    assert broken(text).startswith(f"st.toml:{line_of(text, 'timezone')}: station.timezone: ")


def test_unsupported_language_names_the_field() -> None:
    text = GOOD.replace('language = "zh"', 'language = "fr"')
    assert broken(text).startswith(f"st.toml:{line_of(text, 'language')}: station.language: ")


def test_unknown_field_is_refused() -> None:
    text = GOOD.replace('sweep = "1m"', 'sweep = "1m"\nswep = "2m"')
    assert broken(text) == f"st.toml:{line_of(text, 'swep =')}: sla.swep: unknown field"


def test_missing_station_name_is_refused() -> None:
    text = GOOD.replace('name = "新城派出所"\n', "")
    assert broken(text) == f"st.toml:{line_of(text, '[station]')}: station.name: " \
        "required field is missing"


def test_missing_station_table_is_refused() -> None:
    assert broken("") == "st.toml:1: station: required field is missing"


def test_group_bound_to_two_grids_names_the_second_grid() -> None:
    text = GOOD.replace("chat_id = -1001003", "chat_id = -1001001")
    assert broken(text) == (f"st.toml:{line_of(text, 'chat_id = -1001001', 2)}: "
                            "grids[2].chat_id: chat -1001001 bound twice")


def test_bad_chief_id_names_the_chiefs_line() -> None:
    text = GOOD.replace("chiefs = [1001]", 'chiefs = [1001, "周所长"]')
    assert broken(text).startswith(f"st.toml:{line_of(text, 'chiefs')}: station.chiefs[1]: ")


def test_bad_officer_name_names_that_officers_line() -> None:
    text = GOOD.replace('name = "李明"', 'name = ""')
    line = line_of(text, 'name = ""')
    assert broken(text).startswith(f"st.toml:{line}: officers[1].name: ")


def test_load_station_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "station.toml"
    path.write_text(GOOD.replace('grids = ["NH-03"]', 'grids = ["NH-09"]'), "utf-8")
    with pytest.raises(StationFileError, match=rf"^{path}:\d+: officers\[1\]\.grids: "):
        load_station_file(path)


def test_load_station_file_reports_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(StationFileError, match=rf"^{path}: cannot read"):
        load_station_file(path)


def test_load_station_file_reports_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(GOOD.encode("gbk"))
    with pytest.raises(StationFileError, match=rf"^{path}: not UTF-8"):
        load_station_file(path)


def test_toml_error_at_end_of_document_names_the_last_line() -> None:
    text = GOOD + '\n[[grids]]\ncode = "NH-04"\nname = "未写完'
    assert broken(text).startswith(f"st.toml:{len(text.splitlines())}: TOML syntax error")
