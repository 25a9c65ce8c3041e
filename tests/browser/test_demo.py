"""The demo's building blocks without a browser: data folder, people of the network, page escaping."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.demo import default_database_url, network_people
from bot.sandbox import Sandbox
from bot.webchat import DemoPerson, create_webchat_app


def test_database_lives_in_the_user_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_database_url() == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'liaison' / 'demo.db'}"
    assert (tmp_path / "data" / "liaison").is_dir()


def test_example_network_people_by_role() -> None:
    people = {p.id: p for p in network_people()}
    assert {p.role for p in people.values()} == {"constituent", "deputy", "committee_member", "presidium"}
    assert people[1000001].role == "presidium"  # D0001 is both presidium and committee member
    assert people[1000002].role == "committee_member"
    assert {i for i, p in people.items() if p.role == "deputy"} == {1000003, 1000004, 1000005, 1000006}
    assert {i for i, p in people.items() if p.role == "constituent"} == set(range(2000001, 2000006))


async def test_page_escapes_names_and_refuses_non_json_posts() -> None:
    sandbox = Sandbox()
    sandbox.add_user(42, "<script>x</script>", language_code="zh-hans")
    app = create_webchat_app(sandbox, [DemoPerson(42, "<script>x</script>", "constituent")])
    async with TestClient(TestServer(app)) as client:
        page = await client.get("/")
        html = await page.text()
        assert "<script>x</script>" not in html
        assert "&lt;script&gt;x&lt;/script&gt;" in html
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        english = await (await client.get("/?lang=en")).text()
        assert "Constituents" in english
        form_post = await client.post("/api/users/42/send", data={"text": "hi"})
        assert form_post.status == 415
        unknown = await client.post("/api/users/43/send", json={"text": "hi"})
        assert unknown.status == 400
        sent = await client.post("/api/users/42/send", json={"text": "/start"})
        assert (await sent.json())["text"] == "/start"
        feed = await (await client.get("/api/chats/42?since=0")).json()
        assert [e["kind"] for e in feed["events"]] == ["message"]
