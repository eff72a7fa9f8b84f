"""``SharedSchedule.test``: what a PostgreSQL address offers, read without changing anything
(no migration, no table made): reached, the server's version and encoding, this user's rights,
and whether the database already holds a schedule. Each failure in words, with what to do."""

from __future__ import annotations

from typing import Any

import psycopg
import psycopg.errors

from tiktok_desktop.store import pg_schema
from tiktok_desktop.store.postgres import MIN_SERVER

__all__ = ["probe"]


def _scrub(exc: BaseException, password: str) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.replace(password, "***") if password else text


def probe(url: str, where: str, timeout: float) -> tuple[bool, str, bool, int]:
    """(usable, message, holds a schedule already, its schema version)."""
    from psycopg.conninfo import conninfo_to_dict  # noqa: PLC0415

    password = str(conninfo_to_dict(url).get("password") or "")
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=max(1, round(timeout)))
    except psycopg.errors.InvalidPassword as exc:
        return False, (f"The server at {where} refused the password ({_scrub(exc, password)}). "
                       "Check the user name and password."), False, 0
    except psycopg.OperationalError as exc:
        why = _scrub(exc, password)
        if "does not exist" in why:
            return False, (f"{where}: {why}. Create the database first (createdb, or your "
                           "hosting provider's page), or check its name."), False, 0
        if "password" in why or "authentication" in why:
            return False, (f"The server at {where} refused the sign-in ({why}). Check the "
                           "user name and password."), False, 0
        return False, (f"The database server at {where} cannot be reached ({why}). Check "
                       "the address and port, that the server runs and that this computer "
                       "may reach it (firewall, pg_hba.conf)."), False, 0
    except psycopg.Error as exc:
        return False, f"{where}: {_scrub(exc, password)}", False, 0
    try:
        return _inspect(conn, where)
    except psycopg.Error as exc:
        return False, f"{where} answered with an error: {_scrub(exc, password)}", False, 0
    finally:
        conn.close()


def _one(conn: psycopg.Connection[Any], sql: str, *args: Any) -> Any:
    row = conn.execute(sql, args).fetchone()
    return None if row is None else row[0]


def _inspect(conn: psycopg.Connection[Any], where: str) -> tuple[bool, str, bool, int]:
    version = conn.info.server_version
    if version < MIN_SERVER:
        return False, (f"The server at {where} runs PostgreSQL {version // 10000}; a shared "
                       "schedule needs 13 or later. Ask whoever runs it to upgrade."), False, 0
    encoding = _one(conn, "SHOW server_encoding")
    if encoding != "UTF8":
        return False, (f"The database {where} stores text as {encoding}; captions need UTF8. "
                       "Create the database with ENCODING 'UTF8'."), False, 0
    schema = 0
    if _one(conn, "SELECT to_regclass(%s)", pg_schema.VERSION_TABLE) is not None:
        schema = int(_one(conn, f"SELECT version FROM {pg_schema.VERSION_TABLE}")  # noqa: S608
                     or 0)
    elif _one(conn, "SELECT to_regclass('posts')") is not None:
        return False, (f"The database {where} holds tables that are not a TikTok Desktop "
                       "schedule. Use an empty database (or the one your team set up)."), \
            False, 0
    if schema > pg_schema.PG_SCHEMA.version:
        return False, (f"The shared schedule at {where} was written by a newer TikTok "
                       f"Desktop (schema {schema}). Install the newer version first."), \
            True, schema
    may_create = bool(_one(conn, "SELECT has_schema_privilege(current_schema(), 'CREATE')"))
    major = f"PostgreSQL {version // 10000}"
    if schema == 0:
        if not may_create:
            return False, (f"The user may not create tables in {where} ({major}). Ask its "
                           "administrator to GRANT CREATE ON SCHEMA public to the user, or "
                           "to create the shared schedule with a user who may."), False, 0
        return True, (f"{where} ({major}) is empty and ready: create a shared schedule in it, "
                      "or move your schedule there."), False, 0
    writes = bool(_one(conn, "SELECT has_table_privilege('posts', 'INSERT, UPDATE, DELETE')"))
    if not writes:
        return False, (f"{where} holds a shared schedule, but the user may not change its "
                       "posts. Ask its administrator to grant the user rights on its "
                       "tables."), True, schema
    if schema < pg_schema.PG_SCHEMA.version and not may_create:
        return False, (f"{where} holds a shared schedule of an older TikTok Desktop that "
                       "must be updated, and the user may not change its tables. Open it "
                       "once with its owner's user."), True, schema
    return True, (f"{where} ({major}) holds a shared schedule: join it with its team key."), \
        True, schema
