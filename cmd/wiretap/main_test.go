package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"wiretap/capture/oracletest"
)

// TestMain lets testscript run the real main as the `wiretap` command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"wiretap": main,
	})
}

// TestScripts runs the CLI scripts in testdata/script: each drives the real
// binary and checks its output and exit status.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		// [root]: the script may capture live.
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			// Scripts must not inherit the developer's secrets.
			env.Setenv("SECRET_KEY", "")
			env.Setenv("SSLKEYLOGFILE", "")
			env.Setenv("HOME", env.WorkDir)
			captures, err := scriptCaptures(env.WorkDir)
			if err != nil {
				return err
			}
			env.Setenv("CAPTURES", captures)
			if os.Geteuid() == 0 {
				env.Setenv("IS_ROOT", "1")
			}
			return nil
		},
	})
}

// scriptCaptures makes $WORK/captures, the scripts' $CAPTURES, from the
// module's one copy of each test capture (decode/testdata; see its
// SOURCES):
//
//	handshake.pcap  a link to oracle/formats/tcpdump/tcp-handshake-nano.pcap,
//	                a TCP handshake (tcpdump's tests/, BSD licence)
//	truncated.pcap  the same file with its last 20 bytes cut off
//	demo.pcapng     a link to oracle/demo.pcapng (made by `wiretap demo`:
//	                plaintext HTTP on 5683, Fernet on 5684, HTTPS on 5685;
//	                secret "fluffy tail")
//	tls12.pcap      links to tls/zeek/tls12-decryption.pcap and its key log
//	tls12.keys        tls12.keys: one TLS 1.2 session, GET / → 301 (zeek, BSD)
//	h2c.pcap        a link to http2/h2c-client.pcap (HTTP/2 over cleartext TCP)
//	demo-keys.pcapng  a link to tlsdecrypt/demo/demo.pcapng, a demo run whose
//	demo-fernet.key   TLS keys are inside (a DSB), and its Fernet key
//	tls13.pcap      a link to tls/illustrated-tls13/capture.pcap, one TLS 1.3
//	                session on port 8400, and tls13-keylog.txt its key log
//	                (syncsynchalt/illustrated-tls13, MIT)
//	tls13-dsb.pcapng  a link to capture/testdata/dsb/illustrated-tls13-dsb.pcapng:
//	                the same with its key log in a Decryption Secrets
//	                Block, made by editcap 4.0.17 (see that folder's SOURCES)
//	two-links.pcapng  a link to oracle/formats/heuristics/many_interfaces-1.pcapng:
//	                64 packets on 11 interfaces, 62 Ethernet (interface 0)
//	                and 2 Null (interface 10) (PcapPlusPlus, Unlicense)
func scriptCaptures(work string) (string, error) {
	dir := filepath.Join(work, "captures")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	handshake, err := filepath.Abs(oracletest.Testdata("decode", "oracle", "formats", "tcpdump", "tcp-handshake-nano.pcap"))
	if err != nil {
		return "", err
	}
	demo, err := filepath.Abs(oracletest.Testdata("decode", "oracle", "demo.pcapng"))
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(handshake)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "truncated.pcap"), b[:len(b)-20], 0o644); err != nil {
		return "", err
	}
	links := map[string]string{"handshake.pcap": handshake, "demo.pcapng": demo}
	for name, elem := range map[string][]string{
		"tls12.pcap":       {"decode", "tls", "zeek", "tls12-decryption.pcap"},
		"tls12.keys":       {"decode", "tls", "zeek", "tls12-decryption.keylog.derived.txt"},
		"tls13.pcap":       {"decode", "tls", "illustrated-tls13", "capture.pcap"},
		"tls13-keylog.txt": {"decode", "tls", "illustrated-tls13", "keylog.txt"},
		"tls13-dsb.pcapng": {"capture", "dsb", "illustrated-tls13-dsb.pcapng"},
		"demo-keys.pcapng": {"decode", "tlsdecrypt", "demo", "demo.pcapng"},
		"demo-fernet.key":  {"decode", "tlsdecrypt", "demo", "fernet.key"},
		"h2c.pcap":         {"decode", "http2", "h2c-client.pcap"},
		"two-links.pcapng": {"decode", "oracle", "formats", "heuristics", "many_interfaces-1.pcapng"},
	} {
		if links[name], err = filepath.Abs(oracletest.Testdata(elem[0], elem[1:]...)); err != nil {
			return "", err
		}
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			return "", err
		}
	}
	return dir, nil
}
