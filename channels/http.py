"""Careful reading of request bodies: size cap, strict UTF-8, JSON and form decoding."""
from __future__ import annotations

import json
import logging
from typing import Any, Dict
from urllib.parse import parse_qsl

from fastapi import Request

log = logging.getLogger(__name__)


class BadRequest(Exception):
    """A client error: status code and a short reason (logged, and returned as JSON or text)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise BadRequest(413, f"body too large ({declared} bytes, limit {limit})")
        except ValueError:
            raise BadRequest(400, "invalid Content-Length") from None
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(413, f"body too large (over {limit} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


def decode_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "body is not UTF-8") from None


def parse_json_object(body: bytes) -> Dict[str, Any]:
    text = decode_utf8(body)
    try:
        data = json.loads(text)
    except ValueError:
        raise BadRequest(400, "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest(400, "JSON body must be an object")
    return data


def parse_form(request: Request, body: bytes) -> Dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise BadRequest(415, f"expected a form body, got {content_type or 'no content type'}")
    text = decode_utf8(body)
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(400, "form body is not valid UTF-8 form data") from None
    form: Dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form
