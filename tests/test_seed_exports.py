"""Real exports (issue #18): GBK and Excel files, Chinese headers, title rows, overlapping and
moved exports, and the rejects you can read. Every file is written by the test, as the exporting
program would write it; loaded + rejected lines always add up to the file's data lines."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner
from test_load import make_project, query, seed, statuses

from metricflow_lite.cli import cli
from metricflow_lite.errors import MflError
from metricflow_lite.seeds.load import LoadStatus
from metricflow_lite.spec.project import load_project

# An ACD export as Excel on zh-CN Windows saves it: GBK, Chinese headers, 2024/10/8 9:05
ACD_TEXT = (
    "坐席工号,来电时间,通话时长(秒),技能组\r\n"  # line 1
    "A1001,2024/10/8 9:05,120,热线\r\n"  # 2
    "A1002,2024/10/8 10:30,45,在线客服\r\n"  # 3
    "A1003,2024/10/8 25:00,30,热线\r\n"  # 4: no such hour
    "A1004,2024/10/9 8:00,4.5,網點\r\n"  # 5: not a whole number (and a Big5-only glyph, in GBK)
)
ACD_YML = """encoding: gb18030
columns:
  agent_id: {from: 坐席工号, type: varchar}
  offered_ts: {from: 来电时间, type: timestamp, format: "%Y/%m/%d %H:%M"}
  talk_seconds: {from: 通话时长(秒), type: integer}
  skill: {from: 技能组}
"""


def test_gbk_export_with_chinese_headers_and_formats(tmp_path: Path) -> None:
    root = make_project(
        tmp_path, {"seeds/acd.csv": ACD_TEXT.encode("gbk"), "seeds/acd.yml": ACD_YML}
    )
    summary = seed(root)
    # 5 lines - 1 header = 4 data lines = 2 loaded + 2 rejected
    assert statuses(summary) == [("seeds/acd.csv", LoadStatus.LOADED, 2, 2)]
    assert query(
        root, "SELECT agent_id, offered_ts, talk_seconds, skill, _line FROM raw.acd ORDER BY _line"
    ) == [
        ("A1001", dt.datetime(2024, 10, 8, 9, 5), 120, "热线", 2),
        ("A1002", dt.datetime(2024, 10, 8, 10, 30), 45, "在线客服", 3),
    ]
    assert query(root, "SELECT line, reason, raw_text FROM raw._rejects ORDER BY line") == [
        (
            4,
            "column offered_ts: 2024/10/8 25:00 does not match %Y/%m/%d %H:%M",
            "A1003,2024/10/8 25:00,30,热线",
        ),
        (5, "column talk_seconds: 4.5 is not a valid INTEGER", "A1004,2024/10/9 8:00,4.5,網點"),
    ]


@pytest.mark.parametrize(
    ("encoding", "declared"),
    [("gb18030", "gbk"), ("big5", "big5"), ("utf-16", "utf-16"), ("utf-8-sig", "utf-8-sig")],
    ids=["gbk-alias", "big5", "utf-16", "utf-8-bom"],
)
def test_declared_encodings(tmp_path: Path, encoding: str, declared: str) -> None:
    text = "坐席,班組\n張三,早班\n李四,晚班\n"
    root = make_project(
        tmp_path,
        {"seeds/agents.csv": text.encode(encoding), "seeds/agents.yml": f"encoding: {declared}\n"},
    )
    assert statuses(seed(root)) == [("seeds/agents.csv", LoadStatus.LOADED, 2, 0)]
    assert query(root, 'SELECT "坐席", "班組" FROM raw.agents ORDER BY _line') == [
        ("張三", "早班"),
        ("李四", "晚班"),
    ]


def test_auto_detects_each_files_encoding(tmp_path: Path) -> None:
    lines = "坐席工号,姓名,班组\n" + "".join(f"A{i},张三{i},早班组\n" for i in range(200))
    root = make_project(
        tmp_path,
        {
            "seeds/agents/2024-10-08.csv": lines.encode("gbk"),
            "seeds/agents/2024-10-09.csv": lines.replace("A", "B").encode("utf-8"),
            "seeds/agents.yml": "encoding: auto\n",
        },
    )
    assert [r.rows for r in seed(root).results] == [200, 200]
    assert query(root, "SELECT count(*) FROM raw.agents WHERE 姓名 = '张三7'") == [(2,)]


def expected_rows(text: str) -> list[tuple[str, ...]]:
    """The data lines of a CSV text as the reader should load them (the header left out)."""
    import csv
    import io

    return [tuple(row) for row in list(csv.reader(io.StringIO(text)))[1:]]


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("坐席,班組\n張三,早班\n李四,晚班\n", "big5"),
        ("坐席,姓名\nA1,𠀀龘\nA2,😀\n", "gb18030"),
        ("agent,name\nA1,Jürgen Größ\nA2,Françoise\n", "latin-1"),
    ],
    ids=["short-big5", "gb18030-four-byte", "latin-1"],
)
def test_auto_chooses_among_the_encodings_seeds_accept(
    tmp_path: Path, text: str, encoding: str
) -> None:
    """Left to choose among every encoding it knows, the detector read a short Big5 export as
    Shift_JIS and a GB18030 one with a four-byte character as cp1250: other characters, no
    error."""
    root = make_project(
        tmp_path,
        {"seeds/agents.csv": text.encode(encoding), "seeds/agents.yml": "encoding: auto\n"},
    )
    assert statuses(seed(root)) == [("seeds/agents.csv", LoadStatus.LOADED, 2, 0)]
    columns = ", ".join(f'"{name}"' for name in text.splitlines()[0].split(","))
    assert query(root, f"SELECT {columns} FROM raw.agents ORDER BY _line") == expected_rows(text)


@pytest.mark.parametrize(
    ("codec", "declared"),
    [
        ("utf-16-le", "utf-16"),
        ("utf-16-be", "utf-16"),
        ("utf-16-le", "utf-16le"),
        ("utf-16-be", "utf-16be"),
        ("utf-16-le", "auto"),
        ("utf-16-be", "auto"),
        ("utf-16", "utf-16le"),  # with a byte-order mark: the mark is not part of the header
    ],
)
def test_utf16_without_a_byte_order_mark(tmp_path: Path, codec: str, declared: str) -> None:
    """Programs other than Excel write UTF-16 without a BOM: declared, it was refused as 'not
    valid utf-16, looks like utf-8'; with auto its zero bytes loaded into every value."""
    for text in ("agent,name,team\nA1,Zhang,early\nA2,Li,late\n", "坐席,姓名\nA1,张三\nA2,李四\n"):
        folder = tmp_path / f"{len(text)}"
        folder.mkdir()
        root = make_project(
            folder,
            {"seeds/agents.csv": text.encode(codec), "seeds/agents.yml": f"encoding: {declared}\n"},
        )
        assert statuses(seed(root)) == [("seeds/agents.csv", LoadStatus.LOADED, 2, 0)]
        columns = ", ".join(f'"{name}"' for name in text.splitlines()[0].split(","))
        assert query(root, f"SELECT {columns} FROM raw.agents ORDER BY _line") == expected_rows(
            text
        )


@pytest.mark.parametrize("declared", ["latin-1", "auto"])
def test_latin1_is_read_as_windows_1252(tmp_path: Path, declared: str) -> None:
    """A Western Windows export is cp1252: read as ISO-8859-1 its quotes, dash and euro sign
    loaded as C1 control characters (declared), or stopped the load as not gb18030 (auto)."""
    text = "agent,note\nA1,\u201cgood\u201d \u2013 \u20ac5 caf\u00e9\nA2,\u0152uvre\n"
    data = text.encode("cp1252")
    undefined = [("A3", "\x81")] if declared == "latin-1" else []
    if undefined:  # a byte cp1252 leaves undefined reads too (auto takes it for a bad byte)
        data += b"A3,\x81\n"
    root = make_project(
        tmp_path, {"seeds/agents.csv": data, "seeds/agents.yml": f"encoding: {declared}\n"}
    )
    assert statuses(seed(root)) == [("seeds/agents.csv", LoadStatus.LOADED, 2 + len(undefined), 0)]
    assert query(root, "SELECT agent, note FROM raw.agents ORDER BY _line") == [
        *expected_rows(text),
        *undefined,
    ]


