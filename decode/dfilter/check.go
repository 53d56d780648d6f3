package dfilter

import (
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"wiretap/decode"
)

// The semantic checks, after Wireshark's epan/dfilter/semcheck.c, run by
// the parser on each node it builds: names against decode's field
// registry (with "did you mean" for an unknown one), operators against
// the types of their operands, literals parsed as values of the type of
// the other side, regular expressions compiled.

// checkLHS checks that the left side of an operator (or a bare test) is
// a field, slice or function, not a literal.
func (ps *parser) checkLHS(l *operand, op token) error {
	if !l.isLiteral() {
		return nil
	}
	if err := ps.resolveUnknown(l); err != nil {
		return err
	}
	if op.kind == tokEOF && op.raw == "" {
		return ps.errAt(l.tok, fmt.Sprintf("%s is neither a field nor a protocol name", l.tok.raw))
	}
	return ps.errAt(l.tok, fmt.Sprintf("left side of %q must be a field or function, not %s", op.raw, l.tok.raw))
}

// resolveUnknown reports an unquoted word that looks like a field name
// but is not one, with the closest known names.
func (ps *parser) resolveUnknown(o *operand) error {
	if o.lit == nil || o.lit.kind != tokWord || !looksLikeName(o.lit.text) {
		return nil
	}
	return ps.unknownField(*o.lit, o.lit.text)
}

func (ps *parser) unknownField(t token, name string) *Error {
	e := ps.errAt(t, fmt.Sprintf("%q is neither a field nor a protocol name", name))
	e.Suggestions = closestNames(name, 3)
	return e
}

// looksLikeName reports whether an unquoted word is shaped like a
// field or protocol name (lowercase letters first, then letters, digits,
// _ - and dots), not like a number or an address.
func looksLikeName(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] == '_') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	// A word made only of hex digits and separators is a byte string
	// (ab, dead.beef); "true"-like words are literals of their own.
	hex := true
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) && s[i] != '.' && s[i] != '-' {
			hex = false
			break
		}
	}
	return !hex
}

// typeOperand gives a literal operand o its value, parsed for the type of
// the other side ref; a field operand is checked for compatibility.
func (ps *parser) typeOperand(o, ref *operand) error {
	if !o.isLiteral() {
		if !compatible(o.kind, ref.kind) {
			return ps.errAt(o.tok, fmt.Sprintf("%s and %s are not of compatible types", ref.tok.raw, o.tok.raw))
		}
		return nil
	}
	v, msg := parseLiteral(*o.lit, ref)
	if msg != "" {
		if err := ps.resolveUnknown(o); err != nil && o.lit.kind == tokWord && strings.Contains(o.lit.text, ".") && !isIPish(o.lit.text) {
			return err
		}
		return ps.errAt(o.tok, msg)
	}
	o.kind, o.vals, o.hasVal = ref.kind, []value{v}, true
	if ref.kind == decode.KindProtocol {
		o.kind = decode.KindBytes
	}
	return nil
}

// isIPish reports whether s looks like an address or number (digits,
// dots, colons, slashes), so an unknown-field message would confuse.
func isIPish(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == ':' || c == '/' || isHex(c)) {
			return false
		}
	}
	return true
}

func (ps *parser) checkCmp(op token, l, r *operand) (node, error) {
	if err := ps.checkLHS(l, op); err != nil {
		return nil, err
	}
	if l.kind == decode.KindNone {
		return nil, ps.errAt(l.tok, fmt.Sprintf("%s (type=Label) cannot participate in %s comparison", l.tok.raw, op.raw))
	}
	if op.text != opAnyEq && op.text != opAllNe && op.text != opAllEq && op.text != opAnyNe && !orderable(l.kind) {
		return nil, ps.errAt(l.tok, fmt.Sprintf("%s (type=%s) cannot participate in %s comparison", l.tok.raw, kindName(l.kind), op.raw))
	}
	if !r.isLiteral() && r.kind == decode.KindNone {
		return nil, ps.errAt(r.tok, fmt.Sprintf("%s (type=Label) cannot participate in %s comparison", r.tok.raw, op.raw))
	}
	if err := ps.typeOperand(r, l); err != nil {
		return nil, err
	}
	return &cmpNode{op: op.text, l: l, r: r}, nil
}

