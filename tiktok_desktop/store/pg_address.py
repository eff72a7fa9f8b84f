"""A shared schedule's PostgreSQL address, read without psycopg (an app on its own SQLite file
never loads it): its password taken out and put back, and the name messages and keyring
entries use for it (user@host:port/database, as postgres.where_of says it).

Only URLs (postgresql://...) are shared-schedule addresses here: they are what a person copies
from a hosting provider's page, and what the settings file keeps (without the password).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

__all__ = ["Address", "AddressError", "parse_address"]

SCHEMES = ("postgresql", "postgres")


class AddressError(ValueError):
    """Not a PostgreSQL address; the message says what one looks like."""


@dataclass(frozen=True)
class Address:
    """A PostgreSQL URL split into its password and everything else."""

    url: str  # without the password
    password: str = field(default="", repr=False)

    @property
    def where(self) -> str:
        """user@host:port/database: how messages, logs and the keyring entry name it."""
        parts = urllib.parse.urlsplit(self.url)
        query = dict(urllib.parse.parse_qsl(parts.query))
        user = urllib.parse.unquote(parts.username or "") or query.get("user", "")
        host = parts.hostname or query.get("host", "") or "localhost"
        try:
            port = str(parts.port or query.get("port") or 5432)
        except ValueError:
            port = "?"
        name = urllib.parse.unquote(parts.path.lstrip("/")) or query.get("dbname", "") or user
        return f"{user + '@' if user else ''}{host}:{port}/{name}"

    @property
    def keyring_entry(self) -> str:
        """The OS keyring entry that keeps this database's password."""
        return f"database:{self.where}"

    def with_password(self, password: str) -> str:
        """The URL to connect with (never shown, logged or saved)."""
        if not password:
            return self.url
        parts = urllib.parse.urlsplit(self.url)
        user = parts.username or ""
        host = parts.netloc.rpartition("@")[2]
        netloc = f"{user}:{urllib.parse.quote(password, safe='')}@{host}"
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def parse_address(text: str) -> Address:
    """Split ``text`` (a postgresql:// URL) into the address and its password, if any.

    Raises AddressError for anything else, with what to type instead."""
    text = text.strip()
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in SCHEMES or not text.isprintable():
        raise AddressError(
            "A shared schedule's address is a PostgreSQL URL such as "
            "postgresql://alice@db.example.com:5432/schedule (the password may follow the "
            "user name after a colon; it is kept in the system keyring, not in settings).")
    try:
        parts.port  # noqa: B018 - only to check it
    except ValueError:
        raise AddressError(
            "The port in the shared schedule's address is not a number from 1 to 65535; "
            "PostgreSQL's usual one is 5432.") from None
    password = urllib.parse.unquote(parts.password or "")
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}@{host}"
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if k != "password"]
    password = password or next((v for k, v in query if k == "password"), "")
    url = urllib.parse.urlunsplit(
        parts._replace(netloc=netloc, query=urllib.parse.urlencode(kept)))
    return Address(url, password)
