"""Helpers of the inbox / handoff / metrics tests: records at chosen times, the real encoder,
a FaqService over a copy of the sample FAQ whose index is built once per session."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, Optional, Sequence

import pytest
import sqlalchemy as sa

from console_support import ServerThread  # noqa: F401 (re-exported for the tests)
from records.store import Records, inquiries, tickets

JST = timezone(timedelta(hours=9))


def utc(year, month, day, hour=12, minute=0) -> datetime:
    """A Japan-time wall clock as the naive UTC the database keeps."""
    return datetime(year, month, day, hour, minute, tzinfo=JST).astimezone(timezone.utc).replace(tzinfo=None)


def ask(
    records: Records,
    conversation_id: str,
    text: str,
    decision: str,
    at: datetime,
    *,
    faq_id: Optional[str] = None,
    candidates: Sequence[str] = (),
    resolved: Optional[bool] = None,
) -> int:
    """An inquiry recorded through Records, then moved to `at` (naive UTC)."""
    inquiry_id = records.log_inquiry(conversation_id, text, decision, faq_id=faq_id, candidates=candidates)
    if resolved is not None:
        records.record_feedback(inquiry_id, resolved)
    with records.engine.begin() as conn:
        conn.execute(sa.update(inquiries).where(inquiries.c.id == inquiry_id).values(created_at=at))
    return inquiry_id


def ticket(records: Records, conversation_id: str, kind: str, at: datetime, **fields) -> int:
    ticket_id = records.open_ticket(conversation_id, kind, **fields)
    with records.engine.begin() as conn:
        conn.execute(sa.update(tickets).where(tickets.c.id == ticket_id).values(created_at=at))
    return ticket_id


@pytest.fixture(scope="session")
def encoder():
    """The real offline embedding model (the one the FAQ search uses)."""
    from faq.e5_convert import build_model
    from faq.embeddings import Encoder
    from core.settings import load_settings

    return Encoder(build_model(load_settings().embedding_model, progress=False), prefix="", batch_size=64)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, console_template_db, encoder) -> Path:
    """The FAQ index of the console's sample database, built once and saved."""
    from faq.service import FaqService
    from faq.store import FaqStore

    index_dir = tmp_path_factory.mktemp("console_index")
    service = FaqService(FaqStore(f"sqlite:///{console_template_db}"), encoder, index_dir=index_dir,
                         show_progress=False)
    service.refresh()
    service.close()
    return index_dir


@pytest.fixture
def faq_service(tmp_path, console_db, sample_index, encoder) -> Iterator:
    """A FaqService over this test's copy of the sample database (index copied, not rebuilt)."""
    from faq.service import FaqService
    from faq.store import FaqStore

    index_dir = tmp_path / "index"
    shutil.copytree(sample_index, index_dir)
    service = FaqService(FaqStore(console_db), encoder, index_dir=index_dir, show_progress=False)
    yield service
    service.close()


# ---- a month of plausible records (dashboard and inbox screenshots) ----------------------

UNANSWERED_TOPICS = [
    ["公園でドローンを飛ばしてもいいですか", "ドローンを公園で飛ばしたい", "公園でのドローンの飛行は許可が必要ですか"],
    ["マンホールカードはどこでもらえますか", "マンホールカードの配布場所を教えて", "マンホールカードがほしい"],
    ["今年の花火大会はいつですか", "花火大会の日程"],
    ["ペットの火葬はしてもらえますか", "犬が死んだらどうすればいい"],
    ["市役所の駐車場は無料ですか", "庁舎の駐車場の料金"],
    ["空き家バンクに登録したい"],
]


def seed_month(records: Records, end, days: int = 30, seed: int = 7) -> dict:
    """About 25 questions a day over `days` Japan-time days ending on `end` (a date): answered
    ones from the dev queries, unanswered topics, feedback and tickets. Returns counts."""
    import json
    import random
    from datetime import timedelta

    from core.settings import REPO_ROOT

    rng = random.Random(seed)
    dev = [json.loads(line) for line in (REPO_ROOT / "faq" / "data" / "dev_queries.jsonl").open(encoding="utf-8")]
    dev = [(q["text"], max(q["relevant"], key=q["relevant"].get)) for q in dev if q["relevant"]]
    popular = dev[:12]
    channels = ["web:", "web:", "web:", "line:", "line:", "tel:", "rest-"]
    counts = {"inquiries": 0, "tickets": 0}
    for offset in range(days):
        day = end - timedelta(days=days - 1 - offset)
        weekend = day.weekday() >= 5
        for n in range(rng.randint(8, 16) if weekend else rng.randint(20, 36)):
            conversation = f"{rng.choice(channels)}{day:%m%d}{n:03d}"
            at = utc(day.year, day.month, day.day, rng.randint(7, 21), rng.randint(0, 59))
            roll = rng.random()
            if roll < 0.62:
                text, faq_id = rng.choice(popular) if rng.random() < 0.5 else rng.choice(dev)
                resolved = False if rng.random() < 0.08 else (True if rng.random() < 0.5 else None)
                ask(records, conversation, text, rng.choice(["answer", "answer", "choice"]), at, faq_id=faq_id,
                    resolved=resolved)
            elif roll < 0.72:
                ask(records, conversation, "電話番号は？", "followup", at, faq_id=rng.choice(popular)[1])
            else:
                topic = UNANSWERED_TOPICS[min(int(rng.expovariate(0.7)), len(UNANSWERED_TOPICS) - 1)]
                ask(records, conversation, rng.choice(topic), rng.choice(["none", "none", "suggest", "out_of_scope"]),
                    at, candidates=[rng.choice(dev)[1] for _ in range(3)])
                if rng.random() < 0.25 and not conversation.startswith("rest-"):
                    kind = "handoff" if 8 <= (at.hour + 9) % 24 < 17 else "after_hours"
                    ticket(records, conversation, kind, at + timedelta(minutes=1), last_query=topic[0])
                    counts["tickets"] += 1
            counts["inquiries"] += 1
    return counts
