"""Issue 11, acceptance 0 (second half): on a database holding the published seed-001
notice, `duban scan --date 2022-10-11 --dry-run` prints exactly the reminders that the scan
then asks for when run for that date; the admin API previews the same; a second run asks
nothing again. Through the real entry points: `duban run` (HTTP) to publish, then the
`duban scan` command in a subprocess on the same data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, RUN_ADMIN, duban_run, wait_for

SEED = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "seeds"
SEED_001 = SEED / "001_9cff09d31b67be02.txt"
DAY = "2022-10-11"


def duban_scan(data_dir: Path, *args: str) -> list[str]:
    env = {**os.environ, "DUBAN_DATA_DIR": str(data_dir), "DUBAN_ADMIN_TOKEN": RUN_ADMIN}
    done = subprocess.run(
        [sys.executable, "-m", "duban", "scan", "--date", DAY, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.skipif(not SEED_001.exists(), reason="../shared/corpus is not beside the repo")
def test_the_dry_run_prints_what_the_scan_then_asks(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    with duban_run(data_dir) as http:
        text = SEED_001.read_text(encoding="utf-8")
        doc = http.post("/intake/documents/text", json={"text": text})
        assert doc.status_code == 201, doc.text
        doc_id = doc.json()["id"]
        count = len(doc.json()["tasks"])
        assert http.post(f"/intake/documents/{doc_id}/publish").status_code == 200
        params = {"document_id": doc_id, "limit": 1000, "government": "default"}
        wait_for(lambda: len(http.get("/tasks/tasks", params=params).json()) == count, "tasks")
        preview = http.get("/tasks/scan/preview", params={"date": DAY})
        assert preview.status_code == 200, preview.text
        by_api = preview.json()["reminders"]
    dry = duban_scan(data_dir, "--dry-run")
    again = duban_scan(data_dir, "--dry-run")
    ran = duban_scan(data_dir)
    assert dry[0].endswith(f"预演，未发出）：{len(by_api)} 条提醒"), dry[0]
    assert len(dry) > 10, "seed-001 has deadlines around 2022-10-11: something is due"
    assert dry[1:] == again[1:] == ran[1:], "the preview kept nothing, and is what the scan asks"
    assert ran[0].endswith(f"已提请通知服务发送）：{len(by_api)} 条提醒")
    assert any("原因：已逾期" in line for line in ran), "each line says why"
    assert duban_scan(data_dir)[0].endswith("：0 条提醒"), "asked once: a second run asks nothing"
