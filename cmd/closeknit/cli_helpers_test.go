package main

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/child"
	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/redis/go-redis/v9"
)

// cliStore is one operator-command test's namespace of the real Redis:
// the environment `closeknit` reads for the community "acme" (staff
// U0STAFF0001), a client and a store on it, cleaned up when the test ends.
type cliStore struct {
	ns    string
	env   map[string]string
	rdb   *redis.Client
	store *engagement.Store
	c     *engagement.Community
}

func newCLIStore(t *testing.T, name string) *cliStore {
	t.Helper()
	ns := fmt.Sprintf("cktest-cmd%s-%d", name, os.Getpid())
	s := &cliStore{
		ns: ns,
		env: map[string]string{
			"REDIS_URL": redistest.URL(), "CLOSEKNIT_NAMESPACE": ns, "CLOSEKNIT_COMMUNITY": "acme",
			"CLOSEKNIT_CHANNEL": "C05R8T2KLMN", "CLOSEKNIT_TIMEZONE": "UTC", "CLOSEKNIT_STAFF": "U0STAFF0001",
		},
		rdb: redis.NewClient(mustParseRedis(t)),
		c:   &engagement.Community{ID: "acme", Channel: "C05R8T2KLMN", Location: time.UTC, Cap: 100, Staff: []string{"U0STAFF0001"}},
	}
	t.Cleanup(func() { child.CleanNamespace(s.rdb, ns); s.rdb.Close() })
	s.store = engagement.NewStore(s.rdb, engagement.Options{Namespace: ns})
	if err := s.store.LoadScripts(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *cliStore) getenv(k string) string { return s.env[k] }

// seat gives users a seat (at score 1: seated long ago).
func (s *cliStore) seat(ctx context.Context, t *testing.T, users ...string) {
	t.Helper()
	for _, u := range users {
		if err := s.rdb.ZAdd(ctx, s.ns+":{acme}:seats", redis.Z{Score: 1, Member: u}).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// optOut records users' opt-out of being named.
func (s *cliStore) optOut(ctx context.Context, t *testing.T, users ...string) {
	t.Helper()
	for _, u := range users {
		if err := s.rdb.SAdd(ctx, s.ns+":{acme}:optout", u).Err(); err != nil {
			t.Fatal(err)
		}
	}
}
