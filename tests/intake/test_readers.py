"""Document readers: the seed notices rendered as .docx, PDF and OFD give the same tasks as
their .txt, and every kind of bad upload gets a ReadError a clerk can act on.

Seeds are read from ../shared/corpus at run time and rendered here (never copied into the
repository); renders are cached per module so the whole file stays fast.
"""

from __future__ import annotations

import io
import os
import random
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from docx import Document
from docx.document import Document as WordDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from services.intake.parsing import ParsedNotice, ParsedTask, parse_notice
from services.intake.parsing.labels import is_label_line
from services.intake.readers import ExtractedText, ReadError, read_document
from services.intake.readers.reflow import Line, reflow

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
SEEDS = ("000", "001", "002")
FONT, SIZE, LINE_CHARS, PAGE_LINES = "STSong-Light", 16.0, 28, 22
HEADER = ("序号", "重点工作", "责任领导", "牵头单位", "责任单位", "配合单位", "完成时限")
CJK = re.compile(r"[\u4e00-\u9fff]")
Renders = dict[tuple[str, str], tuple[bytes, str, ParsedNotice]]

pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def seed_text(seed: str) -> str:
    path = next((CORPUS / "seeds").glob(f"{seed}_*.txt"), None)
    if path is None:
        if os.environ.get("CI", "").lower() == "true":  # in CI the corpus must be there
            pytest.fail(f"seed {seed} not found under {CORPUS}", pytrace=False)
        pytest.skip(f"seed {seed} not found under {CORPUS}")
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- renderers


def docx_bytes(build: Callable[[WordDocument], None]) -> bytes:
    document = Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render_docx_paragraphs(text: str) -> bytes:
    """One Word paragraph per line of the .txt, blank lines as empty paragraphs."""
    return docx_bytes(lambda doc: [doc.add_paragraph(line) for line in text.split("\n")])


def render_docx_table(text: str, notice: ParsedNotice) -> bytes:
    """Title and preamble as paragraphs, the tasks as one table, the date after it.

    Section headings are rows of one cell merged across the table, as ledgers do; the
    完成时限 column holds the task's last time node (or 年底前).
    """
    lines = text.split("\n")
    start, last_label = _table_bounds(lines, notice)

    def build(doc: WordDocument) -> None:
        for line in lines[:start]:
            doc.add_paragraph(line)
        table = doc.add_table(rows=1, cols=len(HEADER))
        for cell, name in zip(table.rows[0].cells, HEADER, strict=True):
            cell.text = name
        path: list[str] = []
        for task in notice.tasks:
            for heading in task.path[len(_common(path, task.path)) :]:
                row = table.add_row().cells
                row[0].merge(row[-1]).text = heading
            path = task.path
            for cell, value in zip(table.add_row().cells, _row(task), strict=True):
                cell.text = value
        for line in lines[last_label + 1 :]:
            doc.add_paragraph(line)

    return docx_bytes(build)


def _table_bounds(lines: list[str], notice: ParsedNotice) -> tuple[int, int]:
    """Index of the first section heading and of the last label line of the .txt."""
    first = notice.tasks[0].path[0]
    start = next(i for i, line in enumerate(lines) if line.strip() == first)
    return start, max(i for i, line in enumerate(lines) if is_label_line(line))


def _common(a: list[str], b: list[str]) -> list[str]:
    out = []
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        out.append(x)
    return out


def _row(task: ParsedTask) -> list[str]:
    units = (task.lead_units, task.responsible_units, task.cooperating_units)
    return [task.number, task.text, "、".join(task.leaders), *map("、".join, units), _due(task)]


def _due(task: ParsedTask) -> str:
    return task.deadlines[-1].phrase if task.deadlines else "年底前"


def wrap(text: str) -> list[tuple[float, str]]:
    """Hard-wrap like 公文: 28 full-width characters a line, first line indented 2 characters.

    Returns (indent in em, text) per printed line.
    """
    lines, current, indent, limit = [], "", 2.0, LINE_CHARS * SIZE
    for char in text.strip():
        if pdfmetrics.stringWidth(current + char, FONT, SIZE) + indent * SIZE > limit:
            lines.append((indent, current))
            current, indent = "", 0.0
        current += char
    return [*lines, (indent, current)] if current else lines


