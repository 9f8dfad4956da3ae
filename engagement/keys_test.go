package engagement

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// catalogue is every key of one sample community, by the keys method that
// builds it. The strings are the names of stored data: a change here
// orphans what production already stored, so it must be deliberate (and
// come with a migration).
func catalogue() map[string]string {
	k := newKeys("ck", "acme")
	w := Week{Year: 2026, Num: 9}
	const ts, user, ev = "1767225600.000100", "U1", "Ev1"
	return map[string]string{
		"dedupe":             k.dedupe(ev),
		"dedupeHour":         k.dedupeHour(time.Unix(1767225600, 0)),
		"featureDedupe":      k.featureDedupe(ev, "seats"),
		"week":               k.week(w),
		"weekNamed":          k.weekNamed("2026-W09"),
		"members":            k.members(w),
		"membersNamed":       k.membersNamed("2026-W09"),
		"posters":            k.posters(w),
		"active":             k.active(w),
		"posts":              k.posts(w),
		"answers":            k.answers(w),
		"reaction":           k.reaction("~0a1b", ts, "eyes"),
		"noWeek":             k.noWeek(),
		"salt":               k.salt(),
		"optout":             k.optout(),
		"people":             k.people(),
		"seats":              k.seats(),
		"waitlist":           k.waitlist(),
		"waitSince":          k.waitSince(),
		"capKey":             k.capKey(),
		"member":             k.member(user),
		"welcomes":           k.welcomes(),
		"introPending":       k.introPending(),
		"memberTS":           k.memberTS(),
		"kicks":              k.kicks(),
		"welcomed":           k.welcomed(),
		"invites":            k.invites(),
		"kicked":             k.kicked(),
		"invited":            k.invited(),
		"rosterSeeded":       k.rosterSeeded(),
		"outbox":             k.outbox(),
		"outboxJob":          k.outboxJob("1767225600000-0"),
		"protoSeq":           k.protoSeq(),
		"protoIDs":           k.protoIDs(),
		"protoCards":         k.protoCards(),
		"promptQueue":        k.promptQueue(),
		"promptSlot":         k.promptSlot(w),
		"promptWarned":       k.promptWarned(w),
		"promptsPosted":      k.promptsPosted(),
		"prompt":             k.prompt(ts),
		"promptWho":          k.promptWho(ts),
		"protoDue":           k.protoDue(),
		"protoAnnounce":      k.protoAnnounce(),
		"protoSubmission":    k.protoSubmission("V1"),
		"proto":              k.proto(ts),
		"protoRx":            k.protoRx(ts, "eyes"),
		"protoState":         k.protoState(ts),
		"protoPart":          k.protoPart(ts),
		"protoCommenters":    k.protoCommenters(ts),
		"protoVotes":         k.protoVotes(ts),
		"protoWho":           k.protoWho(ts),
		"protoAnnounceClaim": k.protoAnnounceClaim(ts),
		"dropSeq":            k.dropSeq(),
		"dropAll":            k.dropAll(),
		"dropDue":            k.dropDue(),
		"dropAnnounce":       k.dropAnnounce(),
		"dropConfirming":     k.dropConfirming(),
		"dropRequest":        k.dropRequest("V1"),
		"drop":               k.drop("D1"),
		"dropClaims":         k.dropClaims("D1"),
		"dropWait":           k.dropWait("D1"),
		"dropReleased":       k.dropReleased("D1"),
		"dropNotify":         k.dropNotify("D1"),
		"dropPending":        k.dropPending("D1"),
		"dropConfirmed":      k.dropConfirmed("D1"),
		"dropCard":           k.dropCard("D1"),
		"dropAnnounceClaim":  k.dropAnnounceClaim("D1"),
		"ideaSeq":            k.ideaSeq(),
		"ideaAll":            k.ideaAll(),
		"ideaRequest":        k.ideaRequest("V1"),
		"idea":               k.idea("I1"),
		"ideaText":           k.ideaText("I1", user),
		"ideaVotes":          k.ideaVotes("I1"),
		"ideaStaffVotes":     k.ideaStaffVotes("I1"),
		"ideaCard":           k.ideaCard("I1"),
		"ideaParent":         k.ideaParent(),
		"ideaParentClaim":    k.ideaParentClaim(),
		"requestSeq":         k.requestSeq(),
		"requestAll":         k.requestAll(),
		"requestOpen":        k.requestOpen(),
		"requestDeclined":    k.requestDeclined(),
		"requestCards":       k.requestCards(),
		"requestNotify":      k.requestNotify(),
		"request":            k.request("R1"),
		"requestText":        k.requestText("R1", user),
		"digest":             k.digest(w),
		"staffGroup":         k.staffGroup(),
		"warnings":           k.warnings(),
		"lease":              k.lease("job:digest"),
		"thanks":             k.thanks(w),
		"thanksDay":          k.thanksDay("2026-03-02", "~0a1b", "~2c3d"),
		"spotlight":          k.spotlight("2026-03"),
	}
}

