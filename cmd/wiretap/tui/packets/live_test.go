package packets

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
)

// openLiveLo captures the TCP traffic of one local port on lo (root only).
func openLiveLo(t *testing.T, port int, opts Options) *Store {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root")
	}
	prog, err := capture.CompileFilter(fmt.Sprintf("tcp port %d", port), layers.LinkTypeEthernet, capture.DefaultSnapLen)
	if err != nil {
		t.Fatal(err)
	}
	live, err := capture.OpenLive(capture.LiveOptions{Interface: "lo", Filter: prog})
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenLive(LiveOptions{Live: live, Filter: fmt.Sprintf("tcp port %d", port)}, opts)
	if err != nil {
		live.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestLiveStore captures one request and response on lo: the index grows
// as packets arrive, their bytes read back by offset, the rows come from
// the live fast pass, the secret is marked, the capture saves to a file, and
// a fast pass over it gives final trees.
func TestLiveStore(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	s := openLiveLo(t, port, Options{Secrets: [][]byte{[]byte("fluffy tail")}})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 100)
		c.Read(buf)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nfluffy tail")
		c.Close()
	}()
	time.Sleep(100 * time.Millisecond) // the capture is running
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	io.ReadAll(c)
	c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for s.Len() < 8 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d packets captured", s.Len())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !s.Unsaved() {
		t.Errorf("a live capture without -w should be unsaved")
	}
	secretRow := 0
	for n := 1; n <= s.Len(); n++ {
		r, err := s.Row(n)
		if err != nil {
			t.Fatal(err)
		}
		data, err := s.Bytes(n)
		if err != nil || len(data) != s.Entry(n).CapLen || data[12] != 0x08 {
			t.Fatalf("packet %d: %d bytes, %v", n, len(data), err)
		}
		if r.Secret && secretRow == 0 {
			secretRow = n
			if !strings.Contains(string(data), "fluffy tail") {
				t.Errorf("row %d marked, but its bytes hold no secret", n)
			}
		}
	}
	if secretRow == 0 {
		t.Errorf("no row marked with the secret")
	}
	// A fast pass over what was captured: trees become final.
	if err := s.WaitAnalysed(nil, s.Len()); err != nil {
		t.Fatal(err)
	}
	p, final, err := s.Packet(secretRow)
	if err != nil || !final || len(p.Fields("http.response.code")) == 0 {
		t.Errorf("packet %d after the fast pass: final %v, err %v, http.response.code %v", secretRow, final, err, p.Fields("http.response.code"))
	}
	saved := filepath.Join(t.TempDir(), "saved.pcapng")
	if err := s.SaveAs(saved); err != nil {
		t.Fatal(err)
	}
	back, err := OpenFile(saved, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	back.WaitAnalysed(nil, 1<<30)
	if back.Len() < 8 {
		t.Errorf("the saved file holds %d packets", back.Len())
	}
	if st := s.Progress().Live; st == nil || st.Captured != s.Len() {
		t.Errorf("live status %+v", st)
	}
}

// TestLiveRowsFinal: while a live capture runs, the rows of an HTTP
// exchange are the fast pass's (final, HTTP) as soon as they are
// published, never provisional TCP rows.
func TestLiveRowsFinal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	s := openLiveLo(t, port, Options{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 100)
		c.Read(buf)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nfluffy tail")
		// The connection stays open: nothing the end of the stream tells.
		time.Sleep(2 * time.Second)
		c.Close()
	}()
	time.Sleep(100 * time.Millisecond)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	buf := make([]byte, 200)
	if _, err := io.ReadAtLeast(c, buf, 50); err != nil {
		t.Fatal(err)
	}
	got := time.Now()
	var infos []string
	for time.Since(got) < time.Second {
		infos = infos[:0]
		http := 0
		for n := 1; n <= s.Len(); n++ {
			r, err := s.Row(n)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Final {
				t.Fatalf("row %d is provisional: %+v", n, r.Summary)
			}
			infos = append(infos, r.Protocol+" "+r.Info)
			if r.Protocol == "HTTP" {
				http++
			}
		}
		if http == 2 {
			// How soon is a figure to read, not a test (a loaded machine
			// is slower): the spool publishes every 50 ms.
			t.Logf("HTTP rows after %v: %q", time.Since(got).Round(time.Millisecond), infos)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no final HTTP rows within a second: %q", infos)
}
