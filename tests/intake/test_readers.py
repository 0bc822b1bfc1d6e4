"""Document readers: the seed notices rendered as .docx, PDF and OFD give the same tasks as
their .txt, and every kind of bad upload gets a ReadError a clerk can act on.

Seeds are read from ../shared/corpus at run time and rendered here (never copied into the
repository); renders are cached per module so the whole file stays fast.
"""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from services.intake.parsing import ParsedNotice, ParsedTask, parse_notice
from services.intake.parsing.labels import is_label_line
from services.intake.readers import ExtractedText, ReadError, read_document

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
SEEDS = ("000", "001", "002")
FONT, SIZE, LINE_CHARS, PAGE_LINES = "STSong-Light", 16.0, 28, 22
HEADER = ("序号", "重点工作", "责任领导", "牵头单位", "责任单位", "配合单位", "完成时限")
CJK = re.compile(r"[\u4e00-\u9fff]")

pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def seed_text(seed: str) -> str:
    path = next((CORPUS / "seeds").glob(f"{seed}_*.txt"), None)
    if path is None:
        pytest.skip(f"seed {seed} not found under {CORPUS}")
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- renderers


def docx_bytes(build: Callable[[object], None]) -> bytes:
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
    first = notice.tasks[0].path[0]
    start = next(i for i, line in enumerate(lines) if line.strip() == first)
    last_label = max(i for i, line in enumerate(lines) if is_label_line(line))

    def build(doc: object) -> None:
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


def wrap(text: str) -> list[str]:
    """Hard-wrap like a PDF text layer: 28 full-width characters a line, 2-character indent."""
    lines, current, limit = [], "　　", LINE_CHARS * SIZE
    for char in text.strip():
        if pdfmetrics.stringWidth(current + char, FONT, SIZE) > limit:
            lines.append(current.strip())
            current = ""
        current += char
    return [*lines, current.strip()] if current.strip() else lines


def paginate(text: str) -> list[list[str]]:
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
        for index, line in enumerate(page):
            pdf.drawString(90, height - 100 - index * 30, line)
        pdf.drawCentredString(width / 2, 50, f"— {number} —")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


OFD_NS = "http://www.ofdspec.org/2016"


