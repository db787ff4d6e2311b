"""有人対応: the queue, roles (callback numbers only for operators and admins), take, reply through
the gateway to the web widget, resident messages from the HandoffDesk, release to a (fake, real
HTTP) Rasa, and the event stream of a ticket page."""
from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from console import audit
from console.app import find_console
from console.tickets import HandoffData, button_text, can_reply, waiting_label
from console_support import login
from inbox_support import ServerThread, ticket, utc
from records.store import Records, utcnow

CALLBACK = "090-1234-5678"
RECORDING = "https://api.twilio.example/Recordings/RE123"


def open_tickets(records: Records) -> dict:
    now = utcnow()
    ids = {}
    ids["web"] = ticket(records, "web:" + "a" * 32, "handoff", now - timedelta(minutes=5), last_query="人と話したい",
                        candidates=["F0001", "F0002"], department="市民課",
                        transcript=[{"who": "resident", "text": "住民票のことで", "at": 1.7e9},
                                    {"who": "bot", "text": "次のうち…", "at": 1.7e9 + 1},
                                    {"who": "resident", "text": "/request_human", "at": 1.7e9 + 2}])
    ids["voicemail"] = ticket(records, "tel:CA42", "voicemail", now - timedelta(hours=3),
                              message="粗大ごみの件で折り返しお願いします", callback=CALLBACK)
    with records.engine.begin() as conn:
        from records.store import tickets
        conn.execute(tickets.update().where(tickets.c.id == ids["voicemail"]).values(recording_url=RECORDING))
    ids["line"] = ticket(records, "line:U123", "after_hours", now - timedelta(days=1, hours=2),
                         message="明日電話ください 080-9999-0000", callback="080-9999-0000")
    ids["closed"] = ticket(records, "web:" + "c" * 32, "handoff", now - timedelta(days=2))
    records.close_ticket(ids["closed"], by="someone")
    return ids


def test_queue_data_oldest_first_with_waiting_time(console_state):
    records = Records(console_state.engine)
    ids = open_tickets(records)
    data = HandoffData(console_state.engine)
    queue = data.queue()
    assert [item.ticket.id for item in queue] == [ids["line"], ids["voicemail"], ids["web"]]
    assert [item.waiting_label for item in queue] == ["1日2時間", "3時間", "5分"]
    assert data.counts() == {"open": 3, "taken": 0}
    # take: first wins, the second is told who has it; force takes over
    assert data.take(ids["web"], "operator")[0] is True
    taken, now = data.take(ids["web"], "admin")
    assert taken is False and now.taken_by == "operator"
    assert data.take(ids["web"], "admin", force=True)[0] is True
    assert data.take(ids["closed"], "admin", force=True)[0] is False
    # a resident writing after the handoff lands on the open ticket
    assert data.record_resident_message("web:" + "a" * 32, "まだですか") == ids["web"]
    assert data.record_resident_message("web:" + "z" * 32, "無関係") is None
    assert [m["text"] for m in data.messages(ids["web"])] == ["まだですか"]
    assert data.queue()[-1].new_messages == 1


def test_helpers():
    assert waiting_label(timedelta(seconds=20)) == "1分未満"
    assert waiting_label(timedelta(minutes=61)) == "1時間1分"
    assert waiting_label(timedelta(days=3)) == "3日"
    assert button_text("/request_human") == "（「職員と話したい」を選択）"
    assert button_text("こんにちは") == "こんにちは"


def test_roles_callback_numbers_only_for_operators_and_admins(console_state, logged_in):
    ids = open_tickets(Records(console_state.engine))
    editor = logged_in("editor")
    for path in ("/staff/handoff", f"/staff/handoff/{ids['voicemail']}", "/staff/api/handoff/queue",
                 f"/staff/api/handoff/{ids['voicemail']}/messages"):
        response = editor.get(path)
        assert response.status_code == 403, path
        assert CALLBACK not in response.text and RECORDING not in response.text
    assert editor.get("/staff/dashboard").status_code == 200
    assert CALLBACK not in editor.get("/staff/dashboard").text
    for name in ("operator", "admin"):
        client = logged_in(name)
        page = client.get(f"/staff/handoff/{ids['voicemail']}")
        assert page.status_code == 200
        assert CALLBACK in page.text and RECORDING in page.text
        assert "粗大ごみの件で折り返しお願いします" in page.text
        assert 'id="reply-form"' not in page.text and "返信はできません" in page.text  # phone: call back
        queue = client.get("/staff/handoff")
        assert queue.text.index(f">{ids['line']}</a>") < queue.text.index(f">{ids['voicemail']}</a>") \
            < queue.text.index(f">{ids['web']}</a>")
        assert f">{ids['closed']}</a>" not in queue.text
        assert f">{ids['closed']}</a>" in client.get("/staff/handoff?status=closed").text
    operator = logged_in("operator")
    assert operator.get("/staff/inbox").status_code == 403  # FAQ curation is for editors
    web_page = operator.get(f"/staff/handoff/{ids['web']}").text
    assert 'id="reply-form"' in web_page and "（「職員と話したい」を選択）" in web_page
    assert "住民票の写しはどこで取れますか？" in web_page  # the bot's candidate F0001, as a question