func (ps *parser) checkContains(op token, l, r *operand) (node, error) {
	if err := ps.checkLHS(l, op); err != nil {
		return nil, err
	}
	switch l.kind {
	case decode.KindString, decode.KindBytes, decode.KindProtocol, decode.KindMAC:
	default:
		return nil, ps.errAt(l.tok, fmt.Sprintf("%s (type=%s) cannot participate in contains comparison", l.tok.raw, kindName(l.kind)))
	}
	if err := ps.typeOperand(r, l); err != nil {
		return nil, err
	}
	if l.field != "" && l.kind == decode.KindProtocol && l.slice == nil {
		ps.d.tvbs = true
	}
	return &containsNode{l: l, r: r}, nil
}

func (ps *parser) checkMatches(op token, l *operand, r token) (node, error) {
	if err := ps.checkLHS(l, op); err != nil {
		return nil, err
	}
	switch l.kind {
	case decode.KindString, decode.KindBytes, decode.KindProtocol:
	default:
		return nil, ps.errAt(l.tok, fmt.Sprintf("%s (type=%s) cannot participate in matches comparison", l.tok.raw, kindName(l.kind)))
	}
	re, err := compileRegexp(r.text)
	if err != nil {
		msg := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			msg = se.Code.String()
		}
		return nil, ps.errAt(r, "regex compilation error: "+msg)
	}
	if l.field != "" && l.kind == decode.KindProtocol && l.slice == nil {
		ps.d.tvbs = true
	}
	return &matchesNode{l: l, re: re}, nil
}

// compileRegexp compiles a Wireshark pattern (PCRE2, caseless by
// default, without UTF: a byte is a character) as a Go regexp over
// subjects mapped by byteRunes: ASCII stays, a byte b >= 0x80 becomes
// the private-use rune U+F700+b, which no case folding touches (PCRE2
// folds ASCII letters only). The pattern gets the same mapping: its raw
// bytes >= 0x80 and its \xHH, \x{HH} and octal escapes of them.
func compileRegexp(pat string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("(?i)")
	hi := func(c uint64) { fmt.Fprintf(&b, `\x{%x}`, 0xf700+c) }
	inQuote := false // inside \Q…\E
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		if inQuote {
			switch {
			case c == '\\' && i+1 < len(pat) && pat[i+1] == 'E':
				b.WriteString(`\E`)
				inQuote = false
				i++
			case c >= 0x80:
				b.WriteString(`\E`)
				hi(uint64(c))
				b.WriteString(`\Q`)
			default:
				b.WriteByte(c)
			}
			continue
		}
		if c >= 0x80 {
			hi(uint64(c))
			continue
		}
		if c != '\\' || i+1 >= len(pat) {
			b.WriteByte(c)
			continue
		}
		e := pat[i+1]
		switch {
		case e == 'Q':
			b.WriteString(`\Q`)
			inQuote = true
			i++
		case e == 'x' && i+2 < len(pat) && pat[i+2] == '{':
			j := strings.IndexByte(pat[i+3:], '}')
			if j < 0 {
				b.WriteString(pat[i:])
				i = len(pat)
				continue
			}
			v, err := strconv.ParseUint(pat[i+3:i+3+j], 16, 32)
			if err == nil && v >= 0x80 && v <= 0xff {
				hi(v)
			} else {
				b.WriteString(pat[i : i+4+j])
			}
			i += 3 + j
		case e == 'x':
			j := i + 2
			for j < len(pat) && j < i+4 && isHex(pat[j]) {
				j++
			}
			v, _ := strconv.ParseUint("0"+pat[i+2:j], 16, 32)
			if v >= 0x80 {
				hi(v)
			} else {
				b.WriteString(pat[i:j])
			}
			i = j - 1
		case e >= '0' && e <= '7':
			j := i + 1
			for j < len(pat) && j < i+4 && pat[j] >= '0' && pat[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(pat[i+1:j], 8, 32)
			if v >= 0x80 && v <= 0xff {
				hi(v)
			} else {
				b.WriteString(pat[i:j])
			}
			i = j - 1
		default:
			b.WriteByte(c)
			b.WriteByte(e)
			i++
		}
	}
	return regexp.Compile(b.String())
}

// --- types ---

func isInteger(k decode.Kind) bool {
	return k == decode.KindUint || k == decode.KindInt || k == decode.KindFrameNum || k == decode.KindBool
}

func orderable(k decode.Kind) bool {
	return k != decode.KindNone
}

