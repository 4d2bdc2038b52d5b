"""The password policy (ASVS 4.0 V2.1): long passphrases welcome, guessable passwords not.

Pure: no hashing here (``adapters/passwords.py``), only what a new password may be. There are
no composition rules (a digit, a capital…) and no expiry, as ASVS 2.1.9/2.1.10 say; instead a
password is refused when it is

* shorter than 12 or longer than 256 characters (spaces and any Unicode allowed, never
  truncated);
* one of the most common passwords (``data/common_passwords.txt``, vendored), also when only
  digits or symbols were put around one (``Password-2024!``);
* built on the user's own name, login or the service's name (``midori2026…``);
* mostly a repetition or a run (``aaaaaaaaaaaa``, ``1234567890ab``, ``abcabcabcabc``).
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from jcredit.domain.errors import ValidationError

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_EFFECTIVE_LENGTH = 8
SERVICE_WORDS = ("jcredit", "j-credit", "jクレジット")
_AFFIXES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_SEPARATORS = re.compile(r"[\s._-]+")
_RULES = (f"at least {MIN_LENGTH} characters (a passphrase of several words is best)",
          f"at most {MAX_LENGTH} characters",
          "not a common password", "not built on your login, your name or 'jcredit'",
          "not mostly repeated or consecutive characters")


@functools.cache
def common_passwords() -> frozenset[str]:
    text = resources.files(__package__).joinpath("data", "common_passwords.txt").read_text(
        "utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("# "))


def check_password(password: str, *, username: str = "", display_name: str = "",
                   field: str = "password") -> None:
    """Raise :class:`ValidationError` naming ``field`` (the request's own name for the
    password) and saying which rule fails."""
    problem = password_problem(password, username=username, display_name=display_name)
    if problem is not None:
        raise ValidationError(f"the password {problem}", field=field, valid=_RULES)


def password_problem(password: str, *, username: str = "", display_name: str = ""
                     ) -> str | None:
    """What is wrong with ``password``, or None when the policy accepts it."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters long"
    lowered = password.lower()
    if _is_common(lowered):
        return "is one of the most common passwords"
    if _uses_context(lowered, username, display_name):
        return "must not contain your login, your name or the service's name"
    if effective_length(_SEPARATORS.sub("", lowered)) < MIN_EFFECTIVE_LENGTH:
        return "is mostly repeated or consecutive characters"
    return None


def _is_common(lowered: str) -> bool:
    """The password, its stem without digits or symbols around it, either without
    separators, or the unit that it repeats (``iloveyou iloveyou``)."""
    common = common_passwords()
    stem = _AFFIXES.sub("", lowered)
    joined = _SEPARATORS.sub("", lowered)
    return any(candidate in common for candidate in
               (lowered, stem, joined, _SEPARATORS.sub("", stem), _repeated_unit(joined)))


def _repeated_unit(text: str) -> str:
    repeated = re.fullmatch(r"(.+?)\1+", text, flags=re.DOTALL)
    return repeated.group(1) if repeated else text


def _uses_context(lowered: str, username: str, display_name: str) -> bool:
    """Words of four characters or more: shorter ones match too much by chance."""
    words = {username.lower(), *display_name.lower().split(), *SERVICE_WORDS}
    joined = _SEPARATORS.sub("", lowered)
    return any(len(word) >= 4 and (word in lowered or _SEPARATORS.sub("", word) in joined)
               for word in words)


def effective_length(text: str) -> int:
    """Length once a repeated unit counts once and every run of three or more equal or
    consecutive characters (``aaaa``, ``1234``, ``fedc``) counts as one.

    >>> effective_length("aaaaaaaaaaaa"), effective_length("abcabcabcabc")
    (1, 1)
    >>> effective_length("1234567890ab"), effective_length("correct horse")
    (4, 13)
    """
    text = _repeated_unit(text)
    count, i = 0, 0
    while i < len(text):
        j = i + 1
        if j < len(text) and abs(step := ord(text[j]) - ord(text[i])) <= 1:
            while j + 1 < len(text) and ord(text[j + 1]) - ord(text[j]) == step:
                j += 1
            run = j - i + 1
            if run >= 3:
                count += 1
                i = j + 1
                continue
        count += 1
        i += 1
    return count
