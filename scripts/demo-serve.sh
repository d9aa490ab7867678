#!/usr/bin/env bash
# Starts the background worker and the web server; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOVTRUST_MANIFEST_STATIC=1
HOST=${GOVTRUST_HOST:-127.0.0.1}
PORT=${GOVTRUST_PORT:-8000}
.venv/bin/govtrust db_worker --queue-name '*' >var/worker.log 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
.venv/bin/govtrust demo info --url "http://$HOST:$PORT"
echo "后台任务进程 (worker) 已启动，日志: var/worker.log"
exec_status=0
.venv/bin/gunicorn govtrust.wsgi --bind "$HOST:$PORT" --workers 2 --threads 4 --access-logfile - || exec_status=$?
exit $exec_status
