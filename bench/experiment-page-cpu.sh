#!/usr/bin/env bash
# What a watched experiment costs the server: runs the e2e test in which a browser watches the sample project's 20 runs
# train to their verdicts (SampleProjectE2ETests) and reports the test's wall time and the CPU seconds of the web process
# (its training runs in the worker child, not counted). Usage, after a Release build:
#   bench/experiment-page-cpu.sh [TransferHub.Web.dll of another build, as the reference]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${1:-}" ]; then export TRANSFERHUB_WEB_DLL=$1; fi
web=${TRANSFERHUB_WEB_DLL:-src/Web/bin/Release/net10.0/TransferHub.Web.dll}
log=$(mktemp)
start=$(date +%s.%N)
dotnet test tests/e2e -c Release --no-build --filter "FullyQualifiedName~SampleProjectE2ETests" > "$log" 2>&1 &
test=$!
pid="" ticks=0
while kill -0 $test 2>/dev/null; do
  [ -n "$pid" ] || pid=$(pgrep -n -f "TransferHub.Web.dll --urls" || true)
  if [ -n "$pid" ] && [ -r "/proc/$pid/stat" ]; then ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo "$ticks"); fi
  sleep 1
done
wait $test || { cat "$log"; exit 1; }
echo "$web: test wall $(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.1f') s, web process CPU $(echo "scale=1; $ticks / $(getconf CLK_TCK)" | bc) s"
