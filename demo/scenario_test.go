package demo

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
)

// freeScenarioPorts returns three ports nothing listens on now.
func freeScenarioPorts(t *testing.T) Ports {
	t.Helper()
	var p [3]uint16
	for i := range p {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		p[i] = uint16(l.Addr().(*net.TCPAddr).Port)
	}
	return Ports{Plain: p[0], Fernet: p[1], HTTPS: p[2]}
}

// The demo's capture carries the HTTPS client's key log as a Decryption
// Secrets Block before the HTTPS packets: tshark decrypts the HTTPS
// stream from demo.pcapng alone, and keys.log alone decrypts it too.
func TestScenarioSecretsInCapture(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the demo captures on lo: needs root (run the tests as root, as CI does)")
	}
	for _, tc := range []struct {
		name   string
		http2  bool
		proto  string
		filter string // tshark's field for the decrypted body
	}{
		{"HTTP/1.1", false, "HTTP/1.1", "http.file_data"},
		{"HTTP/2", true, "HTTP/2.0", "http2.data.data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ports := freeScenarioPorts(t)
			dir := filepath.Join(t.TempDir(), "run")
			res, err := RunScenario(context.Background(), ScenarioConfig{Dir: dir, Ports: ports, HTTP2: tc.http2})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Passed() {
				t.Errorf("the demo's lesson failed")
			}
			for _, m := range res.Modes {
				if m.Mode == ModeHTTPS && m.Proto != tc.proto {
					t.Errorf("the HTTPS client spoke %q, want %s", m.Proto, tc.proto)
				}
			}
			keylog, err := os.ReadFile(res.KeyLog)
			if err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(res.KeyLog); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("keys.log: %v, mode %v; want 0600", err, st.Mode().Perm())
			}
			checkSecretsBeforeHTTPS(t, res.Capture, keylog, ports.HTTPS)

			tshark, err := exec.LookPath("tshark")
			if err != nil {
				t.Skip("tshark is not installed (apt-get install tshark): skipping its checks")
			}
			find := func(file string, opts ...string) []string {
				t.Helper()
				args := append([]string{"-r", file, "-Y", tc.filter + ` contains "fluffy tail"`, "-T", "fields", "-e", "tcp.srcport"}, opts...)
				var stderr bytes.Buffer
				cmd := exec.Command(tshark, args...)
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("tshark %q: %v\n%s", args, err, stderr.Bytes())
				}
				return strings.Fields(string(out))
			}
			https := strconv.Itoa(int(ports.HTTPS))
			if got := find(res.Capture); !contains(got, https) {
				t.Errorf("tshark with no key options finds the secret from ports %q, want %s among them", got, https)
			}
			// keys.log decrypts it too: without the capture's secrets
			// (editcap takes them out) only the key log can.
			editcap, err := exec.LookPath("editcap")
			if err != nil {
				t.Skip("editcap is not installed: skipping the check of keys.log alone")
			}
			bare := filepath.Join(t.TempDir(), "bare.pcapng")
			if out, err := exec.Command(editcap, "--discard-all-secrets", res.Capture, bare).CombinedOutput(); err != nil {
				t.Fatalf("editcap: %v\n%s", err, out)
			}
			if got := find(bare); contains(got, https) {
				t.Errorf("without secrets, tshark still decrypts the HTTPS stream: %q", got)
			}
			if got := find(bare, "-o", "tls.keylog_file:"+res.KeyLog); !contains(got, https) {
				t.Errorf("tshark with keys.log finds the secret from ports %q, want %s among them", got, https)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkSecretsBeforeHTTPS reads the capture with wiretap's reader: one
// TLS key log block holding keys.log, before the first packet to or from
// the HTTPS port.
func checkSecretsBeforeHTTPS(t *testing.T, path string, keylog []byte, port uint16) {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	first := -1 // packets before the first HTTPS one
	for n := 0; ; n++ {
		data, ci, err := src.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if first < 0 && packetPort(data, src.LinkType(ci), port) {
			first = n
		}
	}
	var got []byte
	for _, s := range src.(capture.SecretsReader).Secrets() {
		if s.Type != capture.SecretsTLSKeyLog {
			t.Errorf("a secret of type %s", capture.SecretsTypeName(s.Type))
			continue
		}
		if first >= 0 && s.Packets > first {
			t.Errorf("a key log block after %d packets; the HTTPS stream starts after %d", s.Packets, first)
		}
		got = append(got, s.Data...)
	}
	if first < 0 {
		t.Fatalf("no packet on port %d", port)
	}
	if !bytes.Equal(got, keylog) || len(keylog) == 0 {
		t.Errorf("the capture's key log blocks hold %d bytes, keys.log %d:\n%s\nwant\n%s", len(got), len(keylog), got, keylog)
	}
}

func packetPort(data []byte, lt layers.LinkType, port uint16) bool {
	p := gopacket.NewPacket(data, lt, gopacket.NoCopy)
	tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	return ok && (uint16(tcp.SrcPort) == port || uint16(tcp.DstPort) == port)
}
