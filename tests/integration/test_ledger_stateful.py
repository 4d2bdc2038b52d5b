"""Hypothesis stateful test: random issue / transfer / split / invalidate / retire / cancel
sequences keep every invariant, and ``ledger check`` agrees with a simple model."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC
from datetime import datetime
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine
from hypothesis.stateful import invariant
from hypothesis.stateful import precondition
from hypothesis.stateful import rule

from jcredit.bootstrap import SYSTEM_ACTOR
from jcredit.domain import errors as e
from jcredit.service_layer import commands as c
from jcredit.service_layer import queries
from tests.conftest import Clock
from tests.conftest import fresh_sqlite_url
from tests.conftest import make_registry
from tests.conftest import setup_two_orgs

TEMPLATE: Path | None = None


def _template() -> Path:
    global TEMPLATE
    if TEMPLATE is None:
        from jcredit.adapters.db.engine import build_engine
        from jcredit.adapters.db.migrate import upgrade

        TEMPLATE = Path(tempfile.mkdtemp()) / "template.sqlite3"
        engine = build_engine(f"sqlite:///{TEMPLATE}")
        upgrade(engine)
        engine.dispose()
    return TEMPLATE


CATEGORIES = ["RENEWABLE_POWER", "ENERGY_SAVING", "FOREST"]


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        directory = Path(tempfile.mkdtemp())
        clock = Clock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
        self.registry = make_registry(fresh_sqlite_url(_template(), directory), directory, clock)
        accounts = setup_two_orgs(self.registry)
        self.accounts = [accounts["a"], accounts["b"]]
        self.model = {a: 0 for a in self.accounts}  # available (unreserved) credits
        self.issued = 0
        self.gone = 0  # invalidated + retired + cancelled
        self.pending: dict[int, tuple[str, int]] = {}

    def run(self, command: c.Command) -> dict:  # type: ignore[type-arg]
        return self.registry.bus.handle(command, actor=SYSTEM_ACTOR).data

    @rule(account=st.integers(0, 1), quantity=st.integers(1, 50),
          category=st.sampled_from(CATEGORIES), scheme=st.sampled_from(["JC", "KC"]),
          vintage=st.integers(2015, 2026))
    def issue(self, account: int, quantity: int, category: str, scheme: str, vintage: int
              ) -> None:
        ctype = "FM" if category == "FOREST" else "ER"
        if scheme == "KC":
            category, ctype = "ENERGY_SAVING", "KC"
        self.run(c.IssueCredits(to_account=self.accounts[account], quantity=quantity,
                                scheme=scheme, credit_type=ctype, category=category,
                                project_id="P", vintage=vintage))
        self.model[self.accounts[account]] += quantity
        self.issued += quantity

    @rule(source=st.integers(0, 1), quantity=st.integers(1, 60))
    def transfer_by_quantity(self, source: int, quantity: int) -> None:
        src, dst = self.accounts[source], self.accounts[1 - source]
        try:
            self.run(c.TransferCredits(from_account=src, to_account=dst, quantity=quantity))
        except e.InsufficientCreditsError:
            assert self.model[src] < quantity
            return
        self.model[src] -= quantity
        self.model[dst] += quantity

    @rule(source=st.integers(0, 1), data=st.data())
    def transfer_by_serials(self, source: int, data: st.DataObject) -> None:
        src, dst = self.accounts[source], self.accounts[1 - source]
        with self.registry.uow(write=False) as uow:
            blocks = [b for b in queries.account_detail(uow, SYSTEM_ACTOR, src)["blocks"]
                      if b["reserved_for"] is None]
        if not blocks:
            return
        block = data.draw(st.sampled_from(blocks))
        first = data.draw(st.integers(block["first_serial"], block["last_serial"]))
        last = data.draw(st.integers(first, block["last_serial"]))
        self.run(c.TransferCredits(from_account=src, to_account=dst, serials=f"{first}-{last}"))
        self.model[src] -= last - first + 1
        self.model[dst] += last - first + 1

    @rule(source=st.integers(0, 1), quantity=st.integers(1, 30),
          use=st.sampled_from(["OFFSET", "RE100", "ONTAIHO_EMISSIONS"]))
    def apply_invalidation(self, source: int, quantity: int, use: str) -> None:
        src = self.accounts[source]
        try:
            app = self.run(c.ApplyInvalidation(
                from_account=src, quantity=quantity, use=use,
                offset_purpose="SELF" if use == "OFFSET" else None, purpose_details="test",
                credit_user_name="X", fiscal_year=2026))
        except e.InsufficientCreditsError:
            return
        self.model[src] -= quantity
        self.pending[app["id"]] = (src, quantity)

    @precondition(lambda self: bool(self.pending))
    @rule(data=st.data(), execute=st.booleans())
    def settle_application(self, data: st.DataObject, execute: bool) -> None:
        application_id = data.draw(st.sampled_from(sorted(self.pending)))
        src, quantity = self.pending.pop(application_id)
        if execute:
            self.run(c.ExecuteInvalidations(application_ids=(application_id,), confirm=True))
            self.gone += quantity
        else:
            self.run(c.WithdrawInvalidation(application_id=application_id))
            self.model[src] += quantity

    @rule(source=st.integers(0, 1), quantity=st.integers(1, 20), retire=st.booleans())
    def remove(self, source: int, quantity: int, retire: bool) -> None:
        src = self.accounts[source]
        command_cls = c.RetireCredits if retire else c.CancelCredits
        try:
            self.run(command_cls(from_account=src, quantity=quantity, reason="r", confirm=True))
        except e.InsufficientCreditsError:
            return
        self.model[src] -= quantity
        self.gone += quantity

    @invariant()
    def ledger_check_agrees_with_the_model(self) -> None:
        with self.registry.uow(write=False) as uow:
            result = queries.check_ledger(uow)
            available = {a: queries.account_detail(uow, SYSTEM_ACTOR, a)["available"]
                         for a in self.accounts}
        assert result.ok, result.issues
        assert available == self.model
        t = result.totals
        assert t.issued == self.issued
        assert t.issued == t.held + t.invalidated + t.retired + t.cancelled
        assert t.invalidated + t.retired + t.cancelled == self.gone

    def teardown(self) -> None:
        self.registry.dispose()


# performance.md R11: at least 200 examples of 50 steps on every run
# (JCREDIT_HYPOTHESIS_EXAMPLES raises it for a nightly run).
LedgerMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("JCREDIT_HYPOTHESIS_EXAMPLES", "200")),
    stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestLedgerStateMachine = LedgerMachine.TestCase
