"""Issue 10: token issuance and login are rate limited like uploads and pushes (429 with
Retry-After, per credential and per client address, configurable), through `duban run`."""

from __future__ import annotations

from pathlib import Path

from helpers import duban_run


def test_token_issuance_and_login_get_429_past_their_limits(tmp_path: Path) -> None:
    limits = {"DUBAN_RATE_TOKENS": "3/60", "DUBAN_RATE_LOGIN": "2/60"}
    with duban_run(tmp_path / "var", **limits) as http:
        unit = {"role": "supervisor", "government_id": "default"}
        issued = [http.post("/tasks/tokens", json={"name": f"t{n}", **unit}) for n in range(4)]
        assert [r.status_code for r in issued] == [201, 201, 201, 429]
        assert int(issued[-1].headers["Retry-After"]) >= 1
        assert "过于频繁" in issued[-1].text
        wrong = {"login": "admin", "password": "Not-The-Password-1"}
        tried = [http.post("/tasks/login", json=wrong) for _ in range(3)]
        assert [r.status_code for r in tried] == [401, 401, 429]
        assert int(tried[-1].headers["Retry-After"]) >= 1
