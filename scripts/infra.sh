#!/usr/bin/env bash
# Local PostgreSQL + single-node Kafka (KRaft) for the test suite and for
# development, without docker.
#
#   scripts/infra.sh start    start both (reuses whatever is already running),
#                             then print the export lines on stdout
#   scripts/infra.sh stop     stop both
#   scripts/infra.sh env      print the export lines:  eval "$(scripts/infra.sh env)"
#   scripts/infra.sh status   exit 0 if both are up
#   scripts/infra.sh clean    stop, then delete all state (databases, topics, jars)
#
# Environment (all optional):
#   DUBAN_INFRA_DIR              state directory        (default <repo>/var/infra)
#   DUBAN_PG_PORT                PostgreSQL port        (default 55432)
#   DUBAN_KAFKA_PORT             Kafka client port      (default 59092)
#   DUBAN_KAFKA_CONTROLLER_PORT  KRaft controller port  (default 59093)
#   DUBAN_KAFKA_START_TIMEOUT    seconds to wait for the broker (default 90)
#
# Needs: python3, java (17+), mvn (first run only, to fetch the Kafka jars).
# PostgreSQL is installed with apt-get when initdb cannot be found.
# Everything listens on 127.0.0.1 only; progress goes to stderr, so stdout only
# carries the export lines.
set -euo pipefail
umask 022

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${DUBAN_INFRA_DIR:-$REPO/var/infra}"
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
PG_PORT="${DUBAN_PG_PORT:-55432}"
KAFKA_PORT="${DUBAN_KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${DUBAN_KAFKA_CONTROLLER_PORT:-59093}"
KAFKA_START_TIMEOUT="${DUBAN_KAFKA_START_TIMEOUT:-90}"

KAFKA_LIBS="$DIR/kafka-libs"
KAFKA_DATA="$DIR/kafka-data"
KAFKA_PROPS="$DIR/kafka-server.properties"
KAFKA_PIDFILE="$DIR/kafka.pid"
KAFKA_LOG="$DIR/kafka.log"
PG_DATA_RECORD="$DIR/pgdata.path" # where start put the cluster (see pg_datadir)

log() { echo "infra: $*" >&2; }
die() { echo "infra: ERROR: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# True if something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

print_env() {
    echo "export DUBAN_TEST_PG_URL=postgresql+psycopg://duban@127.0.0.1:$PG_PORT/duban"
    echo "export DUBAN_TEST_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT"
}

# ---------------------------------------------------------------- PostgreSQL

# PostgreSQL refuses to run as root: as root, run its tools as the `postgres`
# OS user (from / so an unreadable current directory does not matter).
as_pg() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Directory holding initdb/pg_ctl/postgres. Prefers the server major version
# the existing cluster was made with, then initdb on PATH, then the newest
# Debian-style /usr/lib/postgresql/<major>/bin.
pg_bindir() {
    local datadir="${1:-}" d best=""
    if [ -n "$datadir" ] && [ -f "$datadir/PG_VERSION" ]; then
        d="/usr/lib/postgresql/$(cat "$datadir/PG_VERSION")/bin"
        if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
    fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] || continue
        if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n1)" = "$d" ]; then
            best="$d"
        fi
    done
    [ -n "$best" ] && echo "$best"
}

install_postgres() {
    log "PostgreSQL not found; installing it with apt-get"
    local sudo=""
    if ! is_root; then
        command -v sudo >/dev/null 2>&1 || die "initdb not found and not root: install PostgreSQL (apt-get install postgresql)"
        sudo="sudo"
    fi
    command -v apt-get >/dev/null 2>&1 || die "initdb not found and no apt-get: install PostgreSQL yourself"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >&2
}