def test_take_reply_and_resident_messages(gateway_app, console_state, logged_in):
    ids = open_tickets(Records(console_state.engine))
    gateway = gateway_app.state.gateway
    conversation = "web:" + "a" * 32
    operator, admin = logged_in("operator"), logged_in("admin")
    # replying to a phone ticket is refused
    response = operator.post(f"/staff/api/handoff/{ids['voicemail']}/reply", json={"text": "x"},
                             headers={"X-CSRF-Token": operator.csrf})
    assert response.status_code == 400 and "電話" in response.json()["error"]
    # the first reply takes the open ticket and reaches the web widget's event stream
    response = operator.post(f"/staff/api/handoff/{ids['web']}/reply", json={"text": "市民課の山田です。ご用件をどうぞ。"},
                             headers={"X-CSRF-Token": operator.csrf})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] and body["message"]["role"] == "staff" and body["message"]["author"] == "operator"
    session = gateway.web.sessions["a" * 32]
    assert [item["text"] for item in session.pending] == ["市民課の山田です。ご用件をどうぞ。"]
    assert HandoffData(console_state.engine).ticket(ids["web"]).taken_by == "operator"
    # someone else cannot reply over it
    response = admin.post(f"/staff/api/handoff/{ids['web']}/reply", json={"text": "横から"},
                          headers={"X-CSRF-Token": admin.csrf})
    assert response.status_code == 409 and "operator さんが担当しています" in response.json()["error"]
    # the resident writes in the paused conversation: the gateway's desk tells the console
    asyncio.run(gateway.desk.resident_wrote(conversation, "住民票の請求について聞きたいです"))
    messages = operator.get(f"/staff/api/handoff/{ids['web']}/messages").json()["messages"]
    assert [(m["role"], m["text"]) for m in messages] == [
        ("staff", "市民課の山田です。ご用件をどうぞ。"), ("resident", "住民票の請求について聞きたいです")]
    after = messages[0]["id"]
    assert [m["text"] for m in operator.get(f"/staff/api/handoff/{ids['web']}/messages?after={after}").json()["messages"]] \
        == ["住民票の請求について聞きたいです"]
    # the form (no JavaScript) works too, and without a CSRF token nothing is sent
    assert operator.post(f"/staff/handoff/{ids['web']}/reply", data={"text": "no token"},
                         follow_redirects=False).status_code == 403
    response = operator.post(f"/staff/handoff/{ids['web']}/reply", data={"text": "確認します", "csrf_token": operator.csrf},
                             follow_redirects=False)
    assert response.status_code == 303
    assert [item["text"] for item in session.pending][-1] == "確認します"
    page = operator.get(f"/staff/handoff/{ids['web']}").text
    assert "住民票の請求について聞きたいです" in page and "確認します" in page
    actions = [e.action for e in audit.entries(console_state.engine, action="ticket")]
    assert actions.count("ticket.reply") == 2 and actions.count("ticket.take") == 1
    # take over with force, audited with the previous holder
    admin.post(f"/staff/handoff/{ids['web']}/take", data={"force": "1", "csrf_token": admin.csrf})
    assert HandoffData(console_state.engine).ticket(ids["web"]).taken_by == "admin"
    assert audit.entries(console_state.engine, action="ticket.take")[0].detail["previous"] == "operator"


class FakeRasa:
    """Rasa's tracker events endpoint over real HTTP; `fail` makes it answer 500."""

    def __init__(self) -> None:
        self.events = []
        self.fail = False
        self.app = FastAPI()

        @self.app.post("/conversations/{conversation_id}/tracker/events")
        async def events(conversation_id: str, request: Request):
            if self.fail:
                return JSONResponse({"error": "down"}, status_code=500)
            self.events.append((conversation_id, await request.json()))
            return {"sender_id": conversation_id}