// TestKeyCatalogue pins every key string, byte for byte.
func TestKeyCatalogue(t *testing.T) {
	want := map[string]string{
		"dedupe":             "ck:{acme}:ev:Ev1",
		"dedupeHour":         "ck:{acme}:ev:h:490896",
		"featureDedupe":      "ck:{acme}:ev:Ev1:seats",
		"week":               "ck:{acme}:w:2026-W09",
		"weekNamed":          "ck:{acme}:w:2026-W09",
		"members":            "ck:{acme}:w:2026-W09:members",
		"membersNamed":       "ck:{acme}:w:2026-W09:members",
		"posters":            "ck:{acme}:w:2026-W09:posters",
		"active":             "ck:{acme}:w:2026-W09:active",
		"posts":              "ck:{acme}:w:2026-W09:posts",
		"answers":            "ck:{acme}:w:2026-W09:answers",
		"reaction":           "ck:{acme}:rx:~0a1b:1767225600.000100:eyes",
		"noWeek":             "ck:{acme}:w:none",
		"salt":               "ck:{acme}:salt",
		"optout":             "ck:{acme}:optout",
		"people":             "ck:{acme}:people",
		"seats":              "ck:{acme}:seats",
		"waitlist":           "ck:{acme}:waitlist",
		"waitSince":          "ck:{acme}:waitlist:since",
		"capKey":             "ck:{acme}:cap",
		"member":             "ck:{acme}:member:U1",
		"welcomes":           "ck:{acme}:welcomes",
		"introPending":       "ck:{acme}:intro:pending",
		"memberTS":           "ck:{acme}:memberts",
		"kicks":              "ck:{acme}:kicks",
		"welcomed":           "ck:{acme}:welcomed",
		"invites":            "ck:{acme}:invites",
		"kicked":             "ck:{acme}:kicked",
		"invited":            "ck:{acme}:invited",
		"rosterSeeded":       "ck:{acme}:roster:seeded",
		"outbox":             "ck:{acme}:outbox",
		"outboxJob":          "ck:{acme}:outbox:job:1767225600000-0",
		"protoSeq":           "ck:{acme}:p:seq",
		"protoIDs":           "ck:{acme}:p:ids",
		"protoCards":         "ck:{acme}:p:cards",
		"promptQueue":        "ck:{acme}:prompt:queue",
		"promptSlot":         "ck:{acme}:prompt:slot:2026-W09",
		"promptWarned":       "ck:{acme}:prompt:warned:2026-W09",
		"promptsPosted":      "ck:{acme}:prompt:posted",
		"prompt":             "ck:{acme}:prompt:1767225600.000100",
		"promptWho":          "ck:{acme}:prompt:1767225600.000100:who",
		"protoDue":           "ck:{acme}:p:due",
		"protoAnnounce":      "ck:{acme}:p:announce",
		"protoSubmission":    "ck:{acme}:p:view:V1",
		"proto":              "ck:{acme}:p:1767225600.000100",
		"protoRx":            "ck:{acme}:p:1767225600.000100:rx:eyes",
		"protoState":         "ck:{acme}:p:1767225600.000100:st",
		"protoPart":          "ck:{acme}:p:1767225600.000100:part",
		"protoCommenters":    "ck:{acme}:p:1767225600.000100:cm",
		"protoVotes":         "ck:{acme}:p:1767225600.000100:votes",
		"protoWho":           "ck:{acme}:p:1767225600.000100:who",
		"protoAnnounceClaim": "ck:{acme}:p:1767225600.000100:ann",
		"dropSeq":            "ck:{acme}:d:seq",
		"dropAll":            "ck:{acme}:d:all",
		"dropDue":            "ck:{acme}:d:due",
		"dropAnnounce":       "ck:{acme}:d:announce",
		"dropConfirming":     "ck:{acme}:d:confirming",
		"dropRequest":        "ck:{acme}:d:req:V1",
		"drop":               "ck:{acme}:d:D1",
		"dropClaims":         "ck:{acme}:d:D1:claims",
		"dropWait":           "ck:{acme}:d:D1:wait",
		"dropReleased":       "ck:{acme}:d:D1:released",
		"dropNotify":         "ck:{acme}:d:D1:notify",
		"dropPending":        "ck:{acme}:d:D1:pending",
		"dropConfirmed":      "ck:{acme}:d:D1:confirmed",
		"dropCard":           "ck:{acme}:d:D1:card",
		"dropAnnounceClaim":  "ck:{acme}:d:D1:ann",
		"ideaSeq":            "ck:{acme}:i:seq",
		"ideaAll":            "ck:{acme}:i:all",
		"ideaRequest":        "ck:{acme}:i:req:V1",
		"idea":               "ck:{acme}:i:I1",
		"ideaText":           "ck:{acme}:i:I1:text:U1",
		"ideaVotes":          "ck:{acme}:i:I1:votes",
		"ideaStaffVotes":     "ck:{acme}:i:I1:staff",
		"ideaCard":           "ck:{acme}:i:I1:card",
		"ideaParent":         "ck:{acme}:i:parent",
		"ideaParentClaim":    "ck:{acme}:i:parent:claim",
		"requestSeq":         "ck:{acme}:rq:seq",
		"requestAll":         "ck:{acme}:rq:all",
		"requestOpen":        "ck:{acme}:rq:open",
		"requestDeclined":    "ck:{acme}:rq:declined",
		"requestCards":       "ck:{acme}:rq:cards",
		"requestNotify":      "ck:{acme}:rq:notify",
		"request":            "ck:{acme}:rq:R1",
		"requestText":        "ck:{acme}:rq:R1:text:U1",
		"digest":             "ck:{acme}:digest:2026-W09",
		"staffGroup":         "ck:{acme}:staffgroup",
		"warnings":           "ck:{acme}:warnings",
		"lease":              "ck:{acme}:lease:job:digest",
		"thanks":             "ck:{acme}:thanks:2026-W09",
		"thanksDay":          "ck:{acme}:thanks:day:2026-03-02:~0a1b:~2c3d",
		"spotlight":          "ck:{acme}:spotlight:2026-03",
	}
	got := catalogue()
	for name, key := range want {
		if got[name] != key {
			t.Errorf("keys.%s = %q, want %q", name, got[name], key)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("keys.%s is not pinned in TestKeyCatalogue", name)
		}
	}
}

