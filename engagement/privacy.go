package engagement

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pseudonyms. The per-member state that an opted-out or forgotten member
// still needs (which reactions they have on a card, their vote on a poll,
// the week their reaction was counted in) is kept under a pseudonym:
// "~" and 20 lower-case hex digits of HMAC-SHA256(salt, user), with one
// random salt per community kept in Redis (ns:{c}:salt). The same member
// always has the same pseudonym, whatever they toggle, so a removal finds
// what it removes; and the pseudonym holds no user ID, so Forget (which
// deletes what holds the ID) leaves it, and records written after optout
// name nobody.
const pseudonymPrefix = "~"

// IsPseudonym reports whether id is a pseudonym rather than a user ID.
func IsPseudonym(id string) bool { return strings.HasPrefix(id, pseudonymPrefix) }

// salts caches each community's salt: it never changes once written. The
// hot path also keeps the pseudonyms it computed, since an HMAC per event
// costs more CPU and allocations than the rest of the event's preparation.
type salts struct {
	mu    sync.RWMutex
	m     map[string][]byte            // community ID -> salt
	names map[string]map[string]string // community ID -> user -> pseudonym
}

// maxCachedNames bounds each community's cache of pseudonyms: a community
// is a few hundred people, so past this the cache is simply started over.
const maxCachedNames = 10000

// pseudonymizer returns the function naming c's members by pseudonym,
// reading (or creating, once for all replicas) the salt on first use.
func (s *Store) pseudonymizer(ctx context.Context, c *Community) (func(user string) string, error) {
	s.salts.mu.RLock()
	salt := s.salts.m[c.ID]
	s.salts.mu.RUnlock()
	if salt == nil {
		k := s.keys(c).salt()
		// SETNX then GET: of replicas racing, all read the one that won.
		if err := s.rdb.SetNX(ctx, k, rand.Text(), 0).Err(); err != nil {
			return nil, fmt.Errorf("engagement: salt %s: %w", c.ID, err)
		}
		v, err := s.rdb.Get(ctx, k).Bytes()
		if err != nil {
			return nil, fmt.Errorf("engagement: salt %s: %w", c.ID, err)
		}
		salt = v
		s.salts.mu.Lock()
		if s.salts.m == nil {
			s.salts.m = map[string][]byte{}
		}
		s.salts.m[c.ID] = salt
		s.salts.mu.Unlock()
	}
	return func(user string) string { return pseudonymOf(salt, user) }, nil
}

func pseudonymOf(salt []byte, user string) string {
	h := hmac.New(sha256.New, salt)
	h.Write([]byte(user))
	return pseudonymPrefix + hex.EncodeToString(h.Sum(nil))[:20]
}

// Pseudonym returns user's pseudonym in c (see pseudonymPrefix).
func (s *Store) Pseudonym(ctx context.Context, c *Community, user string) (string, error) {
	p, err := s.pseudonymizer(ctx, c)
	if err != nil {
		return "", err
	}
	return p(user), nil
}

// cachedPseudonym is Pseudonym for the hot path, where the salt was loaded
// by loadSalts before the batch; "" if it was not.
func (s *Store) cachedPseudonym(c *Community, user string) string {
	s.salts.mu.RLock()
	salt, name := s.salts.m[c.ID], s.salts.names[c.ID][user]
	s.salts.mu.RUnlock()
	if salt == nil || name != "" {
		return name
	}
	name = pseudonymOf(salt, user)
	s.salts.mu.Lock()
	if s.salts.names == nil {
		s.salts.names = map[string]map[string]string{}
	}
	names := s.salts.names[c.ID]
	if names == nil || len(names) >= maxCachedNames {
		names = map[string]string{}
		s.salts.names[c.ID] = names
	}
	names[user] = name
	s.salts.mu.Unlock()
	return name
}

