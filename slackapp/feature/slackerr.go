package feature

import (
	"errors"

	"github.com/slack-go/slack"
)

// Code is Slack's error code of an ok:false answer ("not_in_channel"), or
// "" for nil and any other error (network, timeout, rate limit), which a
// retry may fix.
func Code(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// Refused reports whether Slack answered a call with a refusal (an error
// code or a rate limit), so that it certainly did nothing; a timeout or a
// broken connection leaves that open.
func Refused(err error) bool {
	var se slack.SlackErrorResponse
	var rl *slack.RateLimitedError
	return errors.As(err, &se) || errors.As(err, &rl)
}

// Final reports whether Slack's error code means a retry of the same call
// cannot succeed: every ok:false answer except Slack's own trouble. Rate
// limits are not ok:false answers (Code gives "").
func Final(code string) bool {
	switch code {
	case "", "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout":
		return false
	}
	return true
}

// AppProblem reports whether the code is about the app's own setup (its
// channel membership, scopes, token), which staff must fix, rather than
// about one person.
func AppProblem(code string) bool {
	switch code {
	case "not_in_channel", "channel_not_found", "is_archived", "missing_scope", "not_authed", "invalid_auth",
		"account_inactive", "token_revoked", "no_permission", "restricted_action", "ekm_access_denied":
		return true
	}
	return false
}
