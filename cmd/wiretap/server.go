package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"wiretap/demo"
)

func init() {
	register("server", "run the tutorial's secret-squirrel server (plain, fernet or https)", runServer)
}

const serverUsage = "[--mode plain|fernet|https] [--addr 127.0.0.1:5683] [--secret TEXT] [--cert FILE --key FILE] [--key-pass-env NAME]"

func runServer(args []string, io stdio) error {
	fs := newFlags("server", serverUsage, io)
	modeFlag := fs.String("mode", "plain", "how the secret travels: plain, fernet (key from $SECRET_KEY) or https")
	addr := fs.String("addr", demo.DefaultAddr, "address to listen on, HOST:PORT")
	secret := fs.String("secret", demo.DefaultSecret, "the secret message GET / hands out")
	certFile := fs.String("cert", "", "https: the server's certificate, PEM (server-public-key.pem in the tutorial)")
	keyFile := fs.String("key", "", "https: the server's private key, PEM, may be encrypted (server-private-key.pem)")
	passEnv := fs.String("key-pass-env", "WIRETAP_KEY_PASS", "environment variable holding the --key passphrase")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{
			msg:  fmt.Sprintf("server takes no arguments, got %q", fs.Arg(0)),
			hint: "usage: wiretap server " + serverUsage,
		}
	}
	mode, err := demo.ParseMode(*modeFlag)
	if err != nil {
		return &usageError{msg: fmt.Sprintf("unknown --mode %q", *modeFlag), hint: "the modes are plain, fernet and https"}
	}
	if *secret == "" {
		return &usageError{msg: "--secret must not be empty", hint: `the tutorial's secret is "` + demo.DefaultSecret + `"`}
	}
	if mode != demo.ModeHTTPS && (*certFile != "" || *keyFile != "") {
		return &usageError{
			msg:  "--cert and --key are for --mode https",
			hint: "add --mode https to serve over TLS",
		}
	}
	cfg := demo.ServerConfig{Mode: mode, Addr: *addr, Secret: *secret, Log: io.err}

	switch mode {
	case demo.ModeFernet:
		text := strings.TrimSpace(os.Getenv("SECRET_KEY"))
		if text == "" {
			return &usageError{
				msg:  "fernet mode needs a key in the SECRET_KEY environment variable",
				hint: "export SECRET_KEY=$(wiretap fernet genkey)",
			}
		}
		key, err := demo.ParseFernetKey(text)
		if err != nil {
			return err
		}
		cfg.FernetKey = key
	case demo.ModeHTTPS:
		if *certFile == "" {
			return &usageError{
				msg:  "--mode https needs --cert (the server's certificate)",
				hint: "make the files with 'wiretap pki init', then pass --cert server-public-key.pem --key server-private-key.pem",
			}
		}
		if *keyFile == "" {
			return &usageError{
				msg:  "--mode https needs --key (the server's private key)",
				hint: "pass --key server-private-key.pem (made by 'wiretap pki init')",
			}
		}
		var tc *tls.Config
		tc, err = demo.TLSConfigFromFiles(*certFile, *keyFile, keyPassphrase(*keyFile, *passEnv, io))
		if err != nil {
			return describeKeyError(err, *keyFile, *passEnv)
		}
		cfg.TLS = tc
	}

	srv, err := demo.NewServer(cfg)
	if err != nil {
		return err
	}
	if err := srv.Listen(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(io.err, "wiretap: serving %s on %s\n", mode, srv.URL())
	if err := srv.Serve(ctx); err != nil {
		return err
	}
	fmt.Fprintf(io.err, "wiretap: server stopped\n")
	return nil
}