// loadSalts makes sure the salt of every community in the batch is cached:
// a round trip only the first time a process sees a community.
func (s *Store) loadSalts(ctx context.Context, events []Event, pending []int) error {
	for _, i := range pending {
		c := events[i].Community
		s.salts.mu.RLock()
		ok := s.salts.m[c.ID] != nil
		s.salts.mu.RUnlock()
		if !ok {
			if _, err := s.pseudonymizer(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// SetOptOut turns per-person statistics for user off (true) or back on.
// Opted out, they still count in channel totals; nothing new is recorded
// under their name. What was recorded before stays until Forget.
func (s *Store) SetOptOut(ctx context.Context, c *Community, user string, out bool) error {
	var err error
	if out {
		err = s.rdb.SAdd(ctx, s.keys(c).optout(), user).Err()
	} else {
		err = s.rdb.SRem(ctx, s.keys(c).optout(), user).Err()
	}
	if err != nil {
		return fmt.Errorf("engagement: opt-out %s: %w", user, err)
	}
	return nil
}

// OptedOut returns the users of c who opted out.
func (s *Store) OptedOut(ctx context.Context, c *Community) (map[string]bool, error) {
	users, err := s.rdb.SMembers(ctx, s.keys(c).optout()).Result()
	if err != nil {
		return nil, fmt.Errorf("engagement: opted out: %w", err)
	}
	m := make(map[string]bool, len(users))
	for _, u := range users {
		m[u] = true
	}
	return m, nil
}

// PersonalRecord is one thing stored about a person: a key named after them, or a
// hash field, hash value, set or zset member, or stream entry that holds
// their ID.
type PersonalRecord struct {
	Key   string // without the namespace and community prefix
	Part  string // "key", "field", "member" or "entry"
	Field string // the hash field or member, for parts of a key
}

// Personal lists every record of c that holds user's ID. It scans all of
// the community's keys, so it finds records of every feature, present and
// future, as long as they keep user IDs in names, fields or members, or as
// a whole value. Only ID-bearing records: a value that merely mentions the
// ID (staff-written text such as a prototype named "Idea from <@U…>") is
// not the member's record and stays.
func (s *Store) Personal(ctx context.Context, c *Community, user string) ([]PersonalRecord, error) {
	var out []PersonalRecord
	err := s.walkPersonal(ctx, c, user, func(r PersonalRecord, _ string) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// Forget deletes every record of c that holds user's ID (see Personal):
// counters, seat, waitlist place, intro, reactions, opt-out, pending jobs.
// It returns how many records it deleted.
func (s *Store) Forget(ctx context.Context, c *Community, user string) (int, error) {
	n := 0
	err := s.walkPersonal(ctx, c, user, func(r PersonalRecord, key string) error {
		var err error
		switch r.Part {
		case "key":
			err = s.rdb.Unlink(ctx, key).Err()
		case "field":
			err = s.rdb.HDel(ctx, key, r.Field).Err()
		case "member":
			if err = s.rdb.SRem(ctx, key, r.Field).Err(); err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE") {
				err = s.rdb.ZRem(ctx, key, r.Field).Err()
			}
		case "entry":
			err = s.rdb.XDel(ctx, key, r.Field).Err()
		}
		if err == nil {
			n++
		}
		return err
	})
	if err != nil {
		return n, fmt.Errorf("engagement: forget: %w", err)
	}
	return n, nil
}

// walkPersonal calls fn for every record of c holding user, with the full
// key name.
func (s *Store) walkPersonal(ctx context.Context, c *Community, user string, fn func(PersonalRecord, string) error) error {
	if !ValidUserID(user) {
		// Never a pattern or a fragment: "w" would match every week's key.
		return fmt.Errorf("engagement: %q is not a user ID such as U02H7K4N5PQ: %w", user, ErrInvalid)
	}
	prefix := s.keys(c).prefix
	start := time.Now()
	defer func() { s.observe("personal", time.Since(start), nil) }()
	// Keys come in SCAN batches; each batch's types and string values are
	// read in one pipelined round trip each (most keys are small strings,
	// such as event dedupe markers), not one round trip per key.
	return ScanKeys(ctx, s.rdb, prefix+"*", func(keys []string) error {
		types := make([]*redis.StatusCmd, len(keys))
		pipe := s.rdb.Pipeline()
		for i, key := range keys {
			if !holds(strings.TrimPrefix(key, prefix), user) {
				types[i] = pipe.Type(ctx, key)
			}
		}
		if pipe.Len() > 0 {
			if _, err := pipe.Exec(ctx); err != nil {
				return err
			}
		}
		values := make([]*redis.StringCmd, len(keys))
		pipe = s.rdb.Pipeline()
		for i, key := range keys {
			if types[i] != nil && types[i].Val() == "string" {
				values[i] = pipe.Get(ctx, key)
			}
		}
		if pipe.Len() > 0 {
			if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
		}
		for i, key := range keys {
			rec := PersonalRecord{Key: strings.TrimPrefix(key, prefix)}
			var err error
			switch {
			case types[i] == nil: // the key's name holds the ID
				rec.Part = "key"
				err = fn(rec, key)
			case values[i] != nil:
				if values[i].Val() == user {
					rec.Part = "key"
					err = fn(rec, key)
				}
			default:
				err = s.walkValue(ctx, key, rec.Key, types[i].Val(), user, fn)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// walkValue calls fn for each part of the hash, set, zset or stream key
// that holds user: a field or member naming them, or a value that is
// their ID.
func (s *Store) walkValue(ctx context.Context, key, rel, typ, user string, fn func(PersonalRecord, string) error) error {
	switch typ {
	case "hash":
		return scanPairs(ctx, s.rdb.HScan(ctx, key, 0, "", 500).Iterator(), func(f, v string) error {
			if holds(f, user) || v == user {
				return fn(PersonalRecord{Key: rel, Part: "field", Field: f}, key)
			}
			return nil
		})
	case "set":
		it := s.rdb.SScan(ctx, key, 0, "*"+user+"*", 500).Iterator()
		for it.Next(ctx) {
			if !holds(it.Val(), user) {
				continue
			}
			if err := fn(PersonalRecord{Key: rel, Part: "member", Field: it.Val()}, key); err != nil {
				return err
			}
		}
		return it.Err()
	case "zset":
		return scanPairs(ctx, s.rdb.ZScan(ctx, key, 0, "*"+user+"*", 500).Iterator(), func(m, _ string) error {
			if !holds(m, user) {
				return nil
			}
			return fn(PersonalRecord{Key: rel, Part: "member", Field: m}, key)
		})
	case "stream":
		msgs, err := s.rdb.XRange(ctx, key, "-", "+").Result()
		if err != nil {
			return err
		}
		for _, m := range msgs {
			for _, v := range m.Values {
				if sv, _ := v.(string); sv == user {
					if err := fn(PersonalRecord{Key: rel, Part: "entry", Field: m.ID}, key); err != nil {
						return err
					}
					break
				}
			}
		}
	}
	return nil
}

// holds reports whether s contains the Slack ID id as a whole word: U123
// must not match inside U1234.
func holds(s, id string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], id)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(id)
		if (j == 0 || !idChar(s[j-1])) && (end == len(s) || !idChar(s[end])) {
			return true
		}
		i = j + 1
	}
}

func idChar(b byte) bool { return b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' }

// scanPairs walks an HSCAN or ZSCAN iterator, which yields name and value
// in turn.
func scanPairs(ctx context.Context, it *redis.ScanIterator, fn func(a, b string) error) error {
	var pair []string
	for it.Next(ctx) {
		pair = append(pair, it.Val())
		if len(pair) == 2 {
			if err := fn(pair[0], pair[1]); err != nil {
				return err
			}
			pair = pair[:0]
		}
	}
	return it.Err()
}
