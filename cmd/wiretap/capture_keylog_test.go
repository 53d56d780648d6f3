package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"wiretap/capture"
)

// TestCaptureKeyLog captures HTTPS exchanges whose client logs its TLS
// secrets (SSLKEYLOGFILE, a file that does not exist when the capture
// starts): the pcapng file holds the key log as Decryption Secrets
// Blocks, and tshark decrypts it with no key options. With -G each file
// decrypts alone: it starts with the secrets seen so far.
func TestCaptureKeyLog(t *testing.T) {
	needRootAnd(t)
	bin := wiretapBinary(t)
	dir := t.TempDir()
	if out, err := exec.Command(bin, "pki", "init", filepath.Join(dir, "pki"), "--ecdsa").CombinedOutput(); err != nil {
		t.Fatalf("pki init: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name      string
		rotate    []string
		exchanges int
	}{
		{"one file", nil, 1},
		{"a new file every second", []string{"-G", "1"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			work := t.TempDir()
			keylog := filepath.Join(work, "keys.log")
			out := filepath.Join(work, "tls.pcapng")
			port := freePorts(t, 1)[0]
			args := append([]string{"capture", "-i", "lo", "-q", "-w", out, "--keylog", keylog}, tc.rotate...)
			wt := exec.Command(bin, append(args, "tcp", "port", strconv.Itoa(port))...)
			wtErr := startAndWait(t, wt, "capturing on lo")
			srv := exec.Command(bin, "server", "--mode", "https", "--addr", fmt.Sprintf("127.0.0.1:%d", port),
				"--cert", filepath.Join(dir, "pki", "server-public-key.pem"), "--key", filepath.Join(dir, "pki", "server-private-key.pem"))
			startAndWait(t, srv, "serving https")
			for i := range tc.exchanges {
				if i > 0 {
					time.Sleep(1500 * time.Millisecond) // past -G 1
				}
				cl := exec.Command(bin, "client", "--mode", "https", "--new-conn", "--cacert", filepath.Join(dir, "pki", "ca-public-key.pem"),
					fmt.Sprintf("https://localhost:%d/", port))
				cl.Env = append(os.Environ(), "SSLKEYLOGFILE="+keylog)
				if b, err := cl.CombinedOutput(); err != nil || !strings.Contains(string(b), "fluffy tail") {
					t.Fatalf("client: %v\n%s", err, b)
				}
			}
			srv.Process.Signal(syscall.SIGTERM)
			srv.Wait()
			time.Sleep(200 * time.Millisecond)
			wt.Process.Signal(syscall.SIGINT)
			if err := wt.Wait(); err != nil {
				t.Fatalf("wiretap capture: %v\n%s", err, wtErr.String())
			}
			want, err := os.ReadFile(keylog)
			if err != nil {
				t.Fatal(err)
			}
			lines := bytes.Count(want, []byte{'\n'})
			if !strings.Contains(wtErr.String(), fmt.Sprintf("\n%d key log lines stored as decryption secrets\n", lines)) {
				t.Errorf("stderr does not count the %d key log lines:\n%s", lines, wtErr.String())
			}

			files := []string{out}
			if tc.rotate != nil {
				files, _ = filepath.Glob(filepath.Join(work, "tls_*.pcapng"))
				if len(files) < 2 {
					t.Fatalf("files %q: want two or more with -G 1", files)
				}
			}
			// Our reader: the last file holds every line, in order; every
			// file's first block comes before its first packet.
			var seen []byte
			for i, f := range files {
				secrets := readSecretsOf(t, f)
				var got []byte
				for j, s := range secrets {
					if s.Type != capture.SecretsTLSKeyLog {
						t.Errorf("%s: secrets type %#x", f, s.Type)
					}
					if j == 0 && i > 0 && (s.Packets != 0 || !bytes.HasPrefix(s.Data, seen)) {
						t.Errorf("%s does not start with the %d bytes of secrets seen before it", f, len(seen))
					}
					got = append(got, s.Data...)
				}
				if !bytes.HasPrefix(want, got) {
					t.Errorf("%s: its secrets are not the key log's first lines", f)
				}
				seen = got
			}
			if !bytes.Equal(seen, want) {
				t.Errorf("the last file's secrets (%d bytes) are not keys.log (%d bytes)", len(seen), len(want))
			}

			if _, err := exec.LookPath("tshark"); err != nil {
				t.Skip("tshark is not installed (apt-get install tshark): skipping the decryption check")
			}
			found := 0
			for _, f := range files {
				b, err := exec.Command("tshark", "-r", f, "-Y", `http.file_data contains "fluffy tail"`, "-T", "fields", "-e", "frame.number").Output()
				if err != nil {
					t.Fatalf("tshark -r %s: %v", f, err)
				}
				found += len(strings.Fields(string(b)))
			}
			if found != tc.exchanges {
				t.Errorf("tshark decrypts %d responses with the secret from the files alone, want %d", found, tc.exchanges)
			}
		})
	}
}

func readSecretsOf(t *testing.T, path string) []capture.Secret {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for {
		if _, _, err := src.ReadPacket(); err != nil {
			break
		}
	}
	return src.(capture.SecretsReader).Secrets()
}

// TestCaptureKeyLogLines: without -w, --keylog decrypts the lines capture
// prints as the packets arrive (they wait for their keys): an HTTPS
// exchange shows as HTTP.
func TestCaptureKeyLogLines(t *testing.T) {
	needRootAnd(t)
	bin := wiretapBinary(t)
	dir := t.TempDir()
	if out, err := exec.Command(bin, "pki", "init", filepath.Join(dir, "pki"), "--ecdsa").CombinedOutput(); err != nil {
		t.Fatalf("pki init: %v\n%s", err, out)
	}
	keylog := filepath.Join(dir, "keys.log")
	port := freePorts(t, 1)[0]
	wt := exec.Command(bin, "capture", "-i", "lo", "--keylog", keylog, "tcp", "port", strconv.Itoa(port))
	var lines bytes.Buffer
	wt.Stdout = &lines
	wtErr := startAndWait(t, wt, "capturing on lo")
	srv := exec.Command(bin, "server", "--mode", "https", "--addr", fmt.Sprintf("127.0.0.1:%d", port),
		"--cert", filepath.Join(dir, "pki", "server-public-key.pem"), "--key", filepath.Join(dir, "pki", "server-private-key.pem"))
	startAndWait(t, srv, "serving https")
	cl := exec.Command(bin, "client", "--mode", "https", "--cacert", filepath.Join(dir, "pki", "ca-public-key.pem"), fmt.Sprintf("https://localhost:%d/", port))
	cl.Env = append(os.Environ(), "SSLKEYLOGFILE="+keylog)
	if b, err := cl.CombinedOutput(); err != nil || !strings.Contains(string(b), "fluffy tail") {
		t.Fatalf("client: %v\n%s", err, b)
	}
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()
	time.Sleep(1500 * time.Millisecond) // past the hold
	wt.Process.Signal(syscall.SIGINT)
	if err := wt.Wait(); err != nil {
		t.Fatalf("wiretap capture: %v\n%s", err, wtErr.String())
	}
	out := lines.String()
	for _, want := range []string{"HTTP 1", "GET / HTTP/1.1", "HTTP/1.1 200 OK", "Encrypted Extensions, Certificate"} {
		if !strings.Contains(out, want) {
			t.Errorf("the printed lines lack %q:\n%s", want, out)
		}
	}
}