# Where the cluster lives. Normally $DIR/postgres, but when running as root the
# server runs as `postgres`, which may not be able to reach $DIR (e.g. a repo
# under /root); the unix socket path is also limited to ~107 bytes. In those
# cases use /tmp/duban-infra-<hash of DIR>/postgres instead.
pg_datadir() {
    local base="$DIR"
    if is_root && ! (cd / && runuser -u postgres -- test -x "$DIR") 2>/dev/null; then
        base=""
    fi
    if [ -z "$base" ] || [ "${#base}" -gt 80 ]; then
        base="/tmp/duban-infra-$(printf '%s' "$DIR" | sha256sum | cut -c1-12)"
        mkdir -p "$base"
        chmod 755 "$base"
    fi
    echo "$base/postgres"
}

# psql as the bootstrap superuser over the unix socket (trust auth).
pg_admin() {
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDATA" -p "$PG_PORT" -U postgres -d postgres "$@"
}

start_postgres() {
    PGDATA="$(pg_datadir)"
    echo "$PGDATA" >"$PG_DATA_RECORD"
    PGBIN="$(pg_bindir "$PGDATA" || true)"
    if [ -z "$PGBIN" ]; then
        install_postgres
        PGBIN="$(pg_bindir "$PGDATA" || true)"
        [ -n "$PGBIN" ] || die "PostgreSQL installed but initdb still not found"
    fi
    if is_root; then
        id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' OS user to run the server"
        command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) is needed to run PostgreSQL as 'postgres'"
    fi

    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        log "creating PostgreSQL cluster in $PGDATA"
        rm -rf "$PGDATA" # leftovers of an interrupted initdb
        mkdir -p "$PGDATA"
        if is_root; then chown postgres:postgres "$PGDATA"; fi
        chmod 700 "$PGDATA"
        as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 ||
            { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
        # initdb's pg_hba.conf only has local + 127.0.0.1/::1 lines; with
        # --auth=trust those are all trust. Durability is pointless for a
        # throwaway test database, so trade it for speed.
        as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null <<EOF

# ---- added by scripts/infra.sh (port is passed with -p at start) ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGDATA'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    fi

    if as_pg "$PGBIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1; then
        # Line 4 of postmaster.pid is the port it listens on.
        if [ "$(sed -n 4p "$PGDATA/postmaster.pid")" != "$PG_PORT" ]; then
            die "PostgreSQL in $PGDATA is running on another port than $PG_PORT: run scripts/infra.sh stop first"
        fi
        log "PostgreSQL already running ($PGDATA)"
    else
        if port_open "$PG_PORT"; then
            die "port $PG_PORT is already in use by something else (set DUBAN_PG_PORT)"
        fi
        log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
        as_pg "$PGBIN/pg_ctl" start -D "$PGDATA" -w -t 60 -l "$PGDATA/server.log" -o "-p $PG_PORT" >/dev/null ||
            { tail -n 20 "$PGDATA/server.log" >&2 || true; die "PostgreSQL did not start (log: $PGDATA/server.log)"; }
    fi

    local i
    for i in $(seq 1 60); do
        if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then break; fi
        if [ "$i" -eq 60 ]; then die "PostgreSQL is running but not answering on 127.0.0.1:$PG_PORT"; fi
        sleep 0.5
    done

    if [ "$(pg_admin -tAc "select 1 from pg_roles where rolname = 'duban'")" != 1 ]; then
        pg_admin -c "create role duban login superuser"
    fi
    if [ "$(pg_admin -tAc "select 1 from pg_database where datname = 'duban'")" != 1 ]; then
        pg_admin -c "create database duban owner duban"
    fi
    log "PostgreSQL ready: postgresql://duban@127.0.0.1:$PG_PORT/duban"
}

stop_postgres() {
    local pgdata pgbin
    if [ -f "$PG_DATA_RECORD" ]; then pgdata="$(cat "$PG_DATA_RECORD")"; else pgdata="$(pg_datadir)"; fi
    [ -f "$pgdata/PG_VERSION" ] || return 0
    pgbin="$(pg_bindir "$pgdata" || true)"
    [ -n "$pgbin" ] || return 0
    if as_pg "$pgbin/pg_ctl" status -D "$pgdata" >/dev/null 2>&1; then
        log "stopping PostgreSQL"
        as_pg "$pgbin/pg_ctl" stop -D "$pgdata" -m fast -w -t 60 >/dev/null
    fi
}

