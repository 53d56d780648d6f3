package demo

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/fernet/fernet-go"

	"wiretap/demo/pki"
)

// ServerConfig describes one secret-squirrel server.
type ServerConfig struct {
	Mode      Mode
	Addr      string      // host:port to listen on; "" means DefaultAddr
	Secret    string      // the message handed out; "" means DefaultSecret
	FernetKey *fernet.Key // fernet mode: the key tokens are made with
	TLS       *tls.Config // https mode: the certificate (loaded by the caller); TLS 1.2 at least is enforced
	Log       io.Writer   // one line per request; nil means no log
}

// Server is the tutorial's secret-squirrel server.
type Server struct {
	cfg   ServerConfig
	tls   *tls.Config
	srv   *http.Server
	logMu sync.Mutex

	mu sync.Mutex // guards ln: Serve may Listen while another goroutine asks Addr
	ln net.Listener
}

// shutdownGrace is how long Serve waits for requests in flight once its
// context is done.
const shutdownGrace = 2 * time.Second

// NewServer checks cfg and returns a server ready to Listen.
func NewServer(cfg ServerConfig) (*Server, error) {
	if !cfg.Mode.valid() {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: unknown server mode %q", cfg.Mode),
			NextStep: "the modes are plain, fernet and https",
		}
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: bad listen address %q: %v", cfg.Addr, err),
			NextStep: "give it as HOST:PORT, e.g. --addr 127.0.0.1:5683",
			Cause:    err,
		}
	}
	if cfg.Secret == "" {
		cfg.Secret = DefaultSecret
	}
	s := &Server{cfg: cfg}
	switch cfg.Mode {
	case ModeFernet:
		if cfg.FernetKey == nil {
			return nil, &squirrelError{
				Msg:      "demo: fernet mode needs a key",
				NextStep: "export SECRET_KEY=$(wiretap fernet genkey)",
				Kind:     ErrFernetKey,
			}
		}
	case ModeHTTPS:
		if cfg.TLS == nil || (len(cfg.TLS.Certificates) == 0 && cfg.TLS.GetCertificate == nil && cfg.TLS.GetConfigForClient == nil) {
			return nil, &squirrelError{
				Msg:      "demo: https mode needs a certificate and its private key",
				NextStep: "pass --cert and --key (make them with: wiretap pki init)",
			}
		}
		c := cfg.TLS.Clone()
		if c.MinVersion < tls.VersionTLS12 {
			c.MinVersion = tls.VersionTLS12
		}
		// NextProtos is left to net/http (ServeTLS): it offers h2 and
		// http/1.1 by ALPN, as Go servers do by default; a client that
		// offers only http/1.1 (the tutorial's requests) gets that.
		s.tls = c
	}
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.handle),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(s.logWriter(), "", 0),
		TLSConfig:         s.tls,
	}
	if s.tls != nil {
		var p http.Protocols
		p.SetHTTP1(true)
		p.SetHTTP2(true)
		s.srv.Protocols = &p
	}
	return s, nil
}

// Listen binds the server's address. Serve calls it if it was not called.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return listenError(s.cfg.Addr, err)
	}
	s.ln = ln // Serve puts TLS on it
	return nil
}

func listenError(addr string, err error) error {
	host, _, _ := net.SplitHostPort(addr)
	if host == "" {
		host = "127.0.0.1"
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return &squirrelError{
			Msg:      fmt.Sprintf("demo: %s is already in use", addr),
			NextStep: fmt.Sprintf("stop the other server or pick another port with --addr %s", net.JoinHostPort(host, "PORT")),
			Cause:    err,
		}
	case errors.Is(err, syscall.EACCES):
		return &squirrelError{
			Msg:      fmt.Sprintf("demo: not allowed to listen on %s", addr),
			NextStep: "ports below 1024 need privileges; pick another port with --addr " + net.JoinHostPort(host, "PORT"),
			Cause:    err,
		}
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return &squirrelError{
			Msg:      fmt.Sprintf("demo: %s is not an address of this machine", addr),
			NextStep: "listen on the loopback interface, e.g. --addr 127.0.0.1:5683",
			Cause:    err,
		}
	}
	return &squirrelError{Msg: fmt.Sprintf("demo: cannot listen on %s: %v", addr, err), Cause: err}
}