def test_auto_looks_past_a_first_mib_of_ascii(tmp_path: Path) -> None:
    """A GBK export whose Chinese starts after its first MiB was taken for UTF-8 (ASCII is
    valid UTF-8), and auto failed with 'not valid utf-8 ... re-export it'."""
    ascii_part = "id,name\n" + "".join(f"{i},agent{i}\n" for i in range(80_000))
    chinese = "".join(f"Z{i},张三{i}\n" for i in range(10))
    assert len(ascii_part) > 1 << 20
    data = ascii_part.encode() + chinese.encode("gbk")
    root = make_project(tmp_path, {"seeds/a.csv": data, "seeds/a.yml": "encoding: auto\n"})
    assert statuses(seed(root)) == [("seeds/a.csv", LoadStatus.LOADED, 80_010, 0)]
    assert query(root, "SELECT name FROM raw.a WHERE id = 'Z9'") == [("张三9",)]
    # declared UTF-8 (the default): the error's hint names GB18030
    (tmp_path / "utf8").mkdir()
    with pytest.raises(MflError) as caught:
        seed(make_project(tmp_path / "utf8", {"seeds/a.csv": data}))
    assert caught.value.code == "E115" and "gb18030" in (caught.value.hint or "")


@pytest.mark.parametrize("declared", ["big5", "auto"])
def test_big5_as_windows_and_hong_kong_write_it(tmp_path: Path, declared: str) -> None:
    """Python's Big5 lacks what Windows adds (cp950: 裏 恒 €) and Hong Kong's HKSCS (嘅 咗):
    declared, such a file was refused as 'looks like gb18030'; with auto it loaded as GB18030,
    other characters and private-use ones."""
    rows = [("A1", "陳大文"), ("A2", "裏面恒常"), ("A3", "佢講咗嘅嘢"), ("A4", "€5")]
    data = "坐席,备注\n".replace("备", "備").encode("big5")
    for agent, note in rows:
        line = f"{agent},".encode("big5")
        for ch in note:
            for codec in ("big5", "cp950", "big5hkscs"):
                try:
                    line += ch.encode(codec)
                    break
                except UnicodeEncodeError:
                    continue
        data += line + b"\n"
    root = make_project(
        tmp_path, {"seeds/agents.csv": data, "seeds/agents.yml": f"encoding: {declared}\n"}
    )
    assert statuses(seed(root)) == [("seeds/agents.csv", LoadStatus.LOADED, 4, 0)]
    assert query(root, 'SELECT "坐席", "備注" FROM raw.agents ORDER BY _line') == rows


def test_big5_extensions_in_a_file_decoded_in_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metricflow_lite.seeds import encodings

    monkeypatch.setattr(encodings, "PARALLEL_MIN", 1)
    monkeypatch.setattr(encodings.os, "cpu_count", lambda: 4)
    body = "".join(f"A{i},陳大文\n" for i in range(400))
    data = (
        "坐席,姓名\n".encode("big5")
        + body.encode("big5")
        + b"A400,"
        + "嘅".encode("big5hkscs")
        + b"\n"
    )
    root = make_project(
        tmp_path, {"seeds/agents.csv": data, "seeds/agents.yml": "encoding: big5\n"}
    )
    assert statuses(seed(root)) == [("seeds/agents.csv", LoadStatus.LOADED, 401, 0)]
    assert query(root, "SELECT 姓名 FROM raw.agents WHERE 坐席 = 'A400'") == [("嘅",)]


@pytest.mark.parametrize(
    ("encoding", "yml"),
    [
        ("utf-8", ""),
        ("gbk", "encoding: gbk\n"),
        ("gbk", "encoding: gbk\nheader_row: 2\n"),
        ("utf-8-sig", "header_row: auto\n"),
    ],
)
def test_lines_ending_in_a_carriage_return_alone(tmp_path: Path, encoding: str, yml: str) -> None:
    """Excel for Mac's "CSV (Macintosh)" ends lines with a CR alone: the load failed with
    Python's 'do you need to open the file in universal-newline mode?', and with header_row
    it loaded nothing at all and said all was well."""
    lines = ["坐席,时长", "A1,10", "A2,x", '"A3","多\r行"']
    title = "header_row: 2" in yml
    text = "\r".join((["通话报表"] if title else []) + lines) + "\r"
    yml += "columns:\n  secs: {from: 时长, type: integer}\n"
    root = make_project(tmp_path, {"seeds/a.csv": text.encode(encoding), "seeds/a.yml": yml})
    assert statuses(seed(root)) == [("seeds/a.csv", LoadStatus.LOADED, 1, 2)]
    first = 3 if title else 2
    assert query(root, 'SELECT "坐席", secs, _line FROM raw.a') == [("A1", 10, first)]
    assert query(root, "SELECT line, reason FROM raw._rejects ORDER BY line") == [
        (first + 1, "column secs: x is not a valid INTEGER"),
        (first + 2, "column secs: 多\n行 is not a valid INTEGER"),
    ]


def test_a_stray_nul_does_not_make_a_file_utf16() -> None:
    from metricflow_lite.seeds.encodings import detect_bytes

    assert detect_bytes(b"agent,name\nA1,Zh\x00ang\nA2,Li\n" * 3) == "utf-8"
    assert detect_bytes("坐席,姓名\nA1,张三\x00\n".encode("gbk")) == "gb18030"


def test_a_file_invalid_in_its_encoding_is_one_error_naming_the_line(tmp_path: Path) -> None:
    """GBK bytes in a file read as UTF-8 (the default): one error with the line and the
    likely encoding, not one reject per Chinese line."""
    text = (
        "agent_id,team\n"
        + "".join(f"A{i},team{i}\n" for i in range(30))
        + "".join(f"B{i},早班组的坐席张三和李四在呼叫中心接听电话\n" for i in range(30))
    )
    root = make_project(tmp_path, {"seeds/agents.csv": text.encode("gbk")})
    with pytest.raises(MflError) as caught:
        seed(root)
    err = caught.value
    assert err.code == "E115"
    assert err.loc is not None and (err.loc.file, err.loc.line) == ("seeds/agents.csv", 32)
    assert "line 32" in err.message and "gb18030" in (err.hint or "")


# A GB18030 export with a title and an export date above the header, cut into parts and
# decoded by several processes when it is large (PARALLEL_MIN set low for the test).
BIG_TITLE = "通话明细报表\r\n导出时间：2024-10-09 08:00\r\n"
BIG_YML = """encoding: gb18030
header_row: 3
columns:
  call_no: {from: 通话编号}
  agent: {from: 坐席}
  talk_seconds: {from: 通话时长(秒), type: integer}
"""


def big_export(bad_line: int | None = None) -> bytes:
    """Line 3 the header, lines 4..603 the calls C0..C599 (talk_seconds = i); 'C<i>' at
    bad_line gets a byte that is not GB18030 (0x80 is never a lead byte)."""
    data = [BIG_TITLE.encode("gb18030"), "通话编号,坐席,通话时长(秒)\r\n".encode("gb18030")]
    for i in range(600):
        line = f"C{i},坐席张三{i % 7},{i}\r\n".encode("gb18030")
        if bad_line == 4 + i:
            line = line.replace(b"C", b"C\x80", 1)
        data.append(line)
    return b"".join(data)