postgres_up() {
    local pgdata pgbin
    if [ -f "$PG_DATA_RECORD" ]; then pgdata="$(cat "$PG_DATA_RECORD")"; else pgdata="$(pg_datadir)"; fi
    pgbin="$(pg_bindir "$pgdata" || true)"
    [ -n "$pgbin" ] && "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
}

# --------------------------------------------------------------------- Kafka

# Asks the broker for cluster metadata (raw Metadata v1 request, no client
# library needed) and succeeds once it lists at least one broker. An open port
# is not enough: the broker accepts requests slightly before it is unfenced,
# and topic creation fails ("0 broker(s) are registered") until it is.
KAFKA_PROBE='
import socket, struct, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    s.settimeout(2)
    cid = b"duban-infra"
    # header v1: api_key=3 (Metadata), api_version=1, correlation_id=7, client_id
    # body v1: topics = empty array (brokers only)
    req = struct.pack(">hhih", 3, 1, 7, len(cid)) + cid + struct.pack(">i", 0)
    s.sendall(struct.pack(">i", len(req)) + req)
    buf = b""
    while len(buf) < 12:
        chunk = s.recv(12 - len(buf))
        if not chunk:
            sys.exit(1)
        buf += chunk
    _size, corr, brokers = struct.unpack(">iii", buf)
    sys.exit(0 if corr == 7 and brokers > 0 else 1)
except OSError:
    sys.exit(1)
'
kafka_ready() { python3 -c "$KAFKA_PROBE" "$KAFKA_PORT"; }

# Pid of the broker this script started, if it is still alive.
kafka_pid() {
    local pid
    [ -f "$KAFKA_PIDFILE" ] || return 1
    pid="$(cat "$KAFKA_PIDFILE")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # Guard against pid reuse after a reboot: it must be our broker.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $KAFKA_PROPS" || return 1
    echo "$pid"
}

fetch_kafka_libs() {
    local pom="$REPO/deploy/kafka/pom.xml" stamp want
    stamp="$KAFKA_LIBS/.pom.sha256"
    want="$(sha256sum "$pom" | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to download the Kafka jars): apt-get install maven"
    log "downloading Kafka jars with Maven into $KAFKA_LIBS"
    rm -rf "$KAFKA_LIBS"
    mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS" >"$DIR/mvn.log" 2>&1 ||
        { tail -n 40 "$DIR/mvn.log" >&2; die "Maven could not download the Kafka jars (log: $DIR/mvn.log)"; }
    echo "$want" >"$stamp"
}

write_kafka_props() {
    # Copy of the template with the state dir and ports filled in (later keys
    # would win anyway, but drop the template's lines to keep it readable).
    {
        grep -v -E '^[[:space:]]*(log\.dirs|listeners|advertised\.listeners|controller\.quorum\.voters)[[:space:]]*=' \
            "$REPO/deploy/kafka/server.properties"
        echo
        echo "# ---- set by scripts/infra.sh ----"
        echo "log.dirs=$KAFKA_DATA"
        echo "listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT"
        echo "advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT"
        echo "controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT"
    } >"$KAFKA_PROPS.tmp"
    mv "$KAFKA_PROPS.tmp" "$KAFKA_PROPS"
}

