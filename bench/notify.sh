#!/usr/bin/env bash
# Prints the notification outbox's figures: the Go benchmarks of Enqueue
# and delivery to a local webhook (one at a time, and a burst drained by a
# node's workers), then a burst of messages from concurrent producers in
# a separate process, with deliveries per second, the outbox's cost per
# message (allocations, rows, bytes on disk) and RSS after the burst and
# after idle.
# Usage: bench/notify.sh [messages, default 10000] [idle, default 30s]
# With PELOTE_BENCH_DATABASE=postgres://… the burst runs on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-10000}
idle=${2:-30s}
go test -run '^$' -bench '^Benchmark(Enqueue|EnqueueParallel|EnqueueDeliver|Burst)$' -benchtime 2s -count 1 ./internal/notify | grep -E '^Benchmark'
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/notifyload" ./bench/notifyload
"$bin/notifyload" -n "$messages" -idle "$idle" -database "${PELOTE_BENCH_DATABASE:-}"