@pytest.mark.parametrize("parts", [1, 4], ids=["one-pass", "in-parts"])
def test_large_gb18030_export_decoded_in_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: int
) -> None:
    from metricflow_lite.seeds import encodings

    monkeypatch.setattr(encodings, "PARALLEL_MIN", 1 if parts > 1 else 1 << 40)
    monkeypatch.setattr(encodings, "MAX_PARTS", parts)
    monkeypatch.setattr(encodings.os, "cpu_count", lambda: 4)
    if parts > 1:  # the workers must do it: no falling back to one pass

        def one_pass(*_: object) -> None:
            raise AssertionError("decoded in one pass")

        monkeypatch.setattr(encodings, "_transcode_serial", one_pass)
    root = make_project(
        tmp_path, {"seeds/calls.csv": big_export()[:-2], "seeds/calls.yml": BIG_YML}
    )  # the last line without its line break
    assert statuses(seed(root)) == [("seeds/calls.csv", LoadStatus.LOADED, 600, 0)]
    rows = query(root, "SELECT call_no, agent, talk_seconds, _line FROM raw.calls ORDER BY _line")
    assert rows == [(f"C{i}", f"坐席张三{i % 7}", i, 4 + i) for i in range(600)]


@pytest.mark.parametrize("bad_line", [1, 5, 350, 603])
def test_a_bad_byte_in_any_part_names_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_line: int
) -> None:
    from metricflow_lite.seeds import encodings

    monkeypatch.setattr(encodings, "PARALLEL_MIN", 1)
    monkeypatch.setattr(encodings.os, "cpu_count", lambda: 4)

    def one_pass(*_: object) -> None:
        raise AssertionError("decoded in one pass")

    monkeypatch.setattr(encodings, "_transcode_serial", one_pass)
    data = big_export(None if bad_line == 1 else bad_line)
    if bad_line == 1:  # in the title, above the header
        data = b"\x80" + data
    root = make_project(tmp_path, {"seeds/calls.csv": data, "seeds/calls.yml": BIG_YML})
    with pytest.raises(MflError) as caught:
        seed(root)
    assert caught.value.code == "E115"
    assert caught.value.loc is not None and caught.value.loc.line == bad_line
    assert f"line {bad_line}" in caught.value.message


@pytest.mark.parametrize("parts", [1, 4], ids=["one-pass", "in-parts"])
@pytest.mark.parametrize("utf8_line", [4, 350, 603])
def test_a_utf8_line_in_a_gb18030_export_is_one_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: int, utf8_line: int
) -> None:
    """A line typed in by a UTF-8 program decodes as GB18030 too, into other characters
    (坐席张三 into 鍧愬腑寮犱笁): it is named, and nothing of the file is loaded."""
    from metricflow_lite.seeds import encodings

    monkeypatch.setattr(encodings, "PARALLEL_MIN", 1 if parts > 1 else 1 << 40)
    monkeypatch.setattr(encodings, "MAX_PARTS", parts)
    monkeypatch.setattr(encodings, "CHUNK", 4096)  # lines cut by chunks: carried over whole
    monkeypatch.setattr(encodings.os, "cpu_count", lambda: 4)
    i = utf8_line - 4
    gb = f"C{i},坐席张三{i % 7},{i}\r\n".encode("gb18030")
    data = big_export().replace(gb, gb.decode("gb18030").encode("utf-8"), 1)
    assert data.decode("gb18030")  # the strict decoder alone lets it through
    if utf8_line == 603:
        data = data[:-2]  # the last line, without its line break
    root = make_project(tmp_path, {"seeds/calls.csv": data, "seeds/calls.yml": BIG_YML})
    with pytest.raises(MflError) as caught:
        seed(root)
    err = caught.value
    assert err.code == "E115" and err.loc is not None and err.loc.line == utf8_line
    assert f"line {utf8_line} is UTF-8" in err.message and "nothing was loaded" in (err.hint or "")


def test_a_whole_utf8_file_declared_gbk_says_the_file_is_utf8(tmp_path: Path) -> None:
    text = "坐席工号,姓名\n" + "".join(f"A{i},张三{i}\n" for i in range(20))
    root = make_project(
        tmp_path, {"seeds/agents.csv": text.encode("utf-8"), "seeds/agents.yml": "encoding: gbk\n"}
    )
    with pytest.raises(MflError) as caught:
        seed(root)
    assert caught.value.code == "E115"
    assert "is UTF-8 text, not gb18030" in caught.value.message
    assert "encoding: utf-8" in (caught.value.hint or "")
    assert "like the rest" not in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("text", "codec", "declared", "looks"),
    [
        ("坐席工號,姓名\nA1,張三\nA2,陳大文\n", "big5", "gbk", "big5"),
        ("坐席工号,姓名\nA1,张三\nA2,李四\n", "gbk", "latin-1", "gb18030"),
    ],
)
def test_a_header_not_found_in_a_misdeclared_encoding_names_the_likely_one(
    tmp_path: Path, text: str, codec: str, declared: str, looks: str
) -> None:
    """Every byte decodes in the wrong encoding too, into other characters: the error showed
    the header as mojibake ('the files have: ×øÏ¯¹¤ºÅ') and said nothing of the encoding."""
    header = text.split(",")[0]
    for yml in (
        f"encoding: {declared}\ncolumns:\n  agent: {{from: {header}}}\n",
        f"encoding: {declared}\nheader_row: auto\ncolumns:\n  agent: {{from: {header}}}\n",
    ):
        folder = tmp_path / str(len(yml))
        folder.mkdir()
        root = make_project(
            folder, {"seeds/agents.csv": text.encode(codec), "seeds/agents.yml": yml}
        )
        with pytest.raises(MflError) as caught:
            seed(root)
        assert caught.value.code in ("E104", "E116")
        assert f"looks like {looks} text" in (caught.value.hint or ""), caught.value.hint


def test_gb18030_lines_are_not_taken_for_utf8() -> None:
    """Every Chinese text of the demo's exports, as GB18030 lines: none is taken for UTF-8."""
    from metricflow_lite.seeds.transcode_worker import utf8_line

    texts = [
        "坐席张三,热线,售前咨询,是,否,已解决,投诉,网点,早班组",
        "华东区,上海,南京,广州,深圳,北京,一组,二组,三组,四组",
        "工单已关闭,待回访,客户满意,非常满意,不满意,一般",
    ]
    block = "".join(f"{t},{n}\n" for t in texts for n in range(50)).encode("gb18030")
    assert utf8_line(block) is None
    assert utf8_line(block + "售后\n".encode()) == 150


def test_utf16_declared_on_a_utf8_file_is_a_users_mistake(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {"seeds/agents.csv": "agent_id,team\nA1,早班\n", "seeds/agents.yml": "encoding: utf-16\n"},
    )
    result = CliRunner().invoke(cli, ["seed", "--project-dir", str(root)])
    assert result.exit_code == 1, result.output
    assert "E115" in result.output and "utf-16" in result.output


