package main

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
)

// read -w keeps the input's Decryption Secrets Blocks in order, each
// before the packet that followed it in the input (or the next one the
// filters keep), those after the last packet at the end; the injected key
// log comes first.
func TestReadKeepsSecrets(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcapng")
	w, err := capture.CreatePcapng(in, capture.PcapngOptions{LinkType: layers.LinkTypeEthernet})
	if err != nil {
		t.Fatal(err)
	}
	eth := func(n byte) []byte { // an Ethernet frame of EtherType 0x88b5 (local experimental)
		b := make([]byte, 60)
		b[12], b[13], b[14] = 0x88, 0xb5, n
		return b
	}
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0)}
	for _, step := range []string{"p1", "A", "p2", "B", "C", "p3", "D"} {
		if step[0] == 'p' {
			err = w.WritePacket(ci, eth(step[1]))
		} else {
			err = w.WriteSecrets(capture.SecretsTLSKeyLog, []byte(step+" 1 2\n"))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	w.WriteSecrets(capture.SecretsSSHKeyLog, []byte("ssh\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	inject := filepath.Join(dir, "inject.txt")
	writeKeyLogFile(inject, []byte("I 1 2")) // no newline at the end: read adds one

	for _, tc := range []struct {
		name    string
		args    []string
		seen    []int    // secrets before each packet
		secrets []string // their text
	}{
		{"all packets", nil, []int{0, 1, 3}, []string{"A", "B", "C", "D", "ssh"}},
		{"the second dropped", []string{"-Y", "frame.number != 2"}, []int{0, 3}, []string{"A", "B", "C", "D", "ssh"}},
		{"the first dropped", []string{"-Y", "frame.number != 1"}, []int{1, 3}, []string{"A", "B", "C", "D", "ssh"}},
		{"injected", []string{"--inject-secrets", inject}, []int{1, 2, 4}, []string{"I", "A", "B", "C", "D", "ssh"}},
		{"-c 2", []string{"-c", "2"}, []int{0, 1}, []string{"A"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.pcapng")
			var stdout, stderr bytes.Buffer
			if code := run(append([]string{"read", "-r", in, "-w", out}, tc.args...), stdio{strings.NewReader(""), &stdout, &stderr}); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			src, err := capture.OpenFile(out)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			sr := src.(capture.SecretsReader)
			var seen []int
			for {
				if _, _, err := src.ReadPacket(); err != nil {
					break
				}
				seen = append(seen, len(sr.Secrets()))
			}
			var got []string
			for _, s := range sr.Secrets() {
				got = append(got, strings.Fields(string(s.Data))[0])
			}
			if !reflect.DeepEqual(seen, tc.seen) || !reflect.DeepEqual(got, tc.secrets) {
				t.Errorf("secrets before each packet %v, secrets %q; want %v, %q", seen, got, tc.seen, tc.secrets)
			}
		})
	}
}

// --extract-secrets writes the TLS key logs and says what it skipped.
func TestReadExtractSecretsSkips(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.pcapng")
	w, err := capture.CreatePcapng(in, capture.PcapngOptions{LinkType: layers.LinkTypeEthernet})
	if err != nil {
		t.Fatal(err)
	}
	w.WriteSecrets(capture.SecretsWireGuard, []byte("wg"))
	w.WriteSecrets(capture.SecretsTLSKeyLog, []byte("A 1 2")) // no newline: one is added
	w.WriteSecrets(capture.SecretsSSHKeyLog, []byte("ssh\n"))
	w.WriteSecrets(capture.SecretsTLSKeyLog, []byte("B 3 4\n"))
	w.WriteSecrets(capture.SecretsSSHKeyLog, []byte("ssh2\n"))
	w.Close()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"read", "-r", in, "--extract-secrets", "-"}, stdio{strings.NewReader(""), &stdout, &stderr}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stdout.String() != "A 1 2\nB 3 4\n" {
		t.Errorf("stdout %q", stdout.String())
	}
	if want := "wiretap: hint: skipped secrets that are not TLS key logs: 1 WireGuard key log, 2 SSH key log\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}
