"""The ceiling for bench/deadline_rush.py: a bare Flask endpoint that streams one upload to
disk with SHA-256 and inserts one row, under the same gunicorn, on the same database."""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, request

app = Flask("ceiling")
engine = sa.create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
meta = sa.MetaData()
uploads = sa.Table(
    "bench_upload",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(64)),
    sa.Column("sha256", sa.String(64)),
    sa.Column("size", sa.BigInteger),
    sa.Column("at", sa.DateTime(timezone=True)),
)
FOLDER = Path(os.environ["TANDEM_INSTANCE_PATH"]) / "ceiling"
FOLDER.mkdir(parents=True, exist_ok=True)


@app.post("/upload")
def upload() -> tuple[str, int]:
    stream = request.files["report"].stream
    key = secrets.token_hex(16)
    digest = hashlib.sha256()
    size = 0
    with (FOLDER / key).open("wb") as out:
        while chunk := stream.read(65536):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(uploads).values(
                key=key, sha256=digest.hexdigest(), size=size, at=datetime.now(UTC)
            )
        )
    return "stored", 302
