package idea

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// The idea thread (a community with ideas: thread): the cards are replies
// in the thread of one pinned "Ideas" post, so that a busy board does not
// push the conversation up the channel. The first idea posts and pins it;
// the store lets one caller post it, across replicas and redeliveries
// (engagement/idea.go), and the others wait for its ts.

// parentPoll is how often a card waiting for another caller's parent post
// asks whether it is up.
const parentPoll = 200 * time.Millisecond

// parentText is the parent post: what the thread is for, how to take part.
const parentText = ":bulb: *Ideas*\n" +
	"Suggest what we should make or change with `/closeknit idea`, or *Make this an idea* from any post's menu. " +
	"Each idea's card is posted in this thread. Members holding a seat press *Upvote* on the ideas they want (once each), " +
	"and the team answers each idea with a status. `/closeknit ideas` lists the top ones."

// threadGone are Slack's answers to a reply whose parent is no longer
// there (deleted): the parent is dropped, and a new one is posted.
var threadGone = map[string]bool{"thread_not_found": true, "message_not_found": true, "invalid_thread_ts": true}

// thread returns the ts of the thread c's cards go in: "" for the channel,
// else the parent post's, posted and pinned first if there is none.
func (d Deps) thread(ctx context.Context, c *engagement.Community) (string, error) {
	if c.Ideas != engagement.IdeasThread {
		return "", nil
	}
	token := rand.Text() // names this caller's claim
	for {
		ts, claimed, err := d.Store.ClaimIdeaParent(ctx, c, token)
		switch {
		case err != nil:
			return "", err
		case ts != "":
			return ts, nil
		case claimed:
			return d.postParent(ctx, c, token)
		}
		// Another caller is posting it: its ts is recorded in a moment, or
		// its claim is released (or expires) and this one takes it.
		if !sleep(ctx, parentPoll) {
			return "", ctx.Err()
		}
	}
}

// postParent posts and pins the parent post under token's claim. Refused,
// the claim is released so that the next idea tries again. Unanswered,
// the claim is kept until it expires: the post may be up, and a slow Slack
// should not get one parent per idea.
func (d Deps) postParent(ctx context.Context, c *engagement.Community, token string) (string, error) {
	ch, ts, err := d.post(ctx, c.Channel, slack.MsgOptionText(parentText, false))
	if err != nil {
		if feature.Refused(err) {
			if rerr := d.Store.ReleaseIdeaParent(ctx, c, token); rerr != nil {
				d.Log.Warn("idea thread claim not released", "community", c.ID, "err", rerr)
			}
		}
		return "", err
	}
	if err := d.Store.SetIdeaParent(ctx, c, ts, token); err != nil {
		// The post is up and this card can go in it; the claim expires and
		// a later idea posts another parent.
		d.Log.Error("idea thread posted but not recorded", "community", c.ID, "ts", ts, "err", err)
	}
	// Pinned, it stays easy to find; unpinned (no permission, the channel's
	// pin limit), the thread works all the same.
	if err := d.API.AddPinContext(ctx, ch, slack.NewRefToMessage(ch, ts)); err != nil && feature.Code(err) != "already_pinned" {
		d.Log.Warn("idea thread not pinned", "community", c.ID, "ts", ts, "err", err)
		if code := feature.Code(err); feature.Final(code) {
			d.Notify.Refused(c, "idea.pin", code)
		}
	}
	return ts, nil
}

// ParentDeleted is told that the message at ts in community c's channel
// was deleted (message_deleted): if it was the idea thread's parent, the
// next idea posts a new one. It works in the background and reports false
// if it could not start.
func (d Deps) ParentDeleted(c *engagement.Community, ts string) bool {
	return d.Run.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), feature.Courtesy)
		defer cancel()
		if dropped, err := d.Store.DropIdeaParent(ctx, c, ts); err != nil {
			d.Log.Warn("deleted idea thread not forgotten", "community", c.ID, "ts", ts, "err", err)
		} else if dropped {
			d.Log.Info("idea thread deleted; the next idea starts a new one", "community", c.ID, "ts", ts)
		}
	})
}
