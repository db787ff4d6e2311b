"""The console's tables on PostgreSQL: migration, users, sessions, lockout, audit."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.postgres


def test_auth_and_audit_on_postgres(pg_url):
    from console import audit
    from console.auth import Auth, AuthError, LoginError, utcnow
    from console.config import ConsoleSettings
    from core import migrations
    from faq.store import FaqStore

    store = FaqStore(pg_url)
    try:
        assert migrations.current_revision(store.engine) == migrations.head_revision()
        assert {"users", "staff_sessions", "audit_log"} <= set(sa.inspect(store.engine).get_table_names())
        auth = Auth(store.engine, ConsoleSettings.from_env(pg_url))
        auth.add_user("pgadmin", "postgres-admin-pw", "admin")
        auth.add_user("pgeditor", "postgres-editor-pw", "editor", "編集 太郎")
        with pytest.raises(AuthError):
            auth.add_user("PGADMIN", "another-long-pw", "editor")
        now = utcnow()
        session, token = auth.login("pgeditor", "postgres-editor-pw", ip="127.0.0.1", now=now)
        assert auth.session(token, now=now + timedelta(minutes=10)).user.display_name == "編集 太郎"
        assert auth.session(token, now=now + timedelta(minutes=45)) is None
        for _ in range(5):
            with pytest.raises(LoginError):
                auth.login("pgeditor", "wrong-wrong-wrong", ip="127.0.0.2")
        assert auth.get_user("pgeditor").locked_until is not None
        auth.push_flash(auth.login("pgadmin", "postgres-admin-pw")[0].id, "保存しました")
        with pytest.raises(AuthError, match="最後の管理者"):
            auth.set_active("pgadmin", False)
        audit.record(store.engine, "pgadmin", "faq.update", "F0001", {"fields": ["回答"], "version": 2})
        audit.record(store.engine, "pgadmin", "user.add", "pgeditor", {"role": "editor"})
        assert [e.action for e in audit.entries(store.engine)] == ["user.add", "faq.update"]
        assert audit.entries(store.engine, action="faq")[0].detail == {"fields": ["回答"], "version": 2}
        assert audit.count(store.engine, actor="pgadmin") == 2
        # downgrade removes the console tables, upgrade brings them back
        migrations.downgrade(store.engine, "0100_conversation_records")
        assert "users" not in sa.inspect(store.engine).get_table_names()
        assert migrations.upgrade(store.engine)
        assert "audit_log" in sa.inspect(store.engine).get_table_names()
    finally:
        store.close()
