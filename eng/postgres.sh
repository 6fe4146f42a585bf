#!/usr/bin/env bash
# Sourced by test.sh: starts a throw-away PostgreSQL for the tests and exports GRAVITY_USAGE_POSTGRES.
# When GRAVITY_USAGE_POSTGRES is already set, the tests use that server and nothing is started.
# On a fresh machine (only the .NET SDK) PostgreSQL is installed with apt-get first; that needs root.

gu_pg_find_bin() {
    local initdb
    initdb="$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)"
    if [[ -n "$initdb" ]]; then
        dirname "$initdb"
    fi
}

gu_pg_free_port() {
    # A port nobody listens on: ask the kernel for listeners rather than guess, and skip any in use.
    local port
    for port in $(seq 55432 55632); do
        if ! ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
            if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                echo "$port"
                return 0
            fi
        fi
    done
    echo "No free TCP port between 55432 and 55632 for PostgreSQL." >&2
    return 1
}

gu_pg_as_owner() {
    # initdb refuses to run as root: root runs the server as the postgres user; anyone else runs it as themselves.
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

gu_pg_stop() {
    if [[ -n "${GU_PG_DIR:-}" && -d "$GU_PG_DIR" ]]; then
        gu_pg_as_owner "$GU_PG_BIN/pg_ctl" -D "$GU_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$GU_PG_DIR"
    fi
}

gu_pg_start() {
    GU_PG_BIN="$(gu_pg_find_bin)"
    if [[ -z "$GU_PG_BIN" ]]; then
        echo "PostgreSQL is not installed; installing it with apt-get." >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
        GU_PG_BIN="$(gu_pg_find_bin)"
        if [[ -z "$GU_PG_BIN" ]]; then
            echo "apt-get installed postgresql, but no initdb was found under /usr/lib/postgresql." >&2
            return 1
        fi
    fi

    if [[ "$(id -u)" -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        # The package normally creates this user.
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi

    GU_PG_DIR="$(mktemp -d -t gravity-usage-pg.XXXXXX)"
    if [[ "$(id -u)" -eq 0 ]]; then
        chown postgres: "$GU_PG_DIR"
    fi
    chmod 700 "$GU_PG_DIR"
    trap gu_pg_stop EXIT

    local port
    port="$(gu_pg_free_port)"
    gu_pg_as_owner "$GU_PG_BIN/initdb" -D "$GU_PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
    # fsync stays on (the default): the tests check durability as in production.
    gu_pg_as_owner "$GU_PG_BIN/pg_ctl" -D "$GU_PG_DIR/data" -l "$GU_PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $GU_PG_DIR -c max_connections=200" start >/dev/null
    export GRAVITY_USAGE_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
    echo "PostgreSQL $("$GU_PG_BIN/postgres" --version | awk '{print $3}') started on 127.0.0.1:$port (data in $GU_PG_DIR)."
}

if [[ -z "${GRAVITY_USAGE_POSTGRES:-}" ]]; then
    gu_pg_start
else
    echo "Using the PostgreSQL server of GRAVITY_USAGE_POSTGRES."
fi
