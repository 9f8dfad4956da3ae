package engagement

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// KPIs are the figures of one community-week that the digest, the staff
// Home and `closeknit digest --format json` show. The JSON field names are
// a stable contract (issue 6): rates are fractions 0-1, durations seconds.
type KPIs struct {
	Community string    `json:"community"`
	Channel   string    `json:"channel"`
	Timezone  string    `json:"timezone"`
	Week      string    `json:"week"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	AsOf      time.Time `json:"as_of"` // when computed: answers and unanswered posts are as of then

	Messages           int64   `json:"messages"` // top-level posts and thread replies, staff included
	MessagesPrevWeek   int64   `json:"messages_prev_week"`
	MessagesChange     float64 `json:"messages_change"` // vs the previous week, as a fraction (0.25 = +25%); 0 without a previous week
	Messages4wAvg      float64 `json:"messages_4w_avg"` // mean of the four weeks before
	MessagesVs4wAvg    float64 `json:"messages_vs_4w_avg"`
	ThreadReplies      int64   `json:"thread_replies"`
	Reactions          int64   `json:"reactions"`
	ActivePosters      int64   `json:"active_posters"`
	ActiveParticipants int64   `json:"active_participants"` // posted or reacted
	PrevActivePosters  int64   `json:"active_posters_prev_week"`

	Seated            int     `json:"seated"`
	Cap               int     `json:"cap"`
	Waitlist          int     `json:"waitlist"`
	ParticipationRate float64 `json:"participation_rate"`  // customers who posted ÷ seated members
	MessagesPerMember float64 `json:"messages_per_member"` // customers' messages ÷ seated members
	Top10Share        float64 `json:"top10_share"`         // share of customers' messages by the top 10% of members

	TopLevelPosts             int     `json:"top_level_posts"` // by customers
	ResponseTimeMedianSeconds float64 `json:"response_time_median_seconds"`
	ResponseRate24h           float64 `json:"response_rate_24h"` // of posts at least 24 h old, the share answered within 24 h
	// The brand team's own responsiveness, on the same posts: the first
	// thread reply by staff (a reaction acknowledges, it does not answer).
	StaffResponseTimeMedianSeconds float64      `json:"staff_response_time_median_seconds"` // of the posts staff replied to
	StaffResponseRate24h           float64      `json:"staff_response_rate_24h"`            // of posts at least 24 h old, the share staff replied to within 24 h
	Unanswered                     []Unanswered `json:"unanswered"`                         // still without any answer after 24 h, oldest first

	Retention       float64       `json:"retention"` // of last week's customer posters, the share who posted again
	Lapsing         []Lapsing     `json:"lapsing"`
	TopContributors []Contributor `json:"top_contributors"`
	// Spotlight candidates (thanks.go): thanks counted during the week,
	// the most thanked members, and the helpers (first to reply to others'
	// posts of the week).
	Thanks       int64              `json:"thanks"`
	MostThanked  []Candidate        `json:"most_thanked"`
	Helpers      []Candidate        `json:"helpers"`
	NewMembers   []NewMember        `json:"new_members"`
	Prototypes   []PrototypeSummary `json:"prototypes"`              // open during the week, newest first
	Prompt       *PromptSummary     `json:"prompt,omitempty"`        // the week's prompt with its tallies, if one was posted
	SeatRequests *SeatRequestWeek   `json:"seat_requests,omitempty"` // requests and nominations opened or decided during the week, if any
	// The members' voice (digest.go): ideas posted in the week (most
	// votes first), ideas whose status changed, drops open in the week.
	IdeasNew           []NewIdea          `json:"ideas_new"`
	IdeasStatusChanged []IdeaStatusChange `json:"ideas_status_changed"`
	Drops              []DropSummary      `json:"drops"`
	History            []WeekPoint        `json:"history"` // the 12 weeks ending with this one, oldest first
}

// Unanswered is a customer's top-level post with no reply or reaction from
// anyone else after 24 h. User is empty for a member who opted out.
type Unanswered struct {
	User      string `json:"user"`
	TS        string `json:"ts"`
	Permalink string `json:"permalink,omitempty"` // a link to the post, filled in by the app that knows where messages live; KPIs leave it empty
}

// Lapsing is a member who used to post and went quiet.
type Lapsing struct {
	User           string `json:"user"`
	LastActiveWeek string `json:"last_active_week"`
}

// Contributor is an ambassador candidate: a customer by messages.
type Contributor struct {
	User     string `json:"user"`
	Messages int64  `json:"messages"`
}

// NewMember is someone seated during the week.
type NewMember struct {
	User   string    `json:"user"`
	Joined time.Time `json:"joined"`
	Intro  bool      `json:"intro"`
}

// WeekPoint is one week of the chart.
type WeekPoint struct {
	Week               string  `json:"week"`
	Messages           int64   `json:"messages"`
	ThreadReplies      int64   `json:"thread_replies"`
	ActiveParticipants int64   `json:"active_participants"`
	ParticipationRate  float64 `json:"participation_rate"` // customers who posted ÷ Seated; 0 when Seated is
	Seated             int64   `json:"seated"`             // the seats of then (participationHistory); 0: not known
	// NoData marks the weeks before the first one with anything recorded
	// (before the install, or expired): the chart leaves them blank
	// instead of drawing zeros. A quiet week after the first is a real 0.
	NoData     bool `json:"no_data,omitempty"`
	Prototypes int  `json:"prototypes,omitempty"` // prototypes open at some time during the week
	Drops      int  `json:"drops,omitempty"`      // drops during the week: filled by the drops feature, marked on the chart
}

// KPIOptions tune what counts as lapsing and how many names are listed.
type KPIOptions struct {
	LapsingMinWeeks int // active in at least this many of the last 12 weeks; default 4
	TopContributors int // how many to list; default 5
}

// HistoryWeeks is how far back the KPIs look: the chart, lapsing members.
const HistoryWeeks = 12

// Quiet reports a week without any activity: the digest then says so in a
// line instead of a page of zeros.
func (k *KPIs) Quiet() bool {
	return k.Messages == 0 && k.Reactions == 0 && len(k.NewMembers) == 0 && len(k.Unanswered) == 0 &&
		len(k.IdeasNew) == 0 && len(k.IdeasStatusChanged) == 0 && len(k.Drops) == 0
}

// KPIs computes week w's figures for community c as of the store's clock.
// It reads the week's report, then the 12 weeks of history, the week's
// posts and answers and the opt-out set in one pipelined round trip.
func (s *Store) KPIs(ctx context.Context, c *Community, w Week, o KPIOptions) (*KPIs, error) {
	if o.LapsingMinWeeks <= 0 {
		o.LapsingMinWeeks = 4
	}
	if o.TopContributors <= 0 {
		o.TopContributors = 5
	}
	r, err := s.Report(ctx, c, w)
	if err != nil {
		return nil, err
	}
	k := s.keys(c)
	weeks := make([]Week, HistoryWeeks) // oldest first; weeks[11] == w
	weeks[HistoryWeeks-1] = w
	for i := HistoryWeeks - 2; i >= 0; i-- {
		weeks[i] = weeks[i+1].Prev()
	}
	start := time.Now()
	pipe := s.rdb.Pipeline()
	counts := make([]*redis.SliceCmd, HistoryWeeks)
	active := make([]*redis.IntCmd, HistoryWeeks)
	posters := make([]*redis.StringSliceCmd, HistoryWeeks)
	for i, wk := range weeks {
		counts[i] = pipe.HMGet(ctx, k.week(wk), historyFields...)
		active[i] = pipe.SCard(ctx, k.active(wk))
		posters[i] = pipe.SMembers(ctx, k.posters(wk))
	}
	optout := pipe.SMembers(ctx, k.optout())
	_, err = pipe.Exec(ctx)
	s.observe("kpis", time.Since(start), err)
	if err != nil && err != redis.Nil {
		return nil, fmt.Errorf("engagement: kpis %s %s: %w", c.ID, w, err)
	}
	out := &KPIs{
		Community: c.ID, Channel: c.Channel, Timezone: c.Location.String(), Week: w.String(),
		Start: w.Start(c.Location), End: w.End(c.Location), AsOf: s.now(),
		Messages: r.Messages, ThreadReplies: r.ThreadReplies, Reactions: r.Reactions,
		ActivePosters: r.ActivePosters, ActiveParticipants: r.ActiveParticipants,
		Cap: c.Cap, Unanswered: []Unanswered{}, Lapsing: []Lapsing{}, TopContributors: []Contributor{},
		NewMembers: []NewMember{}, Prototypes: []PrototypeSummary{},
		IdeasNew: []NewIdea{}, IdeasStatusChanged: []IdeaStatusChange{}, Drops: []DropSummary{},
	}
	out.History = make([]WeekPoint, HistoryWeeks)
	seatedThen := make([]int64, HistoryWeeks)
	seen := false // a week with anything recorded came before
	for i, wk := range weeks {
		v := counts[i].Val()
		seen = seen || v[3] != nil
		out.History[i] = WeekPoint{Week: wk.String(), Messages: intField(v[0]), ThreadReplies: intField(v[1]),
			ActiveParticipants: active[i].Val(), NoData: !seen}
		seatedThen[i] = intField(v[2])
	}
	out.MessagesPrevWeek = out.History[HistoryWeeks-2].Messages
	out.MessagesChange = change(float64(out.Messages), float64(out.MessagesPrevWeek))
	var sum int64
	for _, p := range out.History[HistoryWeeks-5 : HistoryWeeks-1] {
		sum += p.Messages
	}
	out.Messages4wAvg = float64(sum) / 4
	out.MessagesVs4wAvg = change(float64(out.Messages), out.Messages4wAvg)
	out.PrevActivePosters = int64(len(posters[HistoryWeeks-2].Val()))

	hidden := c.unnamed(optout.Val())
	roster, err := s.addMembership(ctx, c, out, hidden)
	if err != nil {
		return nil, err
	}
	if err := s.snapshotSeated(ctx, c, w, out.Seated); err != nil {
		return nil, err
	}
	participationHistory(out, c, weeks, posters, seatedThen, roster)
	if err := s.addPrototypes(ctx, c, out); err != nil {
		return nil, err
	}
	if err := s.addVoice(ctx, c, out); err != nil {
		return nil, err
	}
	if out.Prompt, err = s.PromptOfWeek(ctx, c, w); err != nil {
		return nil, err
	}
	if out.SeatRequests, err = s.seatRequestWeek(ctx, c, out.Start, out.End); err != nil {
		return nil, err
	}
	customerKPIs(out, c, r, posters)
	if err := s.responseKPIs(ctx, out, c, k.posts(w), k.answers(w), hidden); err != nil {
		return nil, err
	}
	lapsing(out, weeks, posters, hidden, o.LapsingMinWeeks)
	for _, m := range r.Members {
		if len(out.TopContributors) == o.TopContributors {
			break
		}
		if m.Messages > 0 && !hidden(m.User) {
			out.TopContributors = append(out.TopContributors, Contributor{User: m.User, Messages: m.Messages})
		}
	}
	ap, err := s.Appreciation(ctx, c, []Week{w}, o.TopContributors)
	if err != nil {
		return nil, err
	}
	out.Thanks, out.MostThanked, out.Helpers = ap.Thanks, ap.MostThanked, ap.Helpers
	return out, nil
}

// addMembership fills seats, waitlist and new members (seated during the
// week, with whether they introduced themselves) from the roster. The
// roster is today's: for a past week, seats and waitlist are as of now.
// Members seated by reconciliation (already in the channel) are not new.
func (s *Store) addMembership(ctx context.Context, c *Community, out *KPIs, hidden func(string) bool) (*Roster, error) {
	r, err := s.Roster(ctx, c)
	if err != nil {
		return nil, err
	}
	out.Seated, out.Cap, out.Waitlist = len(r.Seated), r.Cap, len(r.Waitlist)
	for _, seat := range r.Seated {
		if !seat.Existing && !hidden(seat.User) && !seat.Since.Before(out.Start) && seat.Since.Before(out.End) {
			out.NewMembers = append(out.NewMembers, NewMember{User: seat.User, Joined: seat.Since, Intro: seat.Intro})
		}
	}
	return r, nil
}

// historyFields are read from each week's hash for the chart; "events" is
// there whenever anything was recorded in the week.
var historyFields = []string{fieldMessages, fieldThreadReplies, fieldSeated, fieldEvents}

// intField is an HMGET value as a number; absent is 0.
func intField(v any) int64 {
	str, _ := v.(string)
	n, _ := strconv.ParseInt(str, 10, 64)
	return n
}

// snapshotSeated writes the number of seated members into the hash of the
// current week, so that later charts divide that week's posters by the
// seats of then, not of today. Only the current week: a past week's seats
// are not known any more. Only a week with a hash (it carries the expiry);
// a week with nothing recorded has no participation to divide.
func (s *Store) snapshotSeated(ctx context.Context, c *Community, w Week, seated int) error {
	if WeekOf(s.now(), c.Location) != w {
		return nil
	}
	key := s.keys(c).week(w)
	err := snapshotSeatedScript.Run(ctx, s.rdb, []string{key}, seated).Err()
	if err != nil && err != redis.Nil {
		return fmt.Errorf("engagement: kpis %s %s: seated: %w", c.ID, w, err)
	}
	return nil
}

// snapshotSeatedScript sets the week hash's seated field only if the hash
// exists (a plain HSET would create a hash without an expiry).
//
//	KEYS[1] the week hash   ARGV[1] seated members
var snapshotSeatedScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], '` + fieldSeated + `', ARGV[1]) end
return 1
`)

