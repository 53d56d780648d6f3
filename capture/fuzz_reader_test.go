package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"wiretap/capture/oracletest"
)

// fuzzSeeds adds the shared test captures whose magic number passes keep,
// and extra seeds.
func fuzzSeeds(f *testing.F, keep func(magic uint32) bool, extra ...[]byte) {
	files, err := oracletest.SharedFiles()
	if err != nil {
		f.Fatal(err)
	}
	for _, sf := range files {
		b, err := os.ReadFile(sf.Path)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) >= 4 && keep(binary.BigEndian.Uint32(b)) && len(b) <= 64<<10 {
			f.Add(b)
		}
	}
	for _, b := range extra {
		f.Add(b)
	}
}

// fuzzRead reads b to the end and checks what any input must give: no
// panic; a *FileError with the prefix and (where it has one) its offset in
// the message; a sticky error; packets whose data is CaptureLength bytes,
// from an interface the file described. It returns the packets.
func fuzzRead(t *testing.T, b []byte) (pkts [][]byte, cis []gopacket.CaptureInfo) {
	src, err := NewReader(bytes.NewReader(b))
	if err != nil {
		checkFuzzError(t, err)
		return nil, nil
	}
	defer src.Close()
	fsrc := src.(*FileSource)
	defer func() { checkFuzzSecrets(t, fsrc, len(b), len(pkts)) }()
	total, secrets := 0, 0
	for {
		data, ci, err := src.ReadPacket()
		if n := len(fsrc.Secrets()); n < secrets {
			t.Fatalf("Secrets shrank from %d to %d", secrets, n)
		} else {
			secrets = n
		}
		if err == io.EOF {
			if _, _, err := src.ReadPacket(); err != io.EOF {
				t.Errorf("after EOF: %v", err)
			}
			return pkts, cis
		}
		if err != nil {
			checkFuzzError(t, err)
			if _, _, err2 := src.ReadPacket(); err2 != err {
				t.Errorf("error not sticky: %v, then %v", err, err2)
			}
			return pkts, cis
		}
		if len(data) != ci.CaptureLength {
			t.Fatalf("packet %d: %d bytes, CaptureLength %d", len(pkts)+1, len(data), ci.CaptureLength)
		}
		ifs := fsrc.Interfaces()
		if ci.InterfaceIndex < 0 || ci.InterfaceIndex >= len(ifs) || src.LinkType(ci) != ifs[ci.InterfaceIndex].LinkType {
			t.Fatalf("packet %d: interface %d of %d", len(pkts)+1, ci.InterfaceIndex, len(ifs))
		}
		if total += len(data); fsrc.gz == nil && total > len(b) {
			t.Fatalf("%d bytes of packets from a %d-byte input", total, len(b))
		}
		pkts = append(pkts, bytes.Clone(data))
		cis = append(cis, ci)
	}
}

// checkFuzzSecrets checks the Decryption Secrets Blocks a reader kept:
// in file order, each within the file, from a section it read, before or
// after the packets it says.
func checkFuzzSecrets(t *testing.T, s *FileSource, size, packets int) {
	t.Helper()
	total, lastBlock, lastOff, lastPackets := 0, -1, int64(-1), 0
	for i, sec := range s.Secrets() {
		if sec.Block <= lastBlock || sec.Offset <= lastOff || sec.Packets < lastPackets || sec.Packets > packets {
			t.Fatalf("secret %d: block %d at %d after %d packets, follows block %d at %d after %d (of %d packets)",
				i, sec.Block, sec.Offset, sec.Packets, lastBlock, lastOff, lastPackets, packets)
		}
		lastBlock, lastOff, lastPackets = sec.Block, sec.Offset, sec.Packets
		if sec.Section < 0 || sec.Section >= len(s.Info().Sections) || s.Info().Sections[sec.Section].Skipped {
			t.Fatalf("secret %d: section %d of %+v", i, sec.Section, s.Info().Sections)
		}
		if sec.Data == nil {
			t.Fatalf("secret %d: %+v", i, sec)
		}
		if total += 20 + len(sec.Data); s.gz == nil && (total > size || sec.Offset+20+int64(len(sec.Data)) > int64(size)) {
			t.Fatalf("secret %d: %d bytes at %d, %d in all, of a %d-byte input", i, len(sec.Data), sec.Offset, total, size)
		}
	}
}

func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FileError", err, err)
	}
	if !strings.HasPrefix(err.Error(), "capture: ") {
		t.Fatalf("error without prefix: %v", err)
	}
	if fe.Offset >= 0 && !strings.Contains(err.Error(), fmt.Sprintf("byte %d", fe.Offset)) {
		t.Fatalf("error %q does not name its offset %d", err, fe.Offset)
	}
}

