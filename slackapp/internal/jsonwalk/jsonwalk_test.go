package jsonwalk

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

// leaves lists leaf(path, cursor) for every member of the object s that
// is not an object, descending into objects.
func leaves(s string, leaf func(path string, c Cursor) string) []string {
	var out []string
	c := New(s)
	if !c.Enter() {
		return nil
	}
	var members func(path string)
	members = func(path string) {
		for c.Next() {
			p := path + "/" + c.Key()
			if d := c; d.Enter() {
				c.Enter()
				members(p)
				continue
			}
			out = append(out, leaf(p, c))
		}
	}
	members("")
	return out
}

// walk lists every member of the object s, descending into objects, as
// "path=string value" (non-strings as "path:raw").
func walk(s string) []string {
	return leaves(s, func(p string, c Cursor) string {
		if d := c; strings.HasPrefix(d.Raw(), `"`) { // reading the value moves the cursor: a copy looks
			return p + "=" + c.Str()
		}
		return p + ":" + c.Raw()
	})
}

func TestWalk(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"flat", `{"a":"x","b":"y"}`, []string{"/a=x", "/b=y"}},
		{"whitespace", " {\n\t\"a\" :\r\n \"x\" ,\n \"b\":\"y\" } ", []string{"/a=x", "/b=y"}},
		{"empty", `{}`, nil},
		{"not an object", `["a","b"]`, nil},
		{"nested", `{"a":{"b":{"c":"d"},"e":"f"},"g":"h"}`, []string{"/a/b/c=d", "/a/e=f", "/g=h"}},
		{"skipped array of objects", `{"a":[{"b":"}"},{"c":[1,[2,{"d":"]"}]]}],"e":"f"}`,
			[]string{`/a:[{"b":"}"},{"c":[1,[2,{"d":"]"}]]}]`, "/e=f"}},
		{"braces, brackets and quotes in strings", `{"a":"{[\"}]","b":{"c":"\\\"}"},"d":"e"}`,
			[]string{`/a={["}]`, `/b/c=\"}`, "/d=e"}},
		{"backslashes before a quote", `{"a":"x\\\\","b":"y\\\\\"z"}`, []string{`/a=x\\`, `/b=y\\"z`}},
		{"other types", `{"n":-1.5e3,"t":true,"f":false,"z":null,"e":[],"o":{},"s":""}`,
			[]string{"/n:-1.5e3", "/t:true", "/f:false", "/z:null", "/e:[]", "/s="}},
		{"escaped key", `{"\u0074ype":"x","a\"b":"y"}`, []string{"/type=x", `/a"b=y`}},
		{"long strings", `{"a":"` + strings.Repeat("abcdefg\\\"", 20) + `","b":"` + strings.Repeat("x", 100) + `"}`,
			[]string{"/a=" + strings.Repeat(`abcdefg"`, 20), "/b=" + strings.Repeat("x", 100)}},
		// Damaged input: read what can be read, never past the damage.
		{"truncated in a string", `{"a":"x","b":"y`, []string{"/a=x"}},
		{"truncated in a key", `{"a":"x","b`, []string{"/a=x"}},
		{"truncated in a skipped object", `{"a":"x","b":{"c":["d"`, []string{"/a=x", `/b/c:["d"`}},
		{"truncated after a key", `{"a":"x","b":`, []string{"/a=x"}},
		{"truncated in a number", `{"a":12`, []string{"/a:12"}},
		{"unterminated escape", `{"a":"x\`, nil},
		{"stray bytes", `{"a":"x" , , "b": ~ "y"}`, []string{"/a=x", "/b=y"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, walk(tc.in)); diff != "" {
				t.Errorf("walk(%s) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestUnescape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`plain`, "plain"},
		{`\"\\\/\b\f\n\r\t`, "\"\\/\b\f\n\r\t"},
		{`caf\u00e9 \u00E9`, "café é"},
		{`\u20ac`, "€"},
		{`\ud83d\ude00!`, "😀!"},
		{`\ud83d`, "\ufffd"},
		{`\ud83d\u0041`, "\ufffdA"},
		{`\ude00`, "\ufffd"},
		{`a\u00`, "a"},
		{`a\x`, "a"},
		{"a\\nb\x01c", "a\nb"},
		{`\uzzzz`, "\x00"},
		{`é\n`, "é\n"},
	} {
		c := New(`"` + tc.in + `"`)
		got := c.Str()
		if got != tc.want {
			t.Errorf("Str(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if g := gjson.Parse(`"` + tc.in + `"`).Str; g != got {
			t.Errorf("Str(%q) = %q, gjson %q", tc.in, got, g)
		}
	}
}

