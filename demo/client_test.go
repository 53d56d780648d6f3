package demo

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wiretap/demo/pki"
)

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func hintOf(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

func TestDefaultURL(t *testing.T) {
	for m, want := range map[Mode]string{
		ModePlain:  "http://localhost:5683/",
		ModeFernet: "http://localhost:5683/",
		ModeHTTPS:  "https://localhost:5683/",
	} {
		if got := DefaultURL(m); got != want {
			t.Errorf("DefaultURL(%s) = %q, want %q", m, got, want)
		}
	}
}

func TestNewClientValidates(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	tests := []struct {
		name string
		cfg  ClientConfig
		text string
	}{
		{"no mode", ClientConfig{}, `unknown client mode ""`},
		{"fernet without key", ClientConfig{Mode: ModeFernet}, "fernet mode needs the server's key"},
		{"https with http URL", ClientConfig{Mode: ModeHTTPS, URL: "http://localhost:5683/"}, "https mode needs an https:// URL"},
		{"not a URL", ClientConfig{Mode: ModePlain, URL: "localhost:5683"}, "is not an http:// or https:// URL"},
		{"missing CA file", ClientConfig{Mode: ModeHTTPS, CACertFile: filepath.Join(dir, "nope.pem")}, "cannot read the CA certificate"},
		{"CA file not PEM", ClientConfig{Mode: ModeHTTPS, CACertFile: notPEM}, "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClient(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %v, want %q", err, tt.text)
			}
		})
	}
	c, err := NewClient(ClientConfig{Mode: ModeHTTPS})
	if err != nil {
		t.Fatal(err)
	}
	if c.URL() != "https://localhost:5683/" {
		t.Errorf("default URL %q", c.URL())
	}
}

// TestClientErrors checks each failure a reader of the tutorial meets comes
// back as a readable message with a hint.
func TestClientErrors(t *testing.T) {
	files := testPKI(t)
	tc := testTLS(t, files)
	keyA, keyB := testKey(t), testKey(t)

	plain := startServer(t, ServerConfig{Mode: ModePlain})
	fern := startServer(t, ServerConfig{Mode: ModeFernet, FernetKey: keyA})
	secure := startServer(t, ServerConfig{Mode: ModeHTTPS, TLS: tc})
	// The same certificate (localhost, 127.0.0.1) served on 127.0.0.2.
	secure2 := startServer(t, ServerConfig{Mode: ModeHTTPS, TLS: tc, Addr: "127.0.0.2:0"})
	// A certificate for another name only.
	otherFiles, err := pki.Init(t.TempDir(), pki.InitOptions{KeyType: pki.ECDSAP256, Hostnames: []string{"my-site.com"}})
	if err != nil {
		t.Fatal(err)
	}
	otherName := startServer(t, ServerConfig{Mode: ModeHTTPS, TLS: testTLS(t, otherFiles)})
	// A server that accepts and never answers.
	stuck, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stuck.Close() })

	refused := closedPort(t)
	port := func(s *Server) int { return s.Addr().(*net.TCPAddr).Port }

	tests := []struct {
		name      string
		cfg       ClientConfig
		msg       string // the whole message, or with contains: a part of it
		contains  bool
		hint      string
		hintParts bool
		is        error
	}{
		{
			name: "nothing listening",
			cfg:  ClientConfig{Mode: ModePlain, URL: fmt.Sprintf("http://127.0.0.1:%d/", refused)},
			msg:  fmt.Sprintf("demo: nothing is listening on 127.0.0.1:%d (connection refused)", refused),
			hint: fmt.Sprintf("start the server first: wiretap server --mode plain --addr 127.0.0.1:%d", refused),
		},
		{
			name: "nothing listening, localhost, fernet",
			cfg:  ClientConfig{Mode: ModeFernet, FernetKey: keyA, URL: fmt.Sprintf("http://localhost:%d/", refused)},
			msg:  fmt.Sprintf("demo: nothing is listening on 127.0.0.1:%d (connection refused)", refused),
			hint: fmt.Sprintf("start the server first: wiretap server --mode fernet --addr 127.0.0.1:%d", refused),
		},
		{
			name: "nothing listening, https",
			cfg:  ClientConfig{Mode: ModeHTTPS, URL: fmt.Sprintf("https://localhost:%d/", refused)},
			msg:  fmt.Sprintf("demo: nothing is listening on 127.0.0.1:%d (connection refused)", refused),
			hint: fmt.Sprintf("start the server first: wiretap server --mode https --addr 127.0.0.1:%d --cert server-public-key.pem --key server-private-key.pem", refused),
		},
		{
			name: "untrusted CA",
			cfg:  ClientConfig{Mode: ModeHTTPS, URL: secure.URL()},
			msg:  `demo: cannot verify the server's certificate: its issuer "CN=my-ca.com, O=My CA Company" is not a trusted authority`,
			hint: "trust your CA with --cacert ca-public-key.pem",
		},
		{
			name:      "another CA",
			cfg:       ClientConfig{Mode: ModeHTTPS, URL: secure.URL(), CACertFile: otherFiles.CACert},
			msg:       `its issuer "CN=my-ca.com, O=My CA Company" is not a trusted authority`,
			contains:  true,
			hint:      otherFiles.CACert + " did not issue this certificate",
			hintParts: true,
		},
		{
			name:      "wrong host 127.0.0.2",
			cfg:       ClientConfig{Mode: ModeHTTPS, URL: fmt.Sprintf("https://127.0.0.2:%d/", port(secure2)), CACertFile: files.CACert},
			msg:       "demo: the server's certificate is not for 127.0.0.2: it holds DNS:localhost, IP:127.0.0.1",
			hint:      fmt.Sprintf("https://localhost:%d/", port(secure2)),
			hintParts: true,
		},
		{
			name:      "certificate for another name",
			cfg:       ClientConfig{Mode: ModeHTTPS, URL: otherName.URL(), CACertFile: otherFiles.CACert},
			msg:       "demo: the server's certificate is not for localhost: it holds DNS:my-site.com",
			hint:      fmt.Sprintf("https://my-site.com:%d/", port(otherName)),
			hintParts: true,
		},
		{
			name: "wrong Fernet key",
			cfg:  ClientConfig{Mode: ModeFernet, FernetKey: keyB, URL: fern.URL()},
			msg:  "demo: the Fernet token was not made with this key (or was altered)",
			hint: "SECRET_KEY must be the same key the server was started with",
			is:   ErrFernetSignature,
		},
		{
			name:      "not a Fernet token",
			cfg:       ClientConfig{Mode: ModeFernet, FernetKey: keyA, URL: plain.URL()},
			msg:       `demo: the server's answer is not a Fernet token: it starts "fluffy tail"`,
			hint:      "--mode fernet",
			hintParts: true,
			is:        ErrFernetToken,
		},
		{
			name:      "https client, plain server",
			cfg:       ClientConfig{Mode: ModeHTTPS, URL: fmt.Sprintf("https://localhost:%d/", port(plain))},
			msg:       "does not speak TLS",
			contains:  true,
			hint:      "plain HTTP",
			hintParts: true,
		},
		{
			name:      "plain client, https server",
			cfg:       ClientConfig{Mode: ModePlain, URL: fmt.Sprintf("http://localhost:%d/", port(secure))},
			msg:       "answered 400 Bad Request",
			contains:  true,
			hint:      "https://",
			hintParts: true,
		},
		{
			name:     "no answer",
			cfg:      ClientConfig{Mode: ModePlain, URL: "http://" + stuck.Addr().String() + "/", Timeout: 200 * time.Millisecond},
			msg:      "demo: no answer from " + stuck.Addr().String() + " within 200ms",
			hint:     "--timeout",
			contains: false, hintParts: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			got, err := c.FetchSecret(context.Background())
			if err == nil {
				t.Fatalf("FetchSecret succeeded: %q", got)
			}
			if tt.contains {
				if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("error\n %q\ndoes not contain\n %q", err, tt.msg)
				}
			} else if err.Error() != tt.msg {
				t.Errorf("error\n got %q\nwant %q", err, tt.msg)
			}
			h := hintOf(err)
			if tt.hintParts {
				if !strings.Contains(h, tt.hint) {
					t.Errorf("hint %q does not contain %q", h, tt.hint)
				}
			} else if h != tt.hint {
				t.Errorf("hint\n got %q\nwant %q", h, tt.hint)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error is not %v", tt.is)
			}
		})
	}
}

