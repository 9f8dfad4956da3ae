package main

import "testing"

func TestHealthURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr  string
		ready bool
		want  string
	}{
		{":9090", false, "http://127.0.0.1:9090/healthz"},
		{"0.0.0.0:8080", true, "http://127.0.0.1:8080/readyz"},
		{"[::]:9090", false, "http://127.0.0.1:9090/healthz"},
		{"10.1.2.3:9090", false, "http://10.1.2.3:9090/healthz"},
		{"[::1]:9090", true, "http://[::1]:9090/readyz"},
	} {
		got, err := healthURL(tc.addr, tc.ready)
		if err != nil || got != tc.want {
			t.Errorf("healthURL(%q, %v) = %q, %v; want %q", tc.addr, tc.ready, got, err, tc.want)
		}
	}
	for _, bad := range []string{"9090", "", "host"} {
		if _, err := healthURL(bad, false); err == nil {
			t.Errorf("healthURL(%q): no error", bad)
		}
	}
}