def write_xlsx(path: Path, rows: list[list[object]], sheet: str = "明细") -> None:
    book = xlsxwriter.Workbook(str(path))
    sheet_ = book.add_worksheet(sheet)
    when = book.add_format({"num_format": "yyyy/m/d h:mm"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet_.write_datetime(r, c, value, when)
            elif value is not None:
                sheet_.write(r, c, value)
    book.close()


XLSX_YML = """sheet: 明细
header_row: auto
columns:
  agent_id: {from: 坐席工号}
  offered_ts: {from: 来电时间, type: timestamp}
  talk_seconds: {from: 通话时长(秒), type: integer}
"""


def test_xlsx_with_a_title_row_and_sheet_row_numbers(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"seeds/acd.yml": XLSX_YML})
    write_xlsx(
        root / "seeds/acd.xlsx",
        [
            ["通话明细报表"],  # row 1: a title
            ["导出时间: 2024-10-09 08:00"],  # row 2: the export date
            ["坐席工号", "来电时间", "通话时长(秒)"],  # row 3: the header
            ["A1001", dt.datetime(2024, 10, 8, 9, 5), 120],  # 4
            ["A1002", 45573.5, 45.0],  # 5: an Excel serial date, a whole number stored as float
            [None, None, None],  # 6: blank
            ["A1003", dt.datetime(2024, 10, 8, 11, 0), 4.5],  # 7: not a whole number
            ["A1004", "昨天", 30],  # 8: not a time
        ],
    )
    summary = seed(root)
    assert statuses(summary) == [("seeds/acd.xlsx", LoadStatus.LOADED, 2, 2)]
    # serial 45573.5 = 2024-10-08 12:00 (days since 1899-12-30)
    assert query(root, "SELECT agent_id, offered_ts, talk_seconds, _line FROM raw.acd") == [
        ("A1001", dt.datetime(2024, 10, 8, 9, 5), 120, 4),
        ("A1002", dt.datetime(2024, 10, 8, 12, 0), 45, 5),
    ]
    assert query(root, "SELECT line, reason FROM raw._rejects ORDER BY line") == [
        (7, "column talk_seconds: 4.5 is not a valid INTEGER"),
        (8, "column offered_ts: 昨天 is not a valid TIMESTAMP"),
    ]


def test_xlsx_in_the_1904_date_system_counts_serials_from_1904(tmp_path: Path) -> None:
    """A workbook saved by Excel for Mac in the 1904 date system stores every date as days
    since 1904-01-01: a serial number in a date column counted from 1899-12-30 loaded
    1,462 days (four years) early."""
    root = make_project(tmp_path, {"seeds/acd.yml": XLSX_YML})
    book = xlsxwriter.Workbook(str(root / "seeds/acd.xlsx"), {"date_1904": True})
    sheet = book.add_worksheet("明细")
    shown = book.add_format({"num_format": "yyyy/m/d h:mm"})
    sheet.write_row(0, 0, ["坐席工号", "来电时间", "通话时长(秒)"])
    sheet.write_row(1, 0, ["A1"])  # a date cell: the reader counts it by the workbook's system
    sheet.write_datetime(1, 1, dt.datetime(2024, 10, 8, 9, 5), shown)
    sheet.write(1, 2, 120)
    # the serial number of 2024-10-08 12:00 in the 1904 system, as a plain number
    serial = (dt.date(2024, 10, 8) - dt.date(1904, 1, 1)).days + 0.5
    sheet.write_row(2, 0, ["A2", serial, 45])
    book.close()
    assert statuses(seed(root)) == [("seeds/acd.xlsx", LoadStatus.LOADED, 2, 0)]
    assert query(root, "SELECT agent_id, offered_ts, talk_seconds, _line FROM raw.acd") == [
        ("A1", dt.datetime(2024, 10, 8, 9, 5), 120, 2),
        ("A2", dt.datetime(2024, 10, 8, 12, 0), 45, 3),
    ]


def test_xlsx_date_cells_in_a_column_with_a_format(tmp_path: Path) -> None:
    """`format:` describes the text cells of a column; its date cells (and serial numbers)
    were written out in ISO form and every one was rejected as not matching the format."""
    root = make_project(
        tmp_path,
        {
            "seeds/acd.yml": """columns:
  agent_id: {from: 坐席工号}
  offered_ts: {from: 来电时间, type: timestamp, format: "%Y/%m/%d %H:%M"}
  shift_day: {from: 班次日期, type: date, format: "%Y/%m/%d"}
"""
        },
    )
    book = xlsxwriter.Workbook(str(root / "seeds/acd.xlsx"))
    sheet = book.add_worksheet("明细")
    shown = book.add_format({"num_format": "yyyy/m/d h:mm"})
    sheet.write_row(0, 0, ["坐席工号", "来电时间", "班次日期"])
    sheet.write_row(1, 0, ["A1"])  # row 2: date cells
    sheet.write_datetime(1, 1, dt.datetime(2024, 10, 8, 9, 5), shown)
    sheet.write_datetime(1, 2, dt.datetime(2024, 10, 8), shown)
    sheet.write_row(2, 0, ["A2", "2024/10/8 10:30", "2024/10/8"])  # row 3: text
    serial = (dt.date(2024, 10, 8) - dt.date(1899, 12, 30)).days
    sheet.write_row(3, 0, ["A3", serial + 0.4375, serial])  # row 4: serial numbers
    sheet.write_row(4, 0, ["A4"])  # row 5: seconds the format cannot say
    sheet.write_datetime(4, 1, dt.datetime(2024, 10, 8, 9, 5, 30), shown)
    sheet.write_datetime(4, 2, dt.datetime(2024, 10, 8), shown)
    book.close()
    assert statuses(seed(root)) == [("seeds/acd.xlsx", LoadStatus.LOADED, 3, 1)]
    day = dt.date(2024, 10, 8)
    assert query(root, "SELECT agent_id, offered_ts, shift_day, _line FROM raw.acd ORDER BY 4") == [
        ("A1", dt.datetime(2024, 10, 8, 9, 5), day, 2),
        ("A2", dt.datetime(2024, 10, 8, 10, 30), day, 3),
        ("A3", dt.datetime(2024, 10, 8, 10, 30), day, 4),
    ]
    assert query(root, "SELECT line, reason FROM raw._rejects") == [
        (5, "column offered_ts: 2024-10-08 09:05:30 does not match %Y/%m/%d %H:%M")
    ]


def test_xlsx_cells_merged_over_rows_hold_for_every_row(tmp_path: Path) -> None:
    """A report that merges an agent's cell over their rows: only the first row had the agent,
    the others loaded with none (their calls counted for nobody)."""
    root = make_project(
        tmp_path,
        {
            "seeds/acd.yml": "header_row: 2\ncolumns:\n  agent_id: {from: 坐席工号}\n"
            "  talk_seconds: {from: 通话时长(秒), type: integer}\n"
        },
    )
    book = xlsxwriter.Workbook(str(root / "seeds/acd.xlsx"))
    sheet = book.add_worksheet("明细")
    sheet.merge_range(0, 1, 0, 3, "坐席通话明细")  # a title over the columns (row 1)
    sheet.write_row(1, 1, ["坐席工号", "通话时长(秒)", "技能组"])  # the header from B2
    sheet.merge_range(2, 1, 4, 1, "A1")  # rows 3-5
    sheet.merge_range(2, 3, 3, 3, "热线")  # rows 3-4
    sheet.write_column(2, 2, [10, 11, "x"])
    sheet.write_row(5, 1, ["A2", 20, "投诉"])
    book.close()
    assert statuses(seed(root)) == [("seeds/acd.xlsx", LoadStatus.LOADED, 3, 1)]
    assert query(
        root, 'SELECT agent_id, talk_seconds, "技能组", _line FROM raw.acd ORDER BY 4'
    ) == [
        ("A1", 10, "热线", 3),
        ("A1", 11, "热线", 4),
        ("A2", 20, "投诉", 6),
    ]
    assert query(root, "SELECT line, raw_text FROM raw._rejects") == [(5, "A1,x,")]


def test_xlsx_line_breaks_in_cells_load_as_written(tmp_path: Path) -> None:
    """A break inside a cell (Alt+Enter: an address, a two-line header) was loaded as a space,
    and a header cell with one moved every reject's text to the row above its own."""
    root = make_project(
        tmp_path,
        {"seeds/acd.yml": 'columns:\n  talk: {from: "通话时长\\n(秒)", type: integer}\n'},
    )
    rows: list[list[object]] = [
        ["坐席", "通话时长\n(秒)", "备注"],
        ["A1", 10, "第一行\n第二行"],
        ["A2", "x", '客户说:\r\n"再见"'],
        ["A3", 30, "ok"],
    ]
    write_xlsx(root / "seeds/acd.xlsx", rows)
    assert statuses(seed(root)) == [("seeds/acd.xlsx", LoadStatus.LOADED, 2, 1)]
    assert query(root, 'SELECT "坐席", talk, "备注", _line FROM raw.acd ORDER BY _line') == [
        ("A1", 10, "第一行\n第二行", 2),
        ("A3", 30, "ok", 4),
    ]
    assert query(root, "SELECT line, reason, raw_text FROM raw._rejects") == [
        (3, "column talk: x is not a valid INTEGER", 'A2,x,"客户说:\r\n""再见"""')
    ]


def test_xlsx_formulas_never_calculated_are_e118(tmp_path: Path) -> None:
    """A workbook written by a program (openpyxl here) stores formulas without their values;
    Excel calculates them when it opens the file, but the loader read them as empty cells:
    the rows loaded without their talk time."""
    import openpyxl

    def workbook(formula_row: list[object]) -> bytes:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "明细"
        sheet.append(["通话报表", "=TODAY()"])  # row 1: a formula in the title is no data
        sheet.append(["坐席", "通话时长(秒)", "备注"])
        sheet.append(["A1", 10, "x"])
        sheet.append(formula_row)
        out = tmp_path / "book.xlsx"
        book.save(out)
        return out.read_bytes()

    yml = "header_row: 2\ncolumns:\n  talk: {from: 通话时长(秒), type: integer}\n"
    (tmp_path / "p").mkdir()
    root = make_project(
        tmp_path / "p", {"seeds/acd.xlsx": workbook(["A2", "=B3*2", "y"]), "seeds/acd.yml": yml}
    )
    with pytest.raises(MflError) as caught:
        seed(root)
    assert caught.value.code == "E118"
    assert caught.value.loc is not None and caught.value.loc.line == 4
    assert "cell B4 of seeds/acd.xlsx" in caught.value.message
    (root / "seeds/acd.xlsx").write_bytes(workbook(["A2", 20, "y"]))
    assert statuses(seed(root)) == [("seeds/acd.xlsx", LoadStatus.LOADED, 2, 0)]


def test_xlsx_error_values_load_as_excel_shows_them(tmp_path: Path) -> None:
    """A cell holding #DIV/0! or #N/A was read as empty: an integer column loaded NULL where a
    CSV saved by Excel has '#DIV/0!', a rejected line."""
    root = make_project(
        tmp_path,
        {"seeds/acd.yml": "header_row: 2\ncolumns:\n  talk: {from: 通话时长(秒), type: integer}\n"},
    )
    book = xlsxwriter.Workbook(str(root / "seeds/acd.xlsx"))
    sheet = book.add_worksheet("明细")
    sheet.write_row(1, 1, ["坐席", "通话时长(秒)", "技能组"])  # the table from B2
    sheet.write_row(2, 1, ["A1", 10, "热线"])
    sheet.write_row(3, 1, ["A2"])
    sheet.write_formula(3, 2, "=1/0", None, "#DIV/0!")
    sheet.write_formula(3, 3, '=VLOOKUP("x",E1:E2,1,FALSE)', None, "#N/A")
    sheet.write_row(4, 1, ["A3", 30])
    sheet.write_formula(4, 3, "=NA()", None, "#N/A")
    book.close()
    assert statuses(seed(root)) == [("seeds/acd.xlsx", LoadStatus.LOADED, 2, 1)]
    assert query(root, 'SELECT "坐席", talk, "技能组", _line FROM raw.acd ORDER BY _line') == [
        ("A1", 10, "热线", 3),
        ("A3", 30, "#N/A", 5),
    ]
    assert query(root, "SELECT line, reason FROM raw._rejects") == [
        (4, "column talk: #DIV/0! is not a valid INTEGER")
    ]


def test_xlsx_durations_load_as_seconds(tmp_path: Path) -> None:
    """A talk time formatted [h]:mm:ss was written as '125.0' seconds, which an integer
    column rejects: every call of the export was a reject."""
    root = make_project(
        tmp_path, {"seeds/acd.yml": "columns:\n  talk: {from: 通话时长, type: integer}\n"}
    )
    book = xlsxwriter.Workbook(str(root / "seeds/acd.xlsx"))
    sheet = book.add_worksheet("明细")
    duration = book.add_format({"num_format": "[h]:mm:ss"})
    sheet.write_row(0, 0, ["坐席", "通话时长", "备注"])
    for row, (agent, seconds) in enumerate([("A1", 125), ("A2", 3 * 3600 + 1), ("A3", 0.5)], 1):
        sheet.write(row, 0, agent)
        sheet.write_number(row, 1, seconds / 86400, duration)
        sheet.write_number(row, 2, seconds / 86400, duration)
    book.close()
    assert statuses(seed(root)) == [("seeds/acd.xlsx", LoadStatus.LOADED, 2, 1)]
    assert query(root, 'SELECT "坐席", talk, "备注" FROM raw.acd ORDER BY _line') == [
        ("A1", 125, "125"),
        ("A2", 10801, "10801"),
    ]
    assert query(root, "SELECT line, reason FROM raw._rejects") == [
        (4, "column talk: 0.5 is not a valid INTEGER")
    ]


@pytest.mark.parametrize("kind", ["xlsx-named-xls", "xls-named-xlsx", "html", "csv"])
def test_a_workbook_under_the_other_excel_name(tmp_path: Path, kind: str) -> None:
    """An .xls that is an .xlsx inside (or the other way round) was refused as 'invalid Zip
    archive' / 'Invalid OLE'; a web system's HTML table saved as .xls got the same words."""
    import xlwt

    rows: list[list[object]] = [["坐席", "时长"], ["A1", 10], ["A2", 20]]
    root = make_project(
        tmp_path, {"seeds/acd.yml": "columns:\n  secs: {from: 时长, type: integer}\n"}
    )
    if kind == "xlsx-named-xls":
        write_xlsx(tmp_path / "book.xlsx", rows)
        (root / "seeds/acd.xls").write_bytes((tmp_path / "book.xlsx").read_bytes())
    elif kind == "xls-named-xlsx":
        book = xlwt.Workbook(encoding="utf-8")
        sheet = book.add_sheet("明细")
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
        book.save(str(tmp_path / "book.xls"))
        (root / "seeds/acd.xlsx").write_bytes((tmp_path / "book.xls").read_bytes())
    elif kind == "html":
        (root / "seeds/acd.xls").write_text(
            "<html><table><tr><td>坐席</td><td>时长</td></tr></table></html>", encoding="utf-8"
        )
    else:
        (root / "seeds/acd.xls").write_text("坐席,时长\nA1,10\n", encoding="utf-8")
    if kind in ("html", "csv"):
        with pytest.raises(MflError) as caught:
            seed(root)
        assert caught.value.code == "E107"
        words = "is a web page (an HTML table)" if kind == "html" else "rename it .csv"
        assert words in (caught.value.hint or "")
        return
    assert [(r.rows, r.rejected) for r in seed(root).results] == [(2, 0)]
    assert query(root, 'SELECT "坐席", secs FROM raw.acd ORDER BY _line') == [
        ("A1", 10),
        ("A2", 20),
    ]


def test_xlsx_sheet_that_is_not_there(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"seeds/acd.yml": "sheet: 汇总\n"})
    write_xlsx(root / "seeds/acd.xlsx", [["a"], ["1"]])
    with pytest.raises(MflError) as caught:
        seed(root)
    assert (caught.value.code, caught.value.message) == (
        "E116",
        "seeds/acd.xlsx has no sheet '汇总'",
    )
    assert caught.value.hint == "its sheets: 明细"