// participationHistory fills each week's participation rate: customers who
// posted ÷ seated members then. The seats of a week are its snapshot
// (snapshotSeated) when there is one; else those seated today who were
// already seated at the week's end, which overstates the rate a little
// when members have left since.
func participationHistory(out *KPIs, c *Community, weeks []Week, posters []*redis.StringSliceCmd, seatedThen []int64, r *Roster) {
	for i, wk := range weeks {
		seated := seatedThen[i]
		if i == HistoryWeeks-1 {
			seated = int64(out.Seated)
		}
		if seated == 0 {
			end := wk.End(c.Location)
			for _, seat := range r.Seated {
				if seat.Since.Before(end) {
					seated++
				}
			}
		}
		n := 0
		for _, u := range posters[i].Val() {
			if !c.IsStaff(u) {
				n++
			}
		}
		out.History[i].Seated = seated
		if seated > 0 {
			out.History[i].ParticipationRate = min(1, float64(n)/float64(seated))
		}
	}
}

// addPrototypes keeps the prototypes that were open at some time during
// the week: posted before its end, closing after its start; and counts
// those open in each week of the history.
func (s *Store) addPrototypes(ctx context.Context, c *Community, out *KPIs) error {
	all, err := s.Prototypes(ctx, c)
	if err != nil {
		return err
	}
	for _, p := range all {
		posted, err := ParseTS(p.TS)
		if err != nil {
			continue
		}
		if posted.Before(out.End) && !p.ClosesAt.Before(out.Start) {
			out.Prototypes = append(out.Prototypes, p)
		}
		for i, h := range out.History { // the chart marks prototype weeks
			wk, _ := ParseWeek(h.Week)
			if posted.Before(wk.End(c.Location)) && !p.ClosesAt.Before(wk.Start(c.Location)) {
				out.History[i].Prototypes++
			}
		}
	}
	return nil
}

