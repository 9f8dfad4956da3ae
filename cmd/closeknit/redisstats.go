package main

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// redisWork is what Redis spent, summed over every master: the time its
// scripts ran (INFO commandstats usec of the EVAL/EVALSHA/FCALL families,
// which includes the commands each script runs), and the main thread's CPU
// (INFO cpu), which adds the network and parsing work and whatever else the
// server did meanwhile. Ingest, closeknit's and the peer's, is scripts only:
// the commands a script runs are counted in commandstats under their own
// names too, so only the script entries are summed.
type redisWork struct {
	usec    float64 // commandstats usec of script calls
	calls   float64 // commands run, in scripts or not (INFO's own left out)
	cpuUsec float64 // used_cpu_{user,sys}_main_thread
}

func (a redisWork) sub(b redisWork) redisWork {
	return redisWork{usec: a.usec - b.usec, calls: a.calls - b.calls, cpuUsec: a.cpuUsec - b.cpuUsec}
}

// readRedisWork reads INFO commandstats and cpu from every master.
func readRedisWork(ctx context.Context, rdb redis.UniversalClient) (redisWork, error) {
	var mu sync.Mutex
	var total redisWork
	read := func(ctx context.Context, c *redis.Client) error {
		info, err := c.Info(ctx, "commandstats", "cpu").Result()
		if err != nil {
			return err
		}
		w := parseRedisWork(info)
		mu.Lock()
		total.usec += w.usec
		total.calls += w.calls
		total.cpuUsec += w.cpuUsec
		mu.Unlock()
		return nil
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		return total, cc.ForEachMaster(ctx, read)
	}
	if c, ok := rdb.(*redis.Client); ok {
		return total, read(ctx, c)
	}
	// A Sentinel failover client is a *redis.Client too; anything else
	// (a ring) is not used here.
	return total, nil
}

// scriptCommands are the script entry points, whose time includes the
// commands they call.
var scriptCommands = map[string]bool{
	"eval": true, "evalsha": true, "eval_ro": true, "evalsha_ro": true, "fcall": true, "fcall_ro": true,
}

// parseRedisWork sums the relevant fields of one server's INFO text.
func parseRedisWork(info string) redisWork {
	var w redisWork
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if name, rest, ok := strings.Cut(line, ":"); ok {
			switch {
			case strings.HasPrefix(name, "cmdstat_"):
				cmd := strings.TrimPrefix(name, "cmdstat_")
				if scriptCommands[cmd] {
					w.usec += field(rest, "usec")
				} else if cmd != "info" {
					w.calls += field(rest, "calls")
				}
			case name == "used_cpu_user_main_thread" || name == "used_cpu_sys_main_thread":
				f, _ := strconv.ParseFloat(rest, 64)
				w.cpuUsec += f * 1e6
			}
		}
	}
	return w
}

// field reads key=value out of a commandstats value such as
// "calls=3,usec=45,usec_per_call=15.00".
func field(s, key string) float64 {
	for kv := range strings.SplitSeq(s, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}