@pytest.fixture
def rasa():
    fake = FakeRasa()
    with ServerThread(fake.app) as server:
        fake.url = server.url
        yield fake


@pytest.fixture
def app_with_rasa(tmp_path, console_db, rasa, staff_users):
    from channels.config import GatewayConfig
    from madoguchi.server import create_app

    return create_app(GatewayConfig(rasa_url=rasa.url, public_url="http://testserver", home=tmp_path,
                                    db_url=console_db))


def test_release_resumes_the_bot(app_with_rasa, rasa, console_db):
    state = find_console(app_with_rasa).state.console
    ids = open_tickets(Records(state.engine))
    gateway = app_with_rasa.state.gateway
    conversation = "web:" + "a" * 32
    gateway.desk.start(conversation, str(ids["web"]))
    with TestClient(app_with_rasa) as client:
        login(client, "operator")
        client.post(f"/staff/handoff/{ids['web']}/take", data={"csrf_token": client.csrf})
        # Rasa refusing: the ticket stays open and the operator is told
        rasa.fail = True
        page = client.post(f"/staff/handoff/{ids['web']}/release", data={"farewell": "", "csrf_token": client.csrf})
        assert "ボットに戻せませんでした" in page.text
        assert state.records.ticket(ids["web"]).status == "taken" and gateway.desk.is_open(conversation)
        rasa.fail = False
        page = client.post(f"/staff/handoff/{ids['web']}/release", data={"farewell": "1", "csrf_token": client.csrf})
        assert "対応を終了しました" in page.text
        ticket_now = state.records.ticket(ids["web"])
        assert ticket_now.status == "closed"
        assert rasa.events[-1] == (conversation, [{"event": "resume"}, {"event": "action", "name": "action_listen"}])
        assert not gateway.desk.is_open(conversation)
        assert gateway.web.sessions["a" * 32].pending[-1]["text"].startswith("職員との対応を終了しました")
        assert audit.entries(state.engine, action="ticket.release")[0].actor == "operator"
        # a message left after hours is just marked done (Rasa is not asked)
        before = len(rasa.events)
        client.post(f"/staff/handoff/{ids['line']}/release", data={"csrf_token": client.csrf})
        assert state.records.ticket(ids["line"]).status == "closed" and len(rasa.events) == before
        assert audit.entries(state.engine, action="ticket.close")[0].target == str(ids["line"])
        queue = client.get("/staff/handoff").text
        assert f">{ids['web']}</a>" not in queue and f">{ids['voicemail']}</a>" in queue


def test_event_stream_of_a_ticket(app_with_rasa, staff_users):
    """The ticket page's server-sent events over real HTTP: a resident message arrives live."""
    state = find_console(app_with_rasa).state.console
    ids = open_tickets(Records(state.engine))
    gateway = app_with_rasa.state.gateway
    with ServerThread(app_with_rasa) as server, httpx.Client(base_url=server.url) as client:
        form = client.get("/staff/login")
        from console_support import csrf_of, PASSWORD

        client.post("/staff/login", data={"name": "operator", "password": PASSWORD, "csrf_token": csrf_of(form.text)})
        received = []

        def listen():
            with client.stream("GET", f"/staff/api/handoff/{ids['web']}/events", timeout=20) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                event = None
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        received.append((event, json.loads(line[6:])))
                        if event == "status" and received[-1][1]["status"] == "closed":
                            return

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        deadline = datetime.now() + timedelta(seconds=10)
        while not received and datetime.now() < deadline:
            threading.Event().wait(0.05)
        assert received[0] == ("status", {"status": "open", "label": "未対応", "taken_by": ""})
        # the resident writes: the gateway's desk listener runs in the server's event loop
        asyncio.run_coroutine_threadsafe(
            gateway.desk.resident_wrote("web:" + "a" * 32, "聞こえますか"), server.loop).result(10)
        while len(received) < 2 and datetime.now() < deadline:
            threading.Event().wait(0.05)
        assert received[1][0] == "message" and received[1][1]["text"] == "聞こえますか"
        Records(state.engine).close_ticket(ids["web"], by="admin")
        thread.join(10)
        assert received[-1] == ("status", {"status": "closed", "label": "対応終了", "taken_by": ""})
