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

type dfTokKind uint8

const (
	dfEOF      dfTokKind = iota
	dfLParen             // (
	dfRParen             // )
	dfLBrace             // {
	dfRBrace             // }
	dfComma              // ,
	dfDotDot             // ..
	dfSlice              // [ … ]: text is what is between the brackets
	dfHash               // #N: text is N
	dfRel                // a comparison: text is the canonical operator
	dfAnd                // && and
	dfOr                 // || or
	dfXor                // ^^ xor
	dfNot                // ! not
	dfIn                 // in
	dfContains           // contains
	dfMatches            // matches ~
	dfBitAnd             // & bitwise_and
	dfWord               // an unparsed word: field, protocol, function or literal
	dfString             // "…": text is the unescaped value
	dfChar               // '…': text is the one byte
)

// Canonical comparison operators (dfRel token texts).
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

type dfToken struct {
	kind dfTokKind
	text string // value (see dfTokKind)
	raw  string // the source text, for messages
	pos  int    // byte offset in the expression
}

// dfKeywords are the words that are operators.
var dfKeywords = map[string]dfToken{
	"eq": {kind: dfRel, text: opAnyEq}, "any_eq": {kind: dfRel, text: opAnyEq},
	"ne": {kind: dfRel, text: opAllNe}, "all_ne": {kind: dfRel, text: opAllNe},
	"all_eq": {kind: dfRel, text: opAllEq}, "any_ne": {kind: dfRel, text: opAnyNe},
	"lt": {kind: dfRel, text: opLT}, "le": {kind: dfRel, text: opLE},
	"gt": {kind: dfRel, text: opGT}, "ge": {kind: dfRel, text: opGE},
	"and": {kind: dfAnd}, "or": {kind: dfOr}, "xor": {kind: dfXor}, "not": {kind: dfNot},
	"in": {kind: dfIn}, "contains": {kind: dfContains}, "matches": {kind: dfMatches},
	"bitwise_and": {kind: dfBitAnd},
}

// dfPunct are the operators made of punctuation, longest first.
var dfPunct = []struct {
	s   string
	tok dfToken
}{
	{"===", dfToken{kind: dfRel, text: opAllEq}},
	{"!==", dfToken{kind: dfRel, text: opAnyNe}},
	{"==", dfToken{kind: dfRel, text: opAnyEq}},
	{"!=", dfToken{kind: dfRel, text: opAllNe}},
	{"~=", dfToken{kind: dfRel, text: opAnyNe}},
	{"<=", dfToken{kind: dfRel, text: opLE}},
	{">=", dfToken{kind: dfRel, text: opGE}},
	{"&&", dfToken{kind: dfAnd}},
	{"||", dfToken{kind: dfOr}},
	{"^^", dfToken{kind: dfXor}},
	{"..", dfToken{kind: dfDotDot}},
	{"<", dfToken{kind: dfRel, text: opLT}},
	{">", dfToken{kind: dfRel, text: opGT}},
	{"!", dfToken{kind: dfNot}},
	{"~", dfToken{kind: dfMatches}},
	{"&", dfToken{kind: dfBitAnd}},
	{"(", dfToken{kind: dfLParen}},
	{")", dfToken{kind: dfRParen}},
	{"{", dfToken{kind: dfLBrace}},
	{"}", dfToken{kind: dfRBrace}},
	{",", dfToken{kind: dfComma}},
}

func dfIsWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == ':' || c == '/'
}

