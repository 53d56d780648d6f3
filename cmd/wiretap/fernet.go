package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fernet/fernet-go"

	"wiretap/demo"
)

func init() {
	register("fernet", "make Fernet keys, encrypt and decrypt stdin (genkey|encrypt|decrypt)", runFernet)
}

const fernetUsage = "genkey | encrypt [--key K] | decrypt [--key K] [--ttl 60s]"

// maxFernetInput caps what encrypt and decrypt read from stdin.
const maxFernetInput = 64 << 20

func runFernet(args []string, std stdio) error {
	if len(args) == 0 {
		return &usageError{
			msg:  "fernet needs a subcommand: genkey, encrypt or decrypt",
			hint: "usage: wiretap fernet " + fernetUsage,
		}
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "genkey":
		fs := newFlags("fernet genkey", "", std)
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return &usageError{msg: "fernet genkey takes no arguments"}
		}
		fmt.Fprintln(std.out, demo.GenerateFernetKey())
		return nil
	case "encrypt", "decrypt":
	case "-h", "--help", "help":
		fmt.Fprintf(std.err, "Usage: wiretap fernet %s\n", fernetUsage)
		return nil
	default:
		return &usageError{
			msg:  fmt.Sprintf("unknown fernet subcommand %q", sub),
			hint: "usage: wiretap fernet " + fernetUsage,
		}
	}

	usage := "[--key K] < message > token"
	if sub == "decrypt" {
		usage = "[--key K] [--ttl 60s] < token > message"
	}
	fs := newFlags("fernet "+sub, usage, std)
	keyText := fs.String("key", "", "the Fernet key, url-safe base64 (default $SECRET_KEY)")
	var ttl *time.Duration
	if sub == "decrypt" {
		ttl = fs.Duration("ttl", 0, "reject tokens older than this (0: any age)")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{
			msg:  fmt.Sprintf("fernet %s reads standard input and takes no arguments, got %q", sub, fs.Arg(0)),
			hint: fmt.Sprintf("pipe the input in: echo -n 'fluffy tail' | wiretap fernet %s", sub),
		}
	}
	key, err := fernetKeyFromFlagOrEnv(*keyText)
	if err != nil {
		return err
	}
	in, err := io.ReadAll(io.LimitReader(std.in, maxFernetInput+1))
	if err != nil {
		return fmt.Errorf("cannot read standard input: %w", err)
	}
	if len(in) > maxFernetInput {
		return fmt.Errorf("standard input is larger than %d MiB", maxFernetInput>>20)
	}
	if sub == "encrypt" {
		tok, err := demo.FernetEncrypt(key, in)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(std.out, "%s\n", tok)
		return err
	}
	if *ttl < 0 {
		return &usageError{msg: "--ttl must not be negative"}
	}
	msg, err := demo.FernetDecrypt(key, bytes.TrimSpace(in), *ttl, time.Now())
	if err != nil {
		return err
	}
	_, err = std.out.Write(msg)
	return err
}

// fernetKeyFromFlagOrEnv takes the key from --key, else $SECRET_KEY.
func fernetKeyFromFlagOrEnv(flagValue string) (*fernet.Key, error) {
	text := strings.TrimSpace(flagValue)
	if text == "" {
		text = strings.TrimSpace(os.Getenv("SECRET_KEY"))
	}
	if text == "" {
		return nil, &usageError{
			msg:  "no Fernet key: pass --key or set SECRET_KEY",
			hint: "export SECRET_KEY=$(wiretap fernet genkey)",
		}
	}
	return demo.ParseFernetKey(text)
}
