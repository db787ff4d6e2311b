"""The glossary of municipal terms in the residents' languages (faq/language.py): the shipped
list, read only, and the city's own additions (MADOGUCHI_HOME/glossary.yml), edited here."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml
from fastapi import APIRouter, Depends, Form, Request

from console.auth import StaffUser
from console.core import audit, flash, redirect, render, require
from faq.language import DEFAULT_GLOSSARY, JAPANESE_NAMES, city_glossary_path, glossary, parse_glossary

router = APIRouter()
MAX_BYTES = 200_000
EXAMPLE = "en:\n  sunflower festival: ひまわりまつり\nvi:\n  lễ hội hoa hướng dương: ひまわりまつり\n"


def _page(request: Request, text: str, errors=None, status_code: int = 200):
    shipped = parse_glossary(yaml.safe_load(DEFAULT_GLOSSARY.read_text(encoding="utf-8")))
    return render(
        request, "glossary.html", status_code=status_code, title="用語集（外国語 → 日本語）",
        text=text, errors=errors or [], example=EXAMPLE, names=JAPANESE_NAMES,
        shipped={lang: sorted(terms.items()) for lang, terms in shipped.items()},
        path=str(city_glossary_path()),
    )


def _write(path: Path, text: str) -> None:
    """Atomically: the search reloads the file when it changes, never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".glossary-", suffix=".yml")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


@router.get("/glossary", name="glossary")
def glossary_page(request: Request, user: StaffUser = Depends(require("faq"))):
    path = city_glossary_path()
    return _page(request, path.read_text(encoding="utf-8") if path.exists() else "")


@router.post("/glossary", name="glossary_save")
def glossary_save(request: Request, text: str = Form(""), user: StaffUser = Depends(require("faq"))):
    text = text.replace("\r\n", "\n")
    if len(text.encode("utf-8")) > MAX_BYTES:
        return _page(request, text, [f"用語集が大きすぎます（{MAX_BYTES // 1000} KB まで）"], 400)
    try:
        parsed = parse_glossary(yaml.safe_load(text) if text.strip() else None)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{mark.line + 1} 行目: " if mark is not None else ""
        return _page(request, text, [f"{where}YAML として読めません（{getattr(error, 'problem', '') or error}）"], 400)
    except ValueError as error:
        return _page(request, text, [str(error)], 400)
    _write(city_glossary_path(), text)
    glossary()  # reload now: the next search uses it
    count = sum(len(terms) for terms in parsed.values())
    audit(request, "glossary.update", "glossary", terms=count)
    flash(request, f"用語集を保存しました（市独自の用語 {count} 件）。次の検索から使われます。")
    return redirect(request, "/glossary")
