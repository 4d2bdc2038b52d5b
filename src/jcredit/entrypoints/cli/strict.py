"""Refuse a single-valued option given twice.

Click keeps the last value of a repeated option, so ``credits invalidate --use
ONTAIHO_EMISSIONS --use OFFSET --user A --user B`` would silently become an OFFSET for B. A
command that moves value must not guess: the root group checks every command it dispatches
to, at any depth, and refuses a repeated single-valued option (``--demo --no-demo`` counts
as a repeat of one option) with a usage error naming it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import typer
from typer.core import TyperGroup

# Typer carries its own copy of Click (``typer._click``): name its classes through Typer.
Context = Any
Command = Any


def _single_valued_option(param: Any) -> bool:
    return bool(getattr(param, "param_type_name", "") == "option"
                and not getattr(param, "multiple", False) and not getattr(param, "count", False))


def repeated_options(command: Command, ctx: Context, args: list[str]) -> list[str]:
    """The single-valued options that ``args`` gives more than once, as typed."""
    try:
        _, _, order = command.make_parser(ctx).parse_args(args=list(args))
    except Exception:  # a Click usage error: the command's own parsing reports it
        return []
    counts = Counter(p.name for p in order if _single_valued_option(p))
    return [p.opts[0] for p in command.params
            if _single_valued_option(p) and counts.get(p.name, 0) > 1]


def _checked(command: Command) -> Command:
    if getattr(command, "_jcredit_strict", False):
        return command
    if hasattr(command, "resolve_command"):  # a group
        original_resolve = command.resolve_command

        def resolve_command(ctx: Context, args: list[str]) -> Any:
            name, sub, rest = original_resolve(ctx, args)
            return name, _checked(sub) if sub is not None else sub, rest

        command.resolve_command = resolve_command
    else:
        original_parse = command.parse_args

        def parse_args(ctx: Context, args: list[str]) -> Any:
            repeated = repeated_options(command, ctx, args)
            if repeated:
                raise typer.BadParameter("given more than once; give each option once (the "
                                         "last value is not taken silently)",
                                         ctx=ctx, param_hint=", ".join(repeated))
            return original_parse(ctx, args)

        command.parse_args = parse_args
    command._jcredit_strict = True
    return command


class StrictGroup(TyperGroup):
    """The root group: every command reached through it refuses repeated options."""

    def resolve_command(self, ctx: Context, args: list[str]) -> Any:
        name, sub, rest = super().resolve_command(ctx, args)
        return name, _checked(sub) if sub is not None else sub, rest