start_kafka() {
    local pid java_opts i cluster_id
    command -v java >/dev/null 2>&1 || die "java not found (Kafka needs Java 17+): apt-get install openjdk-17-jre-headless"
    java_opts=(-Xms128m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
        "-Dlog4j2.configurationFile=$REPO/deploy/kafka/log4j2.yaml")

    if pid="$(kafka_pid)"; then
        log "Kafka already running (pid $pid)"
    else
        for i in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
            if port_open "$i"; then
                die "port $i is already in use by something else (set DUBAN_KAFKA_PORT / DUBAN_KAFKA_CONTROLLER_PORT)"
            fi
        done
        fetch_kafka_libs
        write_kafka_props
        if [ ! -f "$KAFKA_DATA/meta.properties" ]; then
            # Kafka's Uuid.randomUuid(): 16 random bytes, url-safe base64, no
            # padding, never starting with '-'.
            cluster_id="$(python3 -c '
import base64, uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"):
        print(s)
        break')"
            log "formatting Kafka storage in $KAFKA_DATA (cluster id $cluster_id)"
            # Static quorum (controller.quorum.voters), so no --standalone.
            # --ignore-formatted: an already formatted dir is not an error.
            java "${java_opts[@]}" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
                -t "$cluster_id" -c "$KAFKA_PROPS" --ignore-formatted >"$DIR/kafka-format.log" 2>&1 ||
                { cat "$DIR/kafka-format.log" >&2; die "formatting the Kafka storage failed"; }
        fi
        log "starting Kafka on 127.0.0.1:$KAFKA_PORT (log: $KAFKA_LOG)"
        # nohup: survive the terminal going away. A background job of a
        # script already ignores ctrl-c, and the JVM keeps it ignored.
        nohup java "${java_opts[@]}" -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS" \
            </dev/null >"$KAFKA_LOG" 2>&1 &
        pid=$!
        echo "$pid" >"$KAFKA_PIDFILE"
    fi

    local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
    until kafka_ready; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$KAFKA_LOG" >&2 || true
            rm -f "$KAFKA_PIDFILE"
            die "Kafka exited during start-up (log: $KAFKA_LOG)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 30 "$KAFKA_LOG" >&2 || true
            die "Kafka not ready on 127.0.0.1:$KAFKA_PORT after ${KAFKA_START_TIMEOUT}s (pid $pid still running; log: $KAFKA_LOG)"
        fi
        sleep 0.5
    done
    log "Kafka ready: 127.0.0.1:$KAFKA_PORT"
}

stop_kafka() {
    local pid i
    if pid="$(kafka_pid)"; then
        log "stopping Kafka (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        # Controlled shutdown of a single node takes a few seconds.
        for i in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            if [ "$i" -eq 60 ]; then
                log "Kafka did not stop within 30s; killing it"
                kill -KILL "$pid" 2>/dev/null || true
            fi
            sleep 0.5
        done
    fi
    rm -f "$KAFKA_PIDFILE"
}

# ---------------------------------------------------------------------- main

cmd="${1:-}"
case "$cmd" in
start)
    command -v python3 >/dev/null 2>&1 || die "python3 not found"
    mkdir -p "$DIR"
    start_postgres
    start_kafka
    print_env
    ;;
stop)
    [ -d "$DIR" ] || exit 0
    stop_kafka
    stop_postgres
    ;;
env)
    print_env
    ;;
status)
    rc=0
    if postgres_up; then log "PostgreSQL: up"; else log "PostgreSQL: down"; rc=1; fi
    if kafka_pid >/dev/null && kafka_ready; then log "Kafka: up"; else log "Kafka: down"; rc=1; fi
    exit "$rc"
    ;;
clean)
    if [ -d "$DIR" ]; then
        stop_kafka
        stop_postgres
        # The cluster may live outside $DIR (see pg_datadir).
        if [ -f "$PG_DATA_RECORD" ]; then
            rm -rf "$(cat "$PG_DATA_RECORD")"
            rmdir "$(dirname "$(cat "$PG_DATA_RECORD")")" 2>/dev/null || true
        fi
        rm -rf "$DIR"
    fi
    log "removed $DIR"
    ;;
*)
    echo "usage: $0 start|stop|env|status|clean" >&2
    exit 2
    ;;
esac
