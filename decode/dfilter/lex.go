package dfilter

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The display-filter scanner, after Wireshark 4.0's epan/dfilter/scanner.l:
// punctuation and operators, quoted strings (with C escapes), raw strings
// r"…", character constants 'x', slices […] (scanned whole, parsed by the
// parser) and "unparsed" words: a run of letters, digits and _ - . : / that
// is a field name, a keyword or a literal (number, address, byte string),
// decided later from context, as in Wireshark.

type tokKind uint8

const (
	tokEOF      tokKind = iota
	tokLParen           // (
	tokRParen           // )
	tokLBrace           // {
	tokRBrace           // }
	tokComma            // ,
	tokDotDot           // ..
	tokSlice            // [ … ]: text is what is between the brackets
	tokHash             // #N: text is N
	tokRel              // a comparison: text is the canonical operator
	tokAnd              // && and
	tokOr               // || or
	tokXor              // ^^ xor
	tokNot              // ! not
	tokIn               // in
	tokContains         // contains
	tokMatches          // matches ~
	tokBitAnd           // & bitwise_and
	tokWord             // an unparsed word: field, protocol, function or literal
	tokString           // "…": text is the unescaped value
	tokChar             // '…': text is the one byte
)

// Canonical comparison operators (tokRel token texts).
const (
	opAnyEq = "=="
	opAllNe = "!="
	opAllEq = "==="
	opAnyNe = "!=="
	opLT    = "<"
	opLE    = "<="
	opGT    = ">"
	opGE    = ">="
)

type token struct {
	kind tokKind
	text string // value (see tokKind)
	raw  string // the source text, for messages
	pos  int    // byte offset in the expression
}

// keywords are the words that are operators.
var keywords = map[string]token{
	"eq": {kind: tokRel, text: opAnyEq}, "any_eq": {kind: tokRel, text: opAnyEq},
	"ne": {kind: tokRel, text: opAllNe}, "all_ne": {kind: tokRel, text: opAllNe},
	"all_eq": {kind: tokRel, text: opAllEq}, "any_ne": {kind: tokRel, text: opAnyNe},
	"lt": {kind: tokRel, text: opLT}, "le": {kind: tokRel, text: opLE},
	"gt": {kind: tokRel, text: opGT}, "ge": {kind: tokRel, text: opGE},
	"and": {kind: tokAnd}, "or": {kind: tokOr}, "xor": {kind: tokXor}, "not": {kind: tokNot},
	"in": {kind: tokIn}, "contains": {kind: tokContains}, "matches": {kind: tokMatches},
	"bitwise_and": {kind: tokBitAnd},
}

// punct are the operators made of punctuation, longest first.
var punct = []struct {
	s   string
	tok token
}{
	{"===", token{kind: tokRel, text: opAllEq}},
	{"!==", token{kind: tokRel, text: opAnyNe}},
	{"==", token{kind: tokRel, text: opAnyEq}},
	{"!=", token{kind: tokRel, text: opAllNe}},
	{"~=", token{kind: tokRel, text: opAnyNe}},
	{"<=", token{kind: tokRel, text: opLE}},
	{">=", token{kind: tokRel, text: opGE}},
	{"&&", token{kind: tokAnd}},
	{"||", token{kind: tokOr}},
	{"^^", token{kind: tokXor}},
	{"..", token{kind: tokDotDot}},
	{"<", token{kind: tokRel, text: opLT}},
	{">", token{kind: tokRel, text: opGT}},
	{"!", token{kind: tokNot}},
	{"~", token{kind: tokMatches}},
	{"&", token{kind: tokBitAnd}},
	{"(", token{kind: tokLParen}},
	{")", token{kind: tokRParen}},
	{"{", token{kind: tokLBrace}},
	{"}", token{kind: tokRBrace}},
	{",", token{kind: tokComma}},
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == ':' || c == '/'
}

