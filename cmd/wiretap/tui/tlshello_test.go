package tui

import (
	"slices"
	"testing"

	"wiretap/cmd/wiretap/tui/packets"
)

// demoClientHello is the start of the HTTPS client's stream in the demo
// capture (stream 2): its ClientHello.
func demoClientHello(tb testing.TB) []byte {
	tb.Helper()
	s, err := packets.OpenFile(demoCapture, nil, packets.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	if err := s.WaitAnalysed(nil, 1<<30); err != nil {
		tb.Fatal(err)
	}
	conv, err := s.Follow(nil, 2)
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range conv.Chunks {
		if c.Dir == 0 {
			return c.Data
		}
	}
	tb.Fatal("no client data in stream 2")
	return nil
}

func TestParseClientHello(t *testing.T) {
	hello := demoClientHello(t)
	tests := []struct {
		name string
		in   []byte
		ok   bool
		sni  string
	}{
		{"the demo's", hello, true, "localhost"},
		{"cut in the extensions", hello[:120], false, ""},
		{"cut in the header", hello[:7], false, ""},
		{"not a handshake", append([]byte{23}, hello[1:]...), false, ""},
		{"empty", nil, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, ok := parseClientHello(tc.in)
			if ok != tc.ok || h.serverName != tc.sni {
				t.Errorf("parseClientHello = %+v, %v; want server name %q, %v", h, ok, tc.sni, tc.ok)
			}
			if tc.ok && !slices.Contains(h.versions, "TLS 1.3") {
				t.Errorf("versions %v lack TLS 1.3", h.versions)
			}
		})
	}
}

func FuzzParseClientHello(f *testing.F) {
	hello := demoClientHello(f)
	for _, n := range []int{len(hello), 200, 60, 9} {
		f.Add(hello[:n])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		parseClientHello(b) // must not panic
	})
}
