package demo

// Interoperability with the tutorial's own Python: its Fernet, its Flask
// server, its requests client and its pki_helpers.py certificates. Skipped
// (with the reason) when python3 with cryptography, flask and requests is
// not installed.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"wiretap/demo/pki"
)

var (
	pythonOnce sync.Once
	pythonPath string
	pythonWhy  string // why Python cannot be used, "" if it can
)

// needPython returns the python3 to run, or skips the test.
func needPython(t *testing.T) string {
	t.Helper()
	pythonOnce.Do(func() {
		p, err := exec.LookPath("python3")
		if err != nil {
			pythonWhy = err.Error()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, p, "-c", "import cryptography, flask, requests").CombinedOutput()
		if err != nil {
			pythonWhy = fmt.Sprintf("%s: %v: %s", p, err, lastLine(out))
			return
		}
		pythonPath = p
	})
	if pythonWhy != "" {
		t.Skipf("python3 with cryptography, flask and requests not found: %s", pythonWhy)
	}
	return pythonPath
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// pythonEnv is the environment for Python: no proxies (requests would send
// localhost through one), no bytecode files in the test directories.
func pythonEnv(extra ...string) []string {
	env := append(os.Environ(), "NO_PROXY=*", "no_proxy=*", "PYTHONDONTWRITEBYTECODE=1", "PYTHONWARNINGS=ignore")
	return append(env, extra...)
}

// runPython runs script in dir and returns its stdout; any failure fails
// the test with Python's stderr.
func runPython(t *testing.T, dir, script string, env []string, args ...string) string {
	t.Helper()
	py := needPython(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{"-c", script}, args...)...)
	cmd.Dir = dir
	cmd.Env = pythonEnv(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	return stdout.String()
}

// freePort picks a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	return closedPort(t)
}

// waitForPort waits until something accepts on addr, or fails the test.
func waitForPort(t *testing.T, addr string, exited <-chan struct{}, stderr *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("the Python server exited before listening on %s:\n%s", addr, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("nothing listens on %s after 30s:\n%s", addr, stderr.String())
}

const pyFernetDecrypt = `
import os, sys
from cryptography.fernet import Fernet
f = Fernet(os.environb[b"SECRET_KEY"])
for tok in sys.argv[1:]:
    sys.stdout.buffer.write(f.decrypt(tok.encode()) + b"\n")
`

// (a) Python's Fernet opens the tokens we make, alone and from the server.
func TestInteropPythonDecryptsOurFernet(t *testing.T) {
	needPython(t)
	keyText := GenerateFernetKey()
	key, err := ParseFernetKey(keyText)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := FernetEncrypt(key, []byte(DefaultSecret))
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, ServerConfig{Mode: ModeFernet, FernetKey: key})
	resp, err := http.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	served, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := runPython(t, t.TempDir(), pyFernetDecrypt, []string{"SECRET_KEY=" + keyText}, string(tok), string(served))
	if want := DefaultSecret + "\n" + DefaultSecret + "\n"; out != want {
		t.Errorf("Python decrypted %q, want %q", out, want)
	}
}

// The tutorial's symmetric_server.py.
const pySymmetricServer = `import os

from flask import Flask
from cryptography.fernet import Fernet

SECRET_KEY = os.environb[b"SECRET_KEY"]
SECRET_MESSAGE = b"fluffy tail"

app = Flask(__name__)

my_cipher = Fernet(SECRET_KEY)

@app.route("/")
def get_secret_message():
    return my_cipher.encrypt(SECRET_MESSAGE)
`