def paginate(text: str) -> list[list[tuple[float, str]]]:
    lines = [piece for line in text.split("\n") if line.strip() for piece in wrap(line)]
    return [lines[i : i + PAGE_LINES] for i in range(0, len(lines), PAGE_LINES)]


def render_pdf(text: str, header: str = "", **options: str) -> bytes:
    """A text-layer PDF with "— N —" at the foot of each page (CID font: no font file)."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, **options)
    width, height = A4
    for number, page in enumerate(paginate(text), start=1):
        pdf.setFont(FONT, SIZE)
        if header:
            pdf.drawString(90, height - 50, header)
        for index, (indent, line) in enumerate(page):
            pdf.drawString(90 + indent * SIZE, height - 100 - index * 30, line)
        pdf.drawCentredString(width / 2, 50, f"— {number} —")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def render_pdf_table(text: str, notice: ParsedNotice) -> bytes:
    """The table layout printed to PDF: ruled grid, header repeated on every page, section
    headings spanning the row, long cells wrapped, "— N —" at the foot of each page."""
    lines = text.split("\n")
    start, last_label = _table_bounds(lines, notice)
    body = ParagraphStyle("body", fontName=FONT, fontSize=12, leading=20, firstLineIndent=24)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")
    rows, spans, path = [[Paragraph(name, cell) for name in HEADER]], [], []
    for task in notice.tasks:
        for heading in task.path[len(_common(path, task.path)) :]:
            spans.append(("SPAN", (0, len(rows)), (-1, len(rows))))
            rows.append([Paragraph(escape(heading), cell)] + [""] * (len(HEADER) - 1))
        path = task.path
        rows.append([Paragraph(escape(value), cell) for value in _row(task)])
    table = Table(rows, colWidths=[34, 170, 44, 60, 78, 44, 50], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0)), *spans]))
    story = [Paragraph(escape(line), body) for line in lines[:start] if line.strip()]
    story += [table, *(Paragraph(escape(x), body) for x in lines[last_label + 1 :] if x.strip())]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build(story, onFirstPage=_foot, onLaterPages=_foot)
    return out.getvalue()


def _foot(pdf: canvas.Canvas, document: object) -> None:
    pdf.setFont(FONT, 12)
    pdf.drawCentredString(A4[0] / 2, 40, f"— {pdf.getPageNumber()} —")


OFD_NS = "http://www.ofdspec.org/2016"


def render_ofd(pages: list[list[tuple[float, str]]], shuffle: bool = True) -> bytes:
    """A minimal OFD: OFD.xml → Doc_0/Document.xml → Pages/Page_N/Content.xml.

    Text objects are written in shuffled order so the reader must sort by Y, then X.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as ofd:
        ofd.writestr(
            "OFD.xml",
            _ofd_xml(
                "<ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody>", "OFD"
            ),
        )
        refs = "".join(
            f'<ofd:Page ID="{n + 1}" BaseLoc="Pages/Page_{n}/Content.xml"/>'
            for n in range(len(pages))
        )
        ofd.writestr("Doc_0/Document.xml", _ofd_xml(f"<ofd:Pages>{refs}</ofd:Pages>", "Document"))
        for n, lines in enumerate(pages):
            ofd.writestr(f"Doc_0/Pages/Page_{n}/Content.xml", _ofd_page(lines, shuffle, n))
    return out.getvalue()


def _ofd_xml(body: str, root: str) -> str:
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    return f'{head}<ofd:{root} xmlns:ofd="{OFD_NS}">{body}</ofd:{root}>'


