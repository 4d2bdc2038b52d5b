"""The fleet simulator's defaults and choices, without its heavy imports (numpy, pvlib): the
CLI's help text needs them on every ``jcredit`` start."""

from __future__ import annotations

from datetime import date

DEFAULT_START = date(2026, 5, 1)
DEFAULT_PROJECT = "JCP-000001"
REGIONS = ("hokkaido", "tohoku", "kanto", "chubu", "kinki", "chugoku", "shikoku", "kyushu",
           "okinawa")
INTERVAL_NAMES = {"30min": 1800, "15min": 900, "10min": 600, "5min": 300, "1min": 60}