// compatible reports whether values of kinds a and b can be compared, as
// Wireshark's ftypes "similar" types.
func compatible(a, b decode.Kind) bool {
	if kindClass(a) == vcIP {
		return a == b
	}
	return kindClass(a) == kindClass(b) ||
		kindClass(a) == vcInt && kindClass(b) == vcFloat || kindClass(a) == vcFloat && kindClass(b) == vcInt
}

func kindName(k decode.Kind) string {
	switch k {
	case decode.KindNone:
		return "Label"
	case decode.KindUint:
		return "Unsigned integer"
	case decode.KindInt:
		return "Signed integer"
	case decode.KindBool:
		return "Boolean"
	case decode.KindString:
		return "Character string"
	case decode.KindBytes:
		return "Byte sequence"
	case decode.KindIPv4:
		return "IPv4 address"
	case decode.KindIPv6:
		return "IPv6 address"
	case decode.KindMAC:
		return "Ethernet or other MAC address"
	case decode.KindTime:
		return "Date and time"
	case decode.KindDuration:
		return "Time offset"
	case decode.KindFloat:
		return "Floating point"
	case decode.KindFrameNum:
		return "Frame number"
	case decode.KindProtocol:
		return "Protocol"
	}
	return "unknown"
}

// parseLiteral parses literal t as a value of the type of ref, as
// Wireshark's fvalue_from_literal / fvalue_from_string do. It returns an
// error message ("" when it parses).
func parseLiteral(t token, ref *operand) (value, string) {
	k := ref.kind
	s := t.text
	fromString := func() string {
		return fmt.Sprintf("%s cannot be converted from a string (%q)", kindName(k), s)
	}
	switch k {
	case decode.KindNone:
		return value{}, fmt.Sprintf("%s (type=Label) cannot be compared with a value", ref.tok.raw)
	case decode.KindUint, decode.KindFrameNum, decode.KindInt:
		if t.kind == tokString {
			return value{}, fromString()
		}
		if t.kind == tokChar {
			return value{cls: vcInt, u: uint64(s[0])}, ""
		}
		return parseInt(s, k, fieldBits(ref))
	case decode.KindBool:
		if t.kind == tokString {
			return value{}, fmt.Sprintf("%q cannot be found among the possible values for %s", s, ref.tok.raw)
		}
		if t.kind == tokChar {
			return boolValue(s[0] != 0), ""
		}
		switch s {
		case "True", "TRUE":
			return boolValue(true), ""
		case "False", "FALSE":
			return boolValue(false), ""
		}
		v, msg := parseInt(s, decode.KindUint, 64)
		if msg != "" {
			return value{}, fmt.Sprintf("%q cannot be found among the possible values for %s", s, ref.tok.raw)
		}
		return boolValue(v.u != 0), ""
	case decode.KindFloat:
		if t.kind == tokString {
			return value{}, fromString()
		}
		f, err := strconv.ParseFloat(strings.TrimPrefix(s, "+"), 64)
		if err != nil {
			return value{}, fmt.Sprintf("%q is not a valid floating point number", s)
		}
		return value{cls: vcFloat, f: f}, ""
	case decode.KindString:
		return value{cls: vcString, s: s}, ""
	case decode.KindBytes, decode.KindProtocol:
		if t.kind != tokWord {
			return value{cls: vcBytes, b: []byte(s)}, ""
		}
		b, ok := parseBytes(s)
		if !ok {
			return value{}, fmt.Sprintf("%q is not a valid byte string", s)
		}
		return value{cls: vcBytes, b: b}, ""
	case decode.KindMAC:
		if t.kind != tokWord {
			return value{}, fromString()
		}
		b, ok := parseBytes(s)
		switch {
		case !ok:
			return value{}, fmt.Sprintf("%q is not a valid Ethernet address", s)
		case len(b) < 6:
			return value{}, fmt.Sprintf("%q contains too few bytes to be a valid Ethernet address", s)
		case len(b) > 6:
			return value{}, fmt.Sprintf("%q contains too many bytes to be a valid Ethernet address", s)
		}
		return value{cls: vcBytes, b: b}, ""
	case decode.KindIPv4, decode.KindIPv6:
		if t.kind != tokWord {
			return value{}, fromString()
		}
		return parseAddr(s, k == decode.KindIPv6)
	case decode.KindDuration:
		if t.kind != tokWord {
			return value{}, fromString()
		}
		d, ok := parseSeconds(s)
		if !ok {
			return value{}, fmt.Sprintf("%q is not a valid time", s)
		}
		return value{cls: vcDuration, t: d}, ""
	case decode.KindTime:
		if t.kind == tokWord {
			if d, ok := parseSeconds(s); ok { // seconds since the epoch (frame.time_epoch)
				return value{cls: vcTime, t: d}, ""
			}
		}
		if tm, ok := parseAbsTime(s); ok {
			return value{cls: vcTime, t: tm.UnixNano()}, ""
		}
		return value{}, fmt.Sprintf("%q is not a valid absolute time. Example: \"Nov 12, 1999 08:55:44.123\" or \"2011-07-04 12:34:56\"", s)
	}
	return value{}, fmt.Sprintf("%s cannot be compared with %q", ref.tok.raw, s)
}