func TestScalars(t *testing.T) {
	for _, in := range []string{
		`0`, `3`, `-2`, `1.9`, `-1.9`, `1e3`, `0.0`, `12345678901234567890`, `-99999999999999999999`, `9007199254740993`,
		`"7"`, `"-7"`, `"7.5"`, `"x"`, `""`, `"TRUE"`, `"t"`, `"1"`, `"0"`, `"F"`,
		`true`, `false`, `null`, `nan`, `{"a":1}`, `[1]`, `Infinity`, `-`,
	} {
		c, g := New(in), gjson.Parse(in)
		d, e := c, c
		if got, want := c.Int(), g.Int(); got != want {
			t.Errorf("Int(%s) = %d, gjson %d", in, got, want)
		}
		if got, want := d.Bool(), g.Bool(); got != want {
			t.Errorf("Bool(%s) = %v, gjson %v", in, got, want)
		}
		if got, want := e.Raw(), g.Raw; got != want {
			t.Errorf("Raw(%s) = %q, gjson %q", in, got, want)
		}
	}
}

// TestEnterKeepsPlace: after an inner object's members, the outer walk
// goes on after it, and a value left unread is skipped by Next.
func TestEnterKeepsPlace(t *testing.T) {
	c := New(`{"a":{"b":"1","c":{"d":"2"}},"e":"3"}`)
	var got []string
	c.Enter()
	for c.Next() {
		if c.Key() == "a" && c.Enter() {
			for c.Next() {
				got = append(got, c.Key()) // c's value is not read
			}
			continue
		}
		got = append(got, c.Key()+"="+c.Str())
	}
	if diff := cmp.Diff([]string{"b", "c", "e=3"}, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

// gjsonLeaves is leaves done with gjson's ForEach, which jsonwalk replaced.
func gjsonLeaves(s string, leaf func(path string, v gjson.Result) string) []string {
	var out []string
	var members func(path string, r gjson.Result)
	members = func(path string, r gjson.Result) {
		r.ForEach(func(k, v gjson.Result) bool {
			p := path + "/" + k.Str
			if v.IsObject() {
				members(p, v)
			} else {
				out = append(out, leaf(p, v))
			}
			return true
		})
	}
	if r := gjson.Parse(s); r.IsObject() {
		members("", r)
	}
	return out
}

// gjsonWalk is walk done with gjson.
func gjsonWalk(s string) []string {
	return gjsonLeaves(s, func(p string, v gjson.Result) string {
		if v.Type == gjson.String {
			return p + "=" + v.Str
		}
		return p + ":" + v.Raw
	})
}

// scalars lists Int and Bool of every member, descending into objects.
func scalars(s string) []string {
	return leaves(s, func(p string, c Cursor) string {
		d := c // reading the value moves the cursor: each reads its own copy
		return fmt.Sprintf("%s:%d,%v", p, d.Int(), c.Bool())
	})
}

// gjsonScalars is scalars done with gjson.
func gjsonScalars(s string) []string {
	return gjsonLeaves(s, func(p string, v gjson.Result) string { return fmt.Sprintf("%s:%d,%v", p, v.Int(), v.Bool()) })
}

// FuzzMatchesGJSON: on well-formed JSON the walk reads what gjson read (keys
// and strings unescaped alike, the same raw values, numbers and booleans
// converted alike); on anything else it does not panic or loop.
func FuzzMatchesGJSON(f *testing.F) {
	for _, s := range []string{
		benchFrame,
		`{"a":"x\"}\\","b":[{"c":"]"}],"\u0064":{"e":"\ud83d\ude00","f":1.5,"g":true,"h":null}}`,
		`{"n":"12","m":-3e2,"o":"TRUE","p":"\u00e9\ud800x"}`,
		`{"a":{"b":{"c":{}}},"d":[[[]]],"e":""}`,
		`{"a":"x","b":"y`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, gotScalars := walk(s), scalars(s)
		if !json.Valid([]byte(s)) {
			return
		}
		if diff := cmp.Diff(gjsonWalk(s), got); diff != "" {
			t.Errorf("walk(%s) (-gjson +jsonwalk):\n%s", s, diff)
		}
		if diff := cmp.Diff(gjsonScalars(s), gotScalars); diff != "" {
			t.Errorf("scalars(%s) (-gjson +jsonwalk):\n%s", s, diff)
		}
	})
}
