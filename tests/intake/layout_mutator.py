"""Layout mutator (issue 13): each seed notice rewritten into each layout class seen in real
notices, with its truth rewritten to match.

The seed's header and preamble are kept as printed; the task list is written again from the
truth in the class's layout (half-width punctuation, a stated first-is-lead convention,
leaders in headings, a table that lost its grid, the list as an attachment). Every variant
must parse back to the (rewritten) truth; a layout class stays fixed because of this.

Run ``python tests/intake/layout_mutator.py OUTDIR`` to write a variant corpus (seeds/ and
truth/) that ``duban score OUTDIR`` scores.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Truth = dict[str, Any]
HALF = str.maketrans({"：": ":", "，": ",", "；": ";", "（": "(", "）": ")"})
CN = "一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 35 → 三十五 (enough for item numbers)."""
    if n <= 10:
        return "十" if n == 10 else CN[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN[tens - 1]) + "十" + (CN[ones - 1] if ones else "")


def _prefix_and_date(text: str, truth: Truth) -> tuple[list[str], str]:
    """The seed's lines before its first task heading, and its date line."""
    lines = text.split("\n")
    first = truth["tasks"][0]
    anchor = first["path"][0] if first["path"] else first["text"][:10]
    cut = next(i for i, line in enumerate(lines) if line.strip().startswith(anchor[:12]))
    last = next(line.strip() for line in reversed(lines) if line.strip())
    return lines[:cut], last if re.fullmatch(
        r"[\d〇○零一二三四五六七八九十]{4}年.+日", last
    ) else ""


def _label(task: Truth) -> str:
    number = task["number"]
    return f"{number}." if number.isdigit() else number


def _label_lines(task: Truth, colon: str = "：", sep: str = "、") -> list[str]:
    out = []
    for name, field in (
        ("责任领导", "leaders"),
        ("牵头单位", "lead_units"),
        ("责任单位", "responsible_units"),
        ("配合单位", "cooperating_units"),
    ):
        if task[field]:
            out.append(f"{name}{colon}{sep.join(task[field])}")
    return out


def _headings(previous: list[str], path: list[str]) -> list[str]:
    """Heading lines to print when the path changes from ``previous`` to ``path``."""
    common = 0
    while common < min(len(previous), len(path)) and previous[common] == path[common]:
        common += 1
    return path[common:]


def task_list(tasks: list[Truth], render: Callable[[Truth], list[str]]) -> list[str]:
    """Headings and tasks in label-line layout, each task rendered by ``render``."""
    out: list[str] = []
    path: list[str] = []
    for task in tasks:
        out.extend(_headings(path, task["path"]))
        path = task["path"]
        out.extend(render(task))
    return out


def _is_section(number: str) -> bool:
    """A section that is itself a task ("一、总体目标" has number 总体目标)."""
    return not re.match(r"^[（(\d]", number)


def _plain(task: Truth) -> list[str]:
    first = task["text"] if _is_section(task["number"]) else _label(task) + task["text"]
    return [first, *_label_lines(task)]


def assemble(prefix: list[str], body: list[str], date: str) -> str:
    return "\n".join([*prefix, *body, "", date, ""])


# --- class 1: half-width punctuation -------------------------------------------------------


def _half_truth(truth: Truth) -> Truth:
    out = copy.deepcopy(truth)
    for task in out["tasks"]:
        task["number"] = task["number"].translate(HALF)
        task["path"] = [p.translate(HALF) for p in task["path"]]
        task["text"] = task["text"].translate(HALF)
        for field in ("lead_units", "responsible_units", "cooperating_units"):
            task[field] = [u.translate(HALF) for u in task[field]]
        task["targets"] = [t.translate(HALF) for t in task["targets"]]
        for d in task["deadlines"]:
            d["phrase"] = d["phrase"].translate(HALF)
    return out


def half_lines(text: str, truth: Truth) -> tuple[str, Truth]:
    """Label lines "责任单位:A,B", texts and headings with ASCII punctuation."""
    prefix, date = _prefix_and_date(text, truth)
    new = _half_truth(truth)

    def render(task: Truth) -> list[str]:
        return [*_plain(task)[:1], *_label_lines(task, ":", ",")]

    return assemble(prefix, task_list(new["tasks"], render), date), new