def test_header_row_for_csv_and_auto_not_found(tmp_path: Path) -> None:
    text = "话务报表\n导出日期,2024-10-09\nleg_id,queue\nL1,sales\nL2,vip\n"
    root = make_project(tmp_path, {"seeds/legs.csv": text, "seeds/legs.yml": "header_row: 3\n"})
    assert statuses(seed(root)) == [("seeds/legs.csv", LoadStatus.LOADED, 2, 0)]
    assert query(root, "SELECT leg_id, queue, _line FROM raw.legs ORDER BY _line") == [
        ("L1", "sales", 4),
        ("L2", "vip", 5),
    ]
    (tmp_path / "other").mkdir()
    other = make_project(
        tmp_path / "other",
        {
            "seeds/legs.csv": text,
            "seeds/legs.yml": "header_row: auto\ncolumns: {leg_id: {from: 通话编号}}\n",
        },
    )
    with pytest.raises(MflError) as caught:
        seed(other)
    assert caught.value.code == "E116"


NATURAL = "natural_key: [leg_id]\ncolumns: {talk: INTEGER}\n"


@pytest.mark.parametrize("kind", ["csv", "gbk-csv", "xlsx"])
def test_a_header_row_below_the_files_end_is_an_error(tmp_path: Path, kind: str) -> None:
    """header_row: 5 on a file of 3 lines loaded it as empty: its rows lost without a word."""
    rows = [["标题"], ["agent", "talk"], ["A1", "10"]]
    text = "".join(",".join(row) + "\n" for row in rows)
    files: dict[str, str | bytes] = {"seeds/calls.yml": "encoding: gbk\nheader_row: 5\n"}
    if kind == "xlsx":
        files["seeds/calls.yml"] = "header_row: 5\n"
    else:
        files["seeds/calls.csv"] = text.encode("gbk") if kind == "gbk-csv" else text
        if kind == "csv":
            files["seeds/calls.yml"] = "header_row: 5\n"
    root = make_project(tmp_path, files)
    if kind == "xlsx":
        write_xlsx(root / "seeds/calls.xlsx", list[list[object]](rows))
    with pytest.raises(MflError) as caught:
        seed(root)
    unit = "row" if kind == "xlsx" else "line"
    assert caught.value.code == "E116"
    assert f"on {unit} 5, but seeds/calls.{'xlsx' if kind == 'xlsx' else 'csv'} has 3 {unit}s" in (
        caught.value.message
    )
    # the header on the last line: a file with no data rows yet, which loads as empty
    (root / "seeds/calls.yml").write_text(
        files["seeds/calls.yml"].replace("5", "2"), encoding="utf-8"
    )
    if kind == "xlsx":
        write_xlsx(root / "seeds/calls.xlsx", list[list[object]](rows[:2]))
    else:
        head = "".join(",".join(row) + "\n" for row in rows[:2])
        (root / "seeds/calls.csv").write_bytes(head.encode("gbk" if kind == "gbk-csv" else "utf-8"))
    summary = seed(root)
    assert [(r.rows, r.rejected) for r in summary.results] == [(0, 0)]


