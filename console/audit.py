"""The audit log: who changed what, when. Written by every console action that changes data."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional

import sqlalchemy as sa

from console.auth import utcnow
from console.models import audit_log

# Japanese labels of the actions, for the audit page. Add yours here (key: "area.verb").
ACTION_LABELS: Dict[str, str] = {
    "login": "ログイン",
    "login.failed": "ログイン失敗",
    "logout": "ログアウト",
    "faq.create": "FAQ を作成",
    "faq.update": "FAQ を編集",
    "faq.publish": "FAQ を公開",
    "faq.unpublish": "FAQ を非公開に",
    "faq.revert": "FAQ を以前の版に戻す",
    "faq.delete": "FAQ を削除",
    "faq.import": "FAQ を CSV で取り込み",
    "faq.export": "FAQ を CSV で書き出し",
    "faq.calibrate": "回答の判定を較正",
    "glossary.update": "用語集を編集",
    "user.add": "ユーザーを追加",
    "user.role": "役割を変更",
    "user.disable": "ユーザーを無効に",
    "user.enable": "ユーザーを有効に",
    "user.passwd": "パスワードを変更",
    "inbox.create_faq": "未回答から FAQ を作成",
    "inbox.add_phrasings": "未回答を言い換えとして追加",
    "inbox.dismiss": "未回答を対応不要に",
    "documents.reread": "資料を読み直し",
    "documents.remove": "資料を削除",
    "documents.publish": "資料を公開",
    "documents.unpublish": "資料を非公開に",
    "ticket.take": "会話を担当",
    "ticket.reply": "住民に返信",
    "ticket.release": "会話をボットに戻す",
    "ticket.close": "チケットを完了",
    "dashboard.export": "数値を CSV で書き出し",
}

_MAX_DETAIL = 4000  # characters of JSON kept per entry


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime  # naive UTC
    actor: str
    action: str
    target: str
    detail: Optional[Dict[str, Any]]
    ip: str

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


def _short(detail: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    if not detail:
        return None
    data = json.loads(json.dumps(dict(detail), ensure_ascii=False, default=str))
    text = json.dumps(data, ensure_ascii=False)
    if len(text) > _MAX_DETAIL:
        return {"truncated": text[:_MAX_DETAIL]}
    return data


def record(engine: sa.Engine, actor: str, action: str, target: str = "", detail: Optional[Mapping[str, Any]] = None,
           *, ip: str = "", conn: Optional[sa.Connection] = None) -> None:
    """Writes one audit entry (in `conn`'s transaction when given)."""
    values = dict(at=utcnow(), actor=(actor or "")[:100], action=action[:50], target=str(target or "")[:300],
                  detail=_short(detail), ip=(ip or "")[:64])
    if conn is not None:
        conn.execute(audit_log.insert().values(**values))
        return
    with engine.begin() as c:
        c.execute(audit_log.insert().values(**values))


def entries(engine: sa.Engine, *, actor: str = "", action: str = "", target: str = "",
            since: Optional[datetime] = None, until: Optional[datetime] = None,
            limit: int = 100, offset: int = 0) -> List[AuditEntry]:
    """Newest first. `action` matches a prefix ("faq" matches faq.update …)."""
    query = sa.select(audit_log).where(*_conditions(actor, action, target, since, until))
    query = query.order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
    with engine.connect() as conn:
        return [AuditEntry(r.id, r.at, r.actor, r.action, r.target, r.detail, r.ip) for r in conn.execute(query)]


def count(engine: sa.Engine, *, actor: str = "", action: str = "", target: str = "",
          since: Optional[datetime] = None, until: Optional[datetime] = None) -> int:
    query = sa.select(sa.func.count()).select_from(audit_log).where(*_conditions(actor, action, target, since, until))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _conditions(actor: str, action: str, target: str, since: Optional[datetime], until: Optional[datetime]) -> List[Any]:
    conds: List[Any] = []
    if actor:
        conds.append(audit_log.c.actor == actor)
    if action:
        conds.append(sa.or_(audit_log.c.action == action, audit_log.c.action.like(action.rstrip(".") + ".%")))
    if target:
        conds.append(audit_log.c.target == target)
    if since is not None:
        conds.append(audit_log.c.at >= since)
    if until is not None:
        conds.append(audit_log.c.at < until)
    return conds
