// Package jsonwalk reads a few fields out of a JSON document in one forward
// pass, without building anything.
//
// The hot path (Socket Mode envelope, then the event inside its payload)
// wants about a dozen strings from a ~1.5 KB frame that is mostly rich_text
// blocks. gjson's ForEach hands each member over as a value whose end it has
// found, so descending envelope -> payload -> event meant scanning the blocks
// once per level (three times). A Cursor descends into the objects the
// caller asks for and skips everything else once, so each byte of the
// blocks is scanned once here (plus once in socketmode, which must find the
// payload's end to read the fields after it).
//
// The walk is as lenient as gjson's, which it replaced: on well-formed JSON
// it gives exactly what gjson gave (FuzzMatchesGJSON), and on damaged JSON it
// never panics and reads what it can; bytes where a key or value should
// start are passed over, and an unterminated string ends the walk. Strings
// are views into the input; only a string with escapes is copied.
package jsonwalk

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Cursor walks one JSON document. After Next reports a member, the caller
// reads its value with Str, Int, Bool or Raw, descends into it with Enter,
// or calls Next again to skip it. After a successful Enter the caller must
// call Next until it returns false (the object's end) before going on with
// the outer object.
type Cursor struct {
	s   string
	i   int // the current value's start, or where reading goes on
	key string
	// The current value (the member's, or the document's), until it is
	// read: its kind ('"' string, '{' object, '[' array, 't' true, 'f'
	// false, 'n' null, '0' number; 0 once read), and for a string the index
	// after its closing quote and whether it has escapes.
	kind byte
	end  int
	esc  bool
}

// New returns a cursor on the document's top value.
func New(s string) Cursor {
	c := Cursor{s: s}
	c.locate()
	return c
}

// Next moves to the next member of the object the cursor is in and reports
// whether there is one; false at the object's closing brace (which it
// consumes) or the input's end. Like gjson's ForEach, it does not report a
// member whose value is missing or an unterminated string, and it stops
// there.
func (c *Cursor) Next() bool {
	if c.kind != 0 {
		c.skip()
	}
	s := c.s
	for i := c.i; i < len(s); i++ {
		switch s[i] {
		case '"':
			end, esc, ok := stringEnd(s, i+1)
			if !ok {
				c.i = len(s)
				return false
			}
			c.key = s[i+1 : end-1]
			if esc {
				c.key = unescape(c.key)
			}
			// A member's colon (and any stray commas) sit before the value.
			for end < len(s) && (s[end] <= ' ' || s[end] == ',' || s[end] == ':') {
				end++
			}
			if end < len(s) && s[end] == '"' { // locate's common case, without the call
				vend, vesc, ok := stringEnd(s, end+1)
				if !ok {
					c.i, c.kind = len(s), 0
					return false
				}
				c.i, c.kind, c.end, c.esc = end, '"', vend, vesc
				return true
			}
			c.i = end
			return c.locate()
		case '}':
			c.i = i + 1
			return false
		}
	}
	c.i = len(s)
	return false
}

// Key is the current member's key, unescaped.
func (c *Cursor) Key() string { return c.key }

// Enter descends into the current value if it is an object, and reports
// whether it did.
func (c *Cursor) Enter() bool {
	if c.kind != '{' {
		return false
	}
	c.i++
	c.kind = 0
	return true
}

// Str reads the current value: the unescaped string, or "" if the value is
// not a string.
func (c *Cursor) Str() string {
	if c.kind != '"' {
		c.skip()
		return ""
	}
	str := c.s[c.i+1 : c.end-1]
	c.i, c.kind = c.end, 0
	if c.esc {
		return unescape(str)
	}
	return str
}

// Int reads the current value as an integer the way gjson's Result.Int did:
// numbers (truncated), numeric strings, true as 1, anything else 0.
func (c *Cursor) Int() int64 {
	v := c.value()
	switch v.kind {
	case 't':
		return 1
	case '"':
		str := v.str()
		n, ok := parseInt(str)
		if !ok {
			if f, err := strconv.ParseFloat(str, 64); err == nil {
				n = f2i(f)
			}
		}
		return n
	case '0':
		f := v.num()
		// Exact in a float64 (or NaN, which gjson let through too).
		if !(f < -9007199254740991 || f > 9007199254740991) {
			return int64(f)
		}
		if n, ok := parseInt(v.raw); ok {
			return n
		}
		return f2i(f)
	}
	return 0
}

