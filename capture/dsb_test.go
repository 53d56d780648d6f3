package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// dsb appends a Decryption Secrets Block: secrets type, secrets length,
// the secrets padded with pad (normally zeros) to 4 bytes, options.
func (w *ngBuilder) dsb(typ uint32, secrets []byte, pad byte, opts []byte) *ngBuilder {
	body := w.o.AppendUint32(nil, typ)
	body = w.o.AppendUint32(body, uint32(len(secrets)))
	body = append(body, secrets...)
	for len(body)%4 != 0 {
		body = append(body, pad)
	}
	return w.block(ngDSB, append(body, opts...))
}

// readSecrets reads b to the end; after each packet it records how many
// secrets Secrets listed.
func readSecrets(t *testing.T, b []byte) (packets int, seen []int, secrets []Secret, err error) {
	t.Helper()
	src, err := NewReader(bytes.NewReader(b))
	if err != nil {
		return 0, nil, nil, err
	}
	defer src.Close()
	sr := src.(SecretsReader)
	for {
		_, _, err = src.ReadPacket()
		if err == io.EOF {
			return packets, seen, sr.Secrets(), nil
		}
		if err != nil {
			return packets, seen, sr.Secrets(), err
		}
		packets++
		seen = append(seen, len(sr.Secrets()))
	}
}

