#!/usr/bin/env python3
"""Pull a track's new submissions from Tandem's API, incrementally, and check every file.

    TANDEM_TOKEN=tdm_... python examples/pull_submissions.py \\
        --base-url https://tandem.example --challenge deep-space-food --track csa \\
        --out ./submissions

Each run asks only for submissions after the last one it saw (the API's cursor, kept in
``<out>/.cursor``), downloads each submitted version's files into
``<out>/<submission id>/v<number>/``, and verifies each file's SHA-256 against the API's
metadata: a file that does not match is deleted and reported, and the run fails (exit 1)
without moving the cursor past it, so the next run tries it again.

Python's standard library only. A token of the track's agency with the "read" scope is enough.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any


class Client:
    def __init__(self, base_url: str, token: str) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def _open(self, path: str) -> Any:
        request = urllib.request.Request(self.base + path, headers=self.headers)  # noqa: S310
        return urllib.request.urlopen(request, timeout=60)  # noqa: S310

    def json(self, path: str) -> Any:
        with self._open(path) as response:
            return json.load(response)

    def download(self, file_id: int, target: Path) -> str:
        """Stream the file to ``target``; its SHA-256 (hex) as computed on the way."""
        digest = hashlib.sha256()
        with self._open(f"/files/{file_id}") as response, target.open("wb") as out:
            while chunk := response.read(1 << 16):
                digest.update(chunk)
                out.write(chunk)
        return digest.hexdigest()


def new_submissions(client: Client, challenge: str, track: str, cursor: str | None) -> Any:
    """Pages of submissions after ``cursor``: (items, the cursor that resumes after them)."""
    path = f"/challenges/{urllib.parse.quote(challenge)}/tracks/{urllib.parse.quote(track)}"
    while True:
        query = urllib.parse.urlencode({"limit": 50, **({"cursor": cursor} if cursor else {})})
        page = client.json(f"{path}/submissions?{query}")
        yield page["items"], page["next_cursor"]
        if not page["has_more"]:
            return
        cursor = page["next_cursor"]


def pull(client: Client, challenge: str, track: str, out: Path) -> tuple[int, list[str]]:
    """Download what is new; (files verified, problems)."""
    out.mkdir(parents=True, exist_ok=True)
    state = out / ".cursor"
    cursor = state.read_text().strip() if state.exists() else None
    verified, problems = 0, []
    for items, resume in new_submissions(client, challenge, track, cursor):
        for submission in items:
            for version in submission["versions"]:
                folder = out / str(submission["id"]) / f"v{version['number']}"
                folder.mkdir(parents=True, exist_ok=True)
                for meta in version["files"]:
                    target = folder / Path(meta["filename"]).name
                    got = client.download(meta["id"], target)
                    if got != meta["sha256"]:
                        target.unlink()
                        problems.append(f"{target}: SHA-256 {got} instead of {meta['sha256']}")
                    else:
                        verified += 1
        if problems:
            break  # keep the cursor before the page that failed
        if resume:
            state.write_text(resume)
    return verified, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--challenge", required=True)
    parser.add_argument("--track", required=True)
    parser.add_argument("--out", type=Path, default=Path("submissions"))
    args = parser.parse_args(argv)
    token = os.environ.get("TANDEM_TOKEN")
    if not token:
        parser.error("set TANDEM_TOKEN to an API token of the track's agency")
    client = Client(args.base_url, token)
    verified, problems = pull(client, args.challenge, args.track, args.out)
    print(f"{verified} file(s) downloaded and verified")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
