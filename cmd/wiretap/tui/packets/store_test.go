package packets

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"wiretap/capture/oracletest"
	"wiretap/decode"
)

// demoCapture is the demo's capture, kept with decode's oracle captures
// (see decode/testdata/SOURCES): plaintext HTTP on 5683, Fernet on 5684,
// HTTPS on 5685, the secret "fluffy tail".
var demoCapture = oracletest.Testdata("decode", "oracle", "demo.pcapng")

func openDemo(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := OpenFile(demoCapture, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.WaitAnalysed(nil, 1<<30); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreRowsAndTrees(t *testing.T) {
	s := openDemo(t, Options{Secrets: [][]byte{[]byte("fluffy tail")}})
	if s.Len() != 36 || !s.Analysed() {
		t.Fatalf("Len %d, analysed %v; want 36, true", s.Len(), s.Analysed())
	}
	tests := []struct {
		n        int
		protocol string
		info     string
		secret   bool
	}{
		{1, "TCP", "53662 → 5683 [SYN]", false},
		{4, "HTTP", "GET / HTTP/1.1", false},
		{6, "HTTP", "HTTP/1.1 200 OK", true},
		{13, "Fernet", "HTTP/1.1 200 OK", false},
	}
	for _, tc := range tests {
		r, err := s.Row(tc.n)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Final || r.Protocol != tc.protocol || !strings.HasPrefix(r.Info, tc.info) || r.Secret != tc.secret {
			t.Errorf("row %d = %+v; want final, %s, %q…, secret %v", tc.n, r, tc.protocol, tc.info, tc.secret)
		}
	}
	p, final, err := s.Packet(4)
	if err != nil || !final {
		t.Fatalf("Packet(4): final %v, %v", final, err)
	}
	uri := p.Fields("http.request.uri")
	if len(uri) != 1 || uri[0].S != "/" {
		t.Fatalf("http.request.uri = %v", uri)
	}
	if got := p.Sources[uri[0].Source].Data[uri[0].Start : uri[0].Start+uri[0].Len]; string(got) != "/" {
		t.Errorf("the uri's bytes are %q", got)
	}
}

func TestStoreFollow(t *testing.T) {
	s := openDemo(t, Options{})
	conv, err := s.Follow(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var client, server strings.Builder
	frames := map[int]bool{}
	for _, c := range conv.Chunks {
		frames[c.Frame] = true
		if c.Dir == 0 {
			client.Write(c.Data)
		} else {
			server.Write(c.Data)
		}
	}
	if !strings.HasPrefix(client.String(), "GET / HTTP/1.1\r\n") || !strings.Contains(server.String(), "fluffy tail") {
		t.Errorf("client %q, server %q", client.String(), server.String())
	}
	if !frames[4] || !frames[6] {
		t.Errorf("chunks came from frames %v; want 4 and 6", frames)
	}
}

func TestStoreCaptureFilter(t *testing.T) {
	s := openDemo(t, Options{CapFilter: "tcp port 5684"})
	if s.Len() != 10 {
		t.Fatalf("%d packets kept by the capture filter, want 10", s.Len())
	}
	r, _ := s.Row(1)
	if !strings.Contains(r.Info, "5684") {
		t.Errorf("row 1 is %q", r.Info)
	}
}

func TestStoreNotACapture(t *testing.T) {
	if _, err := OpenFile("store_test.go", nil, Options{}); err == nil || !strings.Contains(err.Error(), "not a capture file") {
		t.Errorf("err = %v", err)
	}
}

func TestStoreStdin(t *testing.T) {
	f, err := os.Open(demoCapture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := OpenFile("-", f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WaitAnalysed(nil, 1<<30); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 36 {
		t.Errorf("%d packets from stdin", s.Len())
	}
}

// TestStoreBigFile times indexing and the fast pass on a large capture:
// WIRETAP_BIG=/tmp/big.pcapng go test -run BigFile -v ./cmd/wiretap/tui/packets
func TestStoreBigFile(t *testing.T) {
	path := os.Getenv("WIRETAP_BIG")
	if path == "" {
		t.Skip("set WIRETAP_BIG to a large capture")
	}
	start := time.Now()
	events := make(chan string, 4)
	s, err := OpenFile(path, nil, Options{Trace: func(ev string, n int) { events <- ev }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 2 {
		ev := <-events
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.Logf("%s after %.2fs: %d packets, heap %d MB, index %d MB", ev, time.Since(start).Seconds(), s.Len(), ms.HeapInuse>>20, s.idx.Bytes()>>20)
	}
	r, err := s.Row(s.Len())
	t.Logf("last row %+v %v", r, err)
}

// TestStoreGzip reads a gzip-compressed capture: decompressed to a spool
// file first, since packets are re-read by offset.
func TestStoreGzip(t *testing.T) {
	raw, err := os.ReadFile(demoCapture)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	path := filepath.Join(t.TempDir(), "demo.pcapng.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := OpenFile(path, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WaitAnalysed(nil, 1<<30); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Row(4); err != nil || s.Len() != 36 || r.Protocol != "HTTP" {
		t.Errorf("%d packets, row 4 %+v, %v", s.Len(), r, err)
	}
	spool := s.Path()
	s.Close()
	if _, err := os.Stat(spool); !os.IsNotExist(err) {
		t.Errorf("the spool file %s outlived Close", spool)
	}
}

// TestWarmRowsAreTheFastPass: before the file's fast pass is done, the
// first packets' rows come from a fast pass of their own (HTTP, TLS and
// Fernet, not provisional TCP rows), and they equal the final rows on the
// test captures.
func TestWarmRowsAreTheFastPass(t *testing.T) {
	files, err := filepath.Glob(oracletest.Testdata("decode", "oracle", "*.pcap*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range [][]string{{"oracle", "http", "*"}, {"tls", "*"}} {
		more, _ := filepath.Glob(oracletest.Testdata("decode", append(dir, "*.pcap*")...))
		files = append(files, more...)
	}
	compared, differ := 0, 0
	for _, f := range files {
		s, err := OpenFile(f, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.WaitAnalysed(nil, 1<<30); err != nil {
			t.Fatal(err)
		}
		var final []Row
		for n := 1; n <= min(s.Len(), warmRows); n++ {
			r, err := s.RowUncached(n)
			if err != nil {
				t.Fatal(err)
			}
			final = append(final, r)
		}
		// As before the fast pass reached them.
		s.mu.Lock()
		s.analysed = 0
		s.mu.Unlock()
		for n, want := range final {
			got, err := s.RowUncached(n + 1)
			if err != nil {
				t.Fatal(err)
			}
			compared++
			if got.Final {
				t.Errorf("%s row %d: final before the fast pass", filepath.Base(f), n+1)
			}
			got.Final = want.Final
			if got != want {
				differ++
				t.Logf("%s row %d: warm %q %q, final %q %q", filepath.Base(f), n+1, got.Protocol, got.Info, want.Protocol, want.Info)
			}
		}
		s.Close()
	}
	if compared == 0 {
		t.Fatal("no rows compared")
	}
	// A row may only differ where the end of the file flushed a stream
	// (Finish): none of these captures has one.
	if differ != 0 {
		t.Errorf("%d of %d warm rows differ from the final rows", differ, compared)
	}
	t.Logf("%d files, %d warm rows equal to the final rows", len(files), compared)
}

// TestStoreDecrypts: the viewer decrypts as read does — a demo capture
// whose TLS keys are inside (a Decryption Secrets Block) shows the HTTPS
// response as HTTP, its bytes in a "Decrypted TLS" tab, the secret found
// in its tree (not marked in the list: the mark is for what the wire
// shows).
func TestStoreDecrypts(t *testing.T) {
	file := oracletest.Testdata("decode", "tlsdecrypt", "demo", "demo.pcapng")
	s, err := OpenFile(file, nil, Options{Decode: decode.Options{KeyLog: decode.NewKeyLog()}, Secrets: [][]byte{[]byte("fluffy tail")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.WaitAnalysed(nil, 1<<30); err != nil {
		t.Fatal(err)
	}
	r, err := s.Row(25)
	if err != nil {
		t.Fatal(err)
	}
	if r.Protocol != "HTTP" || !strings.HasPrefix(r.Info, "HTTP/1.1 200 OK") || r.Secret {
		t.Errorf("row 25 = %+v; want HTTP, the decrypted 200 OK, no wire mark", r)
	}
	p, _, err := s.Packet(25)
	if err != nil {
		t.Fatal(err)
	}
	var tabs []string
	for _, src := range p.Sources {
		tabs = append(tabs, src.Name)
	}
	if len(tabs) < 2 || !strings.HasPrefix(tabs[1], "Decrypted TLS") {
		t.Errorf("data sources %q; want a Decrypted TLS tab", tabs)
	}
	if got := p.FieldText("http.file_data", ","); got != "fluffy tail" {
		t.Errorf("http.file_data = %q", got)
	}
	if got := p.FieldText("secret.found", ","); got != "fluffy tail" {
		t.Errorf("secret.found = %q; want the secret, found with the keys", got)
	}
}

// TestStoreFollowTLS: with keys, following a TLS stream gives its
// decrypted data (Follow TLS Stream).
func TestStoreFollowTLS(t *testing.T) {
	file := oracletest.Testdata("decode", "tlsdecrypt", "demo", "demo.pcapng")
	s, err := OpenFile(file, nil, Options{Decode: decode.Options{KeyLog: decode.NewKeyLog()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.WaitAnalysed(nil, 1<<30); err != nil {
		t.Fatal(err)
	}
	conv, err := s.Follow(nil, 2) // the HTTPS stream
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, c := range conv.Chunks {
		all = append(all, c.Data...)
	}
	if !conv.TLS || !bytes.Contains(all, []byte("GET / HTTP/1.1")) || !bytes.Contains(all, []byte("fluffy tail")) {
		t.Errorf("TLS %v, %d chunks: %.60q", conv.TLS, len(conv.Chunks), all)
	}
}
