package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"wiretap/capture/oracletest"
)

// ngBuilder writes pcapng blocks byte by byte, independently of the reader,
// in the byte order of the current section.
type ngBuilder struct {
	o binary.AppendByteOrder
	b []byte
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// block appends a block: type, length, body (padded), length.
func (w *ngBuilder) block(typ uint32, body []byte) *ngBuilder {
	body = pad4(append([]byte(nil), body...))
	n := uint32(12 + len(body))
	w.b = w.o.AppendUint32(w.b, typ)
	w.b = w.o.AppendUint32(w.b, n)
	w.b = append(w.b, body...)
	w.b = w.o.AppendUint32(w.b, n)
	return w
}

// opt encodes one option; opts ends a list of them.
func (w *ngBuilder) opt(code uint16, v []byte) []byte {
	b := w.o.AppendUint16(nil, code)
	b = w.o.AppendUint16(b, uint16(len(v)))
	return pad4(append(b, v...))
}

func (w *ngBuilder) opts(list ...[]byte) []byte {
	var b []byte
	for _, o := range list {
		b = append(b, o...)
	}
	if len(b) > 0 {
		b = append(b, 0, 0, 0, 0)
	}
	return b
}

func (w *ngBuilder) u64(v uint64) []byte { return w.o.AppendUint64(nil, v) }

// shb starts a section in byte order o.
func (w *ngBuilder) shb(o binary.AppendByteOrder, major, minor uint16, opts []byte) *ngBuilder {
	w.o = o
	body := o.AppendUint32(nil, ngByteOrderBE)
	body = o.AppendUint16(body, major)
	body = o.AppendUint16(body, minor)
	body = o.AppendUint64(body, ^uint64(0)) // section length unknown
	return w.block(ngSHB, append(body, opts...))
}

func (w *ngBuilder) idb(lt layers.LinkType, snap uint32, opts []byte) *ngBuilder {
	body := w.o.AppendUint16(nil, uint16(lt))
	body = w.o.AppendUint16(body, 0)
	body = w.o.AppendUint32(body, snap)
	return w.block(ngIDB, append(body, opts...))
}

func (w *ngBuilder) epb(iface uint32, ts uint64, data []byte, origLen uint32) *ngBuilder {
	body := w.o.AppendUint32(nil, iface)
	body = w.o.AppendUint32(body, uint32(ts>>32))
	body = w.o.AppendUint32(body, uint32(ts))
	body = w.o.AppendUint32(body, uint32(len(data)))
	body = w.o.AppendUint32(body, origLen)
	body = pad4(append(body, data...))
	body = append(body, w.opt(optComment, []byte("a packet comment"))...)
	return w.block(ngEPB, append(body, 0, 0, 0, 0))
}

// pb appends an obsolete Packet Block (type 2).
func (w *ngBuilder) pb(iface uint16, ts uint64, data []byte, origLen uint32) *ngBuilder {
	body := w.o.AppendUint16(nil, iface)
	body = w.o.AppendUint16(body, 7) // drops count
	body = w.o.AppendUint32(body, uint32(ts>>32))
	body = w.o.AppendUint32(body, uint32(ts))
	body = w.o.AppendUint32(body, uint32(len(data)))
	body = w.o.AppendUint32(body, origLen)
	return w.block(ngPB, append(body, data...))
}

func (w *ngBuilder) spb(origLen uint32, data []byte) *ngBuilder {
	return w.block(ngSPB, append(w.o.AppendUint32(nil, origLen), data...))
}

func (w *ngBuilder) isb(iface uint32, recv, drop uint64) *ngBuilder {
	body := w.o.AppendUint32(nil, iface)
	body = append(body, w.u64(0)...)
	body = append(body, w.opts(w.opt(optIsbIfRecv, w.u64(recv)), w.opt(optIsbIfDrop, w.u64(drop)))...)
	return w.block(ngISB, body)
}

func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

type wantPacket struct {
	iface int
	lt    layers.LinkType
	ts    time.Time // zero: none (SPB)
	data  []byte
	len   int
}

// sampleNg is a pcapng file with four sections (little-endian,
// big-endian, an unknown version 2.0, version 1.2), nine interfaces of
// eight link types, every block type and several timestamp resolutions.
func sampleNg() ([]byte, []wantPacket) { return sampleNgBig(300_000) }

// sampleNgBig is sampleNg with a big packet of the given size.
func sampleNgBig(bigSize int) ([]byte, []wantPacket) {
	le, be := binary.LittleEndian, binary.BigEndian
	w := &ngBuilder{o: binary.LittleEndian}
	var want []wantPacket
	add := func(iface int, lt layers.LinkType, ts time.Time, data []byte, n int) {
		want = append(want, wantPacket{iface, lt, ts, data, n})
	}

	// Section 0, little-endian.
	w.shb(le, 1, 0, w.opts(w.opt(optShbHardware, []byte("x86_64")), w.opt(optShbOS, []byte("Linux")),
		w.opt(optShbUserAppl, []byte("ngBuilder")), w.opt(optComment, []byte("section zero"))))
	w.idb(layers.LinkTypeEthernet, 0, w.opts(w.opt(optIfName, []byte("eth0")), w.opt(optIfTsresol, []byte{9}),
		w.opt(optIfFilter, append([]byte{0}, "tcp port 80"...)), w.opt(optIfDesc, []byte("the first"))))
	w.idb(layers.LinkTypeLinuxSLL, 128, w.opts(w.opt(optIfName, []byte("any")), w.opt(optIfTsoffset, w.u64(100))))
	w.block(ngNRB, []byte{1, 0, 8, 0, 127, 0, 0, 1, 'l', 'o', 0, 0, 0, 0, 0, 0})
	w.block(ngCustom, append(le.AppendUint32(nil, 32473), "custom data"...))
	w.block(0x12345678, []byte("an unknown block type"))
	p := payload(100, 1)
	w.epb(1, 1_700_000_000_654_321, p, 1500)
	add(1, layers.LinkTypeLinuxSLL, time.Unix(1_700_000_100, 654_321_000), p, 1500)
	p = payload(60, 2)
	w.epb(0, 1_700_000_000_123_456_789, p, 60)
	add(0, layers.LinkTypeEthernet, time.Unix(1_700_000_000, 123_456_789), p, 60)
	p = payload(33, 3)
	w.pb(1, 1_700_000_001_000_001, p, 33)
	add(1, layers.LinkTypeLinuxSLL, time.Unix(1_700_000_101, 1000), p, 33)
	p = payload(50, 4)
	w.spb(50, p)
	add(0, layers.LinkTypeEthernet, time.Time{}, p, 50)
	w.isb(0, 10, 2)
	w.dsb(SecretsTLSKeyLog, []byte("abcd"), 0, w.opts(w.opt(optComment, []byte("keys"))))
	w.block(ngCustomNoCopy, append(le.AppendUint32(nil, 32473), 1, 2, 3))

	// Section 1, big-endian: binary and very fine resolutions.
	w.shb(be, 1, 0, nil)
	w.idb(layers.LinkTypeRaw, 0, w.opts(w.opt(optIfTsresol, []byte{0x88}))) // 2^-8 s
	w.idb(layers.LinkTypeLinuxSLL2, 0, w.opts(w.opt(optIfTsresol, []byte{0x80 | 40})))
	w.idb(layers.LinkType(12345), 64, w.opts(w.opt(optIfTsresol, []byte{19})))
	p = payload(20, 5)
	w.epb(0, 1_700_000_000<<8|0x80, p, 20)
	add(2, layers.LinkTypeRaw, time.Unix(1_700_000_000, 500_000_000), p, 20)
	p = payload(21, 6)
	w.epb(1, 1000<<40|(1<<39+1<<30), p, 21) // 0.5 + 2^-10 s
	add(3, layers.LinkTypeLinuxSLL2, time.Unix(1000, 500_976_562), p, 21)
	p = payload(22, 7)
	w.epb(2, 15_000_000_000_000_000_000, p, 22) // 1.5 s in 10^-19 s
	add(4, layers.LinkType(12345), time.Unix(1, 500_000_000), p, 22)
	// SPB of interface 0 (Raw, no snap length) and, in its own section,
	// one cut to the snap length.
	p = payload(40, 8)
	w.spb(40, p)
	add(2, layers.LinkTypeRaw, time.Time{}, p, 40)
	w.isb(7, 1, 1) // an unknown interface: ignored

	// Section 2: unknown major version, skipped whole.
	w.shb(le, 2, 0, nil)
	w.idb(layers.LinkTypeEthernet, 0, nil)
	w.epb(0, 0, payload(10, 9), 10)
	w.block(0x0bad0bad, []byte("whatever version 2 has"))

	// Section 3, version 1.2: more link types, a big packet.
	w.shb(le, 1, 2, nil)
	w.idb(layers.LinkTypeNull, 16, nil)
	w.idb(layers.LinkTypeLoop, 0, nil)
	w.idb(layers.LinkType(228), 0, nil)
	w.idb(layers.LinkType(229), 0, nil)
	p = payload(200, 10)
	w.spb(200, p[:16])
	add(5, layers.LinkTypeNull, time.Time{}, p[:16], 200)
	p = payload(4, 11)
	w.epb(1, 5_000_001, p, 4)
	add(6, layers.LinkTypeLoop, time.Unix(5, 1000), p, 4)
	p = payload(3, 12)
	w.epb(2, 6, p, 3)
	add(7, layers.LinkType(228), time.Unix(0, 6000), p, 3)
	p = payload(bigSize, 13) // larger than the read buffer
	w.epb(3, 7_000_000, p, uint32(bigSize))
	add(8, layers.LinkType(229), time.Unix(7, 0), p, bigSize)
	p = payload(1, 14)
	w.epb(0, 8_000_000, p, 1)
	add(5, layers.LinkTypeNull, time.Unix(8, 0), p, 1)
	return w.b, want
}

func TestPcapngSample(t *testing.T) {
	b, want := sampleNg()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(b)
	zw.Close()
	for _, tc := range []struct {
		name string
		b    []byte
	}{{"plain", b}, {"gzip", gz.Bytes()}} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := NewReader(bytes.NewReader(tc.b))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			for i, w := range want {
				data, ci, err := src.ReadPacket()
				if err != nil {
					t.Fatalf("packet %d: %v", i+1, err)
				}
				if !bytes.Equal(data, w.data) || ci.CaptureLength != len(w.data) || ci.Length != w.len {
					t.Errorf("packet %d: %d bytes (ci %d/%d), want %d/%d", i+1, len(data), ci.CaptureLength, ci.Length, len(w.data), w.len)
				}
				if !ci.Timestamp.Equal(w.ts) || ci.Timestamp.IsZero() != w.ts.IsZero() {
					t.Errorf("packet %d: timestamp %v, want %v", i+1, ci.Timestamp, w.ts)
				}
				if ci.InterfaceIndex != w.iface || src.LinkType(ci) != w.lt {
					t.Errorf("packet %d: interface %d (%v), want %d (%v)", i+1, ci.InterfaceIndex, src.LinkType(ci), w.iface, w.lt)
				}
				if len(ci.AncillaryData) != 1 || ci.AncillaryData[0] != w.lt {
					t.Errorf("packet %d: AncillaryData %v", i+1, ci.AncillaryData)
				}
			}
			if _, _, err := src.ReadPacket(); err != io.EOF {
				t.Fatalf("after the last packet: %v", err)
			}

			fs := src.(*FileSource)
			info := fs.Info()
			if info.Format != "pcapng" || info.Compression != map[string]string{"plain": "", "gzip": "gzip"}[tc.name] ||
				info.ByteOrder != binary.LittleEndian || info.VersionMajor != 1 || len(info.Sections) != 4 {
				t.Errorf("info %+v", info)
			}
			s0, s1, s2, s3 := info.Sections[0], info.Sections[1], info.Sections[2], info.Sections[3]
			if s0.Hardware != "x86_64" || s0.OS != "Linux" || s0.Application != "ngBuilder" || len(s0.Comments) != 1 || s0.Comments[0] != "section zero" || s0.Offset != 0 {
				t.Errorf("section 0: %+v", s0)
			}
			if s1.ByteOrder != binary.BigEndian || s1.Skipped || !s2.Skipped || s2.VersionMajor != 2 || s3.VersionMinor != 2 || s3.Skipped {
				t.Errorf("sections: %+v", info.Sections)
			}

			ifs := fs.Interfaces()
			wantIfs := []InterfaceInfo{
				{Name: "eth0", Description: "the first", Filter: "tcp port 80", LinkType: layers.LinkTypeEthernet, TsResol: 9, TsResolNanos: 1, Received: 10, Dropped: 2},
				{Name: "any", LinkType: layers.LinkTypeLinuxSLL, SnapLen: 128, TsResol: 6, TsResolNanos: 1000, TsOffset: 100, Received: -1, Dropped: -1},
				{LinkType: layers.LinkTypeRaw, TsResol: 0x88, TsResolNanos: 3906250, Section: 1, Received: -1, Dropped: -1},
				{LinkType: layers.LinkTypeLinuxSLL2, TsResol: 0xa8, TsResolNanos: 1e9 / (1 << 40), Section: 1, Received: -1, Dropped: -1},
				{LinkType: 12345, SnapLen: 64, TsResol: 19, TsResolNanos: 1e-10, Section: 1, Received: -1, Dropped: -1},
				{LinkType: layers.LinkTypeNull, SnapLen: 16, TsResol: 6, TsResolNanos: 1000, Section: 3, Received: -1, Dropped: -1},
				{LinkType: layers.LinkTypeLoop, TsResol: 6, TsResolNanos: 1000, Section: 3, Received: -1, Dropped: -1},
				{LinkType: 228, TsResol: 6, TsResolNanos: 1000, Section: 3, Received: -1, Dropped: -1},
				{LinkType: 229, TsResol: 6, TsResolNanos: 1000, Section: 3, Received: -1, Dropped: -1},
			}
			if len(ifs) != len(wantIfs) {
				t.Fatalf("%d interfaces, want %d: %+v", len(ifs), len(wantIfs), ifs)
			}
			for i := range ifs {
				if ifs[i] != wantIfs[i] {
					t.Errorf("interface %d:\n got %+v\nwant %+v", i, ifs[i], wantIfs[i])
				}
			}
			var lister InterfaceLister = fs
			_ = lister
			// The one decryption secrets block, after section 0's four
			// packets (block 11, counting from 0: SHB, 2 IDBs, NRB, a
			// custom and an unknown block, 4 packets, ISB, then it).
			if secs := fs.Secrets(); len(secs) != 1 || secs[0].Type != SecretsTLSKeyLog || string(secs[0].Data) != "abcd" ||
				secs[0].Section != 0 || secs[0].Packets != 4 || secs[0].Block != 11 || len(secs[0].Comments) != 1 || secs[0].Comments[0] != "keys" {
				t.Errorf("secrets %+v", secs)
			}
		})
	}
}

