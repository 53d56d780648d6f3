package capture

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// LinkMatcher runs one capture filter over packets of any link type, as a
// pcapng file with interfaces of several link types needs: the expression
// is compiled for a link type (CompileFilter, then NewMatcher) when the
// first packet of that type comes. A LinkMatcher is not safe for concurrent
// use.
type LinkMatcher struct {
	expr    string
	snapLen int
	byLink  map[layers.LinkType]linkMatch
}

type linkMatch struct {
	m   *Matcher
	err error
}

// NewLinkMatcher returns a LinkMatcher for the tcpdump-syntax expression
// expr; snapLen is passed to CompileFilter. An empty expression accepts
// every packet, of any link type, without compiling anything.
func NewLinkMatcher(expr string, snapLen int) *LinkMatcher {
	return &LinkMatcher{expr: expr, snapLen: snapLen, byLink: map[layers.LinkType]linkMatch{}}
}

// Match reports whether the filter accepts a packet of link type lt, of
// wireLen bytes on the wire whose first len(data) bytes were captured (see
// Matcher.Match). If the expression cannot be compiled for lt, Match returns
// the error CompileFilter or NewMatcher gave (a *FilterError, or a link type
// the compiler does not support), for this packet and every later one of
// that link type.
func (lm *LinkMatcher) Match(lt layers.LinkType, data []byte, wireLen int) (bool, error) {
	if lm.expr == "" {
		return true, nil
	}
	lk, ok := lm.byLink[lt]
	if !ok {
		prog, err := CompileFilter(lm.expr, lt, lm.snapLen)
		if err == nil {
			lk.m, err = NewMatcher(prog)
		}
		lk.err = err
		lm.byLink[lt] = lk
	}
	if lk.err != nil {
		return false, lk.err
	}
	return lk.m.Match(data, wireLen), nil
}

// FilteredSource is a Source that passes on only the packets a capture
// filter accepts, compiling the filter for each link type as its first
// packet comes (see LinkMatcher).
type FilteredSource struct {
	src Source
	m   *LinkMatcher
}

// NewFilteredSource filters src with the tcpdump-syntax expression expr;
// snapLen is passed to CompileFilter. An empty expression passes every
// packet. Closing the FilteredSource closes src.
func NewFilteredSource(src Source, expr string, snapLen int) *FilteredSource {
	return &FilteredSource{src: src, m: NewLinkMatcher(expr, snapLen)}
}

// ReadPacket returns the next packet the filter accepts, or io.EOF at the
// end. An error reading src, or compiling the filter for the link type of
// the packet just read, is returned as it is; the packets before it have
// all been returned.
func (s *FilteredSource) ReadPacket() ([]byte, gopacket.CaptureInfo, error) {
	for {
		data, ci, err := s.src.ReadPacket()
		if err != nil {
			return data, ci, err
		}
		ok, err := s.m.Match(s.src.LinkType(ci), data, ci.Length)
		if err != nil {
			return nil, gopacket.CaptureInfo{}, err
		}
		if ok {
			return data, ci, nil
		}
	}
}

// LinkType is the link type of a packet just read.
func (s *FilteredSource) LinkType(ci gopacket.CaptureInfo) layers.LinkType {
	return s.src.LinkType(ci)
}

// Close closes the underlying source.
func (s *FilteredSource) Close() error { return s.src.Close() }
