package demo

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fernet/fernet-go"
)

// ClientConfig describes one secret-squirrel client.
type ClientConfig struct {
	Mode       Mode
	URL        string      // "" means DefaultURL(Mode)
	FernetKey  *fernet.Key // fernet mode: the key to open the tokens with
	CACertFile string      // https: PEM file of the CA to trust; "" means the system roots
	KeyLog     io.Writer   // https: NSS key log (SSLKEYLOGFILE format) for Wireshark and wiretap
	// HTTP2 offers h2 besides http/1.1 by ALPN (https only), as curl
	// --http2 does; without it the client speaks HTTP/1.1, like the
	// tutorial's requests.
	HTTP2   bool
	Timeout time.Duration // per request; 0 means no limit beyond the context

	// Connections caps the connections open to the server at once, and
	// that many are kept alive between requests: give the number of
	// goroutines calling FetchSecret at once. 0 means no cap, 2 kept alive
	// (net/http's default). One client per goroutine with Connections 1
	// gives each goroutine exactly one connection.
	Connections int
	// NewConnPerRequest turns keep-alive off: every request opens (and
	// closes) its own connection.
	NewConnPerRequest bool
}

// Client is the tutorial's client: it GETs the secret and prints it.
type Client struct {
	cfg   ClientConfig
	url   *url.URL
	http  *http.Client
	proto atomic.Value // string: the protocol of the last answer
}

// maxBody caps what FetchSecret reads; the secret is a few dozen bytes.
const maxBody = 1 << 20

// DefaultURL is where the tutorial's client looks for the server in mode m.
func DefaultURL(m Mode) string {
	if m == ModeHTTPS {
		return "https://localhost:5683/"
	}
	return "http://localhost:5683/"
}

// NewClient checks cfg, loads the CA file and returns a ready client.
func NewClient(cfg ClientConfig) (*Client, error) {
	if !cfg.Mode.valid() {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: unknown client mode %q", cfg.Mode),
			NextStep: "the modes are plain, fernet and https",
		}
	}
	if cfg.URL == "" {
		cfg.URL = DefaultURL(cfg.Mode)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: %q is not an http:// or https:// URL", cfg.URL),
			NextStep: "give the server's address, e.g. " + DefaultURL(cfg.Mode),
			Cause:    err,
		}
	}
	if cfg.Mode == ModeHTTPS && u.Scheme != "https" {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: https mode needs an https:// URL, not %s", cfg.URL),
			NextStep: "use " + DefaultURL(ModeHTTPS) + " or --mode plain",
		}
	}
	if cfg.HTTP2 && u.Scheme != "https" {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: HTTP/2 is offered over TLS only, not to %s", cfg.URL),
			NextStep: "use --http2 with --mode https and an https:// URL",
		}
	}
	if cfg.Mode == ModeFernet && cfg.FernetKey == nil {
		return nil, &squirrelError{
			Msg:      "demo: fernet mode needs the server's key",
			NextStep: "export SECRET_KEY with the key the server was started with",
			Kind:     ErrFernetKey,
		}
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, KeyLogWriter: cfg.KeyLog}
	if cfg.CACertFile != "" {
		pem, err := os.ReadFile(cfg.CACertFile)
		if err != nil {
			return nil, &squirrelError{
				Msg:      fmt.Sprintf("demo: cannot read the CA certificate: %v", err),
				NextStep: "--cacert wants the CA's certificate (ca-public-key.pem in the tutorial)",
				Cause:    err,
			}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &squirrelError{
				Msg:      fmt.Sprintf("demo: %s holds no PEM certificate", cfg.CACertFile),
				NextStep: "--cacert wants the CA's certificate (ca-public-key.pem in the tutorial)",
			}
		}
		tc.RootCAs = pool
	}
	conns := cfg.Connections
	if conns < 2 {
		conns = 2
	}
	tr := &http.Transport{
		Proxy: nil, // the demo lives on loopback; a proxy would hide it
		DialContext: (&net.Dialer{
			Timeout:   cfg.Timeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:     tc,
		TLSHandshakeTimeout: cfg.Timeout,
		DisableKeepAlives:   cfg.NewConnPerRequest,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true, // keep the bytes on the wire what the server wrote
		// A Transport with its own TLSClientConfig speaks HTTP/1.1
		// only, unless asked to try HTTP/2.
		ForceAttemptHTTP2: cfg.HTTP2,
	}
	if cfg.Connections > 0 {
		// Exactly P connections for P workers: without a cap, workers
		// starting together may dial more than they end up using.
		tr.MaxConnsPerHost = cfg.Connections
	}
	return &Client{cfg: cfg, url: u, http: &http.Client{Transport: tr, Timeout: cfg.Timeout}}, nil
}

// URL is the address the client asks.
func (c *Client) URL() string { return c.url.String() }

// Proto is the protocol of the last answer ("HTTP/1.1", "HTTP/2.0"), ""
// before the first.
func (c *Client) Proto() string {
	p, _ := c.proto.Load().(string)
	return p
}

// CloseIdleConnections closes the keep-alive connections not in use.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// FetchSecret GETs the secret; in fernet mode it opens the token with the
// client's key. Failures come back readable, with a Hint.
func (c *Client) FetchSecret(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url.String(), nil)
	if err != nil {
		return "", &squirrelError{Msg: fmt.Sprintf("demo: bad request for %s: %v", c.url, err), Cause: err}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", c.explain(err)
	}
	c.proto.Store(resp.Proto)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		return "", c.explain(err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", &squirrelError{
			Msg:      fmt.Sprintf("demo: %s answered %s: %s", c.url, resp.Status, quoteHead(bytes.TrimSpace(body), 64)),
			NextStep: c.statusHint(resp.StatusCode, body),
		}
	}
	if c.cfg.Mode != ModeFernet {
		return string(body), nil
	}
	msg, err := FernetDecrypt(c.cfg.FernetKey, bytes.TrimSpace(body), 0, time.Now())
	if err != nil {
		if errors.Is(err, ErrFernetToken) {
			return "", &squirrelError{
				Msg:      fmt.Sprintf("demo: the server's answer is not a Fernet token: it starts %s", quoteHead(body, 32)),
				NextStep: "is the server running with --mode fernet? (a plain server sends the secret in clear)",
				Kind:     ErrFernetToken,
				Cause:    err,
			}
		}
		if errors.Is(err, ErrFernetSignature) {
			return "", &squirrelError{
				Msg:      "demo: the Fernet token was not made with this key (or was altered)",
				NextStep: "SECRET_KEY must be the same key the server was started with",
				Kind:     ErrFernetSignature,
				Cause:    err,
			}
		}
		return "", err
	}
	return string(msg), nil
}