// (b) Our fernet client reads the tutorial's Flask server.
func TestInteropFlaskFernetServer(t *testing.T) {
	py := needPython(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "symmetric_server.py"), []byte(pySymmetricServer), 0o644); err != nil {
		t.Fatal(err)
	}
	keyText := GenerateFernetKey()
	key, _ := ParseFernetKey(keyText)
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	cmd := exec.Command(py, "-c", fmt.Sprintf(
		"from symmetric_server import app\napp.run(host=%q, port=%d)", "127.0.0.1", port))
	cmd.Dir = dir
	cmd.Env = pythonEnv("SECRET_KEY=" + keyText)
	var stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	waitForPort(t, addr, exited, &stderr)

	c, err := NewClient(ClientConfig{Mode: ModeFernet, URL: "http://" + addr + "/", FernetKey: key, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	got, err := c.FetchSecret(context.Background())
	if err != nil {
		t.Fatalf("FetchSecret from Flask: %v\n%s", err, stderr.String())
	}
	if got != DefaultSecret {
		t.Errorf("got %q from Flask, want %q", got, DefaultSecret)
	}

	// And with the wrong key, the readable error.
	other, _ := ParseFernetKey(GenerateFernetKey())
	c2, _ := NewClient(ClientConfig{Mode: ModeFernet, URL: "http://" + addr + "/", FernetKey: other, Timeout: 10 * time.Second})
	defer c2.CloseIdleConnections()
	if _, err := c2.FetchSecret(context.Background()); err == nil ||
		err.Error() != "demo: the Fernet token was not made with this key (or was altered)" {
		t.Errorf("wrong key: %v", err)
	}
}

const pyRequestsGet = `
import sys, requests
r = requests.get(sys.argv[1], verify=sys.argv[2])
r.raise_for_status()
sys.stdout.write(r.text)
`

// (c) Python requests trusts our https server through the CA pki.Init made.
func TestInteropRequestsTrustsInitPKI(t *testing.T) {
	needPython(t)
	files, err := pki.Init(t.TempDir(), pki.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, ServerConfig{Mode: ModeHTTPS, TLS: testTLS(t, files)})
	if !strings.HasPrefix(s.URL(), "https://localhost:") {
		t.Fatalf("URL %q", s.URL())
	}
	got := runPython(t, files.Dir, pyRequestsGet, nil, s.URL(), "ca-public-key.pem")
	if got != DefaultSecret {
		t.Errorf("requests.get(...).text = %q, want %q", got, DefaultSecret)
	}
}

const pyMakeTutorialPKI = `
from pki_helpers import generate_private_key, generate_public_key, generate_csr, sign_csr

ca_private_key = generate_private_key("ca-private-key.pem", "secret_password")
ca_public_key = generate_public_key(
    ca_private_key,
    filename="ca-public-key.pem",
    country="US",
    state="Maryland",
    locality="Baltimore",
    org="My CA Company",
    hostname="my-ca.com",
)

server_private_key = generate_private_key("server-private-key.pem", "serverpassword")
csr = generate_csr(
    server_private_key,
    filename="server-csr.pem",
    country="US",
    state="Maryland",
    locality="Baltimore",
    org="My Company",
    alt_names=["localhost"],
    hostname="my-site.com",
)
sign_csr(csr, ca_public_key, ca_private_key, "server-public-key.pem")
`

// (d) Our https server serves the tutorial's Python-made key (legacy
// encrypted PEM, passphrase "serverpassword") and certificate, and Python
// requests (and our client) trust it through the Python-made CA.
func TestInteropTutorialPKI(t *testing.T) {
	needPython(t)
	dir := t.TempDir()
	// The tutorial's pki_helpers.py, kept with package pki's tests.
	helpers, err := os.ReadFile(filepath.Join("pki", "testdata", "pki_helpers.py"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pki_helpers.py"), helpers, 0o644); err != nil {
		t.Fatal(err)
	}
	runPython(t, dir, pyMakeTutorialPKI, nil)

	keyFile := filepath.Join(dir, "server-private-key.pem")
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(keyPEM, []byte("Proc-Type: 4,ENCRYPTED")) || !bytes.Contains(keyPEM, []byte("BEGIN RSA PRIVATE KEY")) {
		t.Fatalf("Python did not write a legacy encrypted RSA key:\n%.200s", keyPEM)
	}
	pass := func() ([]byte, error) { return []byte("serverpassword"), nil }
	tc, err := TLSConfigFromFiles(filepath.Join(dir, "server-public-key.pem"), keyFile, pass)
	if err != nil {
		t.Fatalf("TLSConfigFromFiles on the tutorial's files: %v", err)
	}
	s := startServer(t, ServerConfig{Mode: ModeHTTPS, TLS: tc})

	got := runPython(t, dir, pyRequestsGet, nil, s.URL(), "ca-public-key.pem")
	if got != DefaultSecret {
		t.Errorf("requests.get(...).text = %q, want %q", got, DefaultSecret)
	}

	c, err := NewClient(ClientConfig{Mode: ModeHTTPS, URL: s.URL(), CACertFile: filepath.Join(dir, "ca-public-key.pem"), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	if got, err := c.FetchSecret(context.Background()); err != nil || got != DefaultSecret {
		t.Errorf("our client with the Python CA: %q, %v", got, err)
	}

	// Without the CA, our client names the tutorial's CA.
	c2, _ := NewClient(ClientConfig{Mode: ModeHTTPS, URL: s.URL(), Timeout: 10 * time.Second})
	defer c2.CloseIdleConnections()
	if _, err := c2.FetchSecret(context.Background()); err == nil || !strings.Contains(err.Error(), `"CN=my-ca.com, O=My CA Company"`) {
		t.Errorf("untrusted: %v", err)
	}
}