def test_a_header_renamed_onto_another_header_is_e105(tmp_path: Path) -> None:
    """坐席 renamed to agent in a file that has an 'agent' column too: DuckDB's 'transaction is
    aborted' (E108) said nothing of the header."""
    root = make_project(
        tmp_path,
        {"seeds/a.csv": "坐席,agent\nA1,B1\n", "seeds/a.yml": "columns:\n  agent: {from: 坐席}\n"},
    )
    with pytest.raises(MflError) as caught:
        seed(root)
    assert caught.value.code == "E105"
    assert "'坐席' and 'agent' would both be column 'agent'" in caught.value.message
    result = CliRunner().invoke(cli, ["validate", "--project-dir", str(root)])
    assert "E105" in result.output


@pytest.mark.parametrize(
    ("header", "yml", "message"),
    [
        ("id,_line", "", "column '_line' has the name of a column mfl adds to every raw row"),
        ("id,行号", "columns:\n  _file: {from: 行号}\n", "column '_file' has the name of a column"),
        ("ID,id", "", "'ID' and 'id' differ only by case"),
    ],
    ids=["meta-column", "meta-column-by-from", "case"],
)
def test_header_names_the_warehouse_refuses_are_e105(
    tmp_path: Path, header: str, yml: str, message: str
) -> None:
    """A header _line or _file, or ID next to id, failed as DuckDB's 'Catalog Error: Column
    with name ... already exists' (E108)."""
    files: dict[str, str | bytes] = {"seeds/a.csv": f"{header}\n1,2\n"}
    if yml:
        files["seeds/a.yml"] = yml
    root = make_project(tmp_path, files)
    with pytest.raises(MflError) as caught:
        seed(root)
    assert caught.value.code == "E105"
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ("  a: {from: 坐席}\n  b: {from: 坐席}\n", "columns 'a' and 'b' both come from '坐席'"),
        (
            '  t: {type: integer, format: "%Y"}\n',
            "format: of column 't' reads dates and times; 't' is integer",
        ),
    ],
    ids=["one-header-twice", "format-on-integer"],
)
def test_columns_mistakes_are_e103_in_the_yml(tmp_path: Path, columns: str, message: str) -> None:
    """Two columns from one header was 'a is in none of the files'; a format on an integer
    column was read by nothing."""
    root = make_project(
        tmp_path, {"seeds/a.csv": "坐席,t\nA1,5\n", "seeds/a.yml": f"columns:\n{columns}"}
    )
    with pytest.raises(MflError) as caught:
        seed(root)
    assert (caught.value.code, caught.value.message) == ("E103", message)
    assert caught.value.loc is not None and caught.value.loc.file == "seeds/a.yml"


@pytest.mark.parametrize("name", ["a.csv", "a.csv.gz"])
def test_header_row_auto_finds_the_header_behind_a_utf8_bom(tmp_path: Path, name: str) -> None:
    """Excel's 'CSV UTF-8' begins with a BOM; read as part of the first header under the
    default encoding, header_row: auto found no header (header_row: 1 did load)."""
    import gzip

    data = "坐席工号,姓名\nA1,张三\n".encode("utf-8-sig")
    root = make_project(
        tmp_path,
        {
            f"seeds/{name}": gzip.compress(data) if name.endswith(".gz") else data,
            "seeds/a.yml": "header_row: auto\ncolumns:\n  agent: {from: 坐席工号}\n",
        },
    )
    assert statuses(seed(root)) == [(f"seeds/{name}", LoadStatus.LOADED, 1, 0)]
    assert query(root, 'SELECT agent, "姓名", _line FROM raw.a') == [("A1", "张三", 2)]


def test_a_natural_key_naming_the_exports_header_says_the_column_it_loads_as(
    tmp_path: Path,
) -> None:
    root = make_project(
        tmp_path,
        {
            "seeds/a.csv": "通话编号,x\nC1,1\n",
            "seeds/a.yml": "natural_key: [通话编号]\ncolumns:\n  call_id: {from: 通话编号}\n",
        },
    )
    with pytest.raises(MflError) as caught:
        seed(root)
    assert caught.value.code == "E104"
    assert "'通话编号' loads as column 'call_id'" in (caught.value.hint or "")


@pytest.mark.parametrize("kind", ["utf-8", "gbk", "xlsx"])
def test_a_header_ending_in_empty_fields_loads(tmp_path: Path, kind: str) -> None:
    """Exports that end every line with a delimiter (坐席,时长,), or a sheet with a note right
    of its table, could not be loaded at all: 'column 3 has no name' (E105)."""
    rows = [["坐席", "时长", ""], ["A1", "10", ""], ["A2", "20", "备注"], ["A3", "30", ""]]
    text = "".join(",".join(row) + "\r\n" for row in rows)
    yml = "columns:\n  agent: {from: 坐席}\n  secs: {from: 时长, type: integer}\n"
    files: dict[str, str | bytes] = {"seeds/a.yml": yml}
    if kind == "gbk":
        files["seeds/a.yml"] = "encoding: gbk\n" + yml
        files["seeds/a.csv"] = text.encode("gbk")
    elif kind == "utf-8":
        files["seeds/a.csv"] = text
    root = make_project(tmp_path, files)
    if kind == "xlsx":
        write_xlsx(root / "seeds/a.xlsx", [[v or None for v in row] for row in rows])
    name = "seeds/a.xlsx" if kind == "xlsx" else "seeds/a.csv"
    assert statuses(seed(root)) == [(name, LoadStatus.LOADED, 2, 1)]
    assert query(root, "SELECT agent, secs, _line FROM raw.a ORDER BY _line") == [
        ("A1", 10, 2),
        ("A3", 30, 4),
    ]
    assert query(root, "SELECT line, reason, raw_text FROM raw._rejects") == [
        (3, "field 3 has a value, but no name in the header", "A2,20,备注")
    ]
    assert query(
        root,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'a'"
        " AND column_name NOT LIKE '\\_%' ESCAPE '\\'",
    ) == [("agent",), ("secs",)]