// Bool reads the current value as gjson's Result.Bool did: true, a string
// strconv.ParseBool accepts in any case, or a non-zero number.
func (c *Cursor) Bool() bool {
	v := c.value()
	switch v.kind {
	case 't':
		return true
	case '"':
		b, _ := strconv.ParseBool(strings.ToLower(v.str()))
		return b
	case '0':
		return v.num() != 0
	}
	return false
}

// Raw reads the current value's JSON text ("" if there is none).
func (c *Cursor) Raw() string { return c.value().raw }

// value is a value's text and kind: '"' string, '{' object, '[' array,
// 't' true, 'f' false, 'n' null, '0' number, 0 none.
type value struct {
	raw  string
	kind byte
	esc  bool // a string with escapes
}

func (v value) str() string {
	if v.kind != '"' {
		return ""
	}
	if v.esc {
		return unescape(v.raw[1 : len(v.raw)-1])
	}
	return v.raw[1 : len(v.raw)-1]
}

func (v value) num() float64 {
	f, _ := strconv.ParseFloat(v.raw, 64) // ±Inf out of range, 0 if not a number: as gjson
	return f
}

// locate finds the value that starts at or after c.i, passing over bytes
// that cannot start one (as gjson did), and reports whether there is one.
// A string is scanned to its end here, so that a member whose string does
// not end is not reported.
func (c *Cursor) locate() bool {
	s := c.s
	for i := c.i; i < len(s); i++ {
		kind := s[i]
		switch kind {
		case '{', '[', 't', 'f':
		case '"':
			end, esc, ok := stringEnd(s, i+1)
			if !ok {
				c.i, c.kind = len(s), 0
				return false
			}
			c.end, c.esc = end, esc
		case 'n':
			if i+1 < len(s) && s[i+1] != 'u' {
				kind = '0' // nan
			}
		case '+', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'i', 'I', 'N':
			kind = '0'
		default:
			continue
		}
		c.i, c.kind = i, kind
		return true
	}
	c.i, c.kind = len(s), 0
	return false
}

// value reads the current value and moves past it.
func (c *Cursor) value() value {
	kind := c.kind
	if kind == 0 {
		return value{}
	}
	c.kind = 0
	s, start := c.s, c.i
	end := start + 1
	switch kind {
	case '{', '[':
		end = Skip(s, start)
	case '"':
		end = c.end
	case '0':
		for end < len(s) && s[end] > ' ' && s[end] != ',' && s[end] != ']' && s[end] != '}' {
			end++
		}
	default: // literals: true, false, null
		for end < len(s) && s[end] >= 'a' && s[end] <= 'z' {
			end++
		}
	}
	c.i = end
	return value{raw: s[start:end], kind: kind, esc: kind == '"' && c.esc}
}

func (c *Cursor) skip() {
	switch c.kind {
	case '{', '[':
		c.i, c.kind = Skip(c.s, c.i), 0
	case '"':
		c.i, c.kind = c.end, 0
	default:
		c.value()
	}
}

// stringEnd finds the end of the string whose contents start at s[i]: the
// index after its closing quote, and whether it has escapes. ok is false if
// it does not end.
func stringEnd(s string, i int) (end int, esc, ok bool) {
	// Eight bytes at a time: most of a frame is strings, and this loop is
	// most of the decoding's time.
	for i+8 <= len(s) {
		m := quoteOrBackslash(load8(s, i))
		if m == 0 {
			i += 8
			continue
		}
		i += bits.TrailingZeros64(m) >> 3
		if s[i] == '"' {
			return i + 1, esc, true
		}
		esc = true
		i += 2 // past the backslash and the byte it escapes
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case '"':
			return i + 1, esc, true
		case '\\':
			esc = true
			i++
		}
	}
	return len(s), esc, false
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// quoteOrBackslash marks the high bit of the lowest byte of w that is '"'
// or '\\' (bytes above it may be marked wrongly).
func quoteOrBackslash(w uint64) uint64 {
	q := w ^ (ones * '"')
	b := w ^ (ones * '\\')
	return ((q-ones)&^q | (b-ones)&^b) & highs
}

