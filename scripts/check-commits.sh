#!/usr/bin/env bash
# Check the subjects of commits not yet on origin/main (or since $BASE): at most 72 characters,
# and a blank line between the subject and the body. Exits non-zero and names each offender.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${BASE:-}"
if [ -z "$base" ]; then
  base=$(git rev-parse --verify -q origin/main || git rev-list --max-parents=0 HEAD | tail -1)
fi
status=0
while IFS= read -r sha; do
  subject=$(git log -1 --format=%s "$sha")
  second=$(git log -1 --format=%B "$sha" | sed -n 2p)
  if [ "${#subject}" -gt 72 ]; then
    echo "${sha:0:10}: subject is ${#subject} characters (at most 72): $subject"
    status=1
  fi
  if [ -n "$second" ]; then
    echo "${sha:0:10}: put a blank line between the subject and the body"
    status=1
  fi
done < <(git rev-list "$base"..HEAD)
[ "$status" = 0 ] && echo "commit subjects: ok"
exit "$status"
