#!/usr/bin/env bash
# Wall time and summed training time of the sample project (20 runs) through the real app, by where the server's own
# worker runs. Usage (after a Release build): bench/sample-project-time.sh Process|InProcess [child CPU threads, 0 = default]
set -euo pipefail
mode=$1 threads=${2:-0} port=5099 data=$(mktemp -d)
token=thp_bench-admin-token-0123456789abcdef
cd "$(dirname "$0")/../src/Web/bin/Release/net10.0"
Workers__Embedded=$mode Workers__CpuThreads=$threads Data__Root=$data Bootstrap__AdminEmail=admin@bench.test \
  Bootstrap__AdminPassword='Admin-Passw0rd!' Bootstrap__AdminToken=$token \
  dotnet TransferHub.Web.dll --urls http://127.0.0.1:$port > "$data/web.log" 2>&1 &
app=$!
trap 'kill $app; wait $app 2>/dev/null || true; rm -rf "$data"' EXIT
until curl -sf http://127.0.0.1:$port/health > /dev/null; do sleep 1; done
sleep 5 # the worker child connects
auth="Authorization: Bearer $token"
start=$(date +%s.%N)
experiment=$(curl -sf -X POST -H "$auth" http://127.0.0.1:$port/api/sample-project | python3 -c "import json,sys; print(json.load(sys.stdin)['experimentId'])")
summary() { curl -sf -H "$auth" http://127.0.0.1:$port/api/experiments/$experiment | python3 -c "$1"; }
until [ "$(summary "import json,sys; print(sum(r['status'] not in ('Succeeded','Failed','Cancelled') for r in json.load(sys.stdin)['runs']))")" = 0 ]; do sleep 1; done
wall=$(echo "$(date +%s.%N) - $start" | bc)
summary "import json,sys; rs=json.load(sys.stdin)['runs']; print('$mode threads=$threads runs', len(rs), 'wall s', round($wall, 1), 'training s', round(sum(r['trainSeconds'] or 0 for r in rs), 1))"
