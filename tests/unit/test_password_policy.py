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
from jcredit.domain.passwords import effective_length
from jcredit.domain.passwords import password_problem
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


def problem(password: str, **context: str) -> str | None:
    return password_problem(password, **context)


def test_the_length_limits_are_inclusive() -> None:
    assert problem("glyph vortex") is None  # 12 characters
    assert problem("glyph vorte") == "must be at least 12 characters long"
    phrase = "glyph vortex " * 20  # 260 characters
    assert problem(phrase[:MAX_LENGTH]) is None
    assert problem(phrase[:MAX_LENGTH + 1]) == "must be at most 256 characters long"


def test_a_password_built_on_the_login_alone_is_refused() -> None:
    """The login is context even when the user has no display name."""
    with pytest.raises(ValidationError) as refused:
        check_password("satoichiro river stones", username="SatoIchiro", field="new_password")
    assert refused.value.field == "new_password"
    assert "your login" in refused.value.message


@pytest.mark.parametrize(("password", "context"), [
    ("sato river stones", {"username": "sato"}),  # a login of four characters counts
    ("moonlit kato harbour", {"display_name": "Kato Ichiro"}),
    ("hanako.yamada.river", {"username": "hanako-yamada"}),  # other separators
    ("hanakoyamada river", {"username": "hanako_yamada"}),
    ("the j-credit registry 7", {}),
])
def test_context_words_are_found_whatever_separators_the_password_uses(
        password: str, context: dict[str, str]) -> None:
    assert problem(password, **context) == \
        "must not contain your login, your name or the service's name"


@pytest.mark.parametrize(("password", "context"), [
    ("ito river stones", {"username": "ito"}),  # shorter words match too much by chance
    ("xxxx river stones", {}),  # no login or name given: only the service's name counts
    ("quiet harbour lights", {"username": "sato", "display_name": "Sato Ichiro"}),
])
def test_short_or_absent_context_words_do_not_refuse(password: str,
                                                     context: dict[str, str]) -> None:
    assert problem(password, **context) is None
    check_password(password, **context)


@pytest.mark.parametrize(("text", "length"), [
    ("zqabcd", 3),  # two letters, then a run of four
    ("glyphvortex1234", 12),  # the run at the end counts once, after the 11 letters
    ("acegikmoqsuw", 12),  # letters two apart are not a run
    ("aabbccdd", 8),  # pairs are not runs
    ("zyxw9876mnop", 3),
])
def test_effective_length_counts_each_run_of_three_or_more_once(text: str,
                                                                length: int) -> None:
    assert effective_length(text) == length


@pytest.mark.parametrize(("password", "reason"), [
    ("!!i love you 2024", "is one of the most common passwords"),  # spaced, symbols around
    ("abc def ghi jkl mno", "is mostly repeated or consecutive characters"),  # spaced run
])
def test_separators_do_not_hide_a_weak_password(password: str, reason: str) -> None:
    assert problem(password) == reason


def test_the_effective_length_limit_is_eight() -> None:
    assert problem("abcdekzqwhfv") is None  # the run abcde and 7 letters: 8
    assert problem("abcdefkzqwhf") == "is mostly repeated or consecutive characters"  # 7