// load8 is s[i:i+8] as a little-endian word (the compiler makes it one load).
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// structural marks the bytes Skip stops at outside strings.
var structural = [256]byte{'"': 1, '{': 2, '[': 2, '}': 3, ']': 3}

// Skip returns the index just after the object or array that starts at
// s[i] ('{' or '['), or len(s) if it does not end. Brackets are counted
// without being matched, as gjson did, and the contents are not checked.
func Skip(s string, i int) int {
	depth := 0
	for i < len(s) {
		switch structural[s[i]] {
		case 1:
			// Unlike stringEnd this need not know of escapes, only whether
			// a quote is escaped, so it looks for quotes alone; and it is
			// inlined by hand, a call per string costing ~10%.
			start := i + 1
			for i++; ; {
				if i+8 <= len(s) {
					w := load8(s, i) ^ (ones * '"')
					m := (w - ones) &^ w & highs
					if m == 0 {
						i += 8
						continue
					}
					i += bits.TrailingZeros64(m) >> 3
				} else if i >= len(s) {
					return len(s)
				} else if s[i] != '"' {
					i++
					continue
				}
				if s[i-1] != '\\' || !escaped(s, start, i) {
					break
				}
				i++
			}
		case 2:
			depth++
		case 3:
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return len(s)
}

// escaped reports whether the quote at s[i] is escaped: an odd number of
// backslashes before it, none of them before start.
func escaped(s string, start, i int) bool {
	n := 0
	for i--; i >= start && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// unescape decodes a string's escapes as gjson did: \uXXXX with surrogate
// pairs joined (a lone surrogate becomes U+FFFD), and the string cut short
// at a control character or an invalid escape.
func unescape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' {
			break
		}
		if c != '\\' {
			b = append(b, c)
			continue
		}
		if i++; i >= len(s) {
			break
		}
		switch s[i] {
		case '\\', '/', '"':
			b = append(b, s[i])
			continue
		case 'b':
			b = append(b, '\b')
			continue
		case 'f':
			b = append(b, '\f')
			continue
		case 'n':
			b = append(b, '\n')
			continue
		case 'r':
			b = append(b, '\r')
			continue
		case 't':
			b = append(b, '\t')
			continue
		case 'u':
			if i+5 > len(s) {
				return string(b)
			}
			r := hex4(s[i+1:])
			i += 4
			if r >= 0xD800 && r < 0xDC00 && i+7 <= len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
				if r2 := hex4(s[i+3:]); r2 >= 0xDC00 && r2 < 0xE000 {
					r = utf16.DecodeRune(r, r2)
					i += 6
				}
			}
			b = utf8.AppendRune(b, r)
			continue
		}
		break // an invalid escape
	}
	return string(b)
}

// hex4 decodes the 4 hex digits at the start of s; 0 if they are not hex
// (as gjson, which ignored the parse error).
func hex4(s string) rune {
	var r rune
	for _, c := range []byte(s[:4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0
		}
		r = r<<4 | rune(c)
	}
	return r
}

// parseInt parses an optionally negative run of decimal digits as gjson
// did, including its overflow check (which lets some wrapped values by).
func parseInt(s string) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	n, ok := parseUint(s)
	switch {
	case !ok:
		return 0, false
	case neg && n > 1<<63:
		return math.MinInt64, true
	case neg:
		return -int64(n), true
	case n > math.MaxInt64:
		return math.MaxInt64, true
	}
	return int64(n), true
}

func parseUint(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	var n uint64
	over := false
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		if !over {
			next := n*10 + uint64(s[i]-'0')
			over = next < n
			n = next
		}
	}
	if over {
		return math.MaxUint64, true
	}
	return n, true
}

func f2i(f float64) int64 {
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f < math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}