def _ofd_page(lines: list[tuple[float, str]], shuffle: bool, seed: int) -> str:
    """Lines of 5.6 mm characters (16 pt) from x = 25 mm; two TextCodes a line."""
    objects = []
    for index, (indent, line) in enumerate(lines):
        half = len(line) // 2  # two TextCodes per line: X order matters too
        second = indent * 5.6 + sum(0.5 if ch.isascii() else 1.0 for ch in line[:half]) * 5.6
        for x, part in ((indent * 5.6, line[:half]), (second, line[half:])):
            if part:
                y = 25 + index * 10
                code = f'<ofd:TextCode X="{x}" Y="4.2">{_escape(part)}</ofd:TextCode>'
                objects.append(
                    f'<ofd:TextObject ID="{len(objects) + 1}" Boundary="25 {y} 160 6" '
                    f'Font="1" Size="5.6">{code}</ofd:TextObject>'
                )
    if shuffle:
        random.Random(seed).shuffle(objects)
    layer = f'<ofd:Content><ofd:Layer ID="0">{"".join(objects)}</ofd:Layer></ofd:Content>'
    return _ofd_xml(layer, "Page")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal valid OLE2 compound file (v3, 512-byte sectors, streams ≥ 4096 bytes so
    no mini stream is needed): what an encrypted .docx or a legacy .doc looks like."""
    end, free, fat_sect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    fat, data, entries, sector = [fat_sect, end], b"", [], 2
    names = sorted(streams, key=lambda name: (len(name), name.upper()))
    for name in names:
        blob = streams[name].ljust(max(4096, len(streams[name])), b"\0")
        blob += b"\0" * (-len(blob) % 512)
        count = len(blob) // 512
        fat += [*range(sector + 1, sector + count), end]
        entries.append((name, 2, sector, len(streams[name])))
        data, sector = data + blob, sector + count
    assert len(fat) <= 128 and len(entries) <= 3
    # root's child is the last stream; each stream's left sibling is the one before it
    directory = _dir_entry("Root Entry", 5, nostream, len(entries) or nostream, end, 0)
    for index, (name, kind, start, size) in enumerate(entries, start=1):
        directory += _dir_entry(
            name, kind, index - 1 if index > 1 else nostream, nostream, start, size
        )
    directory = directory.ljust(512, b"\0")
    header = (
        struct.pack(
            "<8s16sHHHHH6sIIIIIIIII",
            bytes.fromhex("D0CF11E0A1B11AE1"),
            b"\0" * 16,
            0x3E,
            3,
            0xFFFE,
            9,
            6,
            b"\0" * 6,
            0,
            1,
            1,
            0,
            4096,
            end,
            0,
            end,
            0,
        )
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    fat_sector = b"".join(struct.pack("<I", v) for v in fat + [free] * (128 - len(fat)))
    return header + fat_sector + directory + data


def _dir_entry(name: str, kind: int, left: int, child: int, start: int, size: int) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    nostream = 0xFFFFFFFF
    right = nostream
    if kind == 5:
        left, right = nostream, nostream
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        encoded,
        len(encoded),
        kind,
        1,
        left,
        right,
        child if kind == 5 else nostream,
        b"\0" * 16,
        0,
        0,
        0,
        start,
        size,
    )


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def renders() -> Renders:
    """(seed, layout) → (bytes, filename, tasks parsed from the .txt), rendered once."""
    out = {}
    for seed in SEEDS:
        text = seed_text(seed)
        notice = parse_notice(text, file=seed)
        out[(seed, "docx_paragraphs")] = (render_docx_paragraphs(text), "notice.docx", notice)
        out[(seed, "docx_table")] = (render_docx_table(text, notice), "notice.docx", notice)
        out[(seed, "pdf")] = (render_pdf(text), "notice.pdf", notice)
        out[(seed, "pdf_table")] = (render_pdf_table(text, notice), "notice.pdf", notice)
        out[(seed, "ofd")] = (render_ofd(paginate(text)), "notice.ofd", notice)
    return out


def task_fields(task: ParsedTask, layout: str = "txt") -> dict[str, object]:
    """What must survive rendering; the table layout adds a 完成时限 deadline."""
    table = layout.endswith("_table")
    deadlines = [d for d in task.deadlines if not (table and d.about == "完成时限")]
    return {
        "number": task.number,
        "path": task.path,
        "text": task.text,
        "leaders": task.leaders,
        "lead_units": task.lead_units,
        "responsible_units": task.responsible_units,
        "cooperating_units": task.cooperating_units,
        "dates": [d.date for d in deadlines],
        "targets": task.targets,
    }


HEADER_FIELDS = ("doc_number", "issuer", "title", "issued_date", "year", "recipients")
LAYOUTS = ("docx_paragraphs", "docx_table", "pdf", "pdf_table", "ofd")
FORMATS = {layout: layout.split("_")[0] for layout in LAYOUTS}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("seed", SEEDS)
def test_rendered_notice_gives_same_tasks(renders: Renders, seed: str, layout: str) -> None:
    data, filename, expected = renders[(seed, layout)]
    extracted = read_document(data, filename)
    assert extracted.format == FORMATS[layout]
    assert extracted.warnings == []
    got = parse_notice(extracted.text, file=filename)
    assert got.task_count == expected.task_count
    for field_name in (*HEADER_FIELDS, "reporting_requirements"):
        assert getattr(got, field_name) == getattr(expected, field_name), field_name
    for want, have in zip(expected.tasks, got.tasks, strict=True):
        assert task_fields(have, layout) == task_fields(want, layout), want.number


@pytest.mark.parametrize("layout", ["docx_table", "pdf_table"])
@pytest.mark.parametrize("seed", SEEDS)
def test_table_layout_reads_the_deadline_column(renders: Renders, seed: str, layout: str) -> None:
    data, _, expected = renders[(seed, layout)]
    got = parse_notice(read_document(data).text)
    for want, have in zip(expected.tasks, got.tasks, strict=True):
        due = [d for d in have.deadlines if d.about == "完成时限"]
        wanted = want.deadlines[-1].date if want.deadlines else f"{expected.year}-12-31"
        assert [d.date for d in due] == [wanted], want.number


def test_docx_table_stays_between_paragraphs_and_merged_cells_appear_once() -> None:
    def build(doc: WordDocument) -> None:
        doc.add_paragraph("前言")
        table = doc.add_table(rows=3, cols=3)
        table.rows[0].cells[0].merge(table.rows[0].cells[2]).text = "一、标题"
        for cell, value in zip(table.rows[1].cells, ("1", "任务\t甲", "区发改委"), strict=True):
            cell.text = value
        table.rows[1].cells[2].add_paragraph("区财政局")
        table.rows[1].cells[2].merge(table.rows[2].cells[2])
        table.rows[2].cells[0].text, table.rows[2].cells[1].text = "2", "任务乙。\n续写"
        doc.add_paragraph("结尾")

    text = read_document(docx_bytes(build)).text
    assert text.split("\n") == [
        "前言",
        "一、标题",
        "1\t任务 甲\t区发改委、区财政局",
        "2\t任务乙。续写\t区发改委、区财政局",
        "结尾",
    ]


def test_docx_one_column_frame_table_is_read_as_paragraphs() -> None:
    def build(doc: WordDocument) -> None:
        cell = doc.add_table(rows=1, cols=1).rows[0].cells[0]
        cell.text = "（一）推进项目建设。"
        cell.add_paragraph("责任单位：区发改委")

    assert read_document(docx_bytes(build)).text == "（一）推进项目建设。\n责任单位：区发改委"


def test_docx_tracked_insertions_are_read_and_deletions_not() -> None:
    def build(doc: WordDocument) -> None:
        paragraph = doc.add_paragraph("责任单位：区发改委")
        for tag, text in (("w:ins", "、区财政局"), ("w:del", "、区教育局")):
            change = OxmlElement(tag)
            change.set(qn("w:id"), "1")
            change.set(qn("w:author"), "督查局")
            run = paragraph.add_run(text)._r
            if tag == "w:del":
                for t in run.findall(qn("w:t")):
                    t.tag = qn("w:delText")
            change.append(run)
            paragraph._p.append(change)

    assert read_document(docx_bytes(build)).text == "责任单位：区发改委、区财政局"


def test_pdf_letter_spaced_chinese_gets_no_spaces() -> None:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    line = pdf.beginText(90, 700)
    line.setFont(FONT, SIZE)
    line.setCharSpace(3)  # justified 公文 lines stretch the space between characters
    line.textLine("责任单位：区发改委 PM2.5")
    pdf.drawText(line)
    pdf.save()
    assert read_document(out.getvalue()).text == "责任单位：区发改委 PM2.5"


def test_pdf_running_header_is_dropped_and_page_marks_kept() -> None:
    text = "\n".join(f"第{i}段，内容在这里。" for i in range(80))
    extracted = read_document(render_pdf(text, header="偃政〔2022〕7号"))
    assert extracted.pages == 4
    assert "偃政〔2022〕7号" not in extracted.text
    assert "— 2 —" in extracted.text and "第79段，内容在这里。" in extracted.text


def test_ofd_orders_text_by_page_line_and_column() -> None:
    pages = [[(0.0, "第一行文字内容"), (0.0, "第二行")], [(2.0, "第三行在第二页")]]
    extracted = read_document(render_ofd(pages), "x.ofd")
    assert (extracted.format, extracted.pages) == ("ofd", 2)
    assert extracted.text == "第一行文字内容\n第二行\n第三行在第二页"


# ---------------------------------------------------------------- bad input


def read_error(data: bytes, filename: str = "", **options: int) -> ReadError:
    with pytest.raises(ReadError) as caught:
        read_document(data, filename, **options)
    error = caught.value
    assert CJK.search(error.message) and len(error.message) >= 10, error.message
    assert isinstance(error, ValueError)
    return error


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def zip_with_zeros(names: dict[str, bytes], big: str, megabytes: int) -> bytes:
    """A small archive claiming ``megabytes`` of zeros, written streaming (little memory)."""
    out, chunk = io.BytesIO(), bytes(1024 * 1024)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in names.items():
            archive.writestr(name, content)
        with archive.open(big, "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(chunk)
    return out.getvalue()


def test_empty_file() -> None:
    assert read_error(b"").code == "empty"
    assert read_error(b" \r\n\t ").code == "empty"


def test_random_binary_noise() -> None:
    assert read_error(random.Random(7).randbytes(4096), "x.docx").code == "binary"
    assert read_error(bytes(range(1, 32)) * 50).code == "binary"  # no NUL, all controls


def test_image_is_refused_with_ocr_advice() -> None:
    assert read_error(b"\x89PNG\r\n\x1a\n" + bytes(100), "scan.png").code == "image"


def test_file_over_the_size_limit() -> None:
    error = read_error("通知".encode() * 100, max_bytes=100)
    assert error.code == "too_large" and "100 字节" in error.message


def test_truncated_docx(renders: Renders) -> None:
    data = renders[("002", "docx_paragraphs")][0]
    assert read_error(data[: len(data) // 2], "notice.docx").code == "corrupt"


def test_docx_with_damaged_xml() -> None:
    data = zip_bytes({"[Content_Types].xml": b"<Types", "word/document.xml": b"<w:document"})
    assert read_error(data, "notice.docx").code == "corrupt"


def test_password_protected_docx() -> None:
    data = cfb({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"\x01" * 5000})
    error = read_error(data, "notice.docx")
    assert error.code == "encrypted" and "密码" in error.message


def test_legacy_doc_and_wps() -> None:
    data = cfb({"WordDocument": b"\xec\xa5" + bytes(5000), "1Table": bytes(4096)})
    error = read_error(data, "notice.docx")
    assert error.code == "legacy_doc" and "另存为" in error.message
    assert read_error(data, "通知.wps").code == "wps"


def test_encrypted_pdf() -> None:
    data = render_pdf("一、测试\n（一）加密文件。", encrypt="secret")
    assert read_error(data, "notice.pdf").code == "encrypted"


def test_copy_protected_pdf_without_open_password_is_read() -> None:
    """Many government PDFs forbid copying but open without a password: read them."""
    out = io.BytesIO()
    protection = StandardEncryption("", ownerPassword="owner", canCopy=0, canModify=0)
    pdf = canvas.Canvas(out, pagesize=A4, encrypt=protection)
    pdf.setFont("Helvetica", 12)  # pdfminer loses reportlab's CID encoding once encrypted
    pdf.drawString(90, 700, "Duban notice 2022, PM2.5")
    pdf.save()
    assert read_document(out.getvalue(), "notice.pdf").text == "Duban notice 2022, PM2.5"


def test_other_office_formats_get_advice() -> None:
    xlsx = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    assert "Excel" in read_error(xlsx, "台账.xlsx").message
    assert "RTF" in read_error(b"{\\rtf1\\ansi hello}", "a.rtf").message
    xls = cfb({"Workbook": bytes(4096)})
    assert "Excel" in read_error(xls, "a.xls").message


def test_scanned_pdf_without_text_layer() -> None:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for _ in range(2):
        pdf.rect(50, 50, 400, 600, fill=1)
        pdf.showPage()
    pdf.save()
    error = read_error(out.getvalue(), "scan.pdf")
    assert error.code == "scanned_pdf" and "OCR" in error.message


def test_corrupt_pdf(renders: Renders) -> None:
    assert read_error(b"%PDF-1.7\n" + bytes(range(256)) * 4, "x.pdf").code == "corrupt"
    data = renders[("000", "pdf")][0]
    assert read_error(data[:200], "x.pdf").code in {"corrupt", "scanned_pdf"}


def test_zip_bomb_docx() -> None:
    names = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    data = zip_with_zeros(names, "word/media/image1.bin", 300)
    assert len(data) < 2 * 1024 * 1024
    assert read_error(data, "notice.docx").code == "zip_bomb"


def test_zip_bomb_ofd_by_ratio() -> None:
    data = zip_with_zeros({"OFD.xml": b"<ofd:OFD/>"}, "Doc_0/Res/font.bin", 20)
    assert read_error(data, "notice.ofd").code == "zip_bomb"


def test_unknown_zip_and_broken_ofd() -> None:
    assert read_error(zip_bytes({"a.txt": b"x"}), "a.zip").code == "unsupported"
    assert read_error(zip_bytes({"OFD.xml": b"<ofd:OFD"}), "a.ofd").code == "corrupt"


def test_undecodable_text_is_refused_not_mangled() -> None:
    assert read_error(b"abc\x80\xff\xfe\xfd\x80" * 10).code in {"encoding", "binary"}


@pytest.mark.parametrize("seed", SEEDS)
def test_gbk_seed_reads_back_exactly(seed: str) -> None:
    text = seed_text(seed)
    assert read_document(text.encode("gb18030"), "notice.txt").text == text


def test_damaged_utf8_is_refused_and_a_cut_last_character_dropped() -> None:
    data = "各镇人民政府，各街道办事处：（一）推进项目建设。责任单位：区发改委".encode()
    assert read_error(data[:20] + b"\xff" + data[20:]).code == "encoding"
    assert read_document(data + "区".encode()[:2]).text == data.decode()


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_text_encodings(encoding: str) -> None:
    text = "各镇人民政府，各街道办事处：\n（一）推进项目建设。\n责任单位：区发改委"
    if encoding == "gb18030":
        text += "、𠮷字号"  # outside GBK: needs GB18030's four-byte form
    extracted = read_document(text.replace("\n", "\r\n").encode(encoding), "notice.txt")
    assert extracted == ExtractedText(text=text, format="txt")


@pytest.mark.parametrize("layout", ["docx_table", "pdf", "pdf_table", "ofd"])
def test_damaged_files_raise_only_read_error(renders: Renders, layout: str) -> None:
    """Flip bytes at random: the reader either reads something or raises ReadError."""
    data = renders[("002", layout)][0]
    rng = random.Random(layout)
    for _ in range(15):
        damaged = bytearray(data)
        for _ in range(20):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            read_document(bytes(damaged), "x")
        except ReadError as error:
            assert error.code and CJK.search(error.message)


def test_reflow_joins_only_lines_that_reach_the_margin() -> None:
    """A sentence ending at the margin still continues; an indented line starts anew."""
    full, size = 28 * 16.0, 16.0
    lines = [
        Line("（一）第一段很长。", 122, 90 + full, size),
        Line("接着写。", 90, 154, size),
        Line("责任单位：区发改委", 122, 266, size),
        Line("— 1 —", 280, 330, size),
        Line("（二）第二段很长，", 122, 90 + full, size),
        Line("责任领导：张三", 90, 200, size),
        Line("序号  重点工作", 90, 90 + full, size, columns=True),
        Line("1    任务", 90, 200, size, columns=True),
    ]
    assert reflow(lines) == [
        "（一）第一段很长。接着写。",
        "责任单位：区发改委",
        "— 1 —",
        "（二）第二段很长，",
        "责任领导：张三",
        "序号  重点工作",
        "1    任务",
    ]


def test_ofd_without_text_is_a_scan_and_namespace_prefixes_do_not_matter() -> None:
    assert read_error(render_ofd([[]]), "scan.ofd").code == "scanned_pdf"
    with zipfile.ZipFile(io.BytesIO(render_ofd([[(0.0, "第一行")]]))) as ofd:
        members = {name: ofd.read(name).replace(b"ofd:", b"o:") for name in ofd.namelist()}
    data = zip_bytes({name: xml.replace(b"xmlns:ofd", b"xmlns:o") for name, xml in members.items()})
    assert b"ofd:" not in b"".join(members.values())
    assert read_document(data, "x.ofd").text == "第一行"
