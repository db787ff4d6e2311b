"""The documents' store (documents/store.py) on SQLite and PostgreSQL: it shares the app
database and its Alembic history with the FAQ, so it is tested with the FAQ store's fixtures."""
from __future__ import annotations

from datetime import datetime, timedelta

from documents.passages import Passage
from documents.store import DocumentStore, utcnow


def test_sources_passages_errors_and_revisions(db_url):
    store = DocumentStore(db_url)
    try:
        assert store.revision() == 0 and len(store.store_id) == 36
        fields = {"id": "https://city.example/a.html", "origin": "/site", "path": "/site/a.html",
                  "url": "https://city.example/a.html", "title": "市民農園", "kind": "html",
                  "content_hash": "h1", "size": 10, "modified_at": datetime(2026, 4, 1),
                  "publish_end": None}
        store.record_error("/site/a.html", "本文が見つかりません", origin="/site")
        saved = store.save(fields, [Passage("市民農園", "一つ目。"), Passage("市民農園 > 申込み", "二つ目。", 3)])
        assert saved.passage_count == 2 and saved.revision == 1 and saved.is_live()
        assert store.errors() == []  # read successfully: the file's old error is cleared
        assert [(p.position, p.heading, p.text, p.page) for p in store.passages([saved.id])] == [
            (0, "市民農園", "一つ目。", None), (1, "市民農園 > 申込み", "二つ目。", 3)]

        store.save(dict(fields, content_hash="h2", publish_end=utcnow() - timedelta(days=1)),
                   [Passage("市民農園", "改訂版。")])
        again = store.by_path("/site/a.html")
        assert again.revision == 2 and again.passage_count == 1 and not again.is_live()
        assert [p.text for p in store.passages()] == ["改訂版。"]

        assert store.set_status(saved.id, "unpublished") and store.get(saved.id).status == "unpublished"
        store.record_error("/site/b.pdf", "パスワードで保護された PDF のため読めません", origin="/site")
        assert [(e.path, e.error) for e in store.errors(origin="/site")] == [
            ("/site/b.pdf", "パスワードで保護された PDF のため読めません")]
        assert store.remove(saved.id) and not store.remove(saved.id)
        assert store.passages() == [] and store.count() == 0 and store.revision() == 4
    finally:
        store.close()
