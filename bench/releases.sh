#!/usr/bin/env bash
# Prints what release watching costs: polling 500 watched projects against
# a local fake forge (requests per poll cycle; goal: one conditional
# request per project and no body when nothing changed), then the time to
# render the public transparency page for 50 machines and 300 services
# (goal <= 20 ms), from a Go benchmark.
# Usage: bench/releases.sh [projects, default 500]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-500}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/releasesload" ./bench/releasesload
"$tmp/releasesload" -projects "$projects" -dir "$tmp"
go test -run XXX -bench 'Transparency' -benchtime 200x ./internal/web | grep Benchmark
