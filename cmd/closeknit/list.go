package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/closeknit/closeknit/engagement"
)

// listByCommunity is `closeknit ideas`, `drops` and `requests`: the store's
// settings and --json/--only flags, then, per community, one JSON object
// or a table from each.
func listByCommunity(ctx context.Context, name string, args []string, getenv func(string) string, stdout, stderr io.Writer,
	each func(ctx context.Context, store *engagement.Store, c *engagement.Community) (asJSON any, table func(io.Writer), err error)) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := bindSettings(fs, getenv)
	asJSON := fs.Bool("json", false, `print JSON: {"community","`+name+`":[…]} per community`)
	only := fs.String("only", "", "with several communities, list only this community `id`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected %q; run \"closeknit %s -h\"", name, fs.Arg(0), name)
	}
	store, communities, closeFn, err := openForCLI(ctx, s, *only)
	if err != nil {
		return err
	}
	defer closeFn()
	for _, c := range communities {
		v, table, err := each(ctx, store, c)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(v); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "%s of %s:\n", strings.ToUpper(name[:1])+name[1:], c.ID)
		table(stdout)
	}
	return nil
}

// exportArgs parses `closeknit NAME export ID --csv [--only C]` (the ID
// before or after the flags) and opens the store.
func exportArgs(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer) (
	id string, store *engagement.Store, communities []*engagement.Community, closeFn func(), err error) {
	fs := flag.NewFlagSet(name+" export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := bindSettings(fs, getenv)
	fs.Bool("csv", true, "write CSV (the only format)")
	only := fs.String("only", "", "the community `id` it belongs to (default: whichever has it)")
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") { // ID before the flags
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", nil, nil, nil, err
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	} else if id == "" || fs.NArg() > 0 {
		return "", nil, nil, nil, errors.New("usage: closeknit " + name + " export ID --csv")
	}
	store, communities, closeFn, err = openForCLI(ctx, s, *only)
	return id, store, communities, closeFn, err
}
