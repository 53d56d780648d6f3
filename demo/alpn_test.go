package demo

import (
	"context"
	"crypto/tls"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// The HTTPS server offers h2 and http/1.1 by ALPN, as Go's net/http does
// by default: each client gets the best it offers.
func TestServerALPN(t *testing.T) {
	files := testPKI(t)
	s := startServer(t, ServerConfig{Mode: ModeHTTPS, TLS: testTLS(t, files)})
	for _, tc := range []struct {
		offer []string
		want  string
	}{
		{[]string{"h2", "http/1.1"}, "h2"},
		{[]string{"http/1.1", "h2"}, "h2"}, // the server's preference
		{[]string{"http/1.1"}, "http/1.1"},
		{[]string{"h2"}, "h2"},
		{nil, ""}, // no ALPN: HTTP/1.1, as before ALPN existed
	} {
		conn, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{InsecureSkipVerify: true, NextProtos: tc.offer})
		if err != nil {
			t.Errorf("offering %q: %v", tc.offer, err)
			continue
		}
		if got := conn.ConnectionState().NegotiatedProtocol; got != tc.want {
			t.Errorf("offering %q: negotiated %q, want %q", tc.offer, got, tc.want)
		}
		conn.Close()
	}
}

// The demo client keeps HTTP/1.1 unless asked for HTTP/2; a stock Go
// client that tries HTTP/2 gets it too.
func TestClientHTTP2(t *testing.T) {
	files := testPKI(t)
	s := startServer(t, ServerConfig{Mode: ModeHTTPS, TLS: testTLS(t, files)})
	for _, tc := range []struct {
		http2 bool
		want  string
	}{
		{false, "HTTP/1.1"},
		{true, "HTTP/2.0"},
	} {
		c, err := NewClient(ClientConfig{Mode: ModeHTTPS, URL: s.URL(), CACertFile: files.CACert, HTTP2: tc.http2})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.FetchSecret(context.Background())
		c.CloseIdleConnections()
		if err != nil || got != DefaultSecret || c.Proto() != tc.want {
			t.Errorf("HTTP2 %v: %q over %q, %v; want %q over %s", tc.http2, got, c.Proto(), err, DefaultSecret, tc.want)
		}
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("a Go client with ForceAttemptHTTP2 got %s", resp.Proto)
	}
	// HTTP/2 is for TLS only here.
	if _, err := NewClient(ClientConfig{Mode: ModePlain, URL: "http://localhost:5683/", HTTP2: true}); err == nil || !strings.Contains(err.Error(), "HTTP/2") {
		t.Errorf("plain with HTTP2: %v", err)
	}
}

// curl --http2 negotiates h2 (it fell back to HTTP/1.1 when the server
// offered only http/1.1).
func TestServerCurlHTTP2(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed: skipping the comparison with a real HTTP/2 client")
	}
	files := testPKI(t)
	s := startServer(t, ServerConfig{Mode: ModeHTTPS, TLS: testTLS(t, files)})
	for _, tc := range []struct{ flag, want string }{{"--http2", "2"}, {"--http1.1", "1.1"}} {
		out, err := exec.Command(curl, "-sS", tc.flag, "--cacert", files.CACert, "-w", "\n%{http_version}", s.URL()).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "not support") { // a curl built without nghttp2
				t.Skipf("curl cannot speak HTTP/2 here: %s", out)
			}
			t.Fatalf("curl %s: %v\n%s", tc.flag, err, out)
		}
		if got := string(out); got != DefaultSecret+"\n"+tc.want {
			t.Errorf("curl %s: %q, want the secret over HTTP/%s", tc.flag, got, tc.want)
		}
	}
}