// customerKPIs are the figures about customers (everyone but staff):
// participation, messages per member, concentration, retention.
func customerKPIs(out *KPIs, c *Community, r *Report, posters []*redis.StringSliceCmd) {
	cur, prev := posters[HistoryWeeks-1].Val(), posters[HistoryWeeks-2].Val()
	customerPosters := 0
	thisWeek := make(map[string]bool, len(cur))
	for _, u := range cur {
		thisWeek[u] = true
		if !c.IsStaff(u) {
			customerPosters++
		}
	}
	// Customers' messages: the total less staff's own counts, so that
	// opted-out members (who have no per-person counts) still count.
	customerMsgs := r.Messages
	var counts []int64
	for _, m := range r.Members {
		if c.IsStaff(m.User) {
			customerMsgs -= m.Messages
		} else if m.Messages > 0 {
			counts = append(counts, m.Messages) // already most first
		}
	}
	if out.Seated > 0 {
		out.ParticipationRate = min(1, float64(customerPosters)/float64(out.Seated))
		out.MessagesPerMember = float64(customerMsgs) / float64(out.Seated)
	}
	// The top 10% of members, at least one: of seated members when the
	// roster is known, else of those who posted.
	top := int(math.Ceil(float64(out.Seated) / 10))
	if out.Seated == 0 {
		top = int(math.Ceil(float64(len(counts)) / 10))
	}
	if customerMsgs > 0 {
		var n int64
		for i := 0; i < top && i < len(counts); i++ {
			n += counts[i]
		}
		out.Top10Share = min(1, float64(n)/float64(customerMsgs))
	}
	back, lastWeek := 0, 0
	for _, u := range prev {
		if c.IsStaff(u) {
			continue
		}
		lastWeek++
		if thisWeek[u] {
			back++
		}
	}
	if lastWeek > 0 {
		out.Retention = float64(back) / float64(lastWeek)
	}
}

