package demo

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"wiretap/demo/pki"
)

// syncBuffer is a bytes.Buffer safe for the server's log goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testPKI makes the tutorial's CA and server certificate (for localhost
// and 127.0.0.1) in a temporary directory. ECDSA keys unless rsa is set:
// RSA keys are slow to make.
func testPKI(t *testing.T, rsa ...bool) pki.Files {
	t.Helper()
	opts := pki.InitOptions{KeyType: pki.ECDSAP256}
	if len(rsa) > 0 && rsa[0] {
		opts.KeyType = pki.RSA2048
	}
	files, err := pki.Init(t.TempDir(), opts)
	if err != nil {
		t.Fatalf("pki.Init: %v", err)
	}
	return files
}

func testTLS(t *testing.T, files pki.Files) *tls.Config {
	t.Helper()
	tc, err := TLSConfigFromFiles(files.ServerCert, files.ServerKey, nil)
	if err != nil {
		t.Fatalf("TLSConfigFromFiles: %v", err)
	}
	return tc
}

func testKey(t *testing.T) *fernet.Key {
	t.Helper()
	k, err := ParseFernetKey(GenerateFernetKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// startServer runs a server until the test ends; Addr defaults to
// 127.0.0.1:0.
func startServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	if err := s.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after its context was cancelled")
		}
	})
	return s
}

func TestParseMode(t *testing.T) {
	for _, m := range Modes {
		got, err := ParseMode(" " + strings.ToUpper(string(m)) + " ")
		if err != nil || got != m {
			t.Errorf("ParseMode(%q) = %q, %v", m, got, err)
		}
	}
	if _, err := ParseMode("tls"); err == nil || !strings.Contains(err.Error(), `unknown mode "tls"`) {
		t.Errorf("ParseMode(tls) error = %v", err)
	}
}