func (c *Client) statusHint(code int, body []byte) string {
	switch {
	case code == http.StatusBadRequest && bytes.Contains(body, []byte("HTTPS")):
		return "the server speaks HTTPS: use an https:// URL with --mode https"
	case code == http.StatusNotFound:
		return "the secret lives at / on the server"
	}
	return ""
}

// explain turns a transport error into one a reader of the tutorial can act on.
func (c *Client) explain(err error) error {
	hostport := c.hostPort()
	var (
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalid    x509.CertificateInvalidError
		verifyErr  *tls.CertificateVerificationError
		recordErr  tls.RecordHeaderError
		netErr     net.Error
		contextErr = errors.Is(err, context.DeadlineExceeded)
	)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		addr := hostport
		if h, p, e := net.SplitHostPort(hostport); e == nil && strings.EqualFold(h, "localhost") {
			addr = net.JoinHostPort("127.0.0.1", p)
		}
		certFlags := ""
		if c.cfg.Mode == ModeHTTPS {
			certFlags = " --cert server-public-key.pem --key server-private-key.pem"
		}
		return &squirrelError{
			Msg:      fmt.Sprintf("demo: nothing is listening on %s (connection refused)", addr),
			NextStep: fmt.Sprintf("start the server first: wiretap server --mode %s --addr %s%s", c.cfg.Mode, addr, certFlags),
			Cause:    err,
		}
	case errors.As(err, &unknownCA):
		return c.untrusted(unknownCA.Cert, err)
	case errors.As(err, &hostErr):
		return &squirrelError{
			Msg: fmt.Sprintf("demo: the server's certificate is not for %s: it holds %s",
				hostErr.Host, certHostNames(hostErr.Certificate)),
			NextStep: fmt.Sprintf("ask for a name the certificate holds, e.g. %s", c.urlWithHost(hostErr.Certificate)),
			Cause:    err,
		}
	case errors.As(err, &invalid):
		return &squirrelError{
			Msg:      fmt.Sprintf("demo: the server's certificate is not valid: %v", invalid.Error()),
			NextStep: "make fresh certificates with: wiretap pki init",
			Cause:    err,
		}
	case errors.As(err, &verifyErr):
		var cert *x509.Certificate
		if len(verifyErr.UnverifiedCertificates) > 0 {
			cert = verifyErr.UnverifiedCertificates[0]
		}
		return c.untrusted(cert, err)
	case errors.As(err, &recordErr) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return &squirrelError{
			Msg:      fmt.Sprintf("demo: %s does not speak TLS (its first bytes are not a TLS record)", hostport),
			NextStep: "the server speaks plain HTTP: use an http:// URL (and --mode plain or fernet)",
			Cause:    err,
		}
	case contextErr || (errors.As(err, &netErr) && netErr.Timeout()):
		limit := ""
		if c.cfg.Timeout > 0 {
			limit = " within " + c.cfg.Timeout.String()
		}
		return &squirrelError{
			Msg:      fmt.Sprintf("demo: no answer from %s%s", hostport, limit),
			NextStep: "is the server stuck? allow more time with --timeout",
			Cause:    err,
		}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &squirrelError{
			Msg:      fmt.Sprintf("demo: %s closed the connection without answering", hostport),
			NextStep: "does the server speak the same protocol (http:// vs https://)? check its log",
			Cause:    err,
		}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return &squirrelError{
			Msg:      fmt.Sprintf("demo: cannot find the host %s: %v", dnsErr.Name, dnsErr.Err),
			NextStep: "the tutorial's server is at localhost (127.0.0.1)",
			Cause:    err,
		}
	}
	return &squirrelError{Msg: fmt.Sprintf("demo: GET %s: %v", c.url, unwrapURLError(err)), Cause: err}
}