// responseChunk is how many posts responseKPIs reads per round trip.
const responseChunk = 1000

// responseKPIs: median time to first answer, share answered within 24 h,
// the same for the first reply by staff, and posts still unanswered after
// 24 h, for the customers' top-level posts of the week. The week's posts are read a chunk at a time (HSCAN,
// then HMGET of their answers), never as a whole: the KPI gauges run this
// on every scrape, and a busy week's hash would otherwise be held in
// memory twice over, strings and map.
func (s *Store) responseKPIs(ctx context.Context, out *KPIs, c *Community, postsKey, answersKey string, hidden func(string) bool) error {
	var all, staff responseTally
	start := time.Now()
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, postsKey, cursor, "", responseChunk).Result()
		if err == nil && len(kv) > 0 {
			n := len(kv) / 2
			fields := make([]string, 0, 2*n) // each post's first answer, then its first by staff
			for i := 0; i < len(kv); i += 2 {
				fields = append(fields, kv[i])
			}
			for i := 0; i < len(kv); i += 2 {
				fields = append(fields, staffAnswerPrefix+kv[i])
			}
			var vals []any
			vals, err = s.rdb.HMGet(ctx, answersKey, fields...).Result()
			for i, ts := range fields[:min(n, len(vals))] { // none when HMGET failed (a scrape's deadline)
				ans, _ := vals[i].(string)
				if responsePost(out, c, ts, kv[2*i+1], ans, hidden, &all) {
					staffAns, _ := vals[n+i].(string)
					staff.add(out, ts, staffAns)
				}
			}
		}
		if err != nil {
			s.observe("kpis", time.Since(start), err)
			return fmt.Errorf("engagement: kpis response times %s: %w", c.ID, err)
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	out.ResponseTimeMedianSeconds, out.ResponseRate24h = all.figures()
	out.StaffResponseTimeMedianSeconds, out.StaffResponseRate24h = staff.figures()
	slices.SortFunc(out.Unanswered, func(a, b Unanswered) int { return strings.Compare(a.TS, b.TS) })
	return nil
}

