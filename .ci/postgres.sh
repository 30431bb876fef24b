#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the scoring equality tests and print its DSN.
#
#   eval "$(.ci/postgres.sh)"      # exports ICPKIT_PG_DSN and ICPKIT_PG_DATA
#   .ci/postgres.sh stop           # stops the cluster started earlier (reads ICPKIT_PG_DATA)
#
# Installs Debian's postgresql when no server binaries are found, creates a cluster in a temp
# directory owned by an unprivileged user (postgres refuses to run as root), listens on a unix
# socket inside that directory and on 127.0.0.1 at a free port, and uses trust auth: the server
# only lives as long as the CI job. Progress goes to stderr; stdout carries only the exports.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

find_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

if [[ "${1:-}" == "stop" ]]; then
  data="${ICPKIT_PG_DATA:?ICPKIT_PG_DATA is not set}"
  bindir="$(find_bindir)"
  owner="$(stat -c %U "$data")"
  if [[ "$(id -u)" == 0 && "$owner" != root ]]; then
    su "$owner" -s /bin/sh -c "'$bindir/pg_ctl' -D '$data/db' -m fast stop" >&2 || true
  else
    "$bindir/pg_ctl" -D "$data/db" -m fast stop >&2 || true
  fi
  rm -rf "$data"
  exit 0
fi

if ! bindir="$(find_bindir)"; then
  log "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bindir="$(find_bindir)"
fi

run_as=""
if [[ "$(id -u)" == 0 ]]; then
  run_as=icpkit-pg
  id "$run_as" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$run_as"
fi

data="$(mktemp -d /tmp/icpkit-pg.XXXXXX)"
chmod 700 "$data"
[[ -n "$run_as" ]] && chown "$run_as" "$data"

as_user() {
  if [[ -n "$run_as" ]]; then
    su "$run_as" -s /bin/sh -c "$*"
  else
    sh -c "$*"
  fi
}

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_user "'$bindir/initdb' -D '$data/db' -U postgres --auth=trust --encoding=UTF8 --locale=C" >/dev/null
as_user "'$bindir/pg_ctl' -D '$data/db' -l '$data/log' -w -t 60 \
  -o \"-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start" >&2

dsn="postgresql://postgres@127.0.0.1:$port/postgres"
log "PostgreSQL ($("$bindir/postgres" --version)) up at $dsn (data in $data)"
echo "export ICPKIT_PG_DSN='$dsn'"
echo "export ICPKIT_PG_DATA='$data'"
