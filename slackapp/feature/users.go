package feature

import (
	"regexp"
)

// mention matches a user as Slack escapes it in a command (<@U123|name>)
// or a bare user ID.
var mention = regexp.MustCompile(`^(?:<@([UW][A-Z0-9]{8,12})(?:\|[^>]*)?>|([UW][A-Z0-9]{8,12}))$`)

// Users reads the user arguments of a command (membership's invite and
// remove, privacy's commands about a member); usage is shown for anything
// that is not a user.
func Users(args []string, usage string) ([]string, error) {
	if len(args) == 0 {
		return nil, Say("Usage: " + usage)
	}
	users := make([]string, 0, len(args))
	for _, a := range args {
		m := mention.FindStringSubmatch(a)
		if m == nil {
			return nil, Sayf("%q is not a person: mention them with @ so Slack sends their ID. Usage: %s", a, usage)
		}
		users = append(users, m[1]+m[2])
	}
	return users, nil
}
