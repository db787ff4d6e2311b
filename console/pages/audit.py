"""Admin: read the audit log."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from fastapi import APIRouter, Depends, Request

from console import audit as audit_log
from console.auth import StaffUser
from console.core import get_state, render, require

router = APIRouter()
PAGE_SIZE = 50


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _utc(day: date) -> datetime:
    """Midnight of a Japanese day, as naive UTC."""
    return datetime.combine(day, time()) - timedelta(hours=9)


@router.get("/audit", name="audit")
def audit_page(request: Request, actor: str = "", action: str = "", target: str = "", since: str = "",
               until: str = "", page: int = 1, user: StaffUser = Depends(require("audit"))):
    engine = get_state(request).engine
    start, end = _day(since), _day(until)
    filters = dict(
        actor=actor.strip(), action=action.strip(), target=target.strip(),
        since=_utc(start) if start else None, until=_utc(end + timedelta(days=1)) if end else None,
    )
    page = max(1, page)
    total = audit_log.count(engine, **filters)
    rows = audit_log.entries(engine, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, **filters)
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    return render(request, "audit.html", title="操作記録", rows=rows, total=total, page=page, pages=pages,
                  actions=audit_log.ACTION_LABELS,
                  q={"actor": actor, "action": action, "target": target, "since": since, "until": until})
