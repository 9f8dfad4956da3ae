#!/usr/bin/env bash
# Start (or stop) a throwaway Redis Sentinel setup on loopback for tests:
# a master, one replica and three sentinels (quorum 2) watching "ckmaster".
#
#   deploy/redis/sentinel.sh start DIR [FIRST_PORT]   # master FIRST_PORT (default 7201), replica +1, sentinels +11..+13
#   deploy/redis/sentinel.sh stop DIR
#
# Prints the CLOSEKNIT_TEST_REDIS_URL for it (the sentinels' addresses and
# the master name; the client asks the sentinels where the master is).
# Sentinel mode is redis-server --sentinel: no separate package needed.
set -euo pipefail

cmd="${1:?start|stop}" dir="${2:?directory}" first="${3:-7201}"
master="$first" replica="$((first + 1))"
sentinels=("$((first + 11))" "$((first + 12))" "$((first + 13))")
mkdir -p "$dir"

up() {
	for _ in $(seq 1 50); do
		[ "$(redis-cli -p "$1" ping 2>/dev/null || true)" = PONG ] && return 0
		sleep 0.1
	done
	echo "redis on port $1 did not answer" >&2
	return 1
}

case "$cmd" in
start)
	redis-server --port "$master" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
		--dir "$dir" --pidfile "$dir/redis-$master.pid" --logfile "$dir/redis-$master.log"
	redis-server --port "$replica" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
		--replicaof 127.0.0.1 "$master" \
		--dir "$dir" --pidfile "$dir/redis-$replica.pid" --logfile "$dir/redis-$replica.log"
	up "$master"
	up "$replica"
	for p in "${sentinels[@]}"; do
		# Sentinel rewrites its config file: each gets its own, writable.
		cat >"$dir/sentinel-$p.conf" <<CONF
port $p
bind 127.0.0.1
daemonize yes
pidfile $dir/sentinel-$p.pid
logfile $dir/sentinel-$p.log
dir $dir
sentinel monitor ckmaster 127.0.0.1 $master 2
sentinel down-after-milliseconds ckmaster 1000
sentinel failover-timeout ckmaster 5000
CONF
		redis-server "$dir/sentinel-$p.conf" --sentinel
	done
	for p in "${sentinels[@]}"; do
		up "$p"
		for _ in $(seq 1 100); do
			redis-cli -p "$p" sentinel get-master-addr-by-name ckmaster 2>/dev/null | grep -q "$master" && break
			sleep 0.1
		done
	done
	echo "redis://127.0.0.1:${sentinels[0]}/0?master_name=ckmaster&addr=127.0.0.1:${sentinels[1]}&addr=127.0.0.1:${sentinels[2]}"
	;;
stop)
	for f in "$dir"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
	done
	;;
*)
	echo "usage: $0 start|stop DIR [FIRST_PORT]" >&2
	exit 2
	;;
esac
