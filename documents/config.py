"""Settings of document import and search (documents/config.yml, or a file named by
MADOGUCHI_DOCS_CONFIG)."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from core.settings import read

DEFAULT_CONFIG = Path(__file__).resolve().parent / "config.yml"


@dataclass
class UrlRule:
    """Files under `path` (relative to the imported folder) are published at `url` + the rest."""

    path: str
    url: str


@dataclass
class DocsConfig:
    max_file_mb: float = 20.0
    passage_prefix: str = "passage: "
    query_prefix: str = "query: "
    dense_weight: float = 0.9
    bm25_weight: float = 0.1
    candidates: int = 100
    answer_min_score: float = 0.84  # a passage is offered to a resident from this fused score
    url_rules: List[UrlRule] = field(default_factory=list)

    @classmethod
    def load(cls, path: Union[str, Path, None] = None) -> "DocsConfig":
        import yaml

        path = Path(path or read("MADOGUCHI_DOCS_CONFIG", DEFAULT_CONFIG))
        data: Dict[str, Any] = {}
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping")
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{path}: unknown settings {sorted(unknown)}")
        rules = [UrlRule(str(r["path"]), str(r["url"])) for r in data.pop("url_rules", None) or []]
        return cls(**data, url_rules=rules)

    def dense_fingerprint(self) -> str:
        return hashlib.sha256(self.passage_prefix.encode()).hexdigest()[:8]

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    def url_for(self, relative: str) -> Optional[str]:
        """The public URL of a file from the path→URL rules (longest prefix first)."""
        relative = relative.replace(os.sep, "/")
        for rule in sorted(self.url_rules, key=lambda r: -len(r.path)):
            prefix = rule.path.strip("/")
            if not prefix or relative == prefix or relative.startswith(prefix + "/"):
                rest = relative[len(prefix):].lstrip("/") if prefix else relative
                return rule.url.rstrip("/") + "/" + rest
        return None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)
