package decode

import (
	"io"
	"strconv"
)

// -z http,tree: Wireshark's "HTTP/Packet Counter" stats tree
// (http_stats_tree_init and http_stats_tree_packet in packet-http.c),
// counted from the fast pass's HTTP records: the http tap fires once per
// message the dissector shows, requests, responses and "Continuation"
// data alike (not binary continuations, which it leaves before tapping),
// at the time of the frame the message completes in.

// WriteHTTPTree prints -z http,tree for a finished fast pass.
func WriteHTTPTree(w io.Writer, a *Analyzer) {
	a.Finish()
	t := newStatsTree("HTTP/Packet Counter")
	packets := t.newNode("Total HTTP Packets", t.root)
	requests := t.newNode("HTTP Request Packets", packets)
	responses := t.newNode("HTTP Response Packets", packets)
	classes := [...]*statNode{
		t.newNode("???: broken", responses),
		t.newNode("1xx: Informational", responses),
		t.newNode("2xx: Success", responses),
		t.newNode("3xx: Redirection", responses),
		t.newNode("4xx: Client Error", responses),
		t.newNode("5xx: Server Error", responses),
	}
	other := t.newNode("Other HTTP Packets", packets)

	ap := a.app.http
	first := a.first.UnixNano()
	for _, fr := range ap.frames {
		nowMs := -1.0
		for i := fr.first; i < fr.first+fr.count; i++ {
			m := ap.msgs.at(i)
			if m.kind == httpBinary {
				continue
			}
			if nowMs < 0 {
				ts, _ := a.lay.times.get(int(fr.frame))
				nowMs = nstimeToMsec(ts - first)
			}
			t.packet(nowMs)
			t.tick(packets)
			switch code := int(m.code); {
			case m.kind == httpResponse && code != 0:
				t.tick(responses)
				class := classes[0]
				if code >= 100 && code < 600 {
					class = classes[code/100]
				}
				t.tick(class)
				t.tick(t.child(class, strconv.Itoa(code)+" "+statusText(code)))
			case m.method != 0:
				t.tick(requests)
				t.tick(t.child(requests, httpMethodList[m.method]))
			default:
				t.tick(other)
			}
		}
	}
	t.write(w)
}

// nstimeToMsec is nstime_to_msec of a time difference in nanoseconds:
// whole seconds and nanoseconds, as Wireshark keeps them, in milliseconds.
func nstimeToMsec(ns int64) float64 {
	s, n := ns/1e9, ns%1e9
	return float64(s)*1000 + float64(n)/1e6
}

// nstimeToSec is nstime_to_sec of a time difference in nanoseconds.
func nstimeToSec(ns int64) float64 {
	s, n := ns/1e9, ns%1e9
	return float64(s) + float64(n)/1e9
}
