package tui

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/gdamore/tcell/v2"

	"wiretap/cmd/wiretap/tui/packets"
	"wiretap/decode"
	"wiretap/decode/dfilter"
)

// searchKind is what the search text is, as in Wireshark's Find Packet.
type searchKind int

const (
	searchString searchKind = iota
	searchHex
	searchRegex
	searchFilter
	numSearchKinds
)

var searchKindNames = [numSearchKinds]string{"string", "hex", "regex", "display filter"}

// searchScope is where a string or regex is looked for.
type searchScope int

const (
	inList searchScope = iota
	inDetails
	inBytes
	numScopes
)

var scopeNames = [numScopes]string{"packet list", "packet details", "packet bytes"}

// query is a compiled search.
type query struct {
	kind   searchKind
	scope  searchScope
	text   string
	needle []byte // string (lower case) or hex
	re     *regexp.Regexp
	df     *dfilter.Filter
}

// match is where a query matched in one packet.
type match struct {
	n     int
	field string // path key of the matching tree line (details scope)
	bytes span   // the matching bytes (bytes scope, hex)
}

func compileQuery(kind searchKind, scope searchScope, text string) (*query, error) {
	q := &query{kind: kind, scope: scope, text: text}
	if text == "" {
		return nil, fmt.Errorf("tui: nothing to look for")
	}
	var err error
	switch kind {
	case searchString:
		q.needle = bytes.ToLower([]byte(text))
	case searchHex:
		clean := strings.NewReplacer(" ", "", ":", "", "-", "", "0x", "").Replace(text)
		if q.needle, err = hex.DecodeString(clean); err != nil || len(q.needle) == 0 {
			return nil, fmt.Errorf("tui: %q is not hex bytes (e.g. 47 45 54 or 474554)", text)
		}
	case searchRegex:
		if q.re, err = regexp.Compile("(?i)" + text); err != nil {
			return nil, fmt.Errorf("tui: %v", err)
		}
	case searchFilter:
		if q.df, err = dfilter.Compile(text); err != nil {
			return nil, err
		}
	}
	return q, nil
}

// listOnly: the query reads only the list row, which the fast pass makes
// far quicker than a whole tree.
func (q *query) listOnly() bool {
	return q.scope == inList && (q.kind == searchString || q.kind == searchRegex)
}

// findInRow looks for a list-only query in a row.
func (q *query) findInRow(r packets.Row) bool {
	var line strings.Builder
	for col := column(0); col < numColumns; col++ {
		line.WriteString(cellText(r, col))
		line.WriteByte(' ')
	}
	return q.findText(line.String())
}

// find looks for q in packet p.
func (q *query) find(p *decode.Packet) (match, bool) {
	m := match{n: p.Number}
	switch {
	case q.kind == searchFilter:
		return m, q.df.Match(p)
	case q.listOnly():
		return m, q.findInRow(packets.RowOf(p))
	case q.kind == searchHex || q.scope == inBytes:
		for i, src := range p.Sources {
			if at, n := q.findBytes(src.Data); at >= 0 {
				m.bytes = span{i, at, n}
				return m, true
			}
		}
		return m, false
	}
	found := false
	var walk func(fs []*decode.Field, prefix string)
	walk = func(fs []*decode.Field, prefix string) {
		for _, f := range fs {
			if found || f.Hidden {
				continue
			}
			key := prefix + keySep + nodeKey(f)
			if q.findText(f.Label) {
				found, m.field = true, key
				return
			}
			walk(f.Children, key)
		}
	}
	walk(p.Tree, "")
	return m, found
}

func (q *query) findText(s string) bool {
	if q.re != nil {
		return q.re.MatchString(s)
	}
	return bytes.Contains(bytes.ToLower([]byte(s)), q.needle)
}

// findBytes returns where q occurs in data and how long the match is.
func (q *query) findBytes(data []byte) (int, int) {
	switch q.kind {
	case searchRegex:
		if loc := q.re.FindIndex(data); loc != nil {
			return loc[0], loc[1] - loc[0]
		}
		return -1, 0
	case searchString:
		return bytes.Index(bytes.ToLower(data), q.needle), len(q.needle)
	}
	return bytes.Index(data, q.needle), len(q.needle)
}

// searchBar is Ctrl-F: the text, its kind (Tab) and scope (Shift-Tab).
type searchBar struct {
	a       *App
	editing bool
	edit    lineEdit
	kind    searchKind
	scope   searchScope
	err     error
	last    *query
	job     *job
}

