"""数値 (every role): inquiries per day by channel, 自己解決率, 有人対応率, the top questions and
the top unanswered groups for a period, with charts and CSV export. Data: console/metrics.py."""
from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from console import charts, metrics
from console.auth import StaffUser
from console.core import audit, get_state, render, require
from console.inbox import DECISION_LABELS
from console.period import from_query, today_jst
from console.pages.inbox import load_groups
from console.services import inbox as get_inbox

log = logging.getLogger(__name__)
router = APIRouter()
TOP_GROUPS = 5


@router.get("/dashboard", name="dashboard")
def dashboard(request: Request, user: StaffUser = Depends(require("dashboard"))):
    state = get_state(request)
    period, period_error = from_query(request.query_params)
    figures = metrics.compute(state.engine, period, store=state.store)
    groups, group_error = [], ""
    try:
        groups, group_error = load_groups(get_inbox(state), period, limit=TOP_GROUPS)
    except Exception:
        log.exception("top unanswered groups for the dashboard failed")
        group_error = "未回答のまとまりを計算できませんでした"
    return render(
        request, "dashboard.html", title="数値", period=period, period_error=period_error, today=today_jst(),
        m=figures, total=figures.total, bars=charts.channel_bars(figures), lines=charts.rate_lines(figures),
        channels=metrics.CHANNELS, channel_labels=metrics.CHANNEL_LABELS, definitions=metrics.DEFINITIONS,
        percent=metrics.percent_label, groups=groups, group_error=group_error, reasons=DECISION_LABELS,
    )


@router.get("/dashboard/export.csv", name="dashboard_export")
def dashboard_export(request: Request, user: StaffUser = Depends(require("dashboard"))):
    state = get_state(request)
    period, _ = from_query(request.query_params)
    figures = metrics.compute(state.engine, period, store=state.store)
    audit(request, "dashboard.export", period.label(), start=period.start.isoformat(), end=period.end.isoformat())
    return Response(
        metrics.to_csv(figures), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{metrics.csv_filename(period)}"'},
    )