// Addr is the address the server is bound to (after Listen), with the real
// port when the configured one was 0.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// URL is where a client finds the secret: http(s)://HOST:PORT/. In https
// mode a loopback or wildcard bind is named "localhost", so the name matches
// the certificate the tutorial makes.
func (s *Server) URL() string {
	scheme := "http"
	if s.cfg.Mode == ModeHTTPS {
		scheme = "https"
	}
	var host, port string
	if a, ok := s.Addr().(*net.TCPAddr); ok {
		port = strconv.Itoa(a.Port)
		host = a.IP.String()
		if a.IP.IsUnspecified() {
			host = "127.0.0.1"
		}
		if s.cfg.Mode == ModeHTTPS && (a.IP.Equal(net.IPv4(127, 0, 0, 1)) || a.IP.IsUnspecified()) {
			host = "localhost"
		}
	} else {
		host, port, _ = net.SplitHostPort(s.cfg.Addr)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		if s.cfg.Mode == ModeHTTPS && host == "127.0.0.1" {
			host = "localhost"
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}

// Serve answers requests until ctx is done, then shuts down gracefully,
// giving requests in flight 2s to finish. It returns nil after a clean stop.
func (s *Server) Serve(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	errc := make(chan error, 1)
	go func() {
		if s.tls != nil {
			// ServeTLS, not Serve on a TLS listener: it sets up
			// HTTP/2 and its ALPN names.
			errc <- s.srv.ServeTLS(ln, "", "")
			return
		}
		errc <- s.srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return &squirrelError{Msg: fmt.Sprintf("demo: server on %s stopped: %v", s.Addr(), err), Cause: err}
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		s.srv.Close()
	}
	<-errc
	return nil
}

// handle is the whole application: GET / hands out the secret.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	lw := &logResponse{ResponseWriter: w, status: http.StatusOK}
	defer func() { s.logRequest(r, lw) }()
	w = lw
	if r.URL.Path != "/" {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body := []byte(s.cfg.Secret)
	if s.cfg.Mode == ModeFernet {
		tok, err := fernet.EncryptAndSign(body, s.cfg.FernetKey)
		if err != nil {
			http.Error(w, "500 cannot make a Fernet token", http.StatusInternalServerError)
			return
		}
		body = tok
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

// logResponse remembers the status and counts the body bytes written.
type logResponse struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (l *logResponse) WriteHeader(code int) {
	if !l.wrote {
		l.status, l.wrote = code, true
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *logResponse) Write(p []byte) (int, error) {
	l.wrote = true
	n, err := l.ResponseWriter.Write(p)
	l.bytes += int64(n)
	return n, err
}

// logRequest writes the request's line: time, remote address, method, path,
// status and body bytes.
func (s *Server) logRequest(r *http.Request, l *logResponse) {
	if s.cfg.Log == nil {
		return
	}
	line := fmt.Sprintf("%s %s %s %s %d %d\n", time.Now().Format(time.RFC3339), r.RemoteAddr,
		r.Method, r.URL.EscapedPath(), l.status, l.bytes)
	s.logMu.Lock()
	defer s.logMu.Unlock()
	io.WriteString(s.cfg.Log, line)
}

// logWriter is where net/http's own complaints (TLS handshake errors) go:
// the request log, or nowhere.
func (s *Server) logWriter() io.Writer {
	if s.cfg.Log == nil {
		return io.Discard
	}
	return logLineWriter(func(p []byte) (int, error) {
		s.logMu.Lock()
		defer s.logMu.Unlock()
		if _, err := fmt.Fprintf(s.cfg.Log, "%s %s", time.Now().Format(time.RFC3339), p); err != nil {
			return 0, err
		}
		return len(p), nil
	})
}

type logLineWriter func([]byte) (int, error)

func (f logLineWriter) Write(p []byte) (int, error) { return f(p) }

// TLSConfigFromFiles loads a server certificate (with any intermediate
// certificates that follow it in certFile) and its private key, which may be
// encrypted; passphrase is asked only when it is.
func TLSConfigFromFiles(certFile, keyFile string, passphrase func() ([]byte, error)) (*tls.Config, error) {
	data, err := os.ReadFile(certFile)
	if err != nil {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: cannot read the certificate: %v", err),
			NextStep: "make one with: wiretap pki init",
			Cause:    err,
		}
	}
	var chain [][]byte
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			chain = append(chain, b.Bytes)
		}
	}
	if len(chain) == 0 {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: %s holds no PEM certificate", certFile),
			NextStep: "--cert wants the server's certificate (server-public-key.pem in the tutorial)",
		}
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, &squirrelError{Msg: fmt.Sprintf("demo: %s: bad certificate: %v", certFile, err), Cause: err}
	}
	key, err := pki.LoadPrivateKey(keyFile, passphrase)
	if err != nil {
		return nil, err
	}
	if !keyMatchesCert(key.Public(), leaf.PublicKey) {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: the key in %s does not belong to the certificate in %s", keyFile, certFile),
			NextStep: "pass the server's own key with --key (server-private-key.pem in the tutorial)",
		}
	}
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: chain, PrivateKey: key, Leaf: leaf}},
		MinVersion:   tls.VersionTLS12,
	}, nil
}

func keyMatchesCert(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(x crypto.PublicKey) bool })
	return ok && k.Equal(b)
}