def test_a_blank_header_row_says_so(tmp_path: Path) -> None:
    """A sheet whose table starts on row 2 under header_row: 1 was told 'column 1 has no
    name', and sent to name columns that were not there."""
    root = make_project(tmp_path, {})
    write_xlsx(root / "seeds/acd.xlsx", [[None, None], ["坐席", "时长"], ["A1", 1]])
    with pytest.raises(MflError) as caught:
        seed(root)
    assert (caught.value.code, caught.value.message) == (
        "E105",
        "the header of seeds/acd.xlsx is an empty line",
    )
    assert "header_row" in (caught.value.hint or "")


def test_an_empty_header_field_between_names_is_still_e105(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"seeds/a.csv": "a,,b\n1,2,3\n"})
    with pytest.raises(MflError) as caught:
        seed(root)
    assert (caught.value.code, caught.value.message) == (
        "E105",
        "in the header of seeds/a.csv, column 2 has no name",
    )


def test_header_row_auto_looks_for_the_from_headers(tmp_path: Path) -> None:
    """auto takes the first row holding every mapped from: header; it also required a column
    declared only for its type, one that the later exports add, so the older ones failed."""
    root = make_project(
        tmp_path,
        {
            "seeds/a/2024-10-9.csv": "通话报表\n坐席,时长\nA1,1\n",
            "seeds/a/2024-10-10.csv": "通话报表\n导出时间 2024-10-10\n坐席,时长,bonus\nA2,2,5\n",
            "seeds/a.yml": "header_row: auto\ncolumns:\n  agent: {from: 坐席}\n  bonus: integer\n",
        },
    )
    seed(root)
    assert query(root, "SELECT agent, 时长, bonus, _line FROM raw.a ORDER BY agent") == [
        ("A1", "1", None, 3),
        ("A2", "2", 5, 4),
    ]


def test_natural_key_latest_version_wins_and_raw_keeps_all(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {
            "seeds/legs/2024-10-9.csv": "leg_id,talk\nL1,10\nL2,20\nL1,11\n",
            # a re-export of the 9th with a corrected row, loaded after it (9 before 10)
            "seeds/legs/2024-10-10.csv": "leg_id,talk\nL2,22\nL3,30\n",
            "seeds/legs.yml": NATURAL,
        },
    )
    summary = seed(root)
    assert [r.file for r in summary.results] == [
        "seeds/legs/2024-10-9.csv",
        "seeds/legs/2024-10-10.csv",
    ]
    # L1: 10 then 11 in one file (the last line wins); L2: 20 then 22 from the later file
    assert [(t.table, t.superseded) for t in summary.tables] == [("legs", 2)]
    assert query(root, "SELECT count(*) FROM raw.legs") == [(5,)]
    from metricflow_lite.compile.layers import latest_versions

    latest = latest_versions("legs", ("leg_id",)).sql("duckdb")
    assert query(root, f"SELECT leg_id, talk FROM {latest} AS l ORDER BY 1") == [
        ("L1", 11),
        ("L2", 22),
        ("L3", 30),
    ]


def test_full_refresh_keeps_which_version_of_a_key_is_current(tmp_path: Path) -> None:
    """A re-exported older day, loaded after a later one, holds the current version of its
    keys; --full-refresh reloaded every file in name order and handed them back to the later
    file, so the numbers changed though no export had."""
    from metricflow_lite.compile.layers import latest_versions

    root = make_project(
        tmp_path,
        {
            "seeds/legs/2024-10-9.csv": "leg_id,talk\nL1,9\n",
            "seeds/legs/2024-10-10.csv": "leg_id,talk\nL1,10\nL2,20\n",
            "seeds/legs.yml": NATURAL,
        },
    )
    seed(root)
    (root / "seeds/legs/2024-10-9.csv").write_text("leg_id,talk\nL1,99\n", encoding="utf-8")
    (root / "seeds/legs/2024-10-11.csv").write_text("leg_id,talk\nL2,21\n", encoding="utf-8")
    seed(root)
    latest = latest_versions("legs", ("leg_id",)).sql("duckdb")
    current = f"SELECT leg_id, talk FROM {latest} AS l ORDER BY 1"
    assert query(root, current) == [("L1", 99), ("L2", 21)]
    summary = seed(root, full_refresh=True)
    assert query(root, current) == [("L1", 99), ("L2", 21)]
    # the summary still lists the files in name order, each with its own rows
    assert statuses(summary) == [
        ("seeds/legs/2024-10-9.csv", LoadStatus.LOADED, 1, 0),
        ("seeds/legs/2024-10-10.csv", LoadStatus.LOADED, 2, 0),
        ("seeds/legs/2024-10-11.csv", LoadStatus.LOADED, 1, 0),
    ]


def test_source_of_a_natural_key_table_reads_one_row_per_key(tmp_path: Path) -> None:
    from metricflow_lite.compile.layers import render_models

    root = make_project(tmp_path, {})
    (root / "models/source").mkdir(parents=True)
    (root / "models/source/a.sql").write_text(
        "SELECT * FROM {{ source('legs') }}", encoding="utf-8"
    )
    (root / "models/source/b.sql").write_text(
        "SELECT l.talk FROM {{ source('legs') }} AS l WHERE l.talk > 0", encoding="utf-8"
    )
    (root / "models/source/c.sql").write_text(
        "SELECT * FROM {{ source('legs') }} WHERE talk > 0", encoding="utf-8"
    )
    models = render_models(root, root / "models", ["legs"], natural_keys={"legs": ("leg_id",)})
    bodies = {m.name: m.sql for m in models}
    assert bodies["a"].endswith(") AS legs")
    assert ") AS l WHERE l.talk > 0" in bodies["b"]
    assert bodies["c"].endswith(") AS legs WHERE talk > 0")


def test_moved_and_copied_exports_double_nothing(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {"seeds/calls.csv": "leg_id\nL1\nL2\n", "seeds/calls.yml": "natural_key: leg_id\n"},
    )
    seed(root)
    # the README's advice: daily files go in seeds/calls/
    (root / "seeds/calls").mkdir()
    (root / "seeds/calls.csv").rename(root / "seeds/calls/2024-10-08.csv")
    summary = seed(root)
    assert [(r.file, r.status, r.same_as) for r in summary.results] == [
        ("seeds/calls/2024-10-08.csv", LoadStatus.MOVED, "seeds/calls.csv")
    ]
    assert query(root, "SELECT leg_id, _file FROM raw.calls ORDER BY 1") == [
        ("L1", "seeds/calls/2024-10-08.csv"),
        ("L2", "seeds/calls/2024-10-08.csv"),
    ]
    (root / "seeds/calls/copy.csv").write_bytes((root / "seeds/calls/2024-10-08.csv").read_bytes())
    summary = seed(root)
    assert [(r.file, r.status) for r in summary.results] == [
        ("seeds/calls/2024-10-08.csv", LoadStatus.UNCHANGED),
        ("seeds/calls/copy.csv", LoadStatus.DUPLICATE),
    ]
    assert query(root, "SELECT count(*) FROM raw.calls") == [(2,)]