func FuzzPcapReader(f *testing.F) {
	w := newPcapBuilder(binary.BigEndian, true, 64, uint32(layers.LinkTypeLinuxSLL))
	w.record(1, 2, payload(70, 1), 70).record(3, 4, nil, 0)
	fuzzSeeds(f, func(m uint32) bool {
		return m == magicPcapMicroBE || m == magicPcapMicroLE || m == magicPcapNanoBE || m == magicPcapNanoLE
	}, w.b, gzipBytes(w.b))
	f.Fuzz(fuzzPcap)
}

func fuzzPcap(t *testing.T, b []byte) {
	{
		pkts, cis := fuzzRead(t, b)
		// pcapgo, where it reads packets, must read the same ones. (It
		// stops at what it rejects: minor versions other than 4, a
		// captured length above the original one.)
		r, err := pcapgo.NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		raw := b
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			raw, _ = io.ReadAll(zr)
		}
		off := 24
		for i := range pkts {
			data, ci, err := r.ReadPacketData()
			if err != nil {
				return
			}
			// pcapgo multiplies a microsecond field by 1000 in 32 bits,
			// which wraps above 4294967 µs; wiretap carries the excess
			// into the seconds, as the field says. Times are compared
			// where pcapgo's is right.
			if micro, order := pcapFractionOrder(raw); micro && off+16 <= len(raw) && order.Uint32(raw[off+4:]) > math.MaxUint32/1000 {
				ci.Timestamp = cis[i].Timestamp
			}
			off += 16 + len(data)
			checkSamePacket(t, i, pkts[i], cis[i], data, ci)
		}
	}
}

// pcapFractionOrder reports whether a pcap file's fractions are
// microseconds, and its byte order.
func pcapFractionOrder(raw []byte) (micro bool, order binary.ByteOrder) {
	if len(raw) < 4 {
		return false, nil
	}
	switch binary.BigEndian.Uint32(raw) {
	case magicPcapMicroBE:
		return true, binary.BigEndian
	case magicPcapMicroLE:
		return true, binary.LittleEndian
	}
	return false, nil
}

func FuzzPcapngReader(f *testing.F) {
	sample, _ := sampleNgBig(100)
	le, be := binary.LittleEndian, binary.BigEndian
	// Decryption secrets: before and between packets, other types,
	// padding, a comment, big-endian, and the one editcap wrote.
	dsbs := &ngBuilder{o: le}
	dsbs.shb(le, 1, 0, nil).dsb(SecretsTLSKeyLog, []byte("CLIENT_RANDOM 00 11\n"), 0, nil)
	dsbs.idb(layers.LinkTypeEthernet, 0, nil).epb(0, 1, payload(60, 1), 60)
	dsbs.dsb(SecretsWireGuard, []byte("abc"), 0xee, dsbs.opts(dsbs.opt(optComment, []byte("wg"))))
	dsbs.dsb(0x01020304, nil, 0, nil).epb(0, 2, payload(61, 2), 61)
	dsbs.shb(be, 1, 0, nil).dsb(SecretsSSHKeyLog, []byte("12345"), 0, nil)
	editcap, err := os.ReadFile("testdata/dsb/illustrated-tls13-dsb.pcapng")
	if err != nil {
		f.Fatal(err)
	}
	fuzzSeeds(f, func(m uint32) bool { return m == magicPcapng }, sample, gzipBytes(sample), dsbs.b, editcap)
	f.Fuzz(fuzzPcapng)
}

// fuzzPcapng reads b with wiretap's reader and with pcapgo's NgReader:
// for as long as pcapgo reads packets, wiretap's must be the same ones
// (data, lengths, time). pcapgo stops earlier where wiretap deliberately
// reads on, and the comparison ends where either stops.
func fuzzPcapng(t *testing.T, b []byte) {
	pkts, cis := fuzzRead(t, b)
	r, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return
	}
	for i := range pkts {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			return
		}
		// pcapgo scales sub-second units by an integer factor
		// (1e9/2^n or 2^n/1e9, truncated): its times are off for binary
		// resolutions finer than 2^-9 s, where wiretap's are exact. There
		// only the data and the lengths are compared.
		if res, err := r.Interface(ci.InterfaceIndex); err == nil && res.TimestampResolution.Binary() && res.TimestampResolution.Exponent() > 9 {
			ci.Timestamp = cis[i].Timestamp
		}
		checkSamePacket(t, i, pkts[i], cis[i], data, ci)
	}
}

// checkSamePacket compares packet i as wiretap and pcapgo read it.
func checkSamePacket(t *testing.T, i int, data []byte, ci gopacket.CaptureInfo, refData []byte, ref gopacket.CaptureInfo) {
	t.Helper()
	if !bytes.Equal(data, refData) || ci.Length != ref.Length || !ci.Timestamp.Equal(ref.Timestamp) {
		t.Fatalf("packet %d: %d/%d bytes at %v, pcapgo %d/%d at %v", i+1, len(data), ci.Length, ci.Timestamp, len(refData), ref.Length, ref.Timestamp)
	}
}