func boolValue(v bool) value {
	if v {
		return value{cls: vcInt, u: 1}
	}
	return value{cls: vcInt}
}

// fieldBits is the width of an integer field, for range checks.
func fieldBits(o *operand) int {
	if o.field != "" && o.slice == nil && o.fn == "" && o.mask == nil {
		if _, b, _ := decode.LookupField(o.field); b > 0 {
			return int(b)
		}
	}
	return 64
}

// parseInt parses a C integer (decimal, 0x hex, 0 octal, 0b
// binary, with a sign) for an integer field of the given width. As in
// tshark 4.0, a negative literal for an unsigned field wraps (it matches
// nothing) rather than failing.
func parseInt(s string, k decode.Kind, bits int) (value, string) {
	neg := false
	body := s
	if strings.HasPrefix(body, "-") {
		neg, body = true, body[1:]
	} else if strings.HasPrefix(body, "+") {
		body = body[1:]
	}
	base := 10
	digits := body
	switch {
	case len(body) > 2 && (body[:2] == "0x" || body[:2] == "0X"):
		base, digits = 16, body[2:]
	case len(body) > 2 && (body[:2] == "0b" || body[:2] == "0B"):
		base, digits = 2, body[2:]
	case len(body) > 1 && body[0] == '0':
		base, digits = 8, body[1:]
	}
	if digits == "" || strings.ContainsAny(digits, "+-_") {
		return value{}, fmt.Sprintf("%q is not a valid number", s)
	}
	u, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return value{}, fmt.Sprintf("%q too big for this field, maximum %d", s, maxUint(k, bits))
		}
		return value{}, fmt.Sprintf("%q is not a valid number", s)
	}
	if k == decode.KindInt {
		lo, hi := minInt(bits), int64(maxUint(decode.KindInt, bits))
		if neg {
			if u > uint64(-(lo+1))+1 {
				return value{}, fmt.Sprintf("%q too small for this field, minimum %d", s, lo)
			}
			return value{cls: vcInt, neg: u != 0, u: u}, ""
		}
		if u > uint64(hi) {
			return value{}, fmt.Sprintf("%q too big for this field, maximum %d", s, hi)
		}
		return value{cls: vcInt, u: u}, ""
	}
	if neg { // strtoull's wrap-around
		return value{cls: vcInt, u: -u}, ""
	}
	if u > maxUint(k, bits) {
		return value{}, fmt.Sprintf("%q too big for this field, maximum %d", s, maxUint(k, bits))
	}
	return value{cls: vcInt, u: u}, ""
}

func maxUint(k decode.Kind, bits int) uint64 {
	if bits <= 0 || bits > 64 {
		bits = 64
	}
	if k == decode.KindInt {
		return 1<<(bits-1) - 1
	}
	if bits == 64 {
		return ^uint64(0)
	}
	return 1<<bits - 1
}

func minInt(bits int) int64 {
	if bits <= 0 || bits > 64 {
		bits = 64
	}
	return -1 << (bits - 1)
}

// parseBytes parses bytes as Wireshark's hex_str_to_bytes does:
// pairs of hex digits, optionally separated by ':', '-' or '.', runs of
// four digits, single digits before a separator or at the end; plus
// tshark's special case of a one-byte "0xHH".
func parseBytes(s string) ([]byte, bool) {
	if len(s) == 4 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	if s == "" {
		return nil, false
	}
	isSep := func(c byte) bool { return c == ':' || c == '-' || c == '.' }
	var out []byte
	for i := 0; i < len(s); {
		n := 0
		for i+n < len(s) && isHex(s[i+n]) {
			n++
		}
		switch {
		case n >= 4:
			out = append(out, hexNibble(s[i])<<4|hexNibble(s[i+1]), hexNibble(s[i+2])<<4|hexNibble(s[i+3]))
			i += 4
		case n >= 2:
			out = append(out, hexNibble(s[i])<<4|hexNibble(s[i+1]))
			i += 2
		case n == 1 && (i+1 == len(s) || isSep(s[i+1])):
			out = append(out, hexNibble(s[i]))
			i++
		default:
			return nil, false
		}
		if i < len(s) {
			if isSep(s[i]) {
				i++
				if i == len(s) {
					return nil, false
				}
			}
		}
	}
	return out, true
}

