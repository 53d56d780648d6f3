package main

import (
	"bytes"
	"crypto/rsa"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fernet/fernet-go"

	"wiretap/capture"
	"wiretap/cmd/wiretap/tui/packets"
	"wiretap/decode"
	"wiretap/demo"
)

// keyLogFlags are where TLS secrets come from: --keylog FILE (repeatable),
// tshark's -o tls.keylog_file:FILE, and the SSLKEYLOGFILE environment
// variable that browsers, curl and Go programs write; pcapng Decryption
// Secrets Blocks are read as the file is (feedSecrets).
type keyLogFlags struct {
	files multiFlag
	prefs multiFlag // -o NAME:VALUE, tshark's preferences
	// read are the files load read, and how far (for follow).
	read []keyLogFile
}

type keyLogFile struct {
	path string
	off  int64
}

// keyLogPrefs are the tshark preferences -o takes.
var keyLogPrefs = []string{"tls.keylog_file", "ssl.keylog_file"}

// load reads the key logs into a new KeyLog. Malformed lines are reported
// one each (with their line numbers) on w and skipped; a file that cannot
// be read is an error, unless it only came from SSLKEYLOGFILE.
func (k *keyLogFlags) load(w io.Writer) (*decode.KeyLog, error) {
	files := append([]string(nil), k.files...)
	for _, p := range k.prefs {
		name, value, ok := strings.Cut(p, ":")
		known := false
		for _, n := range keyLogPrefs {
			known = known || name == n
		}
		if !ok || !known {
			return nil, &usageError{msg: fmt.Sprintf("unknown preference %q", p),
				hint: "-o takes tls.keylog_file:FILE (the TLS key log; --keylog FILE does the same)"}
		}
		files = append(files, value)
	}
	kl := decode.NewKeyLog()
	env := os.Getenv("SSLKEYLOGFILE")
	if env != "" {
		if _, err := os.Stat(env); err == nil {
			files = append(files, env)
		} else if len(files) == 0 {
			fmt.Fprintf(w, "wiretap: hint: SSLKEYLOGFILE names %s, which cannot be read (%v): TLS stays encrypted\n", env, err)
		}
	}
	for _, f := range files {
		st, _ := os.Stat(f)
		bad, err := kl.ReadFile(f)
		if err != nil {
			return nil, &usageError{msg: fmt.Sprintf("reading key log: %v", err), hint: "--keylog takes an NSS key log file, as SSLKEYLOGFILE writes"}
		}
		reportBadKeyLines(w, bad)
		if st != nil {
			k.read = append(k.read, keyLogFile{path: f, off: st.Size()})
		}
	}
	return kl, nil
}

// follow adds the lines the key logs load read gain from now on to kl,
// every 100 ms, until stop is closed: a live capture's clients write
// them as they go (whole lines only; the fast pass opens the records
// after a late key at their places).
func (k *keyLogFlags) follow(kl *decode.KeyLog, stop <-chan struct{}) {
	files := append([]keyLogFile(nil), k.read...)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for i := range files {
			f := &files[i]
			b, err := readFrom(f.path, f.off)
			if err != nil || len(b) == 0 {
				continue
			}
			if j := bytes.LastIndexByte(b, '\n'); j >= 0 {
				kl.Read(bytes.NewReader(b[:j+1]), f.path)
				f.off += int64(j + 1)
			}
		}
	}
}

// readFrom reads what path holds from off on (nothing when it shrank).
func readFrom(path string, off int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if st, err := fh.Stat(); err != nil || st.Size() <= off {
		return nil, err
	}
	if _, err := fh.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(fh, 16<<20))
}

// reportBadKeyLines prints a key log's malformed lines, a few at most.
func reportBadKeyLines(w io.Writer, bad []error) {
	const most = 5
	for i, e := range bad {
		if i == most {
			fmt.Fprintf(w, "wiretap: warning: %d more malformed key log lines skipped\n", len(bad)-most)
			break
		}
		fmt.Fprintf(w, "wiretap: warning: %v (line skipped)\n", e)
	}
}

// secretsFeeder hands a file's Decryption Secrets Blocks to a KeyLog as
// the reader meets them, so a secret written before the packets that need
// it is there when they are read.
type secretsFeeder struct {
	kl   *decode.KeyLog
	seen int
	warn io.Writer
}

func (f *secretsFeeder) feed(sr capture.SecretsReader) {
	if sr == nil || f.kl == nil {
		return
	}
	f.seen = packets.FeedSecrets(f.kl, sr.Secrets(), f.seen, func(bad []error) { reportBadKeyLines(f.warn, bad) })
}

// readFernetKeys parses --fernet-key values and the keys in
// --fernet-key-file files, or, when none is given, $SECRET_KEY (the demo's
// and the tutorial's variable) if it is set.
func readFernetKeys(w io.Writer, values, files []string) ([]*fernet.Key, error) {
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, &usageError{msg: fmt.Sprintf("reading --fernet-key-file: %v", err)}
		}
		values = append(values, string(b))
	}
	if len(values) == 0 {
		env := strings.TrimSpace(os.Getenv("SECRET_KEY"))
		if env == "" {
			return nil, nil
		}
		// Only a hint: read was not asked to decrypt anything.
		k, err := demo.ParseFernetKey(env)
		if err != nil {
			fmt.Fprintf(w, "wiretap: hint: SECRET_KEY is not a Fernet key (%v): Fernet tokens stay encrypted\n", err)
			return nil, nil
		}
		return []*fernet.Key{k}, nil
	}
	var keys []*fernet.Key
	for _, v := range values {
		k, err := demo.ParseFernetKey(strings.TrimSpace(v))
		if err != nil {
			return nil, &usageError{msg: fmt.Sprintf("bad --fernet-key: %v", err), hint: "a Fernet key is 32 bytes in url-safe base64, as `wiretap fernet genkey` prints"}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// readRSAKeys loads --rsa-key files: servers' RSA private keys (PEM,
// PKCS #1 or #8, encrypted ones with the passphrase in $WIRETAP_KEY_PASS
// or at a prompt), for TLS sessions with RSA key exchange.
func readRSAKeys(files []string, sio stdio) ([]*rsa.PrivateKey, error) {
	var keys []*rsa.PrivateKey
	for _, f := range files {
		k, err := pkiLoadKey(f, "WIRETAP_KEY_PASS", sio)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, &usageError{msg: fmt.Sprintf("--rsa-key %s is not an RSA key", f), hint: "only RSA key exchange can be decrypted with the server's key; for (EC)DHE use a key log (--keylog)"}
		}
		keys = append(keys, rk)
	}
	return keys, nil
}
