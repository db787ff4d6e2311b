"""資料 (editor, admin): the city's pages and files the bot answers from when no FAQ entry fits:
when each was read, its passages, the files that could not be read and why; read a source again
now, publish or unpublish it, remove it. Imports run on the server: `madoguchi docs import`."""
from __future__ import annotations

from typing import Dict, List

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool

from console.auth import StaffUser
from console.core import audit, flash, get_state, redirect, render, require
from console.services import document_store
from documents.importer import Importer

router = APIRouter()
KIND_LABELS = {"html": "ページ", "pdf": "PDF", "docx": "Word", "xlsx": "Excel", "txt": "テキスト"}


@router.get("/documents", name="documents")
def documents_page(request: Request, q: str = "", user: StaffUser = Depends(require("documents"))):
    store = document_store(get_state(request))
    sources = store.sources()
    errors = store.errors()
    needle = q.strip().lower()
    if needle:
        sources = [s for s in sources if needle in s.id.lower() or needle in s.title.lower()]
    by_path: Dict[str, List] = {}
    for error in errors:
        by_path.setdefault(error.path, []).append(error)
    return render(request, "documents.html", title="資料", sources=sources, errors=errors,
                  source_errors={s.id: by_path.get(s.path, []) for s in sources}, kinds=KIND_LABELS,
                  q=q, total=store.count(), passages=sum(s.passage_count for s in sources))


@router.post("/documents/reread", name="documents_reread")
async def documents_reread(request: Request, id: str = Form(""), user: StaffUser = Depends(require("documents"))):
    store = document_store(get_state(request))
    source = await run_in_threadpool(store.get, id)
    if source is None:
        flash(request, "その資料は見つかりません（削除された可能性があります）", "warn")
        return redirect(request, "/documents")
    report = await run_in_threadpool(Importer(store).reread, [source])
    audit(request, "documents.reread", id, read=report.read, errors=[e for _, e in report.errors])
    if report.errors:
        flash(request, f"「{source.title}」を読み直せませんでした：{report.errors[0][1]}", "error")
    else:
        flash(request, f"「{source.title}」を読み直しました（段落 {report.passages}）。数秒で回答に使われます。")
    return redirect(request, "/documents")


@router.post("/documents/status", name="documents_status")
def documents_status(request: Request, id: str = Form(""), status: str = Form(""),
                     user: StaffUser = Depends(require("documents"))):
    store = document_store(get_state(request))
    status = "published" if status == "published" else "unpublished"
    source = store.get(id)
    if source is None or not store.set_status(id, status):
        flash(request, "その資料は見つかりません（削除された可能性があります）", "warn")
        return redirect(request, "/documents")
    audit(request, f"documents.{'publish' if status == 'published' else 'unpublish'}", id)
    flash(request, f"「{source.title}」を{'公開' if status == 'published' else '非公開に'}しました。"
                   + ("" if status == "published" else "AIはこの資料を回答に使いません。"))
    return redirect(request, "/documents")


@router.post("/documents/remove", name="documents_remove")
def documents_remove(request: Request, id: str = Form(""), user: StaffUser = Depends(require("documents"))):
    store = document_store(get_state(request))
    source = store.get(id)
    if source is None or not store.remove(id):
        flash(request, "その資料は見つかりません（削除された可能性があります）", "warn")
        return redirect(request, "/documents")
    audit(request, "documents.remove", id, title=source.title, passages=source.passage_count)
    flash(request, f"「{source.title}」を削除しました。ファイルが残っていれば、次の取り込みでまた読まれます。")
    return redirect(request, "/documents")