// parseAddr parses an IPv4 or IPv6 address with an optional
// /prefix.
func parseAddr(s string, v6 bool) (value, string) {
	addr, bitsStr, hasBits := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addr)
	if !v6 && (err != nil || !a.Is4()) {
		return value{}, fmt.Sprintf("%q is not a valid hostname or IPv4 address", addr)
	}
	if v6 && (err != nil || !a.Is6() || a.Zone() != "") {
		return value{}, fmt.Sprintf("%q is not a valid hostname or IPv6 address", addr)
	}
	max := 32
	if v6 {
		max = 128
	}
	bits := max
	if hasBits {
		n, err := strconv.Atoi(bitsStr)
		if err != nil || n < 0 {
			return value{}, fmt.Sprintf("%q is not a valid network prefix length", bitsStr)
		}
		if n > max {
			if v6 {
				return value{}, fmt.Sprintf("prefix in a CIDR IPv6 address should be <= 128, not %d", n)
			}
			return value{}, fmt.Sprintf("netmask bits in a CIDR IPv4 address should be <= 32, not %d", n)
		}
		bits = n
	}
	return value{cls: vcIP, ip: a, bits: bits}, ""
}

// parseSeconds parses [-]seconds[.fraction] into nanoseconds, as
// Wireshark's relative-time literals.
func parseSeconds(s string) (int64, bool) {
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	sec, frac, hasFrac := strings.Cut(s, ".")
	if sec == "" || !allDigits(sec) || hasFrac && (frac == "" || !allDigits(frac)) {
		return 0, false
	}
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || n > 9e9 {
		return 0, false
	}
	ns := n * 1e9
	if len(frac) > 9 {
		frac = frac[:9]
	}
	if frac != "" {
		f, _ := strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		ns += f
	}
	if neg {
		ns = -ns
	}
	return ns, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// absTimeLayouts are the absolute-time forms Wireshark accepts
// ("Nov 12, 1999 08:55:44.123", "2011-07-04 12:34:56", ISO 8601 with T
// and Z); fractional seconds are accepted after the seconds by Go.
var absTimeLayouts = []string{
	"Jan 2, 2006 15:04:05", "Jan 2, 2006 15:04", "Jan 2, 2006",
	"January 2, 2006 15:04:05", "January 2, 2006",
	"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02",
}

// parseAbsTime parses an absolute time in the local time zone, or UTC
// with a "Z" or " UTC" suffix.
func parseAbsTime(s string) (time.Time, bool) {
	s = strings.Join(strings.Fields(s), " ")
	loc := time.Local
	switch {
	case strings.HasSuffix(s, " UTC"):
		s, loc = strings.TrimSuffix(s, " UTC"), time.UTC
	case strings.HasSuffix(s, "Z"):
		s, loc = strings.TrimSuffix(s, "Z"), time.UTC
	}
	for _, l := range absTimeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// --- suggestions ---

// closestNames returns up to n known field names nearest to name (see
// ClosestNames).
func closestNames(name string, n int) []string {
	return ClosestNames(name, n, decode.FieldNames())
}

// ClosestNames returns up to n of names nearest to name by Levenshtein
// distance, nearest first (ties in name order), leaving out those too far
// to be a misspelling: the "did you mean" of an unknown field name
// (candidates decode.FieldNames()), here and in wiretap read -e.
func ClosestNames(name string, n int, names iter.Seq[string]) []string {
	type cand struct {
		name string
		d    int
	}
	limit := max(3, utf8.RuneCountInString(name)/3)
	var cs []cand
	for k := range names {
		if d := levenshtein(name, k, limit); d <= limit {
			cs = append(cs, cand{k, d})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

// levenshtein is the edit distance between a and b (bytes), or some
// value above limit once it is sure to exceed it.
func levenshtein(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
