#!/usr/bin/env bash
# Start web, Celery worker and Celery beat on the embedded defaults; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${TANDEM_BIN:-.venv/bin}"
export FLASK_APP=wsgi TANDEM_ENV="${TANDEM_ENV:-development}"
PORT="${PORT:-5000}"
# Links in emails (written by the worker) must point at the port the web server listens on.
export BASE_URL="${BASE_URL:-http://127.0.0.1:$PORT}"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "Stopping Tandem (web, worker, beat)..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped."
}
trap cleanup INT TERM EXIT

"$BIN/celery" -A workers.celery_app worker --loglevel=INFO --concurrency=2 -n "worker@%h" &
pids+=($!)
"$BIN/celery" -A workers.celery_app beat --loglevel=INFO &
pids+=($!)
"$BIN/flask" run --host 127.0.0.1 --port "$PORT" &
pids+=($!)

cat <<MSG

  Tandem is starting on $BASE_URL
  Demo accounts (password: tandem-demo-2026):
    admin@tandem.example (platform admin), lead@csa.example, lead@nasa.example,
    staff@csa.example, innovator@example.org
  Emails are written to instance/outbox/ as .eml files.
  Press Ctrl-C to stop web, worker and beat.

MSG
# Stop everything as soon as one of them exits.
wait -n