def half_inline(text: str, truth: Truth) -> tuple[str, Truth]:
    """Fields in one bracket after the text: "…。[牵头单位:A;责任单位:B、C]"."""
    prefix, date = _prefix_and_date(text, truth)
    new = _half_truth(truth)

    def render(task: Truth) -> list[str]:
        fields = ";".join(_label_lines(task, ":", "、"))
        return [_plain(task)[0] + f"[{fields}]"]

    return assemble(prefix, task_list(new["tasks"], render), date), new


# --- class 2: the first unit listed is the lead, stated once -------------------------------

NOTES = ("（排在第一的单位为牵头单位，下同）", "(首个单位牵头)", "（排名第一的为牵头单位，下同）")


def first_is_lead(text: str, truth: Truth, note: str = NOTES[0]) -> tuple[str, Truth]:
    """One 责任单位 list per task; the note follows the first list only."""
    prefix, date = _prefix_and_date(text, truth)
    new = copy.deepcopy(truth)
    for task in new["tasks"]:
        listed = task["lead_units"] + task["responsible_units"]
        task["lead_units"], task["responsible_units"] = listed[:1], listed
    noted = [False]

    def render(task: Truth) -> list[str]:
        lines = _plain({**task, "lead_units": [], "responsible_units": []})
        units = "责任单位：" + "、".join(task["responsible_units"])
        if not noted[0]:
            units, noted[0] = units + note, True
        leaders = lines[1:2] if task["leaders"] else []
        return [lines[0], *leaders, units, *lines[1 + len(leaders) :]]

    return assemble(prefix, task_list(new["tasks"], render), date), new


# --- class 3: leaders named in headings -----------------------------------------------------


def _place_word(truth: Truth) -> str:
    issuer = truth.get("issuer") or "县"
    return next((c for c in reversed(issuer) if c in "县区市"), "县")


def leader_headings(text: str, truth: Truth) -> tuple[str, Truth]:
    """Tasks grouped under "一、副县长X负责的工作" / "二、X副县长分管" / "三、…（分管领导：X）"."""
    prefix, date = _prefix_and_date(text, truth)
    place = _place_word(truth)
    groups: dict[tuple[str, ...], list[Truth]] = {}
    for task in truth["tasks"]:
        groups.setdefault(tuple(task["leaders"]), []).append(task)
    new = copy.deepcopy(truth)
    new["tasks"] = []
    body: list[str] = []
    number = 0
    for index, (leaders, tasks) in enumerate(groups.items()):
        names = "、".join(leaders)
        if not leaders:
            heading = f"{cn_number(index + 1)}、其他重点工作"
        elif index % 3 == 0:
            heading = f"{cn_number(index + 1)}、副{place}长{names}负责的工作"
        elif index % 3 == 1:
            heading = f"{cn_number(index + 1)}、{names}副{place}长分管"
        else:
            heading = f"{cn_number(index + 1)}、重点工作第{index + 1}组（分管领导：{names}）"
        body.append(heading)
        for task in tasks:
            number += 1
            moved = {**copy.deepcopy(task), "number": str(number), "path": [heading]}
            body.extend([f"{number}.{task['text']}", *_label_lines({**moved, "leaders": []})])
            new["tasks"].append(moved)
    new["task_count"] = number
    return assemble(prefix, body, date), new


# --- class 4: a table that lost its grid ----------------------------------------------------

COLUMNS = (
    ("责任领导", "leaders"),
    ("牵头单位", "lead_units"),
    ("责任单位", "responsible_units"),
    ("配合单位", "cooperating_units"),
)


def _table_rows(truth: Truth, spaced: bool) -> tuple[list[list[str]], Truth]:
    """Header, section and task rows (section rows have one cell); truth renumbered 1…n."""
    used = [(n, f) for n, f in COLUMNS if any(t[f] for t in truth["tasks"])]
    header = ["序号", "重点工作", *(n for n, _ in used)]
    if spaced:
        header = ["  ".join(cell) for cell in header]
    rows = [header]
    new = copy.deepcopy(truth)
    path: list[str] = []
    for index, task in enumerate(new["tasks"], 1):
        heads = task["path"]
        rows.extend([h] for h in _headings(path, heads))
        path = heads
        task["number"] = str(index)
        mark = "★" if index % 7 == 0 else ""
        rows.append([mark + str(index), task["text"], *("、".join(task[f]) for _, f in used)])
    return rows, new


