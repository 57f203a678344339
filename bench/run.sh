#!/usr/bin/env bash
# FitCore load benchmark (see bench/README.md and ../shared/BENCHMARK.md).
#
#   bench/run.sh [--db sqlite|postgres|both] [--workloads B1,B2,B3,B4,B7,B8] [--duration 20]
#                [--warmup 5] [--connections 32]
#
# For each database: fresh database + temp dir, `fitcore migrate up`,
# `fitcore serve` on 127.0.0.1, time to /readyz 200, then per workload: seed
# through the public API, warm up, measure with wrk, sample the server's RSS,
# append a row to bench/results/results.md. Everything is torn down on exit,
# failure or Ctrl-C. Implemented workloads: B1 (workout list pages), B2
# (workout detail), B3 (food search), B4 (meal plan detail), B7 (refresh
# token rotation), B8 (dashboard). The datasets are seeded once per database
# and shared: the users by all but B7, the workout catalogue by B1/B2/B8, the
# nutrition data by B3/B4/B8.
#
# Environment knobs:
#   FITCORE_BIN       use this server binary instead of `cargo build --release -p fitcore`
#   BENCH_PORT        port on 127.0.0.1 (default 18080)
#   BENCH_THREADS     wrk threads (default 2)
#   BENCH_USERS       users to seed (default 1000)
#   BENCH_JOBS_DRAIN_TIMEOUT  seconds to wait for the server's job queue to
#                     empty after the B1/B2 seeding (default 900)
#   FITCORE_ACCESS_TOKEN_MINUTES  access token lifetime for the bench server
#                     (default here 240, so B1/B2 tokens outlive the seeding)
#   BENCH_MEDIA_TOOLS 1: let the server find ffprobe/ffmpeg (its PATH is kept);
#                     default 0: the server runs with an empty PATH, so the
#                     media job of each seeded upload skips at once (see README)
#   BENCH_RESULTS_DIR where results.md and raw/ go (default bench/results)
#   BENCH_PG_HOST / BENCH_PG_PORT / BENCH_PG_USER   PostgreSQL (default localhost/5432/postgres, trust auth)
#   BENCH_PG_SSLMODE  sslmode of the server's connection (default disable: loopback)
#   RUST_LOG          passed to the server (default "warn": per-request logs would skew the numbers)
# Any other FITCORE_* variable you export reaches the server unchanged.
set -Eeuo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")

# ---------------------------------------------------------------- options ----
DBS_OPT=both
WORKLOADS_OPT=B7
DURATION=20
WARMUP=5
CONNECTIONS=32
THREADS=${BENCH_THREADS:-2}
PORT=${BENCH_PORT:-18080}
USERS=${BENCH_USERS:-1000}
RESULTS_DIR=${BENCH_RESULTS_DIR:-$BENCH_DIR/results}
PG_HOST=${BENCH_PG_HOST:-localhost}
PG_PORT=${BENCH_PG_PORT:-5432}
PG_USER=${BENCH_PG_USER:-postgres}
HOST=127.0.0.1                 # the server is only ever bound to loopback
READY_TIMEOUT_S=60
STOP_TIMEOUT_S=20
WRK_TIMEOUT=5s                 # per-request socket timeout inside wrk
SEED_TIMEOUT_S=900             # upper bound for one seed.py run
JOBS_DRAIN_TIMEOUT_S=${BENCH_JOBS_DRAIN_TIMEOUT:-900}
ACCESS_TOKEN_MINUTES=${FITCORE_ACCESS_TOKEN_MINUTES:-240}
MEDIA_TOOLS=${BENCH_MEDIA_TOOLS:-0}
STAFF_EMAIL=bench-staff@example.com
STAFF_PASSWORD='Bench-Passw0rd!x' # seed.py's default password

usage() {
    awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "${BASH_SOURCE[0]}"
}

# fd 3 = the original stderr, so messages (also those from traps, which may
# fire inside a redirected command) always reach the terminal.
exec 3>&2
die() { echo "run.sh: error: $*" >&3; exit 1; }
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&3; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

while (($#)); do
    case $1 in
        --db) DBS_OPT=${2:?--db needs a value}; shift 2 ;;
        --db=*) DBS_OPT=${1#*=}; shift ;;
        --workloads) WORKLOADS_OPT=${2:?--workloads needs a value}; shift 2 ;;
        --workloads=*) WORKLOADS_OPT=${1#*=}; shift ;;
        --duration) DURATION=${2:?--duration needs a value}; shift 2 ;;
        --duration=*) DURATION=${1#*=}; shift ;;
        --warmup) WARMUP=${2:?--warmup needs a value}; shift 2 ;;
        --warmup=*) WARMUP=${1#*=}; shift ;;
        --connections) CONNECTIONS=${2:?--connections needs a value}; shift 2 ;;
        --connections=*) CONNECTIONS=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

