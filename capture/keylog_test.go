package capture

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// keyLogStep is one thing a TLS library or the capture does.
type keyLogStep struct {
	appendLog string // appended to the key log
	replace   string // the key log replaced by this (truncated)
	packet    bool   // a packet captured
	flush     bool   // Flush (the capture's ticker)
}

// The key log's whole lines become secrets before the packets written
// after they were seen; a line being written waits for its end; a file
// that does not exist yet, or is cut, is followed.
func TestKeyLogWriter(t *testing.T) {
	pkt := keyLogStep{packet: true}
	flush := keyLogStep{flush: true}
	log := func(s string) keyLogStep { return keyLogStep{appendLog: s} }
	for _, tc := range []struct {
		name    string
		hold    time.Duration
		steps   []keyLogStep
		secrets []string // the DSBs' text
		seen    []int    // secrets before each packet
	}{
		{"no key log ever", time.Nanosecond, []keyLogStep{pkt, flush, pkt}, nil, []int{0, 0}},
		{"lines between flushes", time.Nanosecond,
			[]keyLogStep{pkt, flush, log("A 1 2\n"), pkt, log("B 3"), flush, log(" 4\n"), pkt},
			[]string{"A 1 2\n", "B 3 4\n"}, []int{0, 1, 2}},
		{"held packets wait for the secrets", time.Hour,
			[]keyLogStep{pkt, pkt, flush, log("A 1 2\nB 3 4\n"), pkt},
			[]string{"A 1 2\nB 3 4\n"}, []int{1, 1, 1}},
		{"cut and started again", time.Nanosecond,
			[]keyLogStep{log("A 1 2\nB 3 4\n"), pkt, flush, {replace: "C 5 6\n"}, pkt},
			[]string{"A 1 2\nB 3 4\n", "C 5 6\n"}, []int{1, 2}},
		{"no newline at the end", time.Nanosecond,
			[]keyLogStep{log("A 1 2"), pkt},
			nil, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			logPath := filepath.Join(dir, "keys.log")
			path := filepath.Join(dir, "cap.pcapng")
			pw, err := CreatePcapng(path, PcapngOptions{LinkType: layers.LinkTypeEthernet})
			if err != nil {
				t.Fatal(err)
			}
			k, err := NewKeyLogWriter(pw, KeyLogOptions{Path: logPath, Poll: time.Hour, Hold: tc.hold})
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tc.steps {
				switch {
				case s.appendLog != "":
					f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
					if err != nil {
						t.Fatal(err)
					}
					f.WriteString(s.appendLog)
					f.Close()
				case s.replace != "":
					if err := os.WriteFile(logPath, []byte(s.replace), 0o600); err != nil {
						t.Fatal(err)
					}
				case s.packet:
					err = k.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, int64(i))}, payload(60, byte(i)))
				case s.flush:
					time.Sleep(time.Millisecond) // past the nanosecond's hold
					err = k.Flush()
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			if err := k.Close(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, seen, secrets, err := readSecrets(t, b)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range secrets {
				if s.Type != SecretsTLSKeyLog {
					t.Errorf("secrets type %#x", s.Type)
				}
				got = append(got, string(s.Data))
			}
			if !reflect.DeepEqual(got, tc.secrets) || !reflect.DeepEqual(seen, tc.seen) {
				t.Errorf("secrets %q, before each packet %v; want %q, %v", got, seen, tc.secrets, tc.seen)
			}
		})
	}
}

// The watcher looks at the key log by itself, and writes packets once they
// have waited: a packet from before a line comes before its secrets.
func TestKeyLogWriterTicker(t *testing.T) {
	dir := t.TempDir()
	logPath, path := filepath.Join(dir, "keys.log"), filepath.Join(dir, "cap.pcapng")
	pw, err := CreatePcapng(path, PcapngOptions{LinkType: layers.LinkTypeEthernet})
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKeyLogWriter(pw, KeyLogOptions{Path: logPath, Poll: 10 * time.Millisecond, Hold: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0)}
	k.WritePacket(ci, payload(60, 1))
	time.Sleep(500 * time.Millisecond) // the ticker writes it
	os.WriteFile(logPath, []byte("A 1 2\n"), 0o600)
	k.WritePacket(ci, payload(60, 2))
	deadline := time.Now().Add(5 * time.Second)
	for k.Lines() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	_, seen, secrets, err := readSecrets(t, b)
	if err != nil || !reflect.DeepEqual(seen, []int{0, 1}) || len(secrets) != 1 || k.Lines() != 1 {
		t.Errorf("secrets before each packet %v (want [0 1]), %d secrets, %d lines, %v", seen, len(secrets), k.Lines(), err)
	}
}

// Too many bytes held: the oldest go out early.
func TestKeyLogWriterMaxHeld(t *testing.T) {
	var buf bytes.Buffer
	pw, err := NewPcapngWriter(&buf, PcapngOptions{LinkType: layers.LinkTypeEthernet})
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "keys.log")
	k, err := NewKeyLogWriter(pw, KeyLogOptions{Path: logPath, Poll: time.Hour, Hold: time.Hour, MaxHeld: 150})
	if err != nil {
		t.Fatal(err)
	}
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0)}
	for i := range 3 {
		k.WritePacket(ci, payload(60, byte(i))) // the third passes 150 bytes: the first goes
	}
	os.WriteFile(logPath, []byte("A 1 2\n"), 0o600)
	k.WritePacket(ci, payload(60, 3)) // 180 again: the second goes, after the line
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	_, seen, _, err := readSecrets(t, buf.Bytes())
	if err != nil || !reflect.DeepEqual(seen, []int{0, 1, 1, 1}) {
		t.Errorf("secrets before each packet %v, want [0 1 1 1]; %v", seen, err)
	}
}

func TestKeyLogWriterErrors(t *testing.T) {
	dir := t.TempDir()
	pc, err := NewPcapWriter(&bytes.Buffer{}, layers.LinkTypeEthernet, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewKeyLogWriter(pc, KeyLogOptions{Path: filepath.Join(dir, "k")}); err == nil || !strings.Contains(err.Error(), "pcapng") {
		t.Errorf("pcap: %v", err)
	}
	pw, _ := NewPcapngWriter(&bytes.Buffer{}, PcapngOptions{LinkType: layers.LinkTypeEthernet})
	// A directory is no key log.
	if _, err := NewKeyLogWriter(pw, KeyLogOptions{Path: dir}); err == nil || !strings.HasPrefix(err.Error(), "capture: key log: ") {
		t.Errorf("directory: %v", err)
	}
}
