"""``--tiny``: every bench runs end to end on a few rows and a second of load, so that
tests/test_benches.py keeps them runnable (the figures it prints mean nothing).

A bench adds the flag with :func:`add_flag` and, after parsing, calls :func:`shrink` with its
tiny sizes. ``BENCH_DB_SUFFIX`` (set by the test) is appended to the name of every database a
bench creates, so a test run never drops a database a real bench run is using.
"""

from __future__ import annotations

import argparse
import os
from typing import Any


def add_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tiny", action="store_true", help="a few rows and a second of load (smoke test)"
    )


def shrink(args: argparse.Namespace, **tiny_values: Any) -> argparse.Namespace:
    """With ``--tiny``, replace the arguments by their tiny values."""
    if getattr(args, "tiny", False):
        for name, value in tiny_values.items():
            setattr(args, name, value)
    return args


def database_name(name: str) -> str:
    return name + os.environ.get("BENCH_DB_SUFFIX", "")


def create_database(conn: Any, name: str) -> None:
    """``CREATE DATABASE name`` on an autocommit connection; from ``BENCH_TEMPLATE_DB`` when
    set (the test migrates one database once, so each bench skips the migrations)."""
    import sqlalchemy as sa

    template = os.environ.get("BENCH_TEMPLATE_DB")
    clause = f' TEMPLATE "{template}"' if template else ""
    conn.execute(sa.text(f'CREATE DATABASE "{name}"{clause}'))
