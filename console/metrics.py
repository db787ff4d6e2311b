"""The dashboard's figures (数値) for a period of Japan-time days, from the records.

Definitions (also on the page and in the README):
- 問い合わせ件数: recorded questions (`inquiries`), by channel (web / line / phone / rest).
- 自己解決率: questions the bot answered (decision answer, choice, followup or passage) that the
  resident did not mark 「解決しなかった」, over all questions.
- 有人対応率: conversations with a ticket for a person (handoff in office hours, a message
  left after hours, a phone voicemail) over conversations (those with a question or a ticket).
- よくある質問: FAQ entries answered most (decision answer or choice).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from console.period import Period
from records.store import inquiries, tickets

CHANNELS = ("web", "line", "phone", "rest")
CHANNEL_LABELS = {"web": "Web", "line": "LINE", "phone": "電話", "rest": "その他（API）"}
ANSWERED = ("answer", "choice", "followup", "passage")
HANDOFF_KINDS = ("handoff", "after_hours", "voicemail")
TOP_ANSWER_DECISIONS = ("answer", "choice")

DEFINITIONS = (
    ("問い合わせ件数", "AIに届いた質問の数（チャネル別）。あいさつなどは含みません。"),
    ("自己解決率", "AIが回答した質問（回答・候補から選択・追加の質問への回答）のうち「解決しなかった」と言われなかったもの ÷ 問い合わせ件数。"),
    ("有人対応率", "職員対応を求めた会話（受付時間内の有人対応、時間外の伝言、電話の留守番メッセージ）÷ 会話数（質問または受付票があった会話）。"),
    ("よくある質問", "AIが回答した回数の多いFAQ（回答・候補から選択）。"),
)


def _rate(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


@dataclass
class DayFigures:
    day: Optional[date]  # None for the period's totals
    channels: Dict[str, int] = field(default_factory=lambda: {c: 0 for c in CHANNELS})
    self_resolved: int = 0
    conversations: int = 0
    handoff_conversations: int = 0

    @property
    def inquiries(self) -> int:
        return sum(self.channels.values())

    @property
    def self_resolution_rate(self) -> Optional[float]:
        return _rate(self.self_resolved, self.inquiries)

    @property
    def handoff_rate(self) -> Optional[float]:
        return _rate(self.handoff_conversations, self.conversations)


@dataclass(frozen=True)
class TopQuestion:
    faq_id: str
    question: str
    count: int
    unresolved: int  # of those, marked 「解決しなかった」


@dataclass
class Metrics:
    period: Period
    days: List[DayFigures]
    total: DayFigures
    top_questions: List[TopQuestion]


def _jst_day(column: Any, dialect: str) -> Any:
    """The Japan-time day of a naive UTC timestamp column, as 'YYYY-MM-DD' text."""
    if dialect == "sqlite":
        return sa.func.strftime("%Y-%m-%d", column, "+9 hours")
    if dialect == "postgresql":
        return sa.func.to_char(column + sa.literal_column("interval '9 hours'"), "YYYY-MM-DD")
    raise NotImplementedError(f"the dashboard does not support {dialect}")


def compute(engine: sa.Engine, period: Period, *, store: Any = None, top: int = 10) -> Metrics:
    """The figures of `period`; `store` (FaqStore) gives the top questions' texts."""
    lo, hi = period.utc_bounds()
    dialect = engine.dialect.name
    qi, tk = inquiries.c, tickets.c
    q_day = _jst_day(qi.created_at, dialect).label("day")
    t_day = _jst_day(tk.created_at, dialect).label("day")
    in_q = sa.and_(qi.created_at >= lo, qi.created_at < hi)
    in_t = sa.and_(tk.created_at >= lo, tk.created_at < hi)
    self_resolved = sa.and_(qi.decision.in_(ANSWERED), sa.or_(qi.resolved.is_(None), qi.resolved.is_(True)))
    per_day = (
        sa.select(q_day, qi.channel, sa.func.count().label("n"),
                  sa.func.sum(sa.case((self_resolved, 1), else_=0)).label("solved"))
        .where(in_q)
        .group_by(q_day, qi.channel)
    )
    # Conversations: those with a question or a ticket that day (a conversation over midnight
    # counts on both days; the period's total counts it once).
    both = sa.union(
        sa.select(q_day, qi.conversation_id.label("conversation_id")).where(in_q),
        sa.select(t_day, tk.conversation_id.label("conversation_id")).where(in_t),
    ).subquery()
    conversations_per_day = sa.select(
        both.c.day, sa.func.count(sa.distinct(both.c.conversation_id))
    ).group_by(both.c.day)
    conversations_total = sa.select(sa.func.count(sa.distinct(both.c.conversation_id)))
    handed = sa.and_(in_t, tk.kind.in_(HANDOFF_KINDS))
    handoffs_per_day = (
        sa.select(t_day, sa.func.count(sa.distinct(tk.conversation_id))).where(handed).group_by(t_day)
    )
    handoffs_total = sa.select(sa.func.count(sa.distinct(tk.conversation_id))).where(handed)
    top_rows = (
        sa.select(qi.faq_id, sa.func.count().label("n"),
                  sa.func.sum(sa.case((qi.resolved.is_(False), 1), else_=0)).label("unresolved"))
        .where(in_q, qi.decision.in_(TOP_ANSWER_DECISIONS), qi.faq_id.is_not(None))
        .group_by(qi.faq_id)
        .order_by(sa.desc("n"), qi.faq_id)
        .limit(top)
    )

    days = {d: DayFigures(d) for d in period.days()}
    total = DayFigures(None)
    with engine.connect() as conn:
        for day_text, channel, n, solved in conn.execute(per_day):
            figures = days.get(date.fromisoformat(day_text))
            if figures is None:
                continue
            channel = channel if channel in CHANNELS else "rest"
            figures.channels[channel] += int(n)
            figures.self_resolved += int(solved or 0)
            total.channels[channel] += int(n)
            total.self_resolved += int(solved or 0)
        for day_text, n in conn.execute(conversations_per_day):
            if date.fromisoformat(day_text) in days:
                days[date.fromisoformat(day_text)].conversations = int(n)
        for day_text, n in conn.execute(handoffs_per_day):
            if date.fromisoformat(day_text) in days:
                days[date.fromisoformat(day_text)].handoff_conversations = int(n)
        total.conversations = int(conn.execute(conversations_total).scalar() or 0)
        total.handoff_conversations = int(conn.execute(handoffs_total).scalar() or 0)
        ranked = [(r.faq_id, int(r.n), int(r.unresolved or 0)) for r in conn.execute(top_rows)]
    top_questions = []
    for faq_id, n, unresolved in ranked:
        entry = store.get(faq_id) if store is not None else None
        question = entry.question if entry is not None else "（削除されたFAQ）" if store is not None else ""
        top_questions.append(TopQuestion(faq_id, question, n, unresolved))
    return Metrics(period, [days[d] for d in period.days()], total, top_questions)