// staffAnswerPrefix names a post's first staff reply in the answers hash
// ("s:<post ts>"), beside its first answer by anyone ("<post ts>").
const staffAnswerPrefix = "s:"

// responseTally gathers the response times of top-level posts: the times
// of those answered, how many are ripe (their 24 h are over, so they count
// for the 24 h response rate) and how many of those were answered within.
type responseTally struct {
	times        []float64
	ripe, inTime int
}

// add accounts for a post at ts first answered at answer (unix µs, "" if
// never). It reports whether the post was answered.
func (t *responseTally) add(out *KPIs, ts, answer string) (answered bool) {
	at, err := ParseTS(ts)
	if err != nil {
		return false
	}
	ripe := !at.Add(24 * time.Hour).After(out.AsOf)
	if ripe {
		t.ripe++
	}
	us, err := strconv.ParseInt(answer, 10, 64)
	if err != nil { // no answer yet
		return false
	}
	d := max(0, time.UnixMicro(us).Sub(at))
	t.times = append(t.times, d.Seconds())
	if ripe && d <= 24*time.Hour {
		t.inTime++
	}
	return true
}

// figures are the median response time and the 24 h response rate.
func (t *responseTally) figures() (medianSeconds, rate24h float64) {
	if t.ripe > 0 {
		rate24h = float64(t.inTime) / float64(t.ripe)
	}
	return median(t.times), rate24h
}

// responsePost accounts for one top-level post at ts by author, first
// answered at answer (unix µs, "" if never), in tally; a ripe one without
// an answer goes to out.Unanswered. It reports whether the post counts: a
// customer's (not staff's), with a valid ts.
func responsePost(out *KPIs, c *Community, ts, author, answer string, hidden func(string) bool, tally *responseTally) bool {
	if c.IsStaff(author) {
		return false
	}
	at, err := ParseTS(ts)
	if err != nil {
		return false
	}
	out.TopLevelPosts++
	if !tally.add(out, ts, answer) && !at.Add(24*time.Hour).After(out.AsOf) {
		user := author
		if user == "-" || hidden(user) {
			user = "" // opted out: listed, never named
		}
		out.Unanswered = append(out.Unanswered, Unanswered{User: user, TS: ts})
	}
	return true
}

// lapsing lists customers who posted in at least minWeeks of the 12 weeks
// ending with this one but in neither of the last two.
func lapsing(out *KPIs, weeks []Week, posters []*redis.StringSliceCmd, hidden func(string) bool, minWeeks int) {
	active := map[string]int{}
	last := map[string]int{}
	for i := range HistoryWeeks {
		for _, u := range posters[i].Val() {
			active[u]++
			last[u] = i
		}
	}
	for u, n := range active {
		if n >= minWeeks && last[u] < HistoryWeeks-2 && !hidden(u) {
			out.Lapsing = append(out.Lapsing, Lapsing{User: u, LastActiveWeek: weeks[last[u]].String()})
		}
	}
	slices.SortFunc(out.Lapsing, func(a, b Lapsing) int {
		if a.LastActiveWeek != b.LastActiveWeek {
			return strings.Compare(b.LastActiveWeek, a.LastActiveWeek) // most recently active first
		}
		return strings.Compare(a.User, b.User)
	})
}

// change is (now-before)/before, or 0 when there is nothing to compare with.
func change(now, before float64) float64 {
	if before == 0 {
		return 0
	}
	return (now - before) / before
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
