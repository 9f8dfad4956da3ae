package slackapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/socketmode"
)

// DecodeForBench exposes the hot-path decoding to the external benchmarks.
func DecodeForBench(frame []byte) error {
	env, err := socketmode.ParseEnvelope(frame)
	if err != nil {
		return err
	}
	if ev := parseEvent(env.Payload); ev.EventID == "" || ev.User == "" {
		return errors.New("decode: missing fields")
	}
	return nil
}

// RunJob runs the named scheduled job now, for every community, as the
// scheduler would (under its lease), waiting for the lease if the app's own
// scheduler holds it.
func (a *App) RunJob(ctx context.Context, name string) error {
	for _, j := range a.jobs {
		if j.name == name {
			for _, c := range a.cfg.Communities {
				for {
					ok, err := a.store.AcquireLease(ctx, c, "job:"+name, "test", leaseTTL)
					if err != nil {
						return err
					}
					if ok {
						break
					}
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-time.After(10 * time.Millisecond):
					}
				}
				if err := a.runJob(ctx, "test", j, c); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return fmt.Errorf("no job %q", name)
}

// DoJob runs one membership outbox job of the first community by hand, as
// if the outbox had handed it out (id is its stream entry ID).
func (a *App) DoJob(ctx context.Context, id, typ, user string) error {
	return a.members.Do(ctx, a.cfg.Communities[0], engagement.Job{ID: id, Type: typ, User: user, Attempt: 1})
}

// LastReconnectAttempt is the backoff attempt of the socket's last
// reconnect wait: 1 for the first wait after a connection that said hello.
func (a *App) LastReconnectAttempt() int { return a.sock.Attempt() }
