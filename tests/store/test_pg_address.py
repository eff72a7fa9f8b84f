"""A shared schedule's address: its password taken out (for the keyring) and put back (to
connect), and the name messages use, which never holds it."""

from __future__ import annotations

import pytest

from tiktok_desktop.config import Settings
from tiktok_desktop.store.pg_address import AddressError, parse_address
from tiktok_desktop.store.postgres import where_of


@pytest.mark.parametrize(("text", "url", "password", "where"), [
    ("postgresql://alice:s3cr%40t@db.example.com:6543/team?sslmode=require",
     "postgresql://alice@db.example.com:6543/team?sslmode=require", "s3cr@t",
     "alice@db.example.com:6543/team"),
    ("postgres://bob@127.0.0.1/sched", "postgres://bob@127.0.0.1/sched", "",
     "bob@127.0.0.1:5432/sched"),
    ("postgresql://carol@host/db?password=pw&connect_timeout=5",
     "postgresql://carol@host/db?connect_timeout=5", "pw", "carol@host:5432/db"),
    ("  postgresql://dan:x@[::1]:5433/d  ", "postgresql://dan@[::1]:5433/d", "x",
     "dan@::1:5433/d"),
])
def test_the_password_is_split_off_and_the_rest_named_as_postgres_names_it(
        text: str, url: str, password: str, where: str) -> None:
    address = parse_address(text)
    assert (address.url, address.password, address.where) == (url, password, where)
    assert password not in repr(address) or not password
    assert address.keyring_entry == f"database:{where}"
    # The name is the one PgDatabase's messages use, with the password put back or not.
    assert where_of(address.with_password(password)) == where_of(text.strip()) == where
    if password:
        assert parse_address(address.with_password(password)) == address


@pytest.mark.parametrize("text", ["mysql://u@h/db", "db.example.com:5432", "",
                                  "postgresql://u@h:99999/db", "postgresql://u@h/d\x07"])
def test_anything_else_is_refused_with_what_an_address_looks_like(text: str) -> None:
    with pytest.raises(AddressError, match=r"postgresql://|port"):
        parse_address(text)


def test_the_setting_takes_an_address_only_without_its_password() -> None:
    settings, problems = Settings.from_mapping({"shared_database": "postgresql://a@h/db"})
    assert settings.shared_database == "postgresql://a@h/db" and problems == []
    for bad in ("postgresql://a:pw@h/db", "postgresql://a@h/db?password=pw", "http://h/db"):
        settings, problems = Settings.from_mapping({"shared_database": bad})
        assert settings.shared_database == ""
        [problem] = problems
        assert "without a password" in problem and "pw" not in problem