def test_removed_file_is_a_rotation_and_prune_removes_its_rows(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {"seeds/calls/d1.csv": "leg_id\nL1\n", "seeds/calls/d2.csv": "leg_id\nL2\n"},
    )
    seed(root)
    (root / "seeds/calls/d1.csv").unlink()
    runner = CliRunner()
    result = runner.invoke(cli, ["seed", "--project-dir", str(root)])
    assert result.exit_code == 0, result.output
    assert "missing from seeds/, 1 row kept" in result.output
    assert query(root, "SELECT count(*) FROM raw.calls") == [(2,)]
    result = runner.invoke(cli, ["seed", "--project-dir", str(root), "--prune"])
    assert result.exit_code == 0, result.output
    assert "1 row removed (--prune)" in result.output
    assert query(root, "SELECT leg_id FROM raw.calls") == [("L2",)]
    assert query(root, "SELECT file FROM raw._loads") == [("seeds/calls/d2.csv",)]


def test_mfl_rejects_lists_file_line_reason_text(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {
            "seeds/calls.csv": "leg_id,talk\nL1,10\nL2,abc\nL3\n",
            "seeds/calls.yml": "columns: {talk: INTEGER}\n",
        },
    )
    seed(root)
    runner = CliRunner()
    as_json = runner.invoke(
        cli, ["rejects", "calls", "--format", "json", "--project-dir", str(root)]
    )
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output) == [
        {
            "table": "calls",
            "file": "seeds/calls.csv",
            "line": 3,
            "reason": "column talk: abc is not a valid INTEGER",
            "raw_text": "L2,abc",
        },
        {
            "table": "calls",
            "file": "seeds/calls.csv",
            "line": 4,
            "reason": "expected 2 columns, found 1",
            "raw_text": "L3",
        },
    ]
    as_csv = runner.invoke(cli, ["rejects", "--format", "csv", "--project-dir", str(root)])
    assert as_csv.output.splitlines()[0] == "table,file,line,reason,raw_text"
    table = runner.invoke(cli, ["rejects", "--project-dir", str(root)])
    assert "2 rejected lines" in table.output
    unknown = runner.invoke(cli, ["rejects", "cals", "--project-dir", str(root)])
    assert unknown.exit_code == 1 and "E117" in unknown.output and "calls" in unknown.output


def test_rejects_csv_does_not_run_a_hostile_line_as_a_formula(tmp_path: Path) -> None:
    """`mfl rejects --format csv > rejects.csv`, opened in Excel: a rejected line of an export
    that starts with =cmd|... ran as a formula (DDE)."""
    import csv
    import io

    hostile = "=cmd|' /C calc'!A0"
    root = make_project(
        tmp_path,
        {
            "seeds/calls.csv": f"leg_id,talk\n{hostile},10x\n@SUM(1+1),x\nL1,1\n",
            "seeds/calls.yml": "columns: {talk: INTEGER}\n",
        },
    )
    seed(root)
    result = CliRunner().invoke(cli, ["rejects", "--format", "csv", "--project-dir", str(root)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert [row[4] for row in rows[1:]] == [f"'{hostile},10x", "'@SUM(1+1),x"]
    assert [row[2] for row in rows[1:]] == ["2", "3"]
    as_json = CliRunner().invoke(cli, ["rejects", "--format", "json", "--project-dir", str(root)])
    assert [r["raw_text"] for r in json.loads(as_json.output)] == [f"{hostile},10x", "@SUM(1+1),x"]


def test_rejects_list_files_in_the_order_they_load(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {
            "seeds/calls/2024-10-9.csv": "leg_id,talk\nL1,x\n",
            "seeds/calls/2024-10-10.csv": "leg_id,talk\nL2,y\n",
            "seeds/calls.yml": "columns: {talk: INTEGER}\n",
        },
    )
    seed(root)
    runner = CliRunner()
    as_json = runner.invoke(cli, ["rejects", "--format", "json", "--project-dir", str(root)])
    assert as_json.output.endswith("]\n")  # a shell prompt after it starts on its own line
    assert [r["file"] for r in json.loads(as_json.output)] == [
        "seeds/calls/2024-10-9.csv",
        "seeds/calls/2024-10-10.csv",
    ]
    table = runner.invoke(cli, ["rejects", "--project-dir", str(root)]).output
    assert table.index("2024-10-9.csv") < table.index("2024-10-10.csv")


def test_loaded_plus_rejected_is_every_data_line(tmp_path: Path) -> None:
    """A GBK file with a title row, bad values and short lines: nothing is lost or counted
    twice."""
    body = "".join(
        f"L{i},{'x' if i % 7 == 0 else i},{'' if i % 11 == 0 else '热线'}\n" for i in range(1, 101)
    )
    text = "报表\nleg_id,talk,queue\n" + body + "L101\n"
    root = make_project(
        tmp_path,
        {
            "seeds/legs.csv": text.encode("gbk"),
            "seeds/legs.yml": "encoding: gbk\nheader_row: 2\ncolumns: {talk: INTEGER}\n",
        },
    )
    (result,) = seed(root).results
    # 100 + 1 data lines; every 7th has a bad talk (14 of them), L101 is a column short
    assert (result.rows, result.rejected) == (86, 15)
    assert result.rows + result.rejected == len(text.splitlines()) - 2
    lines = query(
        root, "SELECT _line FROM raw.legs UNION ALL SELECT line FROM raw._rejects ORDER BY 1"
    )
    assert [n for (n,) in lines] == list(range(3, 104))


def test_report_csv_has_a_bom_and_query_csv_does_not() -> None:
    from metricflow_lite.report.render_csv import render_csv
    from metricflow_lite.report.render_rejects import render_rejects

    class Column:
        name = "渠道"

    class Table:
        columns = (Column(),)
        rows = (("热线",),)
        dimensions = ()
        totals = ()
        locale = "zh-CN"

        def is_partial(self, start: object) -> bool:
            return False

    assert render_csv(Table()).encode("utf-8").startswith(b"\xef\xbb\xbf\xe6\xb8\xa0")  # type: ignore[arg-type]
    assert not render_rejects((), "csv").startswith("\ufeff")


def test_load_summary_via_library(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"seeds/a.csv": "x\n1\n"})
    summary = seed(root)
    assert summary.load_id == 1 and summary.rows == 1


def test_validate_reads_headers_as_seed_does(tmp_path: Path) -> None:
    """mfl validate's seed shapes: a GBK header mapped by from:, an xlsx header under a title."""
    from metricflow_lite.jobs.validate import seed_shapes

    root = make_project(
        tmp_path, {"seeds/acd.csv": ACD_TEXT.encode("gbk"), "seeds/acd.yml": ACD_YML}
    )
    (root / "seeds/roster.yml").write_text(XLSX_YML, encoding="utf-8")
    write_xlsx(
        root / "seeds/roster.xlsx",
        [["名单"], [], ["坐席工号", "来电时间", "通话时长(秒)"], ["A1", "2024-10-08 09:00", 3]],
    )
    shapes, problems = seed_shapes(load_project(root))
    assert problems == []
    assert {s.table: s.columns for s in shapes} == {
        "acd": (
            ("agent_id", "TEXT"),
            ("offered_ts", "TIMESTAMP"),
            ("talk_seconds", "INT"),
            ("skill", "TEXT"),
        ),
        "roster": (("agent_id", "TEXT"), ("offered_ts", "TIMESTAMP"), ("talk_seconds", "INT")),
    }


def test_prune_removes_a_table_whose_files_are_all_gone(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"seeds/a.csv": "x\n1\n", "seeds/b.csv": "y\n2\n3\n"})
    seed(root)
    (root / "seeds/b.csv").unlink()
    summary = seed(root, prune=True)
    assert [(r.file, r.status, r.rows) for r in summary.results] == [
        ("seeds/a.csv", LoadStatus.UNCHANGED, 1),
        ("seeds/b.csv", LoadStatus.PRUNED, 2),
    ]
    assert query(root, "SELECT count(*) FROM raw.b") == [(0,)]
    assert query(root, "SELECT file FROM raw._loads") == [("seeds/a.csv",)]