// lex splits expr into tokens, ending with tokEOF.
func lex(expr string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(expr) && (expr[i] == ' ' || expr[i] == '\t' || expr[i] == '\n' || expr[i] == '\r') {
			i++
		}
		if i >= len(expr) {
			toks = append(toks, token{kind: tokEOF, pos: i})
			return toks, nil
		}
		c := expr[i]
		switch {
		case c == '"' || (c == 'r' || c == 'R') && i+1 < len(expr) && expr[i+1] == '"':
			t, n, err := lexString(expr, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = n
			continue
		case c == '\'':
			t, n, err := lexChar(expr, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = n
			continue
		case c == '[':
			end := strings.IndexByte(expr[i+1:], ']')
			if end < 0 {
				return nil, errorAt(expr, i, "the right bracket was missing from a slice", expr[i:])
			}
			toks = append(toks, token{kind: tokSlice, text: expr[i+1 : i+1+end], raw: expr[i : i+2+end], pos: i})
			i += end + 2
			continue
		case c == '#':
			j := i + 1
			for j < len(expr) && expr[j] >= '0' && expr[j] <= '9' {
				j++
			}
			if j == i+1 {
				return nil, errorAt(expr, i, "expected a layer number after \"#\"", expr[i:min(len(expr), i+2)])
			}
			toks = append(toks, token{kind: tokHash, text: expr[i+1 : j], raw: expr[i:j], pos: i})
			i = j
			continue
		case isWordByte(c) && !(c == '.' && i+1 < len(expr) && expr[i+1] == '.'), c == '+':
			j := i + 1
			for j < len(expr) && isWordByte(expr[j]) {
				if expr[j] == '.' && j+1 < len(expr) && expr[j+1] == '.' {
					break // a range: 1..5
				}
				j++
			}
			w := expr[i:j]
			if kw, ok := keywords[w]; ok {
				kw.raw, kw.pos = w, i
				toks = append(toks, kw)
			} else {
				toks = append(toks, token{kind: tokWord, text: w, raw: w, pos: i})
			}
			i = j
			continue
		}
		matched := false
		for _, p := range punct {
			if strings.HasPrefix(expr[i:], p.s) {
				t := p.tok
				t.raw, t.pos = p.s, i
				if t.text == "" && t.kind != tokRel {
					t.text = p.s
				}
				toks = append(toks, t)
				i += len(p.s)
				matched = true
				break
			}
		}
		if !matched {
			_, n := utf8.DecodeRuneInString(expr[i:])
			return nil, errorAt(expr, i, "unexpected character", expr[i:i+n])
		}
	}
}

// lexString scans a double-quoted string at expr[i] (or a raw string r"…").
func lexString(expr string, i int) (token, int, error) {
	start := i
	raw := false
	if expr[i] != '"' {
		raw = true
		i++
	}
	i++ // the quote
	var b strings.Builder
	for {
		if i >= len(expr) {
			return token{}, 0, errorAt(expr, start, "the final quote was missing from a quoted string", expr[start:])
		}
		c := expr[i]
		if c == '"' {
			i++
			break
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(expr) {
			return token{}, 0, errorAt(expr, start, "the final quote was missing from a quoted string", expr[start:])
		}
		if raw { // backslashes stay; \" and \\ do not end the string
			b.WriteByte('\\')
			b.WriteByte(expr[i+1])
			i += 2
			continue
		}
		n, err := unescape(expr, i, &b)
		if err != nil {
			return token{}, 0, err
		}
		i = n
	}
	return token{kind: tokString, text: b.String(), raw: expr[start:i], pos: start}, i, nil
}

// unescape decodes the escape sequence at expr[i] ('\\') into b and
// returns the offset after it. The sequences are C's, as in Wireshark:
// \a \b \f \n \r \t \v \\ \" \' \?, \xH or \xHH, \N, \NN or \NNN (octal),
// \uXXXX and \UXXXXXXXX (universal character names, UTF-8 encoded).
func unescape(expr string, i int, b *strings.Builder) (int, error) {
	c := expr[i+1]
	switch c {
	case 'a':
		b.WriteByte('\a')
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'v':
		b.WriteByte('\v')
	case '\\', '"', '\'', '?':
		b.WriteByte(c)
	case 'x':
		j := i + 2
		for j < len(expr) && j < i+4 && isHex(expr[j]) {
			j++
		}
		if j == i+2 {
			return 0, errorAt(expr, i, "\\x is not a valid character escape sequence", expr[i:i+2])
		}
		v, _ := strconv.ParseUint(expr[i+2:j], 16, 8)
		b.WriteByte(byte(v))
		return j, nil
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		j := i + 2
		for j < len(expr) && j < i+2+n && isHex(expr[j]) {
			j++
		}
		v, _ := strconv.ParseUint(expr[i+2:j], 16, 32)
		// C's rules for universal character names: exactly n digits, not
		// below U+00A0 except $ @ `, no surrogates, at most U+10FFFF.
		if j-(i+2) != n || v < 0xa0 && v != '$' && v != '@' && v != '`' || v >= 0xd800 && v <= 0xdfff || v > 0x10ffff {
			return 0, errorAt(expr, i, expr[i:j]+" is not a valid universal character name", expr[i:j])
		}
		b.WriteRune(rune(v))
		return j, nil
	default:
		if c >= '0' && c <= '7' {
			j := i + 1
			for j < len(expr) && j < i+4 && expr[j] >= '0' && expr[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(expr[i+1:j], 8, 16)
			if v > 0xff {
				return 0, errorAt(expr, i, expr[i:j]+" is larger than 255", expr[i:j])
			}
			b.WriteByte(byte(v))
			return j, nil
		}
		_, n := utf8.DecodeRuneInString(expr[i+1:])
		return 0, errorAt(expr, i, expr[i:i+1+n]+" is not a valid character escape sequence", expr[i:i+1+n])
	}
	return i + 2, nil
}

// lexChar scans a character constant 'x', '\n', '\x47', '\107'.
func lexChar(expr string, i int) (token, int, error) {
	start := i
	i++
	var b strings.Builder
	for {
		if i >= len(expr) {
			return token{}, 0, errorAt(expr, start, "the final quote was missing from a character constant", expr[start:])
		}
		c := expr[i]
		if c == '\'' {
			i++
			break
		}
		if c == '\\' && i+1 < len(expr) {
			n, err := unescape(expr, i, &b)
			if err != nil {
				return token{}, 0, err
			}
			i = n
			continue
		}
		b.WriteByte(c)
		i++
	}
	if b.Len() != 1 {
		return token{}, 0, errorAt(expr, start, "a character constant must be one byte", expr[start:i])
	}
	return token{kind: tokChar, text: b.String(), raw: expr[start:i], pos: start}, i, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexNibble(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}
