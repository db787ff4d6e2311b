"""Import of a folder (ids, URLs, errors per file), incremental refresh, persistence, and the
rule that unpublished and expired sources are never answered."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from doc_files import html_page, write_docx, write_pdf, write_xlsx

from documents.config import DocsConfig, UrlRule
from documents.service import DocumentService
from documents.store import DocumentStore

SITE = "https://www.city.hidamari.example"


def make_folder(root: Path) -> Path:
    (root / "sangyo").mkdir(parents=True)
    (root / "kenko").mkdir()
    (root / "files").mkdir()
    (root / "sangyo" / "noen.html").write_bytes(html_page(
        "市民農園の貸し出し", "<p>市民農園を年間5,000円で貸し出しています。申込みは2月に農政課で受け付けます。</p>",
        f'<link rel="canonical" href="{SITE}/sangyo/noen.html">'))
    (root / "kenko" / "kenketsu.html").write_bytes(html_page(
        "献血のお知らせ", "<p>献血バスは毎月第1水曜日に市役所本庁舎前へ来ます。16歳から69歳までの方が献血できます。</p>"))
    (root / "kenko" / "donor.html").write_bytes(html_page(
        "骨髄ドナー助成金", "<p>骨髄を提供したドナーに1日2万円を助成します。</p>"))
    write_pdf(root / "files" / "matsuri.pdf", [["夏まつりの日は駅前通りが17時から22時まで通行止めになります。"]],
              title="夏まつり交通規制")
    write_docx(root / "files" / "satooya.docx")
    write_xlsx(root / "files" / "aed.xlsx")
    (root / "files" / "elevator.txt").write_bytes(
        "エレベーター工事のお知らせ\n東側のエレベーターは12月25日まで使えません。".encode("cp932"))
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{SITE}/kenko/kenketsu.html</loc><lastmod>2026-03-05</lastmod></url></urlset>",
        encoding="utf-8")
    # bad files: each reported, none stops the others
    write_pdf(root / "files" / "locked.pdf", [["秘密"]], password="pw")
    (root / "files" / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf at all" * 10)
    (root / "files" / "empty.html").write_text("<html><body><nav>メニュー</nav></body></html>", encoding="utf-8")
    with open(root / "files" / "huge.pdf", "wb") as fh:  # sparse: 50 MB on paper, nothing on disk
        fh.truncate(50 * 1024 * 1024)
    (root / "files" / "photo.txt").write_bytes(bytes(range(256)) * 50)
    (root / "files" / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0 old word file")
    (root / "files" / "logo.png").write_bytes(b"\x89PNG not a document")  # ignored, not an error
    return root


@pytest.fixture
def service(tmp_path, encoder, analyzer):
    svc = DocumentService(DocumentStore(f"sqlite:///{tmp_path / 'app.db'}"), encoder, analyzer,
                          index_dir=tmp_path / "index", config=DocsConfig(), show_progress=False)
    yield svc
    svc.close()


def test_folder_import_ids_urls_and_errors_per_file(tmp_path, service):
    root = make_folder(tmp_path / "site")
    report = service.import_paths([root])
    ids = {s.id: s for s in service.store.sources()}
    assert set(ids) == {
        f"{SITE}/sangyo/noen.html",  # canonical link
        f"{SITE}/kenko/kenketsu.html",  # sitemap.xml
        "kenko/donor", "files/matsuri", "files/satooya", "files/aed", "files/elevator",  # path, no extension
    }
    assert report.read == 7 and report.passages == sum(s.passage_count for s in ids.values())
    kenketsu = ids[f"{SITE}/kenko/kenketsu.html"]
    assert kenketsu.url == kenketsu.id and kenketsu.modified_at.date().isoformat() == "2026-03-05"
    assert ids["files/matsuri"].kind == "pdf" and ids["files/matsuri"].title == "夏まつり交通規制"
    errors = {Path(e.path).name: e.error for e in service.store.errors()}
    assert set(errors) == {"locked.pdf", "broken.pdf", "empty.html", "huge.pdf", "photo.txt", "old.doc"}
    assert "パスワード" in errors["locked.pdf"]
    assert "壊れている" in errors["broken.pdf"]
    assert "本文が見つかりません" in errors["empty.html"]
    assert "大きすぎます（50 MB、上限 20 MB）" in errors["huge.pdf"]
    assert "バイナリ" in errors["photo.txt"]
    assert "読み込めません" in errors["old.doc"]
    assert sorted(e[0] for e in report.errors) == sorted(e.path for e in service.store.errors())

    result = service.search("献血バスはいつ来ますか")
    assert result.decision == "answer"
    assert result.ranked_documents()[0] == f"{SITE}/kenko/kenketsu.html"
    assert result.top.url == f"{SITE}/kenko/kenketsu.html" and result.top.title == "献血のお知らせ"
    assert service.search("東側のエレベーターはいつまで使えない").ranked_documents()[0] == "files/elevator"
    assert service.search("道の駅のAEDの場所").ranked_documents()[0] == "files/aed"


def test_url_rule_gives_the_public_address(tmp_path, encoder, analyzer):
    root = make_folder(tmp_path / "site")
    config = DocsConfig(url_rules=[UrlRule("files", f"{SITE}/shared/files")])
    with DocumentService(DocumentStore(f"sqlite:///{tmp_path / 'rule.db'}"), encoder, analyzer,
                         config=config, show_progress=False) as svc:
        svc.import_paths([root / "files" / "matsuri.pdf", root / "kenko"])
        ids = {s.id for s in svc.store.sources()}
    # a file given alone is relative to its own folder; the rule maps the folder "files"
    assert ids == {"matsuri", "kenketsu", "donor"}
    assert config.url_for("files/matsuri.pdf") == f"{SITE}/shared/files/matsuri.pdf"
    assert config.url_for("other/x.pdf") is None


def test_incremental_refresh_when_files_change_or_go(tmp_path, service, encoder, analyzer):
    root = make_folder(tmp_path / "site")
    service.import_paths([root])
    first = {s.id: s.revision for s in service.store.sources()}

    again = service.import_paths([root])
    assert (again.read, again.unchanged, again.removed) == (0, 7, 0)
    assert {s.id: s.revision for s in service.store.sources()} == first

    (root / "kenko" / "donor.html").write_bytes(html_page(
        "骨髄ドナー助成金", "<p>骨髄を提供したドナーに1日3万円を助成します。勤め先の事業所にも助成します。</p>"))
    os.remove(root / "files" / "aed.xlsx")
    changed = service.import_paths([root])
    assert (changed.read, changed.unchanged, changed.removed) == (1, 5, 1)
    assert "files/aed" not in {s.id for s in service.store.sources()}
    hit = service.search("骨髄ドナーの助成額").top
    assert hit.source_id == "kenko/donor" and "3万円" in hit.text
    assert all(h.source_id != "files/aed" for h in service.search("道の駅のAEDの場所", top_k=50).hits)

    # a new process loads the saved index and catches up without encoding anything again
    class Counting:
        def __init__(self, inner):
            self.inner, self.calls, self.dim, self.fingerprint = inner, 0, inner.dim, inner.fingerprint

        def encode(self, texts, show_progress=False):
            self.calls += len(texts)
            return self.inner.encode(texts)

        def encode_queries(self, texts):
            return self.inner.encode_queries(texts)

    counting = Counting(encoder)
    with DocumentService(DocumentStore(service.store.url), counting, analyzer,
                         index_dir=service.index_dir, show_progress=False) as fresh:
        assert fresh.search("骨髄ドナーの助成額").top.source_id == "kenko/donor"
        assert counting.calls == 0


def test_unpublished_and_expired_sources_are_never_answered(tmp_path, service):
    root = tmp_path / "site"
    root.mkdir()
    (root / "kenketsu.html").write_bytes(html_page(
        "献血のお知らせ", "<p>献血バスは毎月第1水曜日に市役所本庁舎前へ来ます。</p>"))
    (root / "furugi.html").write_bytes(html_page(
        "古着の拠点回収", "<p>古着と古布は、市民センターの回収ボックスへお持ちください。</p>",
        '<meta name="expires" content="2025-03-31">'))
    service.import_paths([root])
    assert {s.id for s in service.store.sources()} == {"kenketsu", "furugi"}
    assert not service.store.get("furugi").is_live()
    assert all(h.source_id != "furugi" for h in service.search("古着の回収ボックス", top_k=50).hits)

    assert service.search("献血バスはいつ来ますか").top.source_id == "kenketsu"
    service.store.set_status("kenketsu", "unpublished")
    result = service.search("献血バスはいつ来ますか", top_k=50)
    assert all(h.source_id != "kenketsu" for h in result.hits)
    assert result.decision == "none"
    # reading the file again keeps staff's decision
    (root / "kenketsu.html").write_bytes(html_page("献血のお知らせ", "<p>献血バスは毎月第2水曜日に来ます。</p>"))
    service.import_paths([root])
    assert service.store.get("kenketsu").status == "unpublished"
    service.store.set_status("kenketsu", "published")
    assert "第2水曜日" in service.search("献血バスはいつ来ますか").top.text


def test_remove(tmp_path, service):
    root = make_folder(tmp_path / "site")
    shutil.rmtree(root / "files")
    service.import_paths([root])
    assert service.remove("kenko/donor") is True
    assert service.remove("kenko/donor") is False
    assert "kenko/donor" not in {s.id for s in service.store.sources()}
    assert all(h.source_id != "kenko/donor" for h in service.search("骨髄ドナー", top_k=50).hits)
