"""Every docstring example in the domain runs as a test (worked examples from the sources)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import jcredit.domain

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(jcredit.domain.__path__, "jcredit.domain.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
