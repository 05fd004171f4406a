#!/usr/bin/env bash
# Runs every test. First installs what the tests need on a fresh Debian machine:
# Chromium's headless shell (e2e; Chromium itself for headed debugging), Redis (the two-node e2e test), PostgreSQL (the
# server the API suite and the two-node e2e test run on a second time; the tests start their own throwaway server),
# libfaketime (a worker with a skewed clock), Node.js + Azurite (blob-store contract tests) and the dotnet-ef tool.
set -euo pipefail
cd "$(dirname "$0")"

sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
install() { DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"; }
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromium-headless-shell >/dev/null 2>&1 || missing+=(chromium-headless-shell)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
if ((${#missing[@]})); then
  $sudo apt-get update -qq
  install "${missing[@]}" fonts-dejavu-core
fi
# Only after nodejs: where nodejs comes from NodeSource it brings npm, and Debian's npm package would conflict with it.
command -v npm >/dev/null 2>&1 || install npm
phase() { echo "== $1 after $SECONDS s"; }
# Azurite's npm packages install beside the build (the build leaves a core idle ~20 % of its time).
npm ci --prefix tests/unit/azurite --no-audit --no-fund --loglevel=error & npm_ci=$!
dotnet tool restore
dotnet build TransferHub.sln -c Release -nodeReuse:false
wait $npm_ci
phase "build done"
# The compiler and MSBuild servers would otherwise hold ~1 GB beside the test hosts.
dotnet build-server shutdown >/dev/null 2>&1 || true

# Every process the tests start (the test hosts, the e2e suite's ~30 web servers and its training workers) lives minutes
# or less: the JIT re-compiling warm methods (dynamic PGO's instrumented tier, and tier 1 after 30 calls) was up to half
# of a web server's CPU there, never paid back. Hot methods are still optimized; the code run is the same. A deployment
# keeps the runtime's defaults. Measured in docs/benchmarks.md ("CI time").
export DOTNET_TieredPGO=0 DOTNET_TC_CallCountThreshold=1000
# Training in the tests runs on one libtorch (OpenMP) thread: the suites keep both cores busy with two test classes, web
# servers and Chromium, and a second OpenMP thread per training mostly spun waiting — the e2e training workers used half
# the CPU with one thread, and no result changed. A deployment trains on every core.
export OMP_NUM_THREADS=1

log=$(mktemp)
status=0
# --blame-crash: should a test host die, the log names the tests it was running (and keeps a dump under TestResults).
# The API/integration suite and the queue's concurrency tests once more, on a real database server, beside the first
# pass: alone it left the CPU 25-50 % idle (tests waiting on timeouts, retries and the server). Its log follows the
# first pass's.
pg_log=$(mktemp)
TH_TEST_DATABASE=PostgreSql dotnet test tests/unit -c Release --no-build --blame-crash --blame-crash-dump-type mini \
  --filter "FullyQualifiedName~.Integration.|FullyQualifiedName~JobQueueTests" > "$pg_log" 2>&1 & pg_pass=$!
dotnet test tests/unit -c Release --no-build --blame-crash --blame-crash-dump-type mini 2>&1 | tee -a "$log" || status=$?
wait $pg_pass || status=$?
echo "-- the same API suite on PostgreSQL:"
tee -a "$log" < "$pg_log"
phase "unit and PostgreSQL passes done"
dotnet test tests/e2e -c Release --no-build --blame-crash --blame-crash-dump-type mini 2>&1 | tee -a "$log" || status=$?
phase "e2e done"
# A test process killed before its exit handler leaves its server's folder behind (a live server keeps postmaster.pid).
for d in "${TMPDIR:-/tmp}"/th-pg-*; do [ -e "$d/data/postmaster.pid" ] || rm -rf "$d"; done

# One plain summary line over both test assemblies.
sum() { grep -oE "$1: +[0-9]+" "$log" | awk '{ s += $NF } END { print s + 0 }'; }
echo "Tests: $(sum Passed) passed, $(sum Failed) failed"
exit $status