// The files of pcapng-structure against their descriptions: interfaces
// across sections are numbered globally, in order of appearance.
func TestPcapngStructureInterfaces(t *testing.T) {
	for _, dir := range []string{"output_le", "output_be"} {
		path := filepath.Join("testdata", "files", "pcapng-structure", dir, "difficult", "test202.pcapng")
		src, err := OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var idx []int
		var lts []layers.LinkType
		for {
			_, ci, err := src.ReadPacket()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			idx = append(idx, ci.InterfaceIndex)
			lts = append(lts, src.LinkType(ci))
		}
		src.Close()
		ifs := src.(InterfaceLister).Interfaces()
		// SHB, IDB(0), NRB, IDB(1), CB, NRB, EPB, ISB, EPB, EPB,
		// SHB, IDB(2), SPB, EPB, DCB, NRB, NRB, ISB, SPB, EPB,
		// SHB, NRB, IDB(3), DCB, IDB(4), ISB, ISB, EPB (on local 1)
		if got := fmt.Sprint(idx); got != "[0 0 1 2 2 2 2 4]" {
			t.Errorf("%s: interface indexes %s (link types %v)", dir, got, lts)
		}
		if len(ifs) != 5 || ifs[2].Section != 1 || ifs[4].Section != 2 || ifs[4].LinkType != layers.LinkTypeNull {
			t.Errorf("%s: interfaces %+v", dir, ifs)
		}
		info := src.(*FileSource).Info()
		if len(info.Sections) != 3 || info.Sections[1].ByteOrder == info.Sections[0].ByteOrder {
			t.Errorf("%s: sections %+v", dir, info.Sections)
		}
	}
}