func (c *Client) untrusted(cert *x509.Certificate, err error) error {
	issuer := "an unknown issuer"
	if cert != nil {
		issuer = issuerLabel(cert.Issuer.CommonName, cert.Issuer.Organization, cert.Issuer.String())
	}
	hint := "trust your CA with --cacert ca-public-key.pem"
	if c.cfg.CACertFile != "" {
		hint = fmt.Sprintf("%s did not issue this certificate; pass the CA that did with --cacert (ca-public-key.pem in the tutorial)", c.cfg.CACertFile)
	}
	return &squirrelError{
		Msg:      fmt.Sprintf("demo: cannot verify the server's certificate: its issuer %s is not a trusted authority", issuer),
		NextStep: hint,
		Cause:    err,
	}
}

// issuerLabel names a certificate subject or issuer by CN and O.
func issuerLabel(cn string, org []string, full string) string {
	var parts []string
	if cn != "" {
		parts = append(parts, "CN="+cn)
	}
	if len(org) > 0 {
		parts = append(parts, "O="+strings.Join(org, "+"))
	}
	if len(parts) == 0 {
		if full == "" {
			return "(an empty name)"
		}
		return fmt.Sprintf("%q", full)
	}
	return fmt.Sprintf("%q", strings.Join(parts, ", "))
}

// certHostNames lists the names a certificate is valid for.
func certHostNames(cert *x509.Certificate) string {
	if cert == nil {
		return "no names"
	}
	var names []string
	for _, d := range cert.DNSNames {
		names = append(names, "DNS:"+d)
	}
	for _, ip := range cert.IPAddresses {
		names = append(names, "IP:"+ip.String())
	}
	if len(names) == 0 {
		if cert.Subject.CommonName != "" {
			return fmt.Sprintf("no DNS or IP names (only the common name %q, which TLS clients ignore)", cert.Subject.CommonName)
		}
		return "no DNS or IP names"
	}
	return strings.Join(names, ", ")
}

// urlWithHost is the client's URL with its host replaced by the first name
// the certificate holds.
func (c *Client) urlWithHost(cert *x509.Certificate) string {
	u := *c.url
	host := ""
	switch {
	case cert == nil:
	case len(cert.DNSNames) > 0 && !strings.Contains(cert.DNSNames[0], "*"):
		host = cert.DNSNames[0]
	case len(cert.IPAddresses) > 0:
		host = cert.IPAddresses[0].String()
	}
	if host == "" {
		return "a URL naming the host the certificate was made for"
	}
	if p := u.Port(); p != "" {
		u.Host = net.JoinHostPort(host, p)
	} else {
		u.Host = host
	}
	return u.String()
}

func (c *Client) hostPort() string {
	if c.url.Port() != "" {
		return c.url.Host
	}
	port := "80"
	if c.url.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(c.url.Hostname(), port)
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// OpenKeyLog opens path to append TLS secrets in NSS key log format (the
// SSLKEYLOGFILE format Wireshark and wiretap read), creating it readable by
// its owner only: whoever reads it can decrypt the captured traffic.
func OpenKeyLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, &squirrelError{
			Msg:      fmt.Sprintf("demo: cannot open the key log: %v", err),
			NextStep: "pick a writable file with --keylog (or SSLKEYLOGFILE)",
			Cause:    err,
		}
	}
	return f, nil
}