// TestClientKeyLog: the key log gets NSS lines (TLS 1.3 traffic secrets, or
// CLIENT_RANDOM for TLS 1.2) and is made 0600.
func TestClientKeyLog(t *testing.T) {
	files := testPKI(t)
	tests := []struct {
		name  string
		max   uint16
		label string
	}{
		{"TLS 1.3", tls.VersionTLS13, "CLIENT_HANDSHAKE_TRAFFIC_SECRET "},
		{"TLS 1.2", tls.VersionTLS12, "CLIENT_RANDOM "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := testTLS(t, files)
			tc.MaxVersion = tt.max
			s := startServer(t, ServerConfig{Mode: ModeHTTPS, TLS: tc})
			path := filepath.Join(t.TempDir(), "keys.log")
			f, err := OpenKeyLog(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			c, err := NewClient(ClientConfig{Mode: ModeHTTPS, URL: s.URL(), CACertFile: files.CACert, KeyLog: f})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseIdleConnections()
			if got, err := c.FetchSecret(context.Background()); err != nil || got != DefaultSecret {
				t.Fatalf("FetchSecret = %q, %v", got, err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				if strings.HasPrefix(line, tt.label) {
					found = true
					if f := strings.Fields(line); len(f) != 3 || len(f[1]) != 64 {
						t.Errorf("malformed key log line %q", line)
					}
				}
			}
			if !found {
				t.Errorf("key log lacks %q lines:\n%s", tt.label, data)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("key log mode %v, want 0600", st.Mode().Perm())
			}
		})
	}
	// Appends, never truncates.
	path := filepath.Join(t.TempDir(), "keys.log")
	os.WriteFile(path, []byte("# earlier\n"), 0o600)
	f, err := OpenKeyLog(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("CLIENT_RANDOM x y\n")
	f.Close()
	if b, _ := os.ReadFile(path); string(b) != "# earlier\nCLIENT_RANDOM x y\n" {
		t.Errorf("key log after append: %q", b)
	}
}
