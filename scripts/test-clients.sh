#!/usr/bin/env bash
# `npm run test:clients`: sockopt's policy against the real npm clients (pg, ioredis,
# node-redis, undici, global fetch, http.Agent, ws, grpc-js, mysql2, amqplib, memjs,
# node:http2) and real servers. PostgreSQL, Redis, MariaDB, RabbitMQ and memcached come
# from Debian's apt (installed here when missing; needs root, as in CI). PostgreSQL and
# Redis are started here as private instances on free loopback ports and stopped by
# their pid at the end; the tests that need a vanishing host start their own servers
# in network namespaces of their own (fixtures/dead-peer.js, fixtures/register-peer.js). The clients live in test/clients/package.json, so
# the main package's `npm ci` stays lean. Ends with one line "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d /tmp/sockopt-clients.XXXXXX)
pg_pid='' redis_pid=''

stop() {
  # By pid, never by name: other PostgreSQL or Redis servers on the machine are not ours.
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null
  [ -n "$pg_pid" ] && kill -INT "$pg_pid" 2>/dev/null # fast shutdown
  for pid in $redis_pid $pg_pid; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$work"
}
trap stop EXIT
fail() { echo "test:clients: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

# The server's initdb, not just the bin folder: a machine with only the psql client
# (postgresql-client-15) has /usr/lib/postgresql/15/bin too.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ ! -x "$pg_bin/initdb" ] || ! command -v redis-server >/dev/null; then
  [ "$(id -u)" -eq 0 ] || fail "PostgreSQL and redis-server are missing and installing them needs root"
  start=$(date +%s)
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null) || fail "apt-get install postgresql redis-server failed"
  echo "figure: apt-get install postgresql redis-server: $(($(date +%s) - start)) s"
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
# register.test.ts's servers (rabbitmq-server pulls in Erlang: 52 s here on 2026-12-06).
# The tests never use the services apt may start (none where policy-rc.d forbids it, as
# in this CI image): they run their own instances inside their own network namespaces.
missing=''
[ -x /usr/sbin/mariadbd ] || missing="$missing mariadb-server"
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing="$missing rabbitmq-server"
command -v memcached >/dev/null || missing="$missing memcached"
if [ -n "$missing" ]; then
  [ "$(id -u)" -eq 0 ] || fail "$missing missing and installing needs root"
  start=$(date +%s)
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null) || fail "apt-get install$missing failed"
  echo "figure: apt-get install$missing: $(($(date +%s) - start)) s"
fi
[ -f lib/register.js ] || npm run --silent build:ts || fail "npm run build:ts failed (register.test.ts runs lib/register.js)"

start=$(date +%s)
(cd test/clients && npm ci --no-audit --no-fund --silent) || fail "npm ci in test/clients failed"
echo "figure: npm ci in test/clients: $(($(date +%s) - start)) s"

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# PostgreSQL: a throwaway cluster owned by the postgres user, trust auth on loopback.
pg_port=$(free_port)
pg_data="$work/pg"
mkdir -p "$pg_data" && chown postgres "$work" "$pg_data" 2>/dev/null
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }
as_pg "'$pg_bin/initdb' -D '$pg_data' -A trust -U postgres >'$work/initdb.log' 2>&1" || { cat "$work/initdb.log"; fail "initdb failed"; }
as_pg "'$pg_bin/pg_ctl' -D '$pg_data' -l '$work/pg.log' -w -o \"-p $pg_port -k '$pg_data' -c listen_addresses=127.0.0.1 -c max_connections=200\" start >/dev/null" || { cat "$work/pg.log"; fail "PostgreSQL did not start"; }
pg_pid=$(head -1 "$pg_data/postmaster.pid")

# Redis: no persistence, loopback only.
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --pidfile "$work/redis.pid" --logfile "$work/redis.log" --dir "$work" || fail "redis-server did not start"
for _ in $(seq 50); do [ -s "$work/redis.pid" ] && break; sleep 0.1; done
redis_pid=$(cat "$work/redis.pid")
echo "servers: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (pid $pg_pid), Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$redis_port (pid $redis_pid)"

results="$work/vitest.json"
PGPORT=$pg_port REDIS_PORT=$redis_port REDIS_SERVER=$(command -v redis-server) \
  node node_modules/vitest/vitest.mjs run --config test/clients/vitest.config.mts --reporter=default --reporter=json --outputFile="$results"
status=$?
node -e '
  const fs = require("node:fs");
  const f = process.argv[1];
  if (!fs.existsSync(f)) { console.log("0 passed, 1 failed"); process.exit(0); }
  const r = JSON.parse(fs.readFileSync(f, "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests || (r.success ? 0 : 1)} failed`);
' "$results"
exit $status