func TestPcapngSecrets(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	keylog := []byte("CLIENT_RANDOM " + strings.Repeat("ab", 32) + " " + strings.Repeat("cd", 48) + "\n")
	sec := func(typ uint32, data string, block int, off int64, section, packets int, comments ...string) Secret {
		return Secret{Type: typ, Data: []byte(data), Block: block, Offset: off, Section: section, Packets: packets, Comments: comments}
	}
	const shbLen, idbLen = 28, 20
	for _, tc := range []struct {
		name    string
		build   func(w *ngBuilder)
		packets int
		seen    []int // len(Secrets()) after each packet
		want    []Secret
	}{
		{"one before the first packet", func(w *ngBuilder) {
			w.shb(le, 1, 0, nil).idb(layers.LinkTypeEthernet, 0, nil)
			w.dsb(SecretsTLSKeyLog, keylog, 0, nil)
			w.epb(0, 1, payload(60, 1), 60).epb(0, 2, payload(61, 2), 61)
		}, 2, []int{1, 1}, []Secret{sec(SecretsTLSKeyLog, string(keylog), 2, shbLen+idbLen, 0, 0)}},
		{"two, one between packets", func(w *ngBuilder) {
			w.shb(le, 1, 0, nil)
			w.dsb(SecretsTLSKeyLog, []byte("first"), 0, nil)
			w.idb(layers.LinkTypeEthernet, 0, nil)
			w.epb(0, 1, payload(60, 1), 60)
			w.dsb(SecretsTLSKeyLog, []byte("second\n"), 0, nil)
			w.epb(0, 2, payload(62, 2), 62)
			w.epb(0, 3, payload(63, 3), 63)
		}, 3, []int{1, 2, 2}, []Secret{
			sec(SecretsTLSKeyLog, "first", 1, shbLen, 0, 0),
			sec(SecretsTLSKeyLog, "second\n", 4, shbLen+dsbLen(5)+idbLen+epbLen(60), 0, 1),
		}},
		{"other types", func(w *ngBuilder) {
			w.shb(le, 1, 0, nil).idb(layers.LinkTypeEthernet, 0, nil)
			w.dsb(SecretsWireGuard, []byte("LOCAL_STATIC_PRIVATE_KEY = x"), 0, nil)
			w.dsb(SecretsSSHKeyLog, []byte("ssh"), 0, nil)
			w.dsb(0x12345678, []byte{0, 1, 2, 3, 0xff}, 0, nil)
			w.epb(0, 1, payload(60, 1), 60)
		}, 1, []int{3}, []Secret{
			sec(SecretsWireGuard, "LOCAL_STATIC_PRIVATE_KEY = x", 2, shbLen+idbLen, 0, 0),
			sec(SecretsSSHKeyLog, "ssh", 3, shbLen+idbLen+dsbLen(28), 0, 0),
			sec(0x12345678, "\x00\x01\x02\x03\xff", 4, shbLen+idbLen+dsbLen(28)+dsbLen(3), 0, 0),
		}},
		{"big-endian section", func(w *ngBuilder) {
			w.shb(le, 1, 0, nil).idb(layers.LinkTypeEthernet, 0, nil)
			w.epb(0, 1, payload(60, 1), 60)
			w.shb(be, 1, 0, nil).idb(layers.LinkTypeRaw, 0, nil)
			w.dsb(SecretsTLSKeyLog, keylog, 0, w.opts(w.opt(optComment, []byte("big-endian keys"))))
			w.epb(0, 1, payload(40, 2), 40)
		}, 2, []int{0, 1}, []Secret{
			sec(SecretsTLSKeyLog, string(keylog), 5, shbLen+idbLen+epbLen(60)+shbLen+idbLen, 1, 1, "big-endian keys"),
		}},
		{"padding", func(w *ngBuilder) {
			w.shb(le, 1, 0, nil).idb(layers.LinkTypeEthernet, 0, nil)
			for n := range 6 {
				w.dsb(SecretsTLSKeyLog, []byte("abcdef"[:n]), 0xee, nil) // padding need not be zero
			}
			w.dsb(SecretsTLSKeyLog, []byte("xyz"), 0, w.opts(w.opt(optComment, []byte("after padding")), w.opt(optComment, []byte("two"))))
			w.epb(0, 1, payload(60, 1), 60)
		}, 1, []int{7}, []Secret{
			sec(SecretsTLSKeyLog, "", 2, 48, 0, 0),
			sec(SecretsTLSKeyLog, "a", 3, 48+20, 0, 0),
			sec(SecretsTLSKeyLog, "ab", 4, 48+44, 0, 0),
			sec(SecretsTLSKeyLog, "abc", 5, 48+68, 0, 0),
			sec(SecretsTLSKeyLog, "abcd", 6, 48+92, 0, 0),
			sec(SecretsTLSKeyLog, "abcde", 7, 48+116, 0, 0),
			sec(SecretsTLSKeyLog, "xyz", 8, 48+144, 0, 0, "after padding", "two"),
		}},
		{"in a skipped section", func(w *ngBuilder) {
			w.shb(le, 2, 0, nil).idb(layers.LinkTypeEthernet, 0, nil)
			w.dsb(SecretsTLSKeyLog, keylog, 0, nil)
			w.shb(le, 1, 0, nil).idb(layers.LinkTypeEthernet, 0, nil)
			w.epb(0, 1, payload(60, 1), 60)
		}, 1, []int{0}, nil},
		{"after the last packet", func(w *ngBuilder) {
			w.shb(le, 1, 0, nil).idb(layers.LinkTypeEthernet, 0, nil)
			w.epb(0, 1, payload(60, 1), 60)
			w.dsb(SecretsTLSKeyLog, []byte("late"), 0, nil)
		}, 1, []int{0}, []Secret{sec(SecretsTLSKeyLog, "late", 3, shbLen+idbLen+epbLen(60), 0, 1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &ngBuilder{o: le}
			tc.build(w)
			for _, gz := range []bool{false, true} {
				b := w.b
				if gz {
					b = gzipBytes(w.b)
				}
				packets, seen, secrets, err := readSecrets(t, b)
				if err != nil {
					t.Fatalf("gzip %v: %v", gz, err)
				}
				if packets != tc.packets || !reflect.DeepEqual(seen, tc.seen) {
					t.Errorf("gzip %v: %d packets, secrets after each %v; want %d, %v", gz, packets, seen, tc.packets, tc.seen)
				}
				if len(secrets) != len(tc.want) {
					t.Fatalf("gzip %v: %d secrets, want %d: %+v", gz, len(secrets), len(tc.want), secrets)
				}
				for i := range secrets {
					if !reflect.DeepEqual(secrets[i], tc.want[i]) {
						t.Errorf("gzip %v: secret %d:\n got %+v\nwant %+v", gz, i, secrets[i], tc.want[i])
					}
				}
			}
		})
	}
}

// Broken Decryption Secrets Blocks: the packets and secrets before them,
// then an error naming the block (TestPcapngCorrupt checks the offsets).
func TestPcapngSecretsCorrupt(t *testing.T) {
	le := binary.LittleEndian
	good := func() *ngBuilder {
		w := &ngBuilder{o: le}
		w.shb(le, 1, 0, nil).idb(layers.LinkTypeEthernet, 0, nil)
		w.dsb(SecretsTLSKeyLog, []byte("kept"), 0, nil)
		w.epb(0, 1, payload(10, 1), 10)
		return w
	}
	start := len(good().b)
	for _, tc := range []struct {
		name string
		add  func(w *ngBuilder)
		kind error // io.ErrUnexpectedEOF: the file ends in the block
		want string
	}{
		{"secrets length overruns the block", func(w *ngBuilder) {
			w.dsb(SecretsTLSKeyLog, []byte("12345678"), 0, nil)
			le.PutUint32(w.b[start+12:], 9)
		}, ErrCorrupt, fmt.Sprintf("capture: input: corrupt pcapng block at byte %d: decryption secrets block says 9 bytes of secrets, but its length 28 leaves room for 8", start)},
		{"secrets length 2^32-1", func(w *ngBuilder) {
			w.dsb(SecretsTLSKeyLog, []byte("1234"), 0, nil)
			le.PutUint32(w.b[start+12:], 0xffffffff)
		}, ErrCorrupt, "decryption secrets block says 4294967295 bytes of secrets, but its length 24 leaves room for 4"},
		{"block too short", func(w *ngBuilder) {
			w.block(ngDSB, []byte("TLSK"))
		}, ErrCorrupt, fmt.Sprintf("corrupt pcapng block at byte %d: block length 16 is too small for a decryption secrets block (at least 20)", start)},
		{"option overruns", func(w *ngBuilder) {
			w.dsb(SecretsTLSKeyLog, []byte("abc"), 0, []byte{1, 0, 40, 0, 'x', 'y', 'z', 0})
		}, ErrCorrupt, "decryption secrets block: option 1 of 40 bytes runs past the end of the block (4 bytes left)"},
		{"truncated", func(w *ngBuilder) {
			w.dsb(SecretsTLSKeyLog, bytes.Repeat([]byte("k"), 100), 0, nil)
			w.b = w.b[:len(w.b)-30]
		}, io.ErrUnexpectedEOF, fmt.Sprintf("capture: input: truncated pcapng block at byte %d (decryption secrets block; block length says 120 bytes, 90 left)", start)},
		{"truncated header", func(w *ngBuilder) {
			w.b = le.AppendUint32(w.b, ngDSB)
			w.b = le.AppendUint32(w.b, 40)
			w.b = le.AppendUint32(w.b, SecretsTLSKeyLog)
		}, io.ErrUnexpectedEOF, "(decryption secrets block; block length says 40 bytes, 12 left)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := good()
			tc.add(w)
			if tc.kind != io.ErrUnexpectedEOF {
				w.epb(0, 2, payload(10, 2), 10) // never reached
			}
			packets, _, secrets, err := readSecrets(t, w.b)
			if packets != 1 || len(secrets) != 1 || string(secrets[0].Data) != "kept" {
				t.Errorf("%d packets, secrets %+v; want 1 packet and the first secret", packets, secrets)
			}
			if err == nil {
				t.Fatal("no error")
			}
			fe := checkFileError(t, err, tc.kind)
			if fe.Offset != int64(start) || fe.Packets != 1 {
				t.Errorf("offset %d, packets %d; want %d, 1", fe.Offset, fe.Packets, start)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// epbLen and dsbLen are the lengths of the blocks ngBuilder writes for n
// bytes of data (an EPB with its comment option).
func epbLen(n int) int64 { return int64(56 + (n+3)&^3) }
func dsbLen(n int) int64 { return int64(20 + (n+3)&^3) }

// A pcap file has no secrets.
func TestPcapSecrets(t *testing.T) {
	w := newPcapBuilder(binary.LittleEndian, false, 0, uint32(layers.LinkTypeEthernet))
	w.record(1, 2, payload(60, 1), 60)
	packets, seen, secrets, err := readSecrets(t, w.b)
	if err != nil || packets != 1 || seen[0] != 0 || secrets != nil {
		t.Errorf("%d packets, %v, %v, %v", packets, seen, secrets, err)
	}
}

// The Decryption Secrets Block editcap 4.0.17 writes (see
// testdata/dsb/SOURCES): one TLS key log right after the section header,
// before the interface and the first packet, the key log file's bytes
// unchanged. (decode's tests check that a KeyLog reads
// the same secrets from it as from the file.)
func TestPcapngSecretsEditcap(t *testing.T) {
	src, err := OpenFile(filepath.Join("testdata", "dsb", "illustrated-tls13-dsb.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	n := 0
	for {
		_, _, err := src.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	keylog, err := os.ReadFile(filepath.Join("..", "decode", "testdata", "tls", "illustrated-tls13", "keylog.txt"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := src.(SecretsReader).Secrets()
	if n != 22 || len(secrets) != 1 {
		t.Fatalf("%d packets, %d secrets; want 22, 1", n, len(secrets))
	}
	s := secrets[0]
	if s.Type != SecretsTLSKeyLog || SecretsTypeName(s.Type) != "TLS key log" || s.Block != 1 || s.Offset != 108 || s.Section != 0 || s.Packets != 0 || s.Comments != nil {
		t.Errorf("secret of type %#x, block %d at byte %d, section %d, after %d packets, comments %q",
			s.Type, s.Block, s.Offset, s.Section, s.Packets, s.Comments)
	}
	if !bytes.Equal(s.Data, keylog) {
		t.Errorf("secrets (%d bytes) differ from the key log (%d bytes)", len(s.Data), len(keylog))
	}
}

func TestSecretsTypeName(t *testing.T) {
	for typ, want := range map[uint32]string{
		SecretsTLSKeyLog:   "TLS key log",
		SecretsSSHKeyLog:   "SSH key log",
		SecretsWireGuard:   "WireGuard key log",
		SecretsZigbeeNWK:   "Zigbee NWK key",
		SecretsZigbeeAPS:   "Zigbee APS key",
		SecretsOPCUAKeyLog: "OPC UA key log",
		SecretsESPKey:      "ESP SA key",
		0x01020304:         "secrets type 0x01020304",
	} {
		if got := SecretsTypeName(typ); got != want {
			t.Errorf("%#x: %q, want %q", typ, got, want)
		}
	}
	// The constants are their four letters.
	for typ, letters := range map[uint32]string{
		SecretsTLSKeyLog: "TLSK", SecretsSSHKeyLog: "SSHK", SecretsWireGuard: "WGKL", SecretsZigbeeNWK: "ZNWK",
		SecretsZigbeeAPS: "ZAPS", SecretsOPCUAKeyLog: "UAKL", SecretsESPKey: "ESPS",
	} {
		if got := string(binary.BigEndian.AppendUint32(nil, typ)); got != letters {
			t.Errorf("%#x is %q, want %q", typ, got, letters)
		}
	}
}

// Decryption Secrets Blocks cost the packets after them nothing: reading
// a packet still allocates nothing.
func TestReadAllocsAfterSecrets(t *testing.T) {
	w := &ngBuilder{o: binary.LittleEndian}
	w.shb(binary.LittleEndian, 1, 0, nil).idb(layers.LinkTypeEthernet, 0, nil)
	w.dsb(SecretsTLSKeyLog, []byte("CLIENT_RANDOM x y\n"), 0, nil)
	for i := range 1100 {
		w.epb(0, uint64(i), payload(60+i%1400, byte(i)), uint32(60+i%1400))
	}
	src, err := NewReader(bytes.NewReader(w.b))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.ReadPacket(); err != nil { // reads the DSB too
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, _, err := src.ReadPacket(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 || len(src.(SecretsReader).Secrets()) != 1 {
		t.Errorf("%v allocations per packet, want 0; %d secrets", allocs, len(src.(SecretsReader).Secrets()))
	}
}
