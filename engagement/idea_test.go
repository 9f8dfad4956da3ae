package engagement_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/closeknit/closeknit/engagement"
)

func (f *dropFixture) idea(tb testing.TB, author, title, token string) *engagement.Idea {
	tb.Helper()
	i, err := f.s.CreateIdea(context.Background(), f.c, engagement.IdeaSpec{Title: title, Details: "More shades, please", Author: author}, token)
	if err != nil {
		tb.Fatal(err)
	}
	return i
}

func (f *dropFixture) vote(tb testing.TB, id, user string, vote bool) engagement.IdeaVoteResult {
	tb.Helper()
	r, err := f.s.VoteIdea(context.Background(), f.c, id, user, vote)
	if err != nil {
		tb.Fatalf("VoteIdea(%s, %s, %v): %v", id, user, vote, err)
	}
	return r
}

func TestIdeaVotesOncePerSeatedMember(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 4)
	ctx := context.Background()
	i := f.idea(t, member(0), "A travel size", "V1")
	if again := f.idea(t, member(0), "A travel size", "V1"); again.ID != i.ID {
		t.Errorf("the same submission twice made %s and %s", i.ID, again.ID)
	}
	// A double click, and the same click on the other replica.
	if r := f.vote(t, i.ID, member(1), true); !r.Changed || r.Votes != 1 {
		t.Errorf("first vote: %+v", r)
	}
	if r := f.vote(t, i.ID, member(1), true); r.Changed || r.Votes != 1 {
		t.Errorf("the same vote again: %+v, want unchanged at 1", r)
	}
	if r, err := f.s2.VoteIdea(ctx, f.c, i.ID, member(1), true); err != nil || r.Changed || r.Votes != 1 {
		t.Errorf("the same vote on another replica: %+v, %v", r, err)
	}
	f.vote(t, i.ID, member(2), true)
	if r := f.vote(t, i.ID, member(1), false); !r.Changed || r.Votes != 1 {
		t.Errorf("taking a vote back: %+v, want 1 left", r)
	}
	if r := f.vote(t, i.ID, member(1), false); r.Changed || r.Votes != 1 {
		t.Errorf("taking it back twice: %+v", r)
	}
	// Nobody without a seat counts: not a stranger, not a bot with one.
	if r := f.vote(t, i.ID, "UNOSEAT001", true); !r.NotSeated {
		t.Errorf("a vote without a seat: %+v, want refused", r)
	}
	if err := f.s.SetKind(ctx, f.c, member(3), "bot"); err != nil {
		t.Fatal(err)
	}
	if r := f.vote(t, i.ID, member(3), true); !r.NotSeated {
		t.Errorf("a bot's vote: %+v, want refused", r)
	}
	if r := f.vote(t, i.ID, "U0STAFF0001", true); !r.Changed || r.Votes != 1 || r.StaffVotes != 1 {
		t.Errorf("a staff vote: %+v, want counted apart", r)
	}
	got, err := f.s.Idea(ctx, f.c, strings.ToLower(i.ID))
	if err != nil || got.Votes != 1 || got.StaffVotes != 1 || got.Title != "A travel size" || got.Status != engagement.IdeaNew {
		t.Errorf("idea = %+v, %v", got, err)
	}
	if _, err := f.s.VoteIdea(ctx, f.c, "I99", member(1), true); !errors.Is(err, engagement.ErrNoIdea) {
		t.Errorf("vote on an unknown idea: %v", err)
	}
}

func TestIdeaStatusChangesOnce(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 1)
	ctx := context.Background()
	i := f.idea(t, member(0), "Refills", "V1")
	got, changed, err := f.s.SetIdeaStatus(ctx, f.c, i.ID, engagement.IdeaPlanned, "spring")
	if err != nil || !changed || got.Status != engagement.IdeaPlanned || got.Note != "spring" || got.StatusAt.IsZero() {
		t.Fatalf("SetIdeaStatus = %+v, %v, %v", got, changed, err)
	}
	if _, changed, err := f.s.SetIdeaStatus(ctx, f.c, i.ID, engagement.IdeaPlanned, "spring"); changed || err != nil {
		t.Errorf("the same status again: changed %v, %v", changed, err)
	}
	if _, changed, _ := f.s.SetIdeaStatus(ctx, f.c, i.ID, engagement.IdeaPlanned, "summer"); !changed {
		t.Error("a new note did not change the idea")
	}
	if _, _, err := f.s.SetIdeaStatus(ctx, f.c, i.ID, "maybe", ""); !errors.Is(err, engagement.ErrInvalid) {
		t.Errorf("an unknown status: %v", err)
	}
}