func TestServerModes(t *testing.T) {
	files := testPKI(t, true) // RSA, as the tutorial
	key := testKey(t)
	tests := []struct {
		mode   Mode
		cfg    ServerConfig
		scheme string
		host   string
	}{
		{ModePlain, ServerConfig{Mode: ModePlain}, "http", "127.0.0.1"},
		{ModeFernet, ServerConfig{Mode: ModeFernet, FernetKey: key}, "http", "127.0.0.1"},
		{ModeHTTPS, ServerConfig{Mode: ModeHTTPS, TLS: testTLS(t, files)}, "https", "localhost"},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			var log syncBuffer
			cfg := tt.cfg
			cfg.Log = &log
			s := startServer(t, cfg)
			port := s.Addr().(*net.TCPAddr).Port
			if port == 0 {
				t.Fatal("Addr has port 0 after Listen")
			}
			wantURL := fmt.Sprintf("%s://%s:%d/", tt.scheme, tt.host, port)
			if s.URL() != wantURL {
				t.Errorf("URL = %q, want %q", s.URL(), wantURL)
			}
			c, err := NewClient(ClientConfig{Mode: tt.mode, URL: s.URL(), FernetKey: key, CACertFile: files.CACert, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			for range 3 {
				got, err := c.FetchSecret(context.Background())
				if err != nil {
					t.Fatalf("FetchSecret: %v", err)
				}
				if got != DefaultSecret {
					t.Fatalf("FetchSecret = %q, want %q", got, DefaultSecret)
				}
			}
			lines := strings.Split(strings.TrimSpace(log.String()), "\n")
			if len(lines) != 3 {
				t.Fatalf("log has %d lines, want 3:\n%s", len(lines), log.String())
			}
			size := len(DefaultSecret)
			if tt.mode == ModeFernet {
				size = 100 // base64url of 1+8+16+16+32 = 73 bytes
			}
			re := regexp.MustCompile(fmt.Sprintf(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) 127\.0\.0\.1:\d+ GET / 200 %d$`, size))
			for _, l := range lines {
				if !re.MatchString(l) {
					t.Errorf("log line %q does not match %s", l, re)
				}
			}
		})
	}
}

// TestServerFernetFresh: every request gets a new token (new IV), and the
// tokens open with the server's key.
func TestServerFernetFresh(t *testing.T) {
	key := testKey(t)
	s := startServer(t, ServerConfig{Mode: ModeFernet, FernetKey: key, Secret: "acorns"})
	var toks []string
	for range 2 {
		resp, err := http.Get(s.URL())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		msg, err := FernetDecrypt(key, b, time.Minute, time.Now())
		if err != nil || string(msg) != "acorns" {
			t.Fatalf("token %q: %q, %v", b, msg, err)
		}
		toks = append(toks, string(b))
	}
	if toks[0] == toks[1] {
		t.Error("two requests got the same token")
	}
}

func TestServerRoutes(t *testing.T) {
	var log syncBuffer
	s := startServer(t, ServerConfig{Mode: ModePlain, Log: &log})
	tests := []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/", 200, DefaultSecret},
		{"HEAD", "/", 200, ""},
		{"GET", "/nope", 404, "404 page not found\n"},
		{"POST", "/", 405, "405 method not allowed\n"},
		{"DELETE", "/", 405, "405 method not allowed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, strings.TrimSuffix(s.URL(), "/")+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || string(b) != tt.body {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, b, tt.status, tt.body)
			}
			if tt.status == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q", resp.Header.Get("Allow"))
			}
			if tt.method == "HEAD" && resp.ContentLength != int64(len(DefaultSecret)) {
				t.Errorf("HEAD Content-Length = %d", resp.ContentLength)
			}
			want := fmt.Sprintf(" %s %s %d ", tt.method, tt.path, tt.status)
			if !strings.Contains(log.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, log.String())
			}
		})
	}
}

// TestServerKeepAlive: the server keeps connections open, so a client
// reuses one for many requests.
func TestServerKeepAlive(t *testing.T) {
	s := startServer(t, ServerConfig{Mode: ModePlain})
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	reused := 0
	for range 5 {
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
			if i.Reused {
				reused++
			}
		}}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", s.URL(), nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if reused != 4 {
		t.Errorf("%d of 5 requests reused the connection, want 4", reused)
	}
}

// TestClientConnections counts the server's connections: P workers, each
// with its own keep-alive client, make P; --new-conn makes one per request.
func TestClientConnections(t *testing.T) {
	for _, tt := range []struct {
		name    string
		newConn bool
		want    int64
	}{
		{"keep-alive", false, 4},
		{"new conn", true, 40},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewServer(ServerConfig{Mode: ModePlain, Addr: "127.0.0.1:0"})
			if err != nil {
				t.Fatal(err)
			}
			var conns atomic.Int64
			s.srv.ConnState = func(_ net.Conn, st http.ConnState) {
				if st == http.StateNew {
					conns.Add(1)
				}
			}
			if err := s.Listen(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go s.Serve(ctx)
			var wg sync.WaitGroup
			var failed atomic.Int64
			for range 4 {
				// One client per worker, as wiretap client --parallel does.
				c, err := NewClient(ClientConfig{Mode: ModePlain, URL: s.URL(), Connections: 1, NewConnPerRequest: tt.newConn})
				if err != nil {
					t.Fatal(err)
				}
				defer c.CloseIdleConnections()
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 10 {
						if _, err := c.FetchSecret(context.Background()); err != nil {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			if failed.Load() != 0 {
				t.Fatalf("%d requests failed", failed.Load())
			}
			if got := conns.Load(); got != tt.want {
				t.Errorf("server saw %d connections, want %d", got, tt.want)
			}
		})
	}
}

func TestServerAddressInUse(t *testing.T) {
	s := startServer(t, ServerConfig{Mode: ModePlain})
	addr := s.Addr().String()
	s2, err := NewServer(ServerConfig{Mode: ModePlain, Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	err = s2.Listen()
	if err == nil {
		t.Fatal("second Listen on the same port succeeded")
	}
	if want := "demo: " + addr + " is already in use"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	var h interface{ Hint() string }
	if !errors.As(err, &h) || h.Hint() != "stop the other server or pick another port with --addr 127.0.0.1:PORT" {
		t.Errorf("hint missing or wrong: %v", err)
	}
	// Serve on a server whose Listen failed reports the same error.
	if err := s2.Serve(context.Background()); err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("Serve = %v", err)
	}
}

func TestNewServerValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  ServerConfig
		text string
	}{
		{"no mode", ServerConfig{}, `unknown server mode ""`},
		{"fernet without key", ServerConfig{Mode: ModeFernet}, "fernet mode needs a key"},
		{"https without TLS", ServerConfig{Mode: ModeHTTPS}, "https mode needs a certificate"},
		{"https without certificate", ServerConfig{Mode: ModeHTTPS, TLS: &tls.Config{}}, "https mode needs a certificate"},
		{"bad addr", ServerConfig{Mode: ModePlain, Addr: "5683"}, `bad listen address "5683"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewServer(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %v, want %q", err, tt.text)
			}
		})
	}
	s, err := NewServer(ServerConfig{Mode: ModePlain})
	if err != nil {
		t.Fatal(err)
	}
	if s.URL() != "http://127.0.0.1:5683/" {
		t.Errorf("URL before Listen = %q", s.URL())
	}
}

// TestServerMinTLS12: a TLS 1.1 client is turned away even when the
// caller's config would allow it.
func TestServerMinTLS12(t *testing.T) {
	tc := testTLS(t, testPKI(t))
	tc.MinVersion = tls.VersionTLS10
	s := startServer(t, ServerConfig{Mode: ModeHTTPS, TLS: tc})
	conn, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS10,
		MaxVersion:         tls.VersionTLS11,
	})
	if err == nil {
		conn.Close()
		t.Fatal("TLS 1.1 handshake succeeded")
	}
	if tc.MinVersion != tls.VersionTLS10 {
		t.Error("NewServer changed the caller's tls.Config")
	}
}