// dfLex splits expr into tokens, ending with dfEOF.
func dfLex(expr string) ([]dfToken, error) {
	var toks []dfToken
	i := 0
	for {
		for i < len(expr) && (expr[i] == ' ' || expr[i] == '\t' || expr[i] == '\n' || expr[i] == '\r') {
			i++
		}
		if i >= len(expr) {
			toks = append(toks, dfToken{kind: dfEOF, pos: i})
			return toks, nil
		}
		c := expr[i]
		switch {
		case c == '"' || (c == 'r' || c == 'R') && i+1 < len(expr) && expr[i+1] == '"':
			t, n, err := dfLexString(expr, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = n
			continue
		case c == '\'':
			t, n, err := dfLexChar(expr, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = n
			continue
		case c == '[':
			end := strings.IndexByte(expr[i+1:], ']')
			if end < 0 {
				return nil, dfErrAt(expr, i, "the right bracket was missing from a slice", expr[i:])
			}
			toks = append(toks, dfToken{kind: dfSlice, text: expr[i+1 : i+1+end], raw: expr[i : i+2+end], pos: i})
			i += end + 2
			continue
		case c == '#':
			j := i + 1
			for j < len(expr) && expr[j] >= '0' && expr[j] <= '9' {
				j++
			}
			if j == i+1 {
				return nil, dfErrAt(expr, i, "expected a layer number after \"#\"", expr[i:min(len(expr), i+2)])
			}
			toks = append(toks, dfToken{kind: dfHash, text: expr[i+1 : j], raw: expr[i:j], pos: i})
			i = j
			continue
		case dfIsWordByte(c) && !(c == '.' && i+1 < len(expr) && expr[i+1] == '.'), c == '+':
			j := i + 1
			for j < len(expr) && dfIsWordByte(expr[j]) {
				if expr[j] == '.' && j+1 < len(expr) && expr[j+1] == '.' {
					break // a range: 1..5
				}
				j++
			}
			w := expr[i:j]
			if kw, ok := dfKeywords[w]; ok {
				kw.raw, kw.pos = w, i
				toks = append(toks, kw)
			} else {
				toks = append(toks, dfToken{kind: dfWord, text: w, raw: w, pos: i})
			}
			i = j
			continue
		}
		matched := false
		for _, p := range dfPunct {
			if strings.HasPrefix(expr[i:], p.s) {
				t := p.tok
				t.raw, t.pos = p.s, i
				if t.text == "" && t.kind != dfRel {
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
			return nil, dfErrAt(expr, i, "unexpected character", expr[i:i+n])
		}
	}
}

// dfLexString scans a double-quoted string at expr[i] (or a raw string r"…").
func dfLexString(expr string, i int) (dfToken, int, error) {
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
			return dfToken{}, 0, dfErrAt(expr, start, "the final quote was missing from a quoted string", expr[start:])
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
			return dfToken{}, 0, dfErrAt(expr, start, "the final quote was missing from a quoted string", expr[start:])
		}
		if raw { // backslashes stay; \" and \\ do not end the string
			b.WriteByte('\\')
			b.WriteByte(expr[i+1])
			i += 2
			continue
		}
		n, err := dfUnescape(expr, i, &b)
		if err != nil {
			return dfToken{}, 0, err
		}
		i = n
	}
	return dfToken{kind: dfString, text: b.String(), raw: expr[start:i], pos: start}, i, nil
}

// dfUnescape decodes the escape sequence at expr[i] ('\\') into b and
// returns the offset after it. The sequences are C's, as in Wireshark:
// \a \b \f \n \r \t \v \\ \" \' \?, \xH or \xHH, \N, \NN or \NNN (octal),
// \uXXXX and \UXXXXXXXX (universal character names, UTF-8 encoded).
func dfUnescape(expr string, i int, b *strings.Builder) (int, error) {
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
		for j < len(expr) && j < i+4 && dfIsHex(expr[j]) {
			j++
		}
		if j == i+2 {
			return 0, dfErrAt(expr, i, "\\x is not a valid character escape sequence", expr[i:i+2])
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
		for j < len(expr) && j < i+2+n && dfIsHex(expr[j]) {
			j++
		}
		v, _ := strconv.ParseUint(expr[i+2:j], 16, 32)
		// C's rules for universal character names: exactly n digits, not
		// below U+00A0 except $ @ `, no surrogates, at most U+10FFFF.
		if j-(i+2) != n || v < 0xa0 && v != '$' && v != '@' && v != '`' || v >= 0xd800 && v <= 0xdfff || v > 0x10ffff {
			return 0, dfErrAt(expr, i, expr[i:j]+" is not a valid universal character name", expr[i:j])
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
				return 0, dfErrAt(expr, i, expr[i:j]+" is larger than 255", expr[i:j])
			}
			b.WriteByte(byte(v))
			return j, nil
		}
		_, n := utf8.DecodeRuneInString(expr[i+1:])
		return 0, dfErrAt(expr, i, expr[i:i+1+n]+" is not a valid character escape sequence", expr[i:i+1+n])
	}
	return i + 2, nil
}

// dfLexChar scans a character constant 'x', '\n', '\x47', '\107'.
func dfLexChar(expr string, i int) (dfToken, int, error) {
	start := i
	i++
	var b strings.Builder
	for {
		if i >= len(expr) {
			return dfToken{}, 0, dfErrAt(expr, start, "the final quote was missing from a character constant", expr[start:])
		}
		c := expr[i]
		if c == '\'' {
			i++
			break
		}
		if c == '\\' && i+1 < len(expr) {
			n, err := dfUnescape(expr, i, &b)
			if err != nil {
				return dfToken{}, 0, err
			}
			i = n
			continue
		}
		b.WriteByte(c)
		i++
	}
	if b.Len() != 1 {
		return dfToken{}, 0, dfErrAt(expr, start, "a character constant must be one byte", expr[start:i])
	}
	return dfToken{kind: dfChar, text: b.String(), raw: expr[start:i], pos: start}, i, nil
}

func dfIsHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func dfHexNibble(c byte) byte {
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
