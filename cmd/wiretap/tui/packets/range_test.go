package packets

import (
	"fmt"
	"strings"
	"testing"

	"wiretap/decode"
)

// dumpFields is what a filter sees of a packet: every field's name, kind,
// value, place and bytes.
func dumpFields(p *decode.Packet) string {
	var sb strings.Builder
	p.EachField(func(f *decode.Field) {
		var data []byte
		if f.Source >= 0 && f.Source < len(p.Sources) {
			d := p.Sources[f.Source].Data
			if s, e := f.Start, f.Start+f.Len; s >= 0 && s <= e && e <= len(d) {
				data = d[s:e]
			}
		}
		fmt.Fprintf(&sb, "%s %d %d %d %q %v %x %d:%d+%d %x\n", f.Name, f.Kind, f.U, f.I, f.S, f.IP, f.B, f.Source, f.Start, f.Len, data)
	})
	return sb.String()
}

// TestEachForIsDissectFor: EachFor, which reads runs of packets at once,
// gives every packet of a range the fields DissectFor gives it, on every
// path (the fast pass's, the secrets', packets a capture filter left gaps
// between).
func TestEachForIsDissectFor(t *testing.T) {
	wants := [][]string{
		{"tcp.flags.syn", "tcp.flags.ack"},
		{"http.request", "http.request.uri", "frame.len"},
		{"tcp.payload", "tls.handshake.type", "ip.src"},
		{"tcp"}, // a protocol: its bytes
	}
	for _, opts := range []Options{{}, {Secrets: [][]byte{[]byte("fluffy tail")}}, {CapFilter: "tcp port 5684 or tcp port 5683"}} {
		s := openDemo(t, opts)
		for _, names := range wants {
			w := decode.WantFields(names)
			fields := 0
			for _, r := range [][2]int{{1, s.Len()}, {3, 17}, {s.Len(), s.Len()}} {
				next := r[0]
				err := s.EachFor(w, r[0], r[1], func(n int, p *decode.Packet) error {
					if n != next {
						t.Fatalf("EachFor gave packet %d, want %d", n, next)
					}
					next++
					got := dumpFields(p)
					fields += strings.Count(got, "\n")
					q, _, err := s.DissectFor(w, n)
					if err != nil {
						return err
					}
					want := dumpFields(q)
					q.Release()
					if got != want {
						t.Errorf("%+v %v packet %d:\nEachFor:\n%s\nDissectFor:\n%s", opts, names, n, got, want)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if next != r[1]+1 {
					t.Errorf("EachFor %v stopped at %d", r, next)
				}
			}
			if fields == 0 {
				t.Errorf("%+v %v: no fields at all", opts, names)
			}
		}
	}
	s := openDemo(t, Options{})
	if err := s.EachFor(decode.WantFields([]string{"tcp"}), 1, s.Len()+1, nil); err == nil {
		t.Errorf("EachFor past the last packet: no error")
	}
	stop := fmt.Errorf("stop")
	calls := 0
	if err := s.EachFor(decode.WantFields([]string{"tcp"}), 1, s.Len(), func(int, *decode.Packet) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("fn's error: EachFor returned %v after %d calls", err, calls)
	}
}
