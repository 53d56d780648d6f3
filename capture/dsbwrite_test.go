package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture/oracletest"
)

// A step of a written stream: a packet (data) or a secret (typ != 0).
type dsbStep struct {
	typ  uint32
	data string
}

func writeSteps(t *testing.T, w *PcapngWriter, steps []dsbStep) {
	t.Helper()
	ts := time.Unix(1700000000, 0)
	for i, s := range steps {
		var err error
		if s.typ != 0 {
			err = w.WriteSecrets(s.typ, []byte(s.data))
		} else {
			err = w.WritePacket(gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Millisecond)}, []byte(s.data))
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
}

// What WriteSecrets writes, our reader reads back: the secrets in order,
// each before the packets written after it.
func TestPcapngWriteSecrets(t *testing.T) {
	keylog := "CLIENT_RANDOM " + strings.Repeat("ab", 32) + " " + strings.Repeat("cd", 48) + "\n"
	pkt := func(n int) dsbStep { return dsbStep{data: string(payload(n, byte(n)))} }
	tls := func(s string) dsbStep { return dsbStep{SecretsTLSKeyLog, s} }
	for _, tc := range []struct {
		name  string
		steps []dsbStep
		seen  []int // len(Secrets()) after each packet
	}{
		{"before the first packet", []dsbStep{tls(keylog), pkt(60), pkt(61)}, []int{1, 1}},
		{"between packets", []dsbStep{pkt(60), tls("a\n"), pkt(61), pkt(62), tls("b\n"), tls("c\n"), pkt(63)}, []int{0, 1, 1, 3}},
		{"every padding", []dsbStep{tls(""), tls("a"), tls("ab"), tls("abc"), tls("abcd"), tls("abcde"), pkt(14)}, []int{6}},
		{"other types", []dsbStep{{SecretsSSHKeyLog, "ssh"}, {SecretsWireGuard, "wg"}, {0x01020304, "\x00\xff"}, pkt(60)}, []int{3}},
		{"after the last packet", []dsbStep{pkt(60), tls(keylog)}, []int{0}},
		{"no packets", []dsbStep{tls(keylog)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewPcapngWriter(&buf, testPcapngOptions)
			if err != nil {
				t.Fatal(err)
			}
			writeSteps(t, w, tc.steps)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			packets, seen, secrets, err := readSecrets(t, buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			var want []Secret
			n := 0
			for _, s := range tc.steps {
				if s.typ == 0 {
					n++
					continue
				}
				want = append(want, Secret{Type: s.typ, Data: []byte(s.data), Packets: n})
			}
			if packets != n || !reflect.DeepEqual(seen, tc.seen) {
				t.Errorf("%d packets, secrets after each %v; want %d, %v", packets, seen, n, tc.seen)
			}
			if len(secrets) != len(want) {
				t.Fatalf("%d secrets, want %d", len(secrets), len(want))
			}
			for i, s := range secrets {
				if s.Type != want[i].Type || !bytes.Equal(s.Data, want[i].Data) || s.Packets != want[i].Packets || s.Comments != nil {
					t.Errorf("secret %d: type %#x, %q after %d packets, comments %q; want %#x, %q after %d",
						i, s.Type, s.Data, s.Packets, s.Comments, want[i].Type, want[i].Data, want[i].Packets)
				}
			}
			// The blocks are whole and aligned: the structure check
			// walks every block by its lengths.
			blocks := parsePcapngBlocks(t, buf.Bytes())
			dsbs := 0
			for _, b := range blocks {
				if b.typ == ngDSB {
					dsbs++
				}
			}
			if dsbs != len(want) {
				t.Errorf("%d decryption secrets blocks in the file, want %d", dsbs, len(want))
			}
		})
	}
}

func TestPcapngWriteSecretsBytes(t *testing.T) {
	got := appendDSB(nil, SecretsTLSKeyLog, []byte("abcde"))
	want := []byte{
		0x0a, 0, 0, 0, 28, 0, 0, 0, // block type, length
		'K', 'S', 'L', 'T', 5, 0, 0, 0, // "TLSK" little-endian, secrets length
		'a', 'b', 'c', 'd', 'e', 0, 0, 0, // secrets, padded
		28, 0, 0, 0,
	}
	if !bytes.Equal(got, want) {
		t.Errorf("block\n% x\nwant\n% x", got, want)
	}
}

func TestPcapngWriteSecretsClosed(t *testing.T) {
	w, err := NewPcapngWriter(io.Discard, testPcapngOptions)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := w.WriteSecrets(SecretsTLSKeyLog, []byte("x")); err == nil || !strings.HasPrefix(err.Error(), "capture: ") {
		t.Errorf("after Close: %v", err)
	}
}

// A failed write is remembered, as for packets.
func TestPcapngWriteSecretsError(t *testing.T) {
	fw := &failWriter{after: 1 << 30}
	w, err := NewPcapngWriter(fw, testPcapngOptions)
	if err != nil {
		t.Fatal(err)
	}
	fw.after = 0
	err1 := w.WriteSecrets(SecretsTLSKeyLog, []byte("x"))
	err2 := w.WritePacket(gopacket.CaptureInfo{}, []byte("p"))
	if err1 == nil || !errors.Is(err1, errDiskFull) || err2 == nil {
		t.Errorf("WriteSecrets: %v; WritePacket after it: %v", err1, err2)
	}
}

var errDiskFull = errors.New("disk full")

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.after {
		n := f.after
		f.after = 0
		return n, errDiskFull
	}
	f.after -= len(p)
	return len(p), nil
}

