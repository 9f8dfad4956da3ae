package engagement_test

import (
	"testing"

	"github.com/closeknit/closeknit/engagement"
)

func TestParseRedisInfoCountsScriptsOnce(t *testing.T) {
	// The commands a script runs appear under their own names as well as
	// inside the script's time: only the script entries make up its time.
	info := "# Commandstats\r\n" +
		"cmdstat_evalsha:calls=10,usec=300,usec_per_call=30.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_incr:calls=40,usec=80,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_eval:calls=1,usec=20,usec_per_call=20.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_info:calls=7,usec=70,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r\n" +
		"# CPU\r\nused_cpu_sys:9.5\r\nused_cpu_user_main_thread:1.25\r\nused_cpu_sys_main_thread:0.5\r\n"
	want := engagement.RedisWork{ScriptUsec: 320, Commands: 40, CPUUsec: 1.75e6}
	if got := engagement.ParseRedisInfo(info); got != want {
		t.Errorf("ParseRedisInfo = %+v, want %+v (scripts' time, commands but INFO's, main-thread CPU)", got, want)
	}
}