func TestIdeaMergeCountsEachVoterOnce(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 5)
	ctx := context.Background()
	kept := f.idea(t, member(0), "Unscented", "V1")
	dup := f.idea(t, member(1), "Fragrance free", "V2")
	f.vote(t, kept.ID, member(2), true)
	f.vote(t, kept.ID, member(3), true)
	f.vote(t, dup.ID, member(3), true) // votes for both
	f.vote(t, dup.ID, member(4), true)
	f.vote(t, dup.ID, "U0STAFF0001", true)
	if ok, err := f.s.MergeIdeas(ctx, f.c, dup.ID, kept.ID); !ok || err != nil {
		t.Fatalf("merge = %v, %v", ok, err)
	}
	if ok, err := f.s.MergeIdeas(ctx, f.c, dup.ID, kept.ID); ok || err != nil {
		t.Errorf("merging again = %v, %v; want nothing done", ok, err)
	}
	if _, err := f.s.MergeIdeas(ctx, f.c, kept.ID, dup.ID); !errors.Is(err, engagement.ErrInvalid) {
		t.Errorf("merging into a merged idea: %v", err)
	}
	got, _ := f.s.Idea(ctx, f.c, kept.ID)
	if got.Votes != 3 || got.StaffVotes != 1 {
		t.Errorf("kept idea: %d votes, %d staff; want 3 and 1", got.Votes, got.StaffVotes)
	}
	// A click on the merged idea's card counts on the kept one.
	if r := f.vote(t, dup.ID, member(1), true); r.Idea != kept.ID || r.Votes != 4 {
		t.Errorf("vote on the merged card: %+v, want counted on %s", r, kept.ID)
	}
	old, _ := f.s.Idea(ctx, f.c, dup.ID)
	if old.Status != engagement.IdeaMerged || old.MergedInto != kept.ID || old.Votes != 0 {
		t.Errorf("merged idea: %+v", old)
	}
}

// TestForgetAnIdeaAuthor: forget deletes the text of the ideas a member
// wrote and their votes; the idea stays, by nobody; an opted-out author is
// kept but not shown.
func TestForgetAnIdeaAuthor(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 3)
	ctx := context.Background()
	mine := f.idea(t, member(0), "Glass bottles", "V1")
	theirs := f.idea(t, member(1), "Bigger sizes", "V2")
	f.vote(t, theirs.ID, member(0), true)
	f.vote(t, theirs.ID, member(2), true)
	mustOptOut(t, f.s, f.c, member(1), true)
	if _, err := f.s.Forget(ctx, f.c, member(0)); err != nil {
		t.Fatal(err)
	}
	list, err := f.s.Ideas(ctx, f.c)
	if err != nil || len(list) != 2 {
		t.Fatalf("ideas = %v, %v", list, err)
	}
	byID := map[string]*engagement.Idea{list[0].ID: list[0], list[1].ID: list[1]}
	if g := byID[mine.ID]; g.Author != "" || g.Title != "" || g.Details != "" {
		t.Errorf("a forgotten author's idea: %+v, want no author and no text", g)
	}
	if g := byID[theirs.ID]; g.Votes != 1 || g.ShownAuthor() != "" || g.Author != member(1) || g.Title != "Bigger sizes" {
		t.Errorf("after the voter's forget and the author's optout: %+v", g)
	}
	if d := dumpAll(t, f.r); holdsID(d, member(0)) {
		t.Errorf("forgotten member still stored:\n%s", d)
	}
}