case $DBS_OPT in
    sqlite) DBS=(sqlite) ;;
    postgres) DBS=(postgres) ;;
    both) DBS=(sqlite postgres) ;;
    *) die "--db must be sqlite, postgres or both (got '$DBS_OPT')" ;;
esac
WORKLOADS_OPT=${WORKLOADS_OPT^^}
IFS=',' read -r -a WORKLOADS <<<"${WORKLOADS_OPT// /}"
((${#WORKLOADS[@]} > 0)) || die "--workloads is empty"
is_uint "$DURATION" && ((DURATION >= 1 && DURATION <= 3600)) || die "--duration must be 1..3600 seconds"
is_uint "$WARMUP" && ((WARMUP <= 600)) || die "--warmup must be 0..600 seconds"
is_uint "$THREADS" && ((THREADS >= 1 && THREADS <= 64)) || die "BENCH_THREADS must be 1..64"
is_uint "$CONNECTIONS" && ((CONNECTIONS >= THREADS && CONNECTIONS <= 10000)) \
    || die "--connections must be $THREADS..10000 (at least one per wrk thread)"
is_uint "$PORT" && ((PORT >= 1024 && PORT <= 65535)) || die "BENCH_PORT must be 1024..65535"
is_uint "$USERS" && ((USERS >= 1 && USERS <= 1000000)) || die "BENCH_USERS must be 1..1000000"
is_uint "$JOBS_DRAIN_TIMEOUT_S" && ((JOBS_DRAIN_TIMEOUT_S <= 86400)) \
    || die "BENCH_JOBS_DRAIN_TIMEOUT must be 0..86400 seconds"
is_uint "$ACCESS_TOKEN_MINUTES" && ((ACCESS_TOKEN_MINUTES >= 1)) \
    || die "FITCORE_ACCESS_TOKEN_MINUTES must be a positive number of minutes"
[[ $MEDIA_TOOLS == 0 || $MEDIA_TOOLS == 1 ]] || die "BENCH_MEDIA_TOOLS must be 0 or 1"
BASE_URL="http://$HOST:$PORT"

# ------------------------------------------------------------- workloads ----
# Each workload id X provides:
#   wl_X_check     (optional) validate options before anything starts
#   wl_X_seed      seed what it needs through the public API (runs once per db,
#                  before the warm-up; may reuse shared stages like seed_users)
#   wl_X_prepare   (optional) runs between warm-up and the measured run
#   and sets, in wl_X_seed:
#   WL_SCRIPT      the wrk Lua script
#   WL_PATH        the request path
#   WL_ARGS        array passed to the Lua init(args) after `--`
# To add B1..B8: write bench/wrk/<id>_<name>.lua, add the seeding stage to
# seed.py, and define wl_<id>_seed (and wl_<id>_prepare if the run consumes
# state). Ids without functions are rejected up front.

WL_SCRIPT='' WL_PATH='' WL_ARGS=()

# Shared stage: the 1,000 deterministic users (register, or log in if they
# exist); leaves fresh refresh tokens in $RAW_DIR/refresh_tokens.txt.
seed_users() { # [--login-only]
    log "seeding $USERS users via the API ${1:-}"
    run_child "$SEED_TIMEOUT_S" - python3 "$BENCH_DIR/seed.py" \
        --base-url "$BASE_URL" --users "$USERS" --workers 16 \
        --out "$RAW_DIR/refresh_tokens.txt" "$@"
}

# Every connection holds one token in flight, so each wrk thread's pool
# (users / threads) must exceed its connections (connections / threads).
wl_B7_check() {
    local per_thread=$((USERS / THREADS)) conns_per_thread=$((CONNECTIONS / THREADS))
    ((per_thread > conns_per_thread)) \
        || die "B7 needs more tokens per wrk thread ($per_thread) than connections per thread ($conns_per_thread): raise BENCH_USERS or lower --connections"
}

wl_B7_seed() {
    seed_users
    WL_SCRIPT=$BENCH_DIR/wrk/b7_refresh.lua
    WL_PATH=/api/v1/auth/refresh/
    WL_ARGS=("$RAW_DIR/refresh_tokens.txt" "$THREADS")
}

# The warm-up rotated (and blacklisted) the seeded tokens, and the tokens in
# flight when wrk stopped are lost: log every user in again for a fresh set.
wl_B7_prepare() {
    seed_users --login-only
}

# Shared stage for B1/B2: the workout catalogue of BENCHMARK.md, seeded once
# per database run (WORKOUT_DATASET) and reused by every workload that needs
# it. Users (with access tokens in $RAW_DIR/access_tokens.txt), the staff user
# (CLI), then through the API 40 categories, 1,000 workouts (30 % premium) and
# 6 videos each (seed.py --stage workouts; workout ids in
# $RAW_DIR/workout_ids.txt), then progress rows for users 1..200 (seed.py
# --stage progress). Each upload queues the server's media job
# (ffprobe/ffmpeg) and completions queue notifications, so it waits for the
# job queue to empty after each: otherwise those jobs would run during the
# measurement.
#
# The progress stage runs with one worker on SQLite, after the job queue is
# empty: the server's progress write is a deferred transaction that reads
# before it writes, and SQLite answers a concurrent writer with "database is
# locked" at once (HTTP 500) instead of waiting (a server bug, see README).
WORKOUT_DATASET=0 ACCESS_MINTED_S=0 USERS_SEEDED=0 NUTRITION_DATASET=0

# Shared stage: the users with one access token each, in user order, in
# $RAW_DIR/access_tokens.txt; once per database run.
seed_user_tokens() {
    if ((USERS_SEEDED)); then
        log "users already seeded in this database: reusing their access tokens"
        return 0
    fi
    seed_users --access-out "$RAW_DIR/access_tokens.txt"
    ACCESS_MINTED_S=$(date +%s)
    USERS_SEEDED=1
}

create_staff() {
    log "creating the staff user $STAFF_EMAIL (fitcore createsuperuser)"
    # A background child reads /dev/null, so the password comes from a file.
    printf '%s\n' "$STAFF_PASSWORD" >"$TMP_DIR/staff_password"
    run_child 120 "$RAW_DIR/createsuperuser.log" sh -c 'exec "$@" <"$0"' "$TMP_DIR/staff_password" \
        env "${SERVER_ENV[@]}" "$BIN" createsuperuser --email "$STAFF_EMAIL" --password - \
        || { cat "$RAW_DIR/createsuperuser.log" >&2; die "fitcore createsuperuser failed (log: $RAW_DIR/createsuperuser.log)"; }
    rm -f -- "$TMP_DIR/staff_password"
}

# Sum of the pending and running jobs from GET /metrics, or "" if unavailable.
queued_jobs() {
    curl -s --max-time 5 -f "$BASE_URL/metrics" 2>/dev/null \
        | awk '/^jobs\{/ && /status="(pending|running)"/ {n += $NF; seen = 1} END {if (seen) printf "%d", n}'
}

wait_jobs_drained() { # sets JOBS_DRAIN_MS
    local t0 n last_log=0
    t0=$(now_ms)
    JOBS_DRAIN_MS=0
    n=$(queued_jobs)
    if [[ -z $n ]]; then
        log "WARNING: GET /metrics gave no job counts: cannot wait for the media jobs"
        return 0
    fi
    log "waiting for the server's job queue to empty ($n pending/running)"
    while ((n > 0)); do
        require_server_alive
        (($(now_ms) - t0 < JOBS_DRAIN_TIMEOUT_S * 1000)) \
            || die "$n jobs still pending/running after ${JOBS_DRAIN_TIMEOUT_S}s (BENCH_JOBS_DRAIN_TIMEOUT); they would skew the measurement"
        if (($(now_ms) - last_log >= 15000)); then
            ((last_log == 0)) || log "  $n jobs pending/running"
            last_log=$(now_ms)
        fi
        sleep 1
        n=$(queued_jobs)
        n=${n:-0}
    done
    JOBS_DRAIN_MS=$(($(now_ms) - t0))
    log "job queue empty after $((JOBS_DRAIN_MS / 1000)) s"
}

seed_workout_dataset() {
    if ((WORKOUT_DATASET)); then
        log "workout dataset already seeded in this database: reusing it"
        return 0
    fi
    local t0 t1 users_ms catalogue_ms progress_ms drain_ms=0
    local progress_users=$((USERS < 200 ? USERS : 200)) progress_workers=16
    [[ $DB_KIND == sqlite ]] && progress_workers=1
    t0=$(now_ms)
    seed_user_tokens
    users_ms=$(($(now_ms) - t0))
    create_staff
    log "seeding the workout catalogue via the API"
    t1=$(now_ms)
    run_child "$SEED_TIMEOUT_S" - python3 "$BENCH_DIR/seed.py" --stage workouts \
        --base-url "$BASE_URL" --workers 16 \
        --staff-email "$STAFF_EMAIL" --staff-password "$STAFF_PASSWORD" \
        --ids-out "$RAW_DIR/workout_ids.txt" \
        || die "seeding the workout catalogue failed"
    catalogue_ms=$(($(now_ms) - t1))
    wait_jobs_drained
    drain_ms=$JOBS_DRAIN_MS
    log "seeding progress for $progress_users users via the API ($progress_workers worker(s))"
    t1=$(now_ms)
    run_child "$SEED_TIMEOUT_S" - python3 "$BENCH_DIR/seed.py" --stage progress \
        --base-url "$BASE_URL" --workers "$progress_workers" \
        --access-tokens "$RAW_DIR/access_tokens.txt" --progress-users "$progress_users" \
        || die "seeding workout progress failed"
    progress_ms=$(($(now_ms) - t1))
    wait_jobs_drained
    drain_ms=$((drain_ms + JOBS_DRAIN_MS))
    WORKOUT_DATASET=1
    local summary
    summary="total_s=$((($(now_ms) - t0) / 1000)) users_s=$((users_ms / 1000)) catalogue_s=$((catalogue_ms / 1000)) progress_s=$((progress_ms / 1000)) job_drain_s=$((drain_ms / 1000))"
    echo "$summary" >"$RAW_DIR/seed_workouts.txt"
    log "workout dataset seeded: $summary"
}

# Access tokens live FITCORE_ACCESS_TOKEN_MINUTES: if the seeded ones could
# expire before the measured run ends, log everyone in again.
refresh_access_tokens_if_old() {
    local age=$(($(date +%s) - ACCESS_MINTED_S))
    if ((age + DURATION + 120 > ACCESS_TOKEN_MINUTES * 60)); then
        log "access tokens are ${age}s old: logging the users in again"
        seed_users --login-only --access-out "$RAW_DIR/access_tokens.txt"
        ACCESS_MINTED_S=$(date +%s)
    fi
}

workout_pages() { # 20 a page (the API's default page size)
    local n
    n=$(grep -c . "$RAW_DIR/workout_ids.txt") || die "no seeded workout ids in $RAW_DIR/workout_ids.txt"
    echo $(((n + 19) / 20))
}

wl_B1_seed() {
    seed_workout_dataset
    WL_SCRIPT=$BENCH_DIR/wrk/b1_workouts_list.lua
    WL_PATH=/api/v1/workouts/workouts/
    WL_ARGS=("$RAW_DIR/access_tokens.txt" "$(workout_pages)")
}

wl_B1_prepare() {
    refresh_access_tokens_if_old
}

wl_B2_seed() {
    seed_workout_dataset
    WL_SCRIPT=$BENCH_DIR/wrk/b2_workout_detail.lua
    WL_PATH=/api/v1/workouts/workouts/
    WL_ARGS=("$RAW_DIR/access_tokens.txt" "$RAW_DIR/workout_ids.txt")
}

wl_B2_prepare() {
    refresh_access_tokens_if_old
}

# Shared stage for B3/B4/B8: the nutrition part of the dataset, once per
# database run (NUTRITION_DATASET), through the API (seed.py --stage
# nutrition): checks that every B3 term finds public foods, 5 custom foods
# per user, and for users 1..50 a 7-day plan (4 meals a day, 4 bundled foods
# a meal) starting today plus 2 diary entries today. Plan owners and ids go
# to $RAW_DIR/plans.txt ("<user index> <plan id>"). The bundled USDA table is
# the server's own, loaded on its first start (before /readyz answers).
seed_nutrition_dataset() {
    if ((NUTRITION_DATASET)); then
        log "nutrition dataset already seeded in this database: reusing it"
        return 0
    fi
    local t0 t1 users_ms nutrition_ms summary
    t0=$(now_ms)
    seed_user_tokens
    users_ms=$(($(now_ms) - t0))
    log "seeding the nutrition dataset via the API"
    t1=$(now_ms)
    run_child "$SEED_TIMEOUT_S" - python3 "$BENCH_DIR/seed.py" --stage nutrition \
        --base-url "$BASE_URL" --workers 16 \
        --access-tokens "$RAW_DIR/access_tokens.txt" --terms "$BENCH_DIR/wrk/b3_terms.txt" \
        --plans-out "$RAW_DIR/plans.txt" \
        || die "seeding the nutrition dataset failed"
    nutrition_ms=$(($(now_ms) - t1))
    wait_jobs_drained
    NUTRITION_DATASET=1
    summary="total_s=$((($(now_ms) - t0) / 1000)) users_s=$((users_ms / 1000)) nutrition_s=$((nutrition_ms / 1000)) job_drain_s=$((JOBS_DRAIN_MS / 1000))"
    echo "$summary" >"$RAW_DIR/seed_nutrition.txt"
    log "nutrition dataset seeded: $summary"
}

wl_B3_seed() {
    seed_nutrition_dataset
    WL_SCRIPT=$BENCH_DIR/wrk/b3_food_search.lua
    WL_PATH=/api/v1/nutrition/foods/
    WL_ARGS=("$RAW_DIR/access_tokens.txt" "$BENCH_DIR/wrk/b3_terms.txt")
}

wl_B3_prepare() {
    refresh_access_tokens_if_old
}

wl_B4_seed() {
    seed_nutrition_dataset
    WL_SCRIPT=$BENCH_DIR/wrk/b4_plan_detail.lua
    WL_PATH=/api/v1/nutrition/plans/
    WL_ARGS=("$RAW_DIR/access_tokens.txt" "$RAW_DIR/plans.txt")
}

wl_B4_prepare() {
    refresh_access_tokens_if_old
}

# The dashboard reads every context: seed the workout catalogue and progress
# (as for B1/B2) and the nutrition data; requests go as any of the users.
wl_B8_seed() {
    seed_workout_dataset
    seed_nutrition_dataset
    WL_SCRIPT=$BENCH_DIR/wrk/b8_dashboard.lua
    WL_PATH=/api/v1/users/dashboard/
    WL_ARGS=("$RAW_DIR/access_tokens.txt")
}

wl_B8_prepare() {
    refresh_access_tokens_if_old
}

for wl in "${WORKLOADS[@]}"; do
    [[ $wl =~ ^B[0-9]+$ ]] && declare -F "wl_${wl}_seed" >/dev/null \
        || die "workload '$wl' is not implemented (available: $(declare -F | awk '$3 ~ /^wl_B[0-9]+_seed$/ {sub(/^wl_/, "", $3); sub(/_seed$/, "", $3); printf "%s%s", sep, $3; sep = ","}'))"
    if declare -F "wl_${wl}_check" >/dev/null; then "wl_${wl}_check"; fi
done

# ----------------------------------------------------------------- state ----
SERVER_PID='' SAMPLER_PID='' CHILD_PID='' TMP_DIR='' PG_DB='' RAW_DIR='' DB_KIND='' CLEANING=0
ROWS=()

# Runs a long child (seed, migrate, wrk) in the background and waits for it.
# A foreground child would delay our INT/TERM traps until it exits (and bash
# drops SIGINT altogether when the child survives it); `wait` is interrupted
# at once, and the EXIT trap then stops CHILD_PID. Bounded by `timeout`.
run_child() { # max_seconds output_file|- command...
    local secs=$1 out=$2 status=0
    shift 2
    if [[ $out == - ]]; then
        timeout -k 5 "$secs" "$@" 3>&- &
    else
        timeout -k 5 "$secs" "$@" >"$out" 2>&1 3>&- &
    fi
    CHILD_PID=$!
    wait "$CHILD_PID" || status=$?
    CHILD_PID=''
    return "$status"
}

stop_child() {
    [[ -n $CHILD_PID ]] || return 0
    kill -TERM "$CHILD_PID" 2>/dev/null || true # timeout passes it on, KILLs 5 s later
    wait "$CHILD_PID" 2>/dev/null || true
    CHILD_PID=''
}

stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    local pid=$SERVER_PID i status=0
    SERVER_PID=''
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "server $pid ignored SIGTERM for ${STOP_TIMEOUT_S}s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || status=$?
    log "server stopped (exit status $status)"
}

stop_sampler() {
    [[ -n $SAMPLER_PID ]] || return 0
    kill "$SAMPLER_PID" 2>/dev/null || true
    wait "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=''
}

psql_admin() {
    psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres "$@"
}

cleanup_db_run() {
    stop_child
    stop_sampler
    stop_server
    if [[ -n $PG_DB ]]; then
        log "dropping database $PG_DB"
        psql_admin -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" \
            || log "warning: could not drop database $PG_DB"
        PG_DB=''
    fi
    if [[ -n $TMP_DIR && -d $TMP_DIR ]]; then
        rm -rf -- "$TMP_DIR"
    fi
    TMP_DIR=''
}

on_exit() {
    local status=$?
    ((CLEANING)) && return
    CLEANING=1
    trap - INT TERM
    cleanup_db_run
    exec 1>&3 2>&3
    ((status == 0)) || log "failed (exit status $status); cleaned up"
    exit "$status"
}
trap on_exit EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ------------------------------------------------------------- preflight ----
ensure_wrk() {
    command -v wrk >/dev/null 2>&1 && return 0
    log "wrk not found: installing it from Debian"
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
    command -v wrk >/dev/null 2>&1 || die "wrk still missing after apt-get install"
}

build_server() {
    if [[ -n ${FITCORE_BIN:-} ]]; then
        BIN=$FITCORE_BIN
    else
        log "building: cargo build --release -p fitcore"
        (cd "$REPO_DIR" && cargo build --release -p fitcore)
        BIN=$REPO_DIR/target/release/fitcore
    fi
    [[ -x $BIN ]] || die "server binary not executable: $BIN"
    BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
}

port_in_use() {
    curl -s -o /dev/null --max-time 1 "$BASE_URL/healthz" && return 0
    if command -v ss >/dev/null 2>&1; then
        ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q . && return 0
    fi
    return 1
}

git_sha() {
    local sha
    sha=$(git -C "$REPO_DIR" rev-parse --short=10 HEAD 2>/dev/null) || { echo none; return; }
    # Tracked changes outside bench/results/ (which this script itself appends to).
    if [[ -n $(git -C "$REPO_DIR" status --porcelain --untracked-files=no -- . ':(exclude)bench/results' 2>/dev/null) ]]; then
        sha+="-dirty"
    fi
    echo "$sha"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---------------------------------------------------------------- server ----
SERVER_ENV=()

setup_database() { # db
    local db=$1
    DB_KIND=$db
    TMP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fitcore-bench.XXXXXX")
    mkdir -p "$TMP_DIR/data"
    case $db in
        sqlite)
            DATABASE_URL="sqlite://$TMP_DIR/fitcore.db?mode=rwc"
            ;;
        postgres)
            command -v psql >/dev/null 2>&1 || die "psql not found (needed to create the bench database)"
            psql_admin -Atc 'SELECT 1' >/dev/null || die "cannot reach PostgreSQL at $PG_HOST:$PG_PORT as $PG_USER"
            PG_DB="fitcore_bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
            log "creating database $PG_DB"
            psql_admin -c "CREATE DATABASE \"$PG_DB\""
            # Loopback needs no TLS; sqlx's default (prefer) would encrypt
            # every query when the server has ssl=on.
            DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB?sslmode=${BENCH_PG_SSLMODE:-disable}"
            ;;
    esac
    SERVER_ENV=(
        FITCORE_ENV=development
        FITCORE_BIND="$HOST:$PORT"
        FITCORE_DATA_DIR="$TMP_DIR/data"
        DATABASE_URL="$DATABASE_URL"
        FITCORE_RATE_LIMIT_DISABLED=true
        FITCORE_ACCESS_TOKEN_MINUTES="$ACCESS_TOKEN_MINUTES"
        RUST_LOG="${RUST_LOG:-warn}"
    )
    # FitCore's only child processes are ffprobe/ffmpeg, in the media job that
    # every video upload queues. The seeded files are fake MP4s in which they
    # find nothing, so they would only burn CPU (6,000 jobs, ~3 spawns each:
    # 10+ minutes on 2 cores). Without them on PATH the job stores the same
    # result (no duration, no thumbnail) at once.
    if ((MEDIA_TOOLS == 0)); then
        mkdir -p "$TMP_DIR/no-media-tools"
        SERVER_ENV+=(PATH="$TMP_DIR/no-media-tools")
    fi
    WORKOUT_DATASET=0 ACCESS_MINTED_S=0 USERS_SEEDED=0 NUTRITION_DATASET=0
}

migrate() {
    log "fitcore migrate up"
    run_child 300 "$RAW_DIR/migrate.log" env "${SERVER_ENV[@]}" "$BIN" migrate up \
        || { tail -n 20 "$RAW_DIR/migrate.log" >&2; die "fitcore migrate up failed (log: $RAW_DIR/migrate.log)"; }
}

# Starts `fitcore serve` and sets STARTUP_MS = spawn -> first /readyz 200.
start_server() {
    port_in_use && die "something already listens on $HOST:$PORT (set BENCH_PORT)"
    local t0 code i deadline
    t0=$(now_ms)
    env "${SERVER_ENV[@]}" "$BIN" serve >"$RAW_DIR/server.log" 2>&1 3>&- &
    SERVER_PID=$!
    deadline=$((t0 + READY_TIMEOUT_S * 1000))
    for ((i = 0; i < READY_TIMEOUT_S * 100; i++)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$BASE_URL/readyz" || true)
        if [[ $code == 200 ]]; then
            STARTUP_MS=$(($(now_ms) - t0))
            log "server pid $SERVER_PID ready in ${STARTUP_MS} ms"
            return 0
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            tail -n 30 "$RAW_DIR/server.log" >&2
            die "server exited before it was ready (log: $RAW_DIR/server.log)"
        fi
        (($(now_ms) < deadline)) || break
        sleep 0.01
    done
    tail -n 30 "$RAW_DIR/server.log" >&2
    die "server not ready within ${READY_TIMEOUT_S}s (last /readyz status: ${code:-none})"
}

require_server_alive() {
    kill -0 "$SERVER_PID" 2>/dev/null && return 0
    tail -n 30 "$RAW_DIR/server.log" >&2
    die "the server died (log: $RAW_DIR/server.log)"
}

# Polls VmRSS every 200 ms (bounded by max_samples) and keeps the max in KiB.
rss_sampler() { # pid out_file max_samples
    local pid=$1 out=$2 max_samples=$3 max=0 i key val _
    echo 0 >"$out"
    for ((i = 0; i < max_samples; i++)); do
        [[ -r /proc/$pid/status ]] || break
        while read -r key val _; do
            if [[ $key == VmRSS: ]]; then
                if ((val > max)); then
                    max=$val
                    echo "$max" >"$out"
                fi
                break
            fi
        done <"/proc/$pid/status"
        sleep 0.2
    done
}

proc_status_kib() { # pid field  -> KiB or 0
    awk -v f="$2:" '$1 == f {print $2; found=1} END {if (!found) print 0}' "/proc/$1/status" 2>/dev/null || echo 0
}

# ------------------------------------------------------------------- wrk ----
run_wrk() { # seconds out_file
    local secs=$1 out=$2
    run_child $((secs + 60)) "$out" wrk -t "$THREADS" -c "$CONNECTIONS" -d "${secs}s" \
        --timeout "$WRK_TIMEOUT" --latency -s "$WL_SCRIPT" "$BASE_URL$WL_PATH" \
        -- "${WL_ARGS[@]}" \
        || { cat "$out" >&2; die "wrk failed (output: $out)"; }
}

# Prints the latency at percentile `pct` ("50%") of wrk's --latency
# distribution, in ms (wrk prints us/ms/s/m/h units).
WRK_PCT_AWK='
function ms(v,   n, u) {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") return n / 1000
    if (u == "ms") return n
    if (u == "s") return n * 1000
    if (u == "m") return n * 60000
    if (u == "h") return n * 3600000
    return -1
}
/Latency Distribution/ { in_dist = 1; next }
in_dist && $1 == pct { printf "%.2f", ms($2); exit }
'

# Parses wrk output into WRK_RPS, WRK_P50_MS, WRK_P99_MS, WRK_ERRORS, WRK_ERR_DETAIL.
parse_wrk() { # file
    local f=$1 socket non2xx lua_line lua_non200 lua_reused lua_parse lua_resp status_err
    WRK_RPS=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$f")
    WRK_P50_MS=$(awk -v pct=50% "$WRK_PCT_AWK" "$f")
    WRK_P99_MS=$(awk -v pct=99% "$WRK_PCT_AWK" "$f")
    socket=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$f")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$f")
    socket=${socket:-0} non2xx=${non2xx:-0}
    lua_line=$(grep -m1 '^bench-lua: responses=' "$f" || true)
    if [[ -n $lua_line ]]; then
        lua_resp=$(sed -E 's/.*responses=([0-9]+).*/\1/' <<<"$lua_line")
        lua_non200=$(sed -E 's/.*non200=([0-9]+).*/\1/' <<<"$lua_line")
        lua_reused=$(sed -E 's/.*reused=([0-9]+).*/\1/' <<<"$lua_line")
        lua_parse=$(sed -E 's/.*parse_fail=([0-9]+).*/\1/' <<<"$lua_line")
        # The script sees every response, so its non-200 count covers wrk's
        # "Non-2xx or 3xx" (and also catches 2xx/3xx other than 200).
        status_err=$((lua_non200 > non2xx ? lua_non200 : non2xx))
        WRK_ERRORS=$((socket + status_err + lua_reused + lua_parse))
        WRK_ERR_DETAIL="socket=$socket non2xx=$non2xx lua_non200=$lua_non200 reused_tokens=$lua_reused parse_fail=$lua_parse responses=$lua_resp"
    else
        WRK_ERRORS=$((socket + non2xx))
        WRK_ERR_DETAIL="socket=$socket non2xx=$non2xx"
    fi
    [[ -n $WRK_RPS && -n $WRK_P50_MS && -n $WRK_P99_MS ]] \
        || { cat "$f" >&2; die "could not parse wrk output ($f)"; }
}

# ------------------------------------------------------------- results ----
RESULTS_HEADER='| date | git sha | db | workload | conns | req/s | p50 ms | p99 ms | errors | peak RSS MB | startup ms |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'

append_row() { # row
    local file=$RESULTS_DIR/results.md
    mkdir -p "$RESULTS_DIR"
    if [[ ! -s $file ]]; then
        {
            echo "# FitCore load benchmark results"
            echo
            echo "Appended by bench/run.sh (see bench/README.md). 2-core machine, wrk on the same host."
            echo
            echo "$RESULTS_HEADER"
        } >"$file"
    fi
    echo "$1" >>"$file"
    ROWS+=("$1")
}

kib_to_mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# ------------------------------------------------------------ workload run ----
run_workload() { # db workload
    local db=$1 wl=$2 out rss_file samples peak_kib hwm_kib row seeded_kib start_kib
    log "[$db] $wl: seeding"
    WL_SCRIPT='' WL_PATH='' WL_ARGS=()
    "wl_${wl}_seed"
    [[ -f $WL_SCRIPT && -n $WL_PATH ]] || die "wl_${wl}_seed did not set WL_SCRIPT/WL_PATH"
    require_server_alive
    seeded_kib=$(proc_status_kib "$SERVER_PID" VmRSS)

    if ((WARMUP > 0)); then
        log "[$db] $wl: warm-up ${WARMUP}s"
        run_wrk "$WARMUP" "$RAW_DIR/$wl.warmup.txt"
        require_server_alive
    fi
    if declare -F "wl_${wl}_prepare" >/dev/null; then
        "wl_${wl}_prepare"
    fi

    log "[$db] $wl: measuring ${DURATION}s at $CONNECTIONS connections ($THREADS wrk threads)"
    rss_file=$RAW_DIR/$wl.rss_kib
    start_kib=$(proc_status_kib "$SERVER_PID" VmRSS)
    samples=$(((DURATION + 70) * 5)) # 200 ms polls, bounded past wrk's own bound
    rss_sampler "$SERVER_PID" "$rss_file" "$samples" 3>&- &
    SAMPLER_PID=$!
    out=$RAW_DIR/$wl.wrk.txt
    run_wrk "$DURATION" "$out"
    stop_sampler
    require_server_alive
    peak_kib=$(<"$rss_file")
    hwm_kib=$(proc_status_kib "$SERVER_PID" VmHWM)

    parse_wrk "$out"
    row="| $(date -u '+%Y-%m-%d %H:%M') | $GIT_SHA | $db | $wl | $CONNECTIONS | $WRK_RPS | $WRK_P50_MS | $WRK_P99_MS | $WRK_ERRORS | $(kib_to_mb "$peak_kib") | $STARTUP_MS |"
    append_row "$row"
    {
        echo "db=$db workload=$wl duration=${DURATION}s warmup=${WARMUP}s connections=$CONNECTIONS threads=$THREADS users=$USERS"
        echo "req_per_s=$WRK_RPS p50_ms=$WRK_P50_MS p99_ms=$WRK_P99_MS errors=$WRK_ERRORS ($WRK_ERR_DETAIL)"
        echo "peak_rss_sampled_mb=$(kib_to_mb "$peak_kib") vm_hwm_mb=$(kib_to_mb "$hwm_kib") rss_after_seed_mb=$(kib_to_mb "$seeded_kib") rss_at_start_mb=$(kib_to_mb "$start_kib") startup_ms=$STARTUP_MS"
    } | tee "$RAW_DIR/$wl.summary.txt" >&2
    ((WRK_ERRORS == 0)) || log "WARNING: $db $wl had $WRK_ERRORS errors ($WRK_ERR_DETAIL); see $out"
}

run_db() { # db
    local db=$1 wl
    RAW_DIR=$RESULTS_DIR/raw/$db
    mkdir -p "$RAW_DIR"
    log "===== $db ====="
    setup_database "$db"
    migrate
    start_server
    for wl in "${WORKLOADS[@]}"; do
        run_workload "$db" "$wl"
    done
    cleanup_db_run
}

# ------------------------------------------------------------------ main ----
command -v curl >/dev/null 2>&1 || die "curl is required"
command -v python3 >/dev/null 2>&1 || die "python3 is required"
ensure_wrk
build_server
GIT_SHA=$(git_sha)
log "binary $BIN, git $GIT_SHA, dbs: ${DBS[*]}, workloads: ${WORKLOADS[*]}, ${WARMUP}s warm-up + ${DURATION}s, $CONNECTIONS connections"

for db in "${DBS[@]}"; do
    run_db "$db"
done

echo
echo "$RESULTS_HEADER"
printf '%s\n' "${ROWS[@]}"
echo
echo "(appended to $RESULTS_DIR/results.md; raw wrk output and server logs in $RESULTS_DIR/raw/)"
