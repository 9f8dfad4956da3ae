package main

import "testing"

func TestParseRedisWorkCountsScriptsOnce(t *testing.T) {
	// The commands a script runs appear under their own names as well as
	// inside the script's time: only the script entries count.
	info := "# Commandstats\r\n" +
		"cmdstat_evalsha:calls=10,usec=300,usec_per_call=30.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_incr:calls=40,usec=80,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_eval:calls=1,usec=20,usec_per_call=20.00,rejected_calls=0,failed_calls=0\r\n" +
		"# CPU\r\nused_cpu_sys:9.5\r\nused_cpu_user_main_thread:1.25\r\nused_cpu_sys_main_thread:0.5\r\n"
	w := parseRedisWork(info)
	if w.usec != 320 {
		t.Errorf("usec = %v, want 320 (evalsha + eval, not incr)", w.usec)
	}
	if w.cpuUsec != 1.75e6 {
		t.Errorf("cpuUsec = %v, want 1.75e6 (main thread user + sys)", w.cpuUsec)
	}
}