def render_ofd(pages: list[list[str]], shuffle: bool = True) -> bytes:
    """A minimal OFD: OFD.xml → Doc_0/Document.xml → Pages/Page_N/Content.xml.

    Text objects are written in shuffled order so the reader must sort by Y, then X.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as ofd:
        ofd.writestr("OFD.xml", _ofd_xml("<ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody>", "OFD"))
        refs = "".join(
            f'<ofd:Page ID="{n + 1}" BaseLoc="Pages/Page_{n}/Content.xml"/>'
            for n in range(len(pages))
        )
        ofd.writestr("Doc_0/Document.xml", _ofd_xml(f"<ofd:Pages>{refs}</ofd:Pages>", "Document"))
        for n, lines in enumerate(pages):
            ofd.writestr(f"Doc_0/Pages/Page_{n}/Content.xml", _ofd_page(lines, shuffle, n))
    return out.getvalue()


def _ofd_xml(body: str, root: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><ofd:{root} xmlns:ofd="{OFD_NS}">{body}</ofd:{root}>'


def _ofd_page(lines: list[str], shuffle: bool, seed: int) -> str:
    objects = []
    for index, line in enumerate(lines):
        half = len(line) // 2  # two TextCodes per line: X order matters too
        for x, part in ((0.0, line[:half]), (half * 5.6, line[half:])):
            if part:
                y = 25 + index * 10
                code = f'<ofd:TextCode X="{x}" Y="4.2">{_escape(part)}</ofd:TextCode>'
                objects.append(
                    f'<ofd:TextObject ID="{len(objects) + 1}" Boundary="25 {y} 160 6" '
                    f'Font="1" Size="5.6">{code}</ofd:TextObject>'
                )
    if shuffle:
        random.Random(seed).shuffle(objects)
    layer = f"<ofd:Content><ofd:Layer ID=\"0\">{''.join(objects)}</ofd:Layer></ofd:Content>"
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
        directory += _dir_entry(name, kind, index - 1 if index > 1 else nostream, nostream, start, size)
    directory = directory.ljust(512, b"\0")
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16, 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6,
        0, 1, 1, 0, 4096, end, 0, end, 0,
    ) + struct.pack("<I", 0) + struct.pack("<I", free) * 108
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
        encoded, len(encoded), kind, 1, left, right, child if kind == 5 else nostream,
        b"\0" * 16, 0, 0, 0, start, size,
    )


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def renders() -> dict[tuple[str, str], tuple[bytes, str, ParsedNotice]]:
    """(seed, layout) → (bytes, filename, tasks parsed from the .txt), rendered once."""
    out = {}
    for seed in SEEDS:
        text = seed_text(seed)
        notice = parse_notice(text, file=seed)
        out[(seed, "docx_paragraphs")] = (render_docx_paragraphs(text), "notice.docx", notice)
        out[(seed, "docx_table")] = (render_docx_table(text, notice), "notice.docx", notice)
        out[(seed, "pdf")] = (render_pdf(text), "notice.pdf", notice)
        out[(seed, "ofd")] = (render_ofd(paginate(text)), "notice.ofd", notice)
    return out


def task_fields(task: ParsedTask, drop_due: bool = False) -> dict[str, object]:
    deadlines = [d for d in task.deadlines if not (drop_due and d.about == "完成时限")]
    return {
        "number": task.number,
        "text": re.sub(r"\s+", "", task.text),
        "leaders": task.leaders,
        "lead_units": task.lead_units,
        "responsible_units": task.responsible_units,
        "cooperating_units": task.cooperating_units,
        "dates": [d.date for d in deadlines],
    }


LAYOUTS = ("docx_paragraphs", "docx_table", "pdf", "ofd")
FORMATS = {"docx_paragraphs": "docx", "docx_table": "docx", "pdf": "pdf", "ofd": "ofd"}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("seed", SEEDS)
def test_rendered_notice_gives_same_tasks(renders: dict, seed: str, layout: str) -> None:
    data, filename, expected = renders[(seed, layout)]
    extracted = read_document(data, filename)
    assert extracted.format == FORMATS[layout]
    assert extracted.warnings == []
    got = parse_notice(extracted.text, file=filename)
    assert got.task_count == expected.task_count
    drop_due = layout == "docx_table"
    for want, have in zip(expected.tasks, got.tasks, strict=True):
        assert task_fields(have, drop_due) == task_fields(want), want.number
    if layout != "docx_table":
        assert [t.text for t in got.tasks] == [t.text for t in expected.tasks]


def test_table_layout_reads_the_deadline_column(renders: dict) -> None:
    data, _, expected = renders[("000", "docx_table")]
    got = parse_notice(read_document(data).text)
    for want, have in zip(expected.tasks, got.tasks, strict=True):
        due = [d for d in have.deadlines if d.about == "完成时限"]
        wanted = want.deadlines[-1].date if want.deadlines else f"{expected.year}-12-31"
        assert [d.date for d in due] == [wanted], want.number


def test_docx_table_stays_between_paragraphs_and_merged_cells_appear_once() -> None:
    def build(doc: object) -> None:
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


def test_pdf_running_header_is_dropped_and_page_marks_kept() -> None:
    text = "\n".join(f"第{i}段，内容在这里。" for i in range(80))
    extracted = read_document(render_pdf(text, header="偃政〔2022〕7号"))
    assert extracted.pages == 4
    assert "偃政〔2022〕7号" not in extracted.text
    assert "— 2 —" in extracted.text and "第79段，内容在这里。" in extracted.text


def test_ofd_orders_text_by_page_line_and_column() -> None:
    pages = [["第一行文字内容", "第二行"], ["第三行在第二页"]]
    extracted = read_document(render_ofd(pages), "x.ofd")
    assert (extracted.format, extracted.pages) == ("ofd", 2)
    assert extracted.text == "第一行文字内容\n第二行\n第三行在第二页"
