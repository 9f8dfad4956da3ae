#!/usr/bin/env bash
# Start (or stop) a throwaway 3-master Redis Cluster on loopback for tests:
#
#   deploy/redis/cluster.sh start DIR [FIRST_PORT]   # ports FIRST_PORT..+2 (default 7101)
#   deploy/redis/cluster.sh stop DIR
#
# Prints the CLOSEKNIT_TEST_REDIS_URL for it. No replicas: the tests check
# that every script stays within one hash slot and that the client follows
# MOVED redirections, not failover. Nothing is persisted.
set -euo pipefail

cmd="${1:?start|stop}" dir="${2:?directory}" first="${3:-7101}"
ports=("$first" "$((first + 1))" "$((first + 2))")
mkdir -p "$dir"

case "$cmd" in
start)
	for p in "${ports[@]}"; do
		redis-server --port "$p" --bind 127.0.0.1 --daemonize yes --cluster-enabled yes \
			--cluster-config-file "$dir/nodes-$p.conf" --cluster-node-timeout 2000 \
			--save "" --appendonly no --dir "$dir" --pidfile "$dir/redis-$p.pid" --logfile "$dir/redis-$p.log"
	done
	for p in "${ports[@]}"; do
		for _ in $(seq 1 50); do
			[ "$(redis-cli -p "$p" ping 2>/dev/null || true)" = PONG ] && break
			sleep 0.1
		done
	done
	redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >"$dir/create.log"
	for _ in $(seq 1 100); do
		ok=1
		for p in "${ports[@]}"; do
			redis-cli -p "$p" cluster info | grep -q '^cluster_state:ok' || ok=0
		done
		[ "$ok" = 1 ] && break
		sleep 0.1
	done
	if [ "$ok" != 1 ]; then
		echo "redis cluster did not reach cluster_state:ok" >&2
		exit 1
	fi
	echo "redis://127.0.0.1:${ports[0]}?addr=127.0.0.1:${ports[1]}&addr=127.0.0.1:${ports[2]}"
	;;
stop)
	for p in "${ports[@]}"; do
		if [ -f "$dir/redis-$p.pid" ]; then
			kill "$(cat "$dir/redis-$p.pid")" 2>/dev/null || true
		fi
	done
	;;
*)
	echo "usage: $0 start|stop DIR [FIRST_PORT]" >&2
	exit 2
	;;
esac
