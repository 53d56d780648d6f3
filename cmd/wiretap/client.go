package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	neturl "net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"wiretap/demo"
)

func init() {
	register("client", "fetch the secret from the server, like the tutorial's client", runClient)
}

const clientUsage = "[--mode plain|fernet|https] [URL] [--cacert FILE] [--keylog FILE] [--repeat N] [--parallel P] [--new-conn] [--timeout 5s] [--wait 0s] [--http2]"

func runClient(args []string, io stdio) error {
	fs := newFlags("client", clientUsage, io)
	modeFlag := fs.String("mode", "plain", "how the secret travels: plain, fernet (key from $SECRET_KEY) or https")
	caFile := fs.String("cacert", "", "https: trust this CA certificate, PEM (ca-public-key.pem in the tutorial); default: the system's CAs")
	keylog := fs.String("keylog", "", "https: append TLS secrets to FILE in NSS key log format (default $SSLKEYLOGFILE)")
	repeat := fs.Int("repeat", 1, "make N requests and print statistics")
	parallel := fs.Int("parallel", 1, "spread the requests over P workers, one keep-alive connection each")
	newConn := fs.Bool("new-conn", false, "open a new connection for every request (no keep-alive)")
	timeout := fs.Duration("timeout", 5*time.Second, "give up on a request after this long")
	wait := fs.Duration("wait", 0, "wait up to this long for the server to start listening (for scripts)")
	http2 := fs.Bool("http2", false, "https: offer HTTP/2 (h2) by ALPN, as curl --http2 does; default HTTP/1.1, like the tutorial")
	pos, err := parseClientArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return &usageError{
			msg:  fmt.Sprintf("client takes at most one URL, got %d arguments", len(pos)),
			hint: "usage: wiretap client " + clientUsage,
		}
	}
	mode, err := demo.ParseMode(*modeFlag)
	if err != nil {
		return &usageError{msg: fmt.Sprintf("unknown --mode %q", *modeFlag), hint: "the modes are plain, fernet and https"}
	}
	if *repeat < 1 || *parallel < 1 {
		return &usageError{msg: "--repeat and --parallel must be at least 1"}
	}
	if *timeout < 0 || *wait < 0 {
		return &usageError{msg: "--timeout and --wait must not be negative"}
	}
	if *parallel > *repeat {
		*parallel = *repeat
	}

	url := ""
	switch {
	case len(pos) == 1:
		url = pos[0]
	case os.Getenv("SECRET_URL") != "":
		url = os.Getenv("SECRET_URL")
	default:
		url = demo.DefaultURL(mode)
	}
	cfg := demo.ClientConfig{
		Mode:              mode,
		URL:               url,
		CACertFile:        *caFile,
		Timeout:           *timeout,
		NewConnPerRequest: *newConn,
		HTTP2:             *http2,
	}
	if mode == demo.ModeFernet {
		text := strings.TrimSpace(os.Getenv("SECRET_KEY"))
		if text == "" {
			return &usageError{
				msg:  "fernet mode needs the server's key in the SECRET_KEY environment variable",
				hint: "export SECRET_KEY with the key the server was started with",
			}
		}
		key, err := demo.ParseFernetKey(text)
		if err != nil {
			return err
		}
		cfg.FernetKey = key
	}
	logPath := *keylog
	if logPath == "" {
		logPath = os.Getenv("SSLKEYLOGFILE")
	}
	if logPath != "" && strings.HasPrefix(strings.ToLower(url), "https:") {
		f, err := demo.OpenKeyLog(logPath)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.KeyLog = f
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *wait > 0 {
		waitForListener(ctx, url, *wait)
	}
	if *repeat > 1 {
		// One client per worker: each keeps its own connection alive, so
		// P workers use exactly P connections (or one per request with
		// --new-conn).
		cfg.Connections = 1
		clients := make([]*demo.Client, *parallel)
		for i := range clients {
			c, err := demo.NewClient(cfg)
			if err != nil {
				return err
			}
			defer c.CloseIdleConnections()
			clients[i] = c
		}
		return loadTest(ctx, clients, *repeat, io)
	}
	c, err := demo.NewClient(cfg)
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()
	secret, err := c.FetchSecret(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.out, "The secret message is: %s\n", secret)
	return nil
}

// loadTest makes n requests over one worker per client and prints one line
// of totals.
func loadTest(ctx context.Context, clients []*demo.Client, n int, io stdio) error {
	var (
		next, done, failed atomic.Int64
		firstMu            sync.Mutex
		firstErr           error
		wg                 sync.WaitGroup
	)
	start := time.Now()
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				_, err := c.FetchSecret(ctx)
				done.Add(1)
				if err != nil {
					failed.Add(1)
					firstMu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					firstMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	rate := float64(done.Load()) / elapsed.Seconds()
	fmt.Fprintf(io.out, "requests: %d  errors: %d  rate: %.1f req/s  elapsed: %s\n",
		done.Load(), failed.Load(), rate, elapsed.Round(time.Millisecond))
	if firstErr != nil {
		return fmt.Errorf("%d of %d requests failed; the first: %w", failed.Load(), done.Load(), firstErr)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted after %d of %d requests", done.Load(), n)
	}
	return nil
}

// waitForListener returns once something accepts TCP connections at the
// URL's host and port, or after d; the request that follows reports any
// failure.
func waitForListener(ctx context.Context, rawURL string, d time.Duration) {
	u, err := neturl.Parse(rawURL)
	if err != nil || u.Host == "" {
		return
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	deadline := time.Now().Add(d)
	for {
		conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// parseClientArgs parses flags that may come before or after positional
// arguments ("client URL --mode https") and returns the positional ones.
func parseClientArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