// TestKeysBuiltInKeysGo: every key is built by a method of keys declared in
// keys.go (the catalogue a reader trusts), each one pinned above. A key
// method added elsewhere, or added without a pin, fails here.
func TestKeysBuiltInKeysGo(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	pinned := catalogue()
	var declared []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil {
				continue
			}
			if id, ok := fn.Recv.List[0].Type.(*ast.Ident); !ok || id.Name != "keys" {
				continue
			}
			// Methods returning one string build a key; the others gather
			// built keys into a script's KEYS.
			res := fn.Type.Results
			if res == nil || len(res.List) != 1 || typeName(res.List[0].Type) != "string" {
				continue
			}
			if name != "keys.go" {
				t.Errorf("%s declares keys.%s: keys are built in keys.go", name, fn.Name.Name)
			}
			declared = append(declared, fn.Name.Name)
			if _, ok := pinned[fn.Name.Name]; !ok {
				t.Errorf("keys.%s is not in the catalogue of TestKeyCatalogue", fn.Name.Name)
			}
		}
	}
	if len(declared) < len(pinned) {
		t.Errorf("found %d key methods, %d pinned: %v", len(declared), len(pinned), slices.Sorted(slices.Values(declared)))
	}
}

func typeName(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// TestKeysInOneSlot: every key of a community hashes to the same Cluster
// slot, the community's hash tag.
func TestKeysInOneSlot(t *testing.T) {
	for name, key := range catalogue() {
		if !strings.HasPrefix(key, "ck:{acme}:") || strings.Count(key, "{") != 1 {
			t.Errorf("keys.%s = %q: not in the community's hash tag", name, key)
		}
	}
}
