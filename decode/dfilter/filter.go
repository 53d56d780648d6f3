package dfilter

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Error is a filter that does not compile: what is wrong, where (1-based
// column, in characters) and the offending text. Its text starts with
// "decode: filter: ", as it did when the language lived in package decode:
// that is what users, scripts and the tests see.
type Error struct {
	Msg         string
	Column      int
	Token       string
	Suggestions []string // for an unknown field: the closest known names
}

// Error is the message as wiretap prints it: what, "at column N", then the
// suggestions or the offending text.
func (e *Error) Error() string {
	if len(e.Suggestions) > 0 {
		return fmt.Sprintf("decode: filter: %s at column %d; did you mean %s?", e.Msg, e.Column, strings.Join(e.Suggestions, ", "))
	}
	if e.Token == "" {
		return fmt.Sprintf("decode: filter: %s at column %d", e.Msg, e.Column)
	}
	return fmt.Sprintf("decode: filter: %s at column %d: %s", e.Msg, e.Column, e.Token)
}

// errorAt makes an error for expr at byte offset pos.
func errorAt(expr string, pos int, msg, text string) *Error {
	if pos > len(expr) {
		pos = len(expr)
	}
	return &Error{Msg: msg, Column: utf8.RuneCountInString(expr[:pos]) + 1, Token: text}
}

// Filter is a compiled display filter. It is safe for concurrent
// use by several goroutines.
type Filter struct {
	expr   string
	root   node
	names  []string       // field and protocol names used, sorted
	slots  map[string]int // name → index into the per-packet field lists
	layers bool           // some operand uses the #N layer operator
	tvbs   bool           // some contains/matches reads a protocol's data
	ctxs   sync.Pool      // of *evalCtx, for Match
}

// String returns the filter's source text.
func (d *Filter) String() string { return d.expr }

// Fields lists the field and protocol names the filter uses, so a caller
// can dissect only as deep as needed.
func (d *Filter) Fields() []string {
	return append([]string(nil), d.names...)
}

// Compile parses and checks expr (lexer, parser and checks: see the
// package doc). Errors are *Error.
func Compile(expr string) (*Filter, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	ps := &parser{expr: expr, toks: toks, d: &Filter{expr: expr, slots: map[string]int{}}}
	if ps.peek().kind == tokEOF {
		return nil, ps.errAt(ps.peek(), "the filter is empty")
	}
	root, err := ps.parseOr()
	if err != nil {
		return nil, err
	}
	if t := ps.peek(); t.kind != tokEOF {
		return nil, ps.unexpected(t)
	}
	ps.d.root = root
	ps.d.names = make([]string, len(ps.d.slots))
	for n, i := range ps.d.slots {
		ps.d.names[i] = n
	}
	sort.Strings(ps.d.names)
	return ps.d, nil
}