def grid(text: str, truth: Truth, separator: str) -> tuple[str, Truth]:
    """One cell per line: cells between blank lines ("blank"), ending in " |" ("bar") or
    in a tab ("tab"); an empty cell is an extra blank line, a bare "|" or a bare tab."""
    prefix, date = _prefix_and_date(text, truth)
    rows, new = _table_rows(truth, spaced=separator == "blank")
    out: list[str] = []
    for row in rows:
        for cell in row:
            if separator == "blank":
                out.extend([cell, ""] if cell else [""])
            elif separator == "bar":
                out.append(f"{cell} |" if cell else "|")
            else:
                out.append(f"{cell}\t")
    return assemble(prefix, out, date), new


def tab_rows(text: str, truth: Truth) -> tuple[str, Truth]:
    """One row per line, cells separated by tabs (a .docx table pasted as text)."""
    prefix, date = _prefix_and_date(text, truth)
    rows, new = _table_rows(truth, spaced=False)
    return assemble(prefix, ["\t".join(row) for row in rows], date), new


# --- class 5: the task list is an attachment ------------------------------------------------

BODY = [
    "一、提高思想认识。各单位要把重点工作作为全年工作的重中之重，主要负责同志亲自抓。",
    "二、严格督查通报。自4月起每月通报一次进展，6月底前开展一次集中督查。",
    "三、强化结果运用。督查结果纳入年度目标考核，年底前形成考核意见。",
]


def attachment(text: str, truth: Truth, as_table: bool = False) -> tuple[str, Truth]:
    """Body paragraphs with their own dates, signature and date, then 附件 and the list."""
    prefix, date = _prefix_and_date(text, truth)
    issuer = truth.get("issuer") or ""
    title = f"{truth['year']}年重点工作任务分解表"
    if as_table:
        rows, new = _table_rows(truth, spaced=False)
        listed = ["\t".join(row) for row in rows]
    else:
        new = copy.deepcopy(truth)
        listed = task_list(new["tasks"], _plain)
    body = [*BODY, f"附件：{title}", "", issuer, date, "", "附件", "", title, "", *listed]
    return "\n".join([*prefix, *body, ""]), new


def baseline(text: str, truth: Truth) -> tuple[str, Truth]:
    """The seed's own layout written again from its truth: checks the mutator itself."""
    prefix, date = _prefix_and_date(text, truth)
    return assemble(prefix, task_list(truth["tasks"], _plain), date), copy.deepcopy(truth)


VARIANTS: dict[str, Callable[[str, Truth], tuple[str, Truth]]] = {
    "baseline": baseline,
    "half_lines": half_lines,
    "half_inline": half_inline,
    "first_is_lead": first_is_lead,
    "first_is_lead_ascii": lambda text, truth: first_is_lead(text, truth, NOTES[1]),
    "leader_headings": leader_headings,
    "grid_blank": lambda text, truth: grid(text, truth, "blank"),
    "grid_bar": lambda text, truth: grid(text, truth, "bar"),
    "grid_tab": lambda text, truth: grid(text, truth, "tab"),
    "tab_rows": tab_rows,
    "attachment_list": attachment,
    "attachment_table": lambda text, truth: attachment(text, truth, as_table=True),
}


def variants(corpus: Path) -> dict[str, tuple[str, Truth]]:
    """Every variant of every seed notice with truth, keyed "<seed stem>.<variant>"."""
    out: dict[str, tuple[str, Truth]] = {}
    for truth_path in sorted((corpus / "truth").glob("*.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        text = (corpus / "seeds" / truth["file"]).read_text(encoding="utf-8")
        for name, mutate in VARIANTS.items():
            variant_text, variant_truth = mutate(text, truth)
            key = f"{truth_path.stem}.{name}"
            variant_truth["file"] = f"{key}.txt"
            variant_truth["task_count"] = len(variant_truth["tasks"])
            out[key] = (variant_text, variant_truth)
    return out


def write_corpus(corpus: Path, out: Path) -> None:
    """Write the variants as a corpus (seeds/, truth/) that ``duban score`` reads."""
    (out / "seeds").mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    for key, (text, truth) in variants(corpus).items():
        (out / "seeds" / f"{key}.txt").write_text(text, encoding="utf-8")
        (out / "truth" / f"{key}.json").write_text(
            json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8"
        )


if __name__ == "__main__":
    shared = Path(__file__).resolve().parents[3] / "shared" / "corpus"
    write_corpus(shared, Path(sys.argv[1]))
