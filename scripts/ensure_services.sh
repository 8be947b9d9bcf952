#!/usr/bin/env bash
# Make sure Redis (and PostgreSQL when DATABASE_URL points at it) are installed and
# running on this machine. Installs from apt only when missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! port_open 6379; then
  command -v redis-server >/dev/null || { echo "installing redis-server from apt"; "$here/apt_install.sh" redis-server; }
  echo "starting redis-server"
  mkdir -p var/logs
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir "${TMPDIR:-/tmp}" --logfile "$PWD/var/logs/redis.log"
  for _ in $(seq 50); do port_open 6379 && break; sleep 0.1; done
fi
port_open 6379 || { echo "redis is not reachable on 127.0.0.1:6379" >&2; exit 1; }

case "${DATABASE_URL:-}" in
  postgres*)
    if ! port_open 5432; then
      command -v pg_ctlcluster >/dev/null || { echo "installing postgresql from apt"; "$here/apt_install.sh" postgresql; }
      echo "starting postgresql"
      as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
      for _ in $(seq 100); do port_open 5432 && break; sleep 0.1; done
    fi
    port_open 5432 || { echo "postgresql is not reachable on 127.0.0.1:5432" >&2; exit 1; }
    ;;
esac