func TestServerStopsOnCancel(t *testing.T) {
	s, err := NewServer(ServerConfig{Mode: ModePlain, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	// Serve listens by itself; wait until it does.
	deadline := time.Now().Add(5 * time.Second)
	for s.Addr() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not stop")
	}
}

func TestTLSConfigFromFiles(t *testing.T) {
	files := testPKI(t, true)
	dir := t.TempDir()
	other, err := pki.Init(dir+"/other", pki.InitOptions{KeyType: pki.ECDSAP256})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := pki.Init(dir+"/enc", pki.InitOptions{KeyType: pki.ECDSAP256, Pass: []byte("serverpassword")})
	if err != nil {
		t.Fatal(err)
	}
	pass := func(p string) func() ([]byte, error) {
		return func() ([]byte, error) { return []byte(p), nil }
	}

	tc, err := TLSConfigFromFiles(files.ServerCert, files.ServerKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tc.Certificates) != 1 || tc.Certificates[0].Leaf == nil || tc.MinVersion != tls.VersionTLS12 {
		t.Errorf("config: %+v", tc)
	}
	if _, err := TLSConfigFromFiles(enc.ServerCert, enc.ServerKey, pass("serverpassword")); err != nil {
		t.Errorf("encrypted key with the right passphrase: %v", err)
	}
	if _, err := TLSConfigFromFiles(enc.ServerCert, enc.ServerKey, nil); !errors.Is(err, pki.ErrPassphraseNeeded) {
		t.Errorf("encrypted key without passphrase: %v, want pki.ErrPassphraseNeeded", err)
	}
	if _, err := TLSConfigFromFiles(enc.ServerCert, enc.ServerKey, pass("nope")); !errors.Is(err, pki.ErrWrongPassphrase) {
		t.Errorf("encrypted key with the wrong passphrase: %v, want pki.ErrWrongPassphrase", err)
	}
	_, err = TLSConfigFromFiles(files.ServerCert, other.ServerKey, nil)
	if err == nil || !strings.Contains(err.Error(), "does not belong to the certificate") {
		t.Errorf("mismatched key: %v", err)
	}
	_, err = TLSConfigFromFiles(files.ServerKey, files.ServerKey, nil)
	if err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("key as certificate: %v", err)
	}
	_, err = TLSConfigFromFiles(dir+"/missing.pem", files.ServerKey, nil)
	if err == nil || !strings.Contains(err.Error(), "cannot read the certificate") {
		t.Errorf("missing certificate: %v", err)
	}
}
