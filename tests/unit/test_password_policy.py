"""The password policy (ASVS V2.1.1-2.1.7): length, common passwords, context, repetition."""

from __future__ import annotations

import re

import pytest

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.bootstrap import Registry
from jcredit.domain.errors import ValidationError
from jcredit.domain.passwords import MAX_LENGTH
from jcredit.domain.passwords import check_password
from jcredit.domain.passwords import common_passwords
from jcredit.entrypoints.demo import DEMO_PASSWORD
from jcredit.service_layer import commands as c


@pytest.mark.parametrize(("password", "reason"), [
    ("1234567890", "at least 12"),
    ("aaaaaaaaaa", "at least 12"),
    ("password12", "at least 12"),
    ("123456789012", "repeated or consecutive"),
    ("aaaaaaaaaaaa", "most common|repeated or consecutive"),
    ("abcabcabcabcabc", "most common|repeated or consecutive"),
    ("9876543210zyx", "repeated or consecutive"),
    ("password1234", "most common"),
    ("Password-2024!!", "most common"),
    ("qwertyuiop12", "most common"),
    ("iloveyou iloveyou", "most common"),  # a common one, repeated
    ("zq7zq7zq7zq7zq7", "repeated or consecutive"),
    ("hanako-yamada-1990", "your login, your name"),  # the login
    ("Yamada.Hanako.1990", "your login, your name"),  # the display name
    ("my jcredit account 7", "your login, your name"),  # the service
    ("x" * (MAX_LENGTH - 3) + "abcd", "at most"),
])
def test_weak_passwords_are_refused_with_the_reason(password: str, reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check_password(password, username="hanako-yamada", display_name="Yamada Hanako")
    assert refused.value.field == "password"
    assert re.search(reason, refused.value.message)
    assert refused.value.valid  # the rules are listed


@pytest.mark.parametrize("password", [
    "correct horse battery staple",
    "Tr0ub4dor&3 xylophone",
    "ぎふの山で見た夕焼けはきれい",  # any Unicode, spaces allowed
    "a long passphrase of many words " * 7,  # 224 characters: long is welcome
    DEMO_PASSWORD,
])
def test_passphrases_are_accepted(password: str) -> None:
    check_password(password, username="hanako-yamada", display_name="Yamada Hanako")


def test_the_common_password_list_is_vendored() -> None:
    common = common_passwords()
    assert len(common) > 10_000
    assert {"123456", "password", "qwerty"} <= common


def test_creating_a_user_applies_the_policy(sqlite_registry: Registry) -> None:
    def create(username: str, password: str) -> object:
        return sqlite_registry.bus.handle(c.CreateUser(
            username=username, password=password, role="AUDITOR",
            display_name="Sato Ichiro"), actor=SYSTEM_ACTOR).data

    for weak in ("1234567890", "aaaaaaaaaa", "password12", "satoichiro-2026",
                 "ichiro-sato-1234", "aaaaaaaaaaaaaaaa"):
        with pytest.raises(ValidationError) as refused:
            create("satoichiro", weak)
        assert refused.value.field == "password"
    with sqlite_registry.uow(write=False) as uow:
        assert uow.users.by_username("satoichiro") is None  # nothing was created
    assert create("satoichiro", "river stones under moonlight")