// test902 (gopacket): big-endian, if_tsresol 2^-8.
func TestPcapngBinaryResolution(t *testing.T) {
	src, err := OpenFile("testdata/files/pcapng-structure/test902-be.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_, ci, err := src.ReadPacket()
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(1519128000, 195312500); !ci.Timestamp.Equal(want) {
		t.Errorf("timestamp %v, want %v", ci.Timestamp, want)
	}
	if ifs := src.(InterfaceLister).Interfaces(); ifs[0].TsResol != 0x88 || ifs[0].TsResolNanos != 3906250 || ifs[0].Name != "eth0" {
		t.Errorf("interface %+v", ifs[0])
	}
}

func TestTsConv(t *testing.T) {
	for _, tc := range []struct {
		resol  uint8
		offset int64
		ts     uint64
		want   time.Time
	}{
		{6, 0, 1_500_000, time.Unix(1, 500_000_000)},
		{9, 0, 1_500_000_001, time.Unix(1, 500_000_001)},
		{3, 0, 2_001, time.Unix(2, 1_000_000)},
		{0, 0, 42, time.Unix(42, 0)},
		{12, 0, 3_000_000_999_999, time.Unix(3, 999)},
		{19, 0, 18_000_000_000_000_000_009, time.Unix(1, 800_000_000)},
		{0x80, 0, 5, time.Unix(5, 0)},
		{0x80 | 1, 0, 5, time.Unix(2, 500_000_000)},
		{0x80 | 30, 0, 1<<30 | 1<<29, time.Unix(1, 500_000_000)},
		{0x80 | 63, 0, 1<<63 | 1<<62, time.Unix(1, 500_000_000)},
		{0x80 | 63, 0, 1, time.Unix(0, 0)}, // 1.08e-19 s, truncated
		{6, -10, 20_000_000, time.Unix(10, 0)},
		{6, 1 << 33, 0, time.Unix(1<<33, 0)},
	} {
		c, ok := newTsConv(tc.resol, tc.offset)
		if !ok {
			t.Errorf("resolution %#x refused", tc.resol)
			continue
		}
		if got := c.time(tc.ts); !got.Equal(tc.want) {
			t.Errorf("resolution %#x, offset %d, ts %d: %v, want %v", tc.resol, tc.offset, tc.ts, got, tc.want)
		}
	}
	for _, r := range []uint8{20, 127, 0x80 | 64, 0xff} {
		if _, ok := newTsConv(r, 0); ok {
			t.Errorf("resolution %#x accepted", r)
		}
	}
}

// Corrupt pcapng files: the packets before the fault, then an error that
// names the offset and the fault.
func TestPcapngCorrupt(t *testing.T) {
	le := binary.LittleEndian
	good := func() *ngBuilder {
		w := &ngBuilder{o: binary.LittleEndian}
		w.shb(le, 1, 0, nil)
		w.idb(layers.LinkTypeEthernet, 0, nil)
		w.epb(0, 1, payload(10, 1), 10)
		return w
	}
	goodLen := len(good().b)
	raw := func(words ...uint32) func(*ngBuilder) {
		return func(w *ngBuilder) {
			for _, v := range words {
				w.b = le.AppendUint32(w.b, v)
			}
		}
	}
	for _, tc := range []struct {
		name    string
		add     func(*ngBuilder)
		packets int
		kind    error
		want    string
	}{
		{"length not multiple of 4", raw(ngEPB, 7, 0, 0), 1, ErrCorrupt,
			fmt.Sprintf("capture: input: corrupt pcapng block at byte %d: block length 7 is not a multiple of 4", goodLen)},
		{"length below 12", raw(0x99, 8, 8), 1, ErrCorrupt,
			fmt.Sprintf("corrupt pcapng block at byte %d: block length 8 is too small for a block of type 0x00000099 (at least 12)", goodLen)},
		{"EPB too short", func(w *ngBuilder) { w.block(ngEPB, make([]byte, 16)) }, 1, ErrCorrupt,
			"block length 28 is too small for an enhanced packet block (at least 32)"},
		{"huge length", raw(ngEPB, 0xfffffff0), 1, ErrCorrupt,
			fmt.Sprintf("corrupt pcapng block at byte %d: block length 4294967280 is more than 268435456", goodLen)},
		{"trailer mismatch", raw(0x99, 16, 0, 20), 1, ErrCorrupt,
			fmt.Sprintf("corrupt pcapng block at byte %d: block of type 0x00000099 starts with block length 16 but ends with 20", goodLen)},
		{"interface out of range", func(w *ngBuilder) { w.epb(1, 0, nil, 0) }, 1, ErrCorrupt,
			fmt.Sprintf("corrupt pcapng block at byte %d: enhanced packet block refers to interface 1, but the section describes 1", goodLen)},
		{"PB interface out of range", func(w *ngBuilder) { w.pb(3, 0, nil, 0) }, 1, ErrCorrupt,
			"packet block refers to interface 3, but the section describes 1"},
		{"captured length too big", func(w *ngBuilder) {
			w.epb(0, 0, payload(8, 0), 8)
			le.PutUint32(w.b[goodLen+20:], 200) // the captured length
		}, 1, ErrCorrupt, "enhanced packet block says 200 captured bytes, but its length 64 leaves room for 32"},
		{"SPB without interface", func(w *ngBuilder) {
			w.shb(binary.BigEndian, 1, 0, nil)
			w.spb(4, []byte{1, 2, 3, 4})
		}, 1, ErrCorrupt, "simple packet block in a section that describes no interface"},
		{"bad byte-order magic", raw(ngSHB, 28, 0x01020304, 1, 0, 0, 28), 1, ErrCorrupt,
			fmt.Sprintf("corrupt pcapng block at byte %d: section header byte-order magic is 0x04030201, not 0x1a2b3c4d in either byte order", goodLen)},
		{"IDB option overrun", func(w *ngBuilder) {
			w.idb(layers.LinkTypeEthernet, 0, append(w.opt(optIfName, []byte("eth1")), 2, 0, 200, 0))
		}, 1, ErrCorrupt, "interface description block: option 2 of 200 bytes runs past the end of the block (0 bytes left)"},
		{"SHB option overrun", func(w *ngBuilder) {
			w.shb(le, 1, 0, []byte{4, 0, 9, 0, 'a', 'b', 'c', 'd'})
		}, 1, ErrCorrupt, "section header block: option 4 of 9 bytes runs past the end of the block (4 bytes left)"},
		{"resolution too fine", func(w *ngBuilder) {
			w.idb(layers.LinkTypeEthernet, 0, w.opts(w.opt(optIfTsresol, []byte{0x80 | 64})))
		}, 1, ErrUnsupported, "interface description block: timestamp resolution 2^-64 s is finer than wiretap reads"},
		{"truncated block", func(w *ngBuilder) {
			w.epb(0, 0, payload(100, 0), 100)
			w.b = w.b[:len(w.b)-50]
		}, 1, io.ErrUnexpectedEOF,
			fmt.Sprintf("capture: input: truncated pcapng block at byte %d (enhanced packet block; block length says 156 bytes, 106 left)", goodLen)},
		{"truncated block header", raw(ngEPB), 1, io.ErrUnexpectedEOF,
			fmt.Sprintf("capture: input: truncated pcapng block header at byte %d (8 bytes needed, 4 left)", goodLen)},
		{"truncated section header", raw(ngSHB, 28), 1, io.ErrUnexpectedEOF,
			fmt.Sprintf("truncated pcapng block at byte %d (section header block; 12 bytes needed, 8 left)", goodLen)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := good()
			tc.add(w)
			lines, _, err := readAllBytes(w.b)
			if len(lines) != tc.packets {
				t.Errorf("%d packets, want %d", len(lines), tc.packets)
			}
			if err == nil {
				t.Fatalf("no error")
			}
			fe := checkFileError(t, err, tc.kind)
			// The fault is in the first block added, but for the SPB
			// that follows a 28-byte section header.
			at := goodLen + map[string]int{"SPB without interface": 28}[tc.name]
			if fe.Offset != int64(at) || fe.Packets != tc.packets {
				t.Errorf("offset %d, packets %d; want %d, %d", fe.Offset, fe.Packets, at, tc.packets)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// A pcapng file cut at every byte offset: never a panic, every packet
// before the cut, then io.EOF if the cut falls between blocks, else an
// error naming the offset of the block that is cut.
func TestPcapngTruncateEverywhere(t *testing.T) {
	sample, _ := sampleNgBig(3000)
	files := map[string][]byte{"sample": sample}
	for _, name := range []string{
		"pcapng-structure/output_le/difficult/test202.pcapng",
		"pcapng-structure/output_be/difficult/test202.pcapng",
		"pcapng-structure/output_be/advanced/test102.pcapng",
		"pcapng-structure/test901-le.pcapng",
		"formats/heuristics/many_interfaces-1.pcapng",
		"tls/hotplace-tls13/handshake_failure.pcapng",
	} {
		b, err := os.ReadFile(oracletest.Shared(name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	for name, b := range files {
		t.Run(name, func(t *testing.T) {
			truncateEverywhere(t, b, ngBlockStarts(t, b))
		})
	}
}

// ngBlockStarts lists where blocks start (and the end of the file),
// walking the framing only.
func ngBlockStarts(t *testing.T, b []byte) map[int]bool {
	starts := map[int]bool{}
	var o binary.ByteOrder = binary.LittleEndian
	off := 0
	for off < len(b) {
		starts[off] = true
		if binary.BigEndian.Uint32(b[off:]) == ngSHB {
			o = binary.LittleEndian
			if binary.BigEndian.Uint32(b[off+8:]) == ngByteOrderBE {
				o = binary.BigEndian
			}
		}
		off += int(o.Uint32(b[off+4:]))
	}
	if off != len(b) {
		t.Fatalf("blocks end at %d, file at %d", off, len(b))
	}
	starts[off] = true
	return starts
}

// truncateEverywhere reads every prefix of b; boundaries are the offsets
// at which a prefix is a valid file (ignoring 0).
func truncateEverywhere(t *testing.T, b []byte, boundaries map[int]bool) {
	t.Helper()
	all, ends, err := readAllBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	stride := 1
	if len(b) > 8000 {
		stride = 7
	}
	for cut := 0; cut < len(b); cut += stride {
		lines, _, err := readAllBytes(b[:cut])
		n := 0
		for n < len(ends) && ends[n] <= int64(cut) {
			n++
		}
		if len(lines) != n {
			t.Fatalf("cut at %d: %d packets, want %d (%v)", cut, len(lines), n, err)
		}
		for i := range lines {
			if lines[i] != all[i] {
				t.Fatalf("cut at %d: packet %d differs", cut, i+1)
			}
		}
		if cut == 0 {
			if err == nil || err.Error() != "capture: input is empty" {
				t.Fatalf("cut at 0: %v", err)
			}
			continue
		}
		if cut < 4 {
			if err == nil || !strings.HasPrefix(err.Error(), "capture: ") {
				t.Fatalf("cut at %d: %v", cut, err)
			}
			continue
		}
		if boundaries[cut] {
			if err != nil {
				t.Fatalf("cut at %d, a record boundary: %v", cut, err)
			}
			continue
		}
		if err == nil {
			t.Fatalf("cut at %d: no error", cut)
		}
		fe := checkFileError(t, err, io.ErrUnexpectedEOF)
		if fe.Offset < 0 || fe.Offset >= int64(cut) || !boundaries[int(fe.Offset)] {
			t.Fatalf("cut at %d: error at offset %d: %v", cut, fe.Offset, err)
		}
	}
}

func TestReadAllocs(t *testing.T) {
	for _, format := range []string{"pcap", "pcapng"} {
		t.Run(format, func(t *testing.T) {
			b := benchFile(t, format, 2000)
			src, err := NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(1000, func() {
				if _, _, err := src.ReadPacket(); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per packet, want 0", allocs)
			}
		})
	}
}

// benchFile makes a capture of n Ethernet packets of 60 to 1514 bytes.
func benchFile(tb testing.TB, format string, n int) []byte {
	var buf bytes.Buffer
	var w PacketWriter
	var err error
	if format == "pcap" {
		w, err = NewPcapWriter(&buf, layers.LinkTypeEthernet, 0)
	} else {
		w, err = NewPcapngWriter(&buf, PcapngOptions{LinkType: layers.LinkTypeEthernet, Interface: "lo"})
	}
	if err != nil {
		tb.Fatal(err)
	}
	data := payload(1514, 0)
	t0 := time.Unix(1_700_000_000, 0)
	for i := range n {
		size := 60 + (i*7919)%1455
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * 1234567), CaptureLength: size, Length: size}
		if err := w.WritePacket(ci, data[:size]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func benchmarkRead(b *testing.B, format string, gz bool) {
	raw := benchFile(b, format, 100_000)
	content := raw
	if gz {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zw.Write(raw)
		zw.Close()
		content = buf.Bytes()
	}
	path := filepath.Join(b.TempDir(), "bench."+format)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		b.Fatal(err)
	}
	open := func() Source {
		src, err := OpenFile(path)
		if err != nil {
			b.Fatal(err)
		}
		return src
	}
	src := open()
	b.SetBytes(int64(len(raw)) / 100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_, _, err := src.ReadPacket()
		if err == io.EOF {
			b.StopTimer()
			src.Close()
			src = open()
			b.StartTimer()
			_, _, err = src.ReadPacket()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	src.Close()
}

// BenchmarkReadPcapng reads a generated 100,000-packet pcapng file, one
// packet per op (allocs/op must be 0).
func BenchmarkReadPcapng(b *testing.B)     { benchmarkRead(b, "pcapng", false) }
func BenchmarkReadPcap(b *testing.B)       { benchmarkRead(b, "pcap", false) }
func BenchmarkReadPcapngGzip(b *testing.B) { benchmarkRead(b, "pcapng", true) }

// BenchmarkPcapgoNgReader is pcapgo's NgReader on the same file, for
// comparison.
func BenchmarkPcapgoNgReader(b *testing.B) {
	raw := benchFile(b, "pcapng", 100_000)
	open := func() *pcapgo.NgReader {
		r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	r := open()
	b.SetBytes(int64(len(raw)) / 100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_, _, err := r.ZeroCopyReadPacketData()
		if err == io.EOF {
			b.StopTimer()
			r = open()
			b.StartTimer()
			_, _, err = r.ZeroCopyReadPacketData()
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