var searchBarKeys = keymap{title: "Find bar (Ctrl-F)", binds: append([]binding{
	{keys: []string{"Enter"}, help: "find the next packet that matches"},
	{keys: []string{"Tab"}, help: "what the text is: string, hex bytes, regex, display filter"},
	{keys: []string{"Backtab"}, help: "where a string or regex is looked for: list, details, bytes"},
	{keys: []string{"Esc"}, help: "close the bar"},
}, editKeys...)}

func (s *searchBar) open() {
	s.editing = true
	s.scope = searchScope(s.a.focus)
	s.validate()
}

func (s *searchBar) validate() {
	s.err = nil
	if text := s.edit.String(); text != "" {
		_, s.err = compileQuery(s.kind, s.scope, text)
	}
}

func (s *searchBar) key(ev *tcell.EventKey) {
	switch keyName(ev) {
	case "Enter":
		q, err := compileQuery(s.kind, s.scope, s.edit.String())
		if err != nil {
			s.err = err
			s.a.screen.Beep()
			return
		}
		s.editing = false
		s.last = q
		s.run(q, true)
		return
	case "Esc":
		s.editing = false
		return
	case "Tab":
		s.kind = (s.kind + 1) % numSearchKinds
	case "Backtab":
		s.scope = (s.scope + 1) % numScopes
	default:
		s.edit.key(ev)
	}
	s.validate()
}

// again repeats the last search (n, N).
func (s *searchBar) again(forward bool) {
	if s.last == nil {
		s.a.setMessage("nothing to repeat: find with Ctrl-F first", false)
		return
	}
	s.run(s.last, forward)
}

// run looks for q from the packet after (or before) the selected one,
// wrapping around the list, in the background.
func (s *searchBar) run(q *query, forward bool) {
	a := s.a
	s.job.cancel()
	l := a.list
	total := l.total()
	rows := l.length()
	if rows == 0 {
		return
	}
	v := l.view
	start := l.sel
	store := a.store
	s.job = a.startJob("finding", func(j *job) func() {
		if err := store.WaitAnalysed(j.stop, total); err != nil {
			return nil
		}
		for k := 1; k <= rows; k++ {
			if k%256 == 0 {
				if j.stopped() {
					return nil
				}
				j.progress(k, rows)
			}
			i := (start + k) % rows
			if !forward {
				i = ((start-k)%rows + rows) % rows
			}
			n := v.at(i, total)
			if q.listOnly() {
				r, err := store.RowUncached(n)
				if err != nil {
					return func() { a.setMessage(err.Error(), true) }
				}
				if q.findInRow(r) {
					return func() { a.showMatch(match{n: n}, k == rows) }
				}
				continue
			}
			p, _, err := store.Dissect(n)
			if err != nil {
				return func() { a.setMessage(err.Error(), true) }
			}
			if m, ok := q.find(p); ok {
				return func() { a.showMatch(m, k == rows) }
			}
		}
		return func() { a.setMessage(fmt.Sprintf("no packet matches %s %q", searchKindNames[q.kind], q.text), true) }
	})
}

// showMatch selects the packet that matched and lights up the match.
func (a *App) showMatch(m match, wrappedToSelf bool) {
	if i := a.list.view.indexOf(m.n, a.list.total()); i >= 0 {
		a.list.moveTo(i)
	}
	a.list.sync(a.lay.list.h)
	if m.field != "" {
		a.details.revealKey(m.field)
		a.focus = paneDetails
	}
	a.bytes.found = m.bytes
	if m.bytes.n > 0 {
		a.bytes.tab = m.bytes.src
		a.bytes.scrollToByte(m.bytes.start, a.lay.bytes.h)
		a.focus = paneBytes
	}
	msg := fmt.Sprintf("found in packet %d", m.n)
	if wrappedToSelf {
		msg += " (the only match)"
	}
	a.setMessage(msg+" · n next · N previous", false)
}

// clearFound removes the search highlight.
func (a *App) clearFound() {
	a.bytes.found = span{}
	a.msg = ""
}

func (s *searchBar) draw(c canvas, r rect) {
	label := fmt.Sprintf(" Find %s in %s: ", searchKindNames[s.kind], scopeNames[s.scope])
	if s.kind == searchHex || s.kind == searchFilter {
		label = fmt.Sprintf(" Find %s: ", searchKindNames[s.kind])
	}
	n := c.text(r.x, r.y, r.w, label, styleHeader)
	st := styleValid
	switch {
	case s.err != nil:
		st = styleError
	case s.edit.String() == "":
		st = styleNormal.Reverse(true)
	}
	s.edit.draw(c, r.x+n, r.y, r.w-n, st, true)
}
