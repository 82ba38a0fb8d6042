#!/usr/bin/env python3
"""Pull a track's new submissions from Tandem's API, incrementally, and check every file.

    TANDEM_TOKEN=tdm_... python examples/pull_submissions.py \\
        --base-url https://tandem.example --challenge deep-space-food --track csa \\
        --out ./submissions

Each run reads the track's submissions through the API's cursor pagination, starting after
the last page it finished (the cursor is kept in ``<out>/.tandem-pull.json`` with the ids of
the files already verified), downloads each submitted version's new files into
``<out>/<submission id>/v<number>/`` and verifies each file's SHA-256 against the API's
metadata. A file that does not match is deleted and reported, and the run fails (exit 1)
without moving the cursor past it, so the next run tries it again.

A submission that a team has started but not yet submitted is listed without versions: the
cursor stays before it, so its first version is pulled by a later run. A team may also send
a new version of a submission already pulled (before the deadline): ``--rescan`` reads every
page again from the start and downloads only the files not seen before.

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = ".tandem-pull.json"


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


@dataclass
class State:
    """What the last runs left: where to resume, and the files already verified."""

    cursor: str | None = None
    files: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path) -> State:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data.get("cursor"), set(data.get("files", [])))

    def save(self, path: Path) -> None:
        data = {"cursor": self.cursor, "files": sorted(self.files)}
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        temporary.replace(path)  # never half written


@dataclass
class Summary:
    submissions: int = 0
    verified: int = 0
    skipped: int = 0
    waiting: int = 0  # submissions started but without a submitted version yet
    problems: list[str] = field(default_factory=list)


def pages(client: Client, challenge: str, track: str, cursor: str | None) -> Iterator[Any]:
    """Pages of submissions after ``cursor``: (items, the cursor that resumes after them)."""
    path = f"/challenges/{urllib.parse.quote(challenge)}/tracks/{urllib.parse.quote(track)}"
    while True:
        query = urllib.parse.urlencode({"limit": 50, **({"cursor": cursor} if cursor else {})})
        page = client.json(f"{path}/submissions?{query}")
        yield page["items"], page["next_cursor"]
        if not page["has_more"]:
            return
        cursor = page["next_cursor"]


def _pull_submission(
    client: Client, submission: Any, out: Path, state: State, summary: Summary
) -> None:
    for version in submission["versions"]:
        folder = out / str(submission["id"]) / f"v{version['number']}"
        for meta in version["files"]:
            if meta["id"] in state.files:
                summary.skipped += 1
                continue
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / Path(meta["filename"]).name
            got = client.download(meta["id"], target)
            if got != meta["sha256"]:
                target.unlink()
                summary.problems.append(f"{target}: SHA-256 {got} instead of {meta['sha256']}")
            else:
                state.files.add(meta["id"])
                summary.verified += 1


def pull(client: Client, challenge: str, track: str, out: Path, rescan: bool = False) -> Summary:
    """Download what is new (see the module docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    state_path = out / STATE_FILE
    state = State.load(state_path)
    summary = Summary()
    held = False  # once a page cannot be left behind, the cursor stays before it
    for items, resume in pages(client, challenge, track, None if rescan else state.cursor):
        for submission in items:
            summary.submissions += 1
            if not submission["versions"]:
                summary.waiting += 1
                held = True
            _pull_submission(client, submission, out, state, summary)
        if summary.problems:
            held = True
        if not held and resume:
            state.cursor = resume
        state.save(state_path)
        if summary.problems:
            break  # the next run starts again before the page that failed
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--challenge", required=True)
    parser.add_argument("--track", required=True)
    parser.add_argument("--out", type=Path, default=Path("submissions"))
    parser.add_argument(
        "--rescan", action="store_true", help="read every page again for new versions"
    )
    args = parser.parse_args(argv)
    token = os.environ.get("TANDEM_TOKEN")
    if not token:
        parser.error("set TANDEM_TOKEN to an API token of the track's agency")
    client = Client(args.base_url, token)
    summary = pull(client, args.challenge, args.track, args.out, args.rescan)
    print(
        f"{summary.verified} file(s) downloaded and verified; "
        f"{summary.skipped} already had; {summary.submissions} submission(s) read, "
        f"{summary.waiting} not submitted yet"
    )
    for problem in summary.problems:
        print(problem, file=sys.stderr)
    return 1 if summary.problems else 0


if __name__ == "__main__":
    sys.exit(main())
