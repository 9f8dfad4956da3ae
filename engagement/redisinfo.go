package engagement

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// RedisWork is what Redis spent, summed over every master, for measuring
// the ingest (the load command, BenchmarkRecordMessages): the time its
// scripts ran (INFO commandstats usec of the EVAL/EVALSHA/FCALL families,
// which includes the commands each script runs), the commands it ran,
// inside scripts or not, and its main thread's CPU (INFO cpu), which adds
// the network and parsing work. The commands a script runs are counted in
// commandstats under their own names too, so only the script entries make
// up ScriptUsec.
type RedisWork struct {
	ScriptUsec float64 // commandstats usec of script calls
	Commands   float64 // commands run, in scripts or not; INFO's own left out
	CPUUsec    float64 // used_cpu_{user,sys}_main_thread, in µs
}

// Sub returns the work done between b and w.
func (w RedisWork) Sub(b RedisWork) RedisWork {
	return RedisWork{ScriptUsec: w.ScriptUsec - b.ScriptUsec, Commands: w.Commands - b.Commands, CPUUsec: w.CPUUsec - b.CPUUsec}
}

// ReadRedisWork reads INFO commandstats and cpu from every master and sums
// them. Counters only grow: read before and after, and Sub.
func ReadRedisWork(ctx context.Context, rdb redis.UniversalClient) (RedisWork, error) {
	var mu sync.Mutex
	var total RedisWork
	read := func(ctx context.Context, c *redis.Client) error {
		info, err := c.Info(ctx, "commandstats", "cpu").Result()
		if err != nil {
			return err
		}
		w := ParseRedisInfo(info)
		mu.Lock()
		total.ScriptUsec += w.ScriptUsec
		total.Commands += w.Commands
		total.CPUUsec += w.CPUUsec
		mu.Unlock()
		return nil
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		return total, cc.ForEachMaster(ctx, read)
	}
	if c, ok := rdb.(*redis.Client); ok { // a Sentinel failover client is one too
		return total, read(ctx, c)
	}
	return total, nil
}

// scriptCommands are the script entry points, whose time includes the
// commands they call.
var scriptCommands = map[string]bool{
	"eval": true, "evalsha": true, "eval_ro": true, "evalsha_ro": true, "fcall": true, "fcall_ro": true,
}

// ParseRedisInfo sums the fields of one server's INFO commandstats and cpu
// text that make up a RedisWork.
func ParseRedisInfo(info string) RedisWork {
	var w RedisWork
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		name, rest, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok {
			continue
		}
		switch cmd, isCmd := strings.CutPrefix(name, "cmdstat_"); {
		case isCmd && scriptCommands[cmd]:
			w.ScriptUsec += infoField(rest, "usec")
		case isCmd && cmd != "info":
			w.Commands += infoField(rest, "calls")
		case name == "used_cpu_user_main_thread" || name == "used_cpu_sys_main_thread":
			f, _ := strconv.ParseFloat(rest, 64)
			w.CPUUsec += f * 1e6
		}
	}
	return w
}

// infoField reads key=value out of a commandstats value such as
// "calls=3,usec=45,usec_per_call=15.00".
func infoField(s, key string) float64 {
	for kv := range strings.SplitSeq(s, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}
