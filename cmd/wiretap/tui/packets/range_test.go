package packets

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"

	"wiretap/capture"
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
	big := repeatDemo(t, 5) // 180 packets: EachFor takes 64 entries at a time
	for _, tc := range []struct {
		path string
		opts Options
	}{
		{demoCapture, Options{}},
		{demoCapture, Options{Secrets: [][]byte{[]byte("fluffy tail")}}},
		{demoCapture, Options{CapFilter: "tcp port 5684 or tcp port 5683"}},
		{big, Options{}},
		{big, Options{CapFilter: "tcp port 5684 or tcp port 5683"}},
	} {
		s, opts := openFile(t, tc.path, tc.opts), tc.opts
		for _, names := range wants {
			w := decode.WantFields(names)
			fields := 0
			for _, r := range [][2]int{{1, s.Len()}, {3, 17}, {s.Len(), s.Len()}, {2, s.Len() - 1}} {
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
						t.Errorf("%s %+v %v packet %d:\nEachFor:\n%s\nDissectFor:\n%s", tc.path, opts, names, n, got, want)
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

func openFile(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := OpenFile(path, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.WaitAnalysed(nil, 1<<30); err != nil {
		t.Fatal(err)
	}
	return s
}

// repeatDemo writes the demo capture's packets times times over, a
// second apart, to a pcap file.
func repeatDemo(t *testing.T, times int) string {
	t.Helper()
	src, err := capture.OpenFile(demoCapture)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), "repeated.pcap")
	var w *capture.PcapWriter
	var all [][]byte
	var cis []time.Time
	for {
		data, ci, err := src.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if w == nil {
			if w, err = capture.CreatePcap(path, src.LinkType(ci), 0); err != nil {
				t.Fatal(err)
			}
		}
		all, cis = append(all, slices.Clone(data)), append(cis, ci.Timestamp)
	}
	for i := range times {
		for k, data := range all {
			ci := gopacket.CaptureInfo{Timestamp: cis[k].Add(time.Duration(i) * time.Second), CaptureLength: len(data), Length: len(data)}
			if err := w.WritePacket(ci, data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