// Every file of a ring starts with the secrets written so far, so each
// decrypts alone.
func TestRotatingWriterSecrets(t *testing.T) {
	dir := t.TempDir()
	w, err := NewRotatingWriter(RotateOptions{
		Path: filepath.Join(dir, "cap.pcapng"), MaxBytes: 3000,
		Create: func(path string) (PacketWriter, error) {
			return CreatePcapng(path, PcapngOptions{LinkType: layers.LinkTypeEthernet, Interface: "lo"})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	pkt := make([]byte, 1000)
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0)}
	for i := range 8 {
		if i == 1 || i == 4 {
			if err := w.WriteSecrets(SecretsTLSKeyLog, []byte{'k', byte('0' + i), '\n'}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WritePacket(ci, pkt); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range w.Files() {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		packets, _, secrets, err := readSecrets(t, b)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, sec := range secrets {
			s = append(s, strings.TrimSpace(string(sec.Data))+"@"+string(rune('0'+sec.Packets)))
		}
		got = append(got, strings.Join(s, " ")+" /"+string(rune('0'+packets)))
	}
	// Files of two packets (the third would pass 3000 bytes); k1 comes
	// after the first packet, k4 after the fourth: it ends the second file
	// (the fifth packet does not fit) and starts the third.
	want := []string{"k1@1 /2", "k1@0 k4@2 /2", "k1@0 k4@0 /2", "k1@0 k4@0 /2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files (secret@packets before it /packets):\n%q\nwant\n%q", got, want)
	}
}

// A pcap ring cannot hold secrets, and says so.
func TestRotatingWriterSecretsPcap(t *testing.T) {
	w, err := NewRotatingWriter(RotateOptions{
		Path: filepath.Join(t.TempDir(), "cap.pcap"),
		Create: func(path string) (PacketWriter, error) {
			return CreatePcap(path, layers.LinkTypeEthernet, 0)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.WriteSecrets(SecretsTLSKeyLog, []byte("x\n")); err == nil || !strings.Contains(err.Error(), "pcapng") {
		t.Errorf("err = %v", err)
	}
}

// The oracle: tshark decrypts a TLS 1.3 session from the file alone when
// WriteSecrets put its key log in, as it does with the key log file, and
// capinfos counts the block.
func TestPcapngWriteSecretsTshark(t *testing.T) {
	capture := oracletest.Shared("tls/illustrated-tls13/capture.pcap")
	keylogFile := oracletest.Shared("tls/illustrated-tls13/keylog.txt")
	keylog, err := os.ReadFile(keylogFile)
	if err != nil {
		t.Fatal(err)
	}
	src, err := OpenFile(capture)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var pkts []testPacket
	for {
		data, ci, err := src.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, testPacket{ci, bytes.Clone(data)})
	}
	tshark := lookTool(t, "tshark")
	fields := func(file string, extra ...string) string {
		t.Helper()
		args := append([]string{"-r", file, "-d", "tcp.port==8400,tls", "-T", "fields", "-e", "frame.number", "-e", "tls.handshake.type"}, extra...)
		cmd := exec.Command(tshark, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tshark %q: %v\n%s", args, err, stderr.Bytes())
		}
		return string(out)
	}
	withKeys := fields(capture, "-o", "tls.keylog_file:"+keylogFile)
	without := fields(capture)
	if withKeys == without {
		t.Fatalf("tshark shows the same with and without the key log:\n%s", withKeys)
	}
	// The secrets before everything, and after the TCP handshake, just
	// before the ClientHello: the latest they can come.
	for _, at := range []int{0, 3} {
		path := filepath.Join(t.TempDir(), "dsb.pcapng")
		w, err := CreatePcapng(path, PcapngOptions{LinkType: src.LinkType(pkts[0].ci), Interface: "lo"})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pkts {
			if i == at {
				if err := w.WriteSecrets(SecretsTLSKeyLog, keylog); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.WritePacket(p.ci, p.data); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got := fields(path); got != withKeys {
			t.Errorf("secrets before packet %d: tshark from the file alone:\n%s\nwith the key log file:\n%s", at+1, got, withKeys)
		}
		if capinfos, err := exec.LookPath("capinfos"); err == nil {
			out, err := exec.Command(capinfos, path).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Number of decryption secrets in file: 1") {
				t.Errorf("capinfos: %v\n%s", err, out)
			}
		}
	}
}