CSV_HEADER = (
    "日付", "Web", "LINE", "電話", "その他（API）", "問い合わせ件数", "自己解決件数", "自己解決率",
    "会話数", "有人対応の会話数", "有人対応率",
)


def _percent(value: Optional[float]) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def csv_rows(metrics: Metrics) -> List[Tuple[Any, ...]]:
    rows: List[Tuple[Any, ...]] = []
    for figures in metrics.days + [metrics.total]:
        rows.append((
            figures.day.isoformat() if figures.day else "合計",
            *(figures.channels[c] for c in CHANNELS),
            figures.inquiries,
            figures.self_resolved,
            _percent(figures.self_resolution_rate),
            figures.conversations,
            figures.handoff_conversations,
            _percent(figures.handoff_rate),
        ))
    return rows


def to_csv(metrics: Metrics) -> bytes:
    """Per-day rows and a 合計 row; rates in percent. UTF-8 with BOM (Excel reads it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(metrics))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_filename(period: Period) -> str:
    return f"madoguchi-metrics-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"


def percent_label(value: Optional[float]) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def rate_series(metrics: Metrics) -> Dict[str, Sequence[Optional[float]]]:
    return {
        "self_resolution": [d.self_resolution_rate for d in metrics.days],
        "handoff": [d.handoff_rate for d in metrics.days],
    }
