// Package decodetest is what the tests of wiretap/decode,
// wiretap/decode/dfilter and cmd/wiretap share to compare wiretap's
// dissection with tshark's: the list of decode's test captures
// (decode/testdata/oracle and decode/testdata/tls), a capture read into
// memory, both of the Analyzer's passes over it, and the ports the
// oracles decode as HTTP and TLS.
//
// It is a test helper: only _test.go files import it (its own test
// checks that no other file of the module does). It imports
// wiretap/capture, to read the captures, and wiretap/capture/oracletest,
// to find them and name them in recordings, but not wiretap/decode, so
// that decode's in-package tests can import it: the Analyzer is handed
// in, as a Dissector.
package decodetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
	"wiretap/capture/oracletest"
)

// Packet is one packet of a capture, copied out of the reader.
type Packet struct {
	CI       gopacket.CaptureInfo
	LinkType layers.LinkType
	Data     []byte
	// TsResol is the timestamp resolution of the packet's interface, as
	// pcapng's if_tsresol byte (6 or 9 for pcap; ReadFile sets it; 0,
	// which would mean seconds, in packets built in code).
	TsResol uint8
	// Iface is the packet's interface as a pcapng file describes it (nil
	// for a pcap file, whose packets name none).
	Iface *capture.InterfaceInfo
}

// ReadFile reads every packet of a capture file. At a corrupt record it
// stops and returns the packets before it with the error, as tshark
// prints those and stops there; a file that is not a capture gives no
// packet and the error.
func ReadFile(path string) ([]Packet, error) {
	src, err := capture.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	il, _ := src.(capture.InterfaceLister)
	fi, _ := src.(interface{ Info() capture.SourceInfo })
	pcapng := fi != nil && fi.Info().Format == "pcapng"
	var out []Packet
	for {
		data, ci, err := src.ReadPacket()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		p := Packet{CI: ci, LinkType: src.LinkType(ci), Data: bytes.Clone(data)}
		if il != nil {
			if ifs := il.Interfaces(); ci.InterfaceIndex >= 0 && ci.InterfaceIndex < len(ifs) {
				p.TsResol = ifs[ci.InterfaceIndex].TsResol
				if pcapng {
					ifc := ifs[ci.InterfaceIndex]
					p.Iface = &ifc
				}
			}
		}
		out = append(out, p)
	}
}

// A Dissector is what Analyze drives: *decode.Analyzer, whose packets
// are P (*decode.Packet).
type Dissector[P any] interface {
	Add(n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte)
	Finish()
	Dissect(n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) P
}

// Analyze runs both passes of a over pkts, numbered from 1 (Add each,
// Finish, then Dissect each), and returns the dissected packets.
func Analyze[P any](a Dissector[P], pkts []Packet) []P {
	for i, p := range pkts {
		a.Add(i+1, p.CI, p.LinkType, p.Data)
	}
	a.Finish()
	out := make([]P, len(pkts))
	for i, p := range pkts {
		out[i] = a.Dissect(i+1, p.CI, p.LinkType, p.Data)
	}
	return out
}

// The folders of decode/testdata that hold the captures the oracles
// compare (see the SOURCES files in them).
const (
	Oracle = "oracle" // the shared captures (formats/, http/) and a demo capture
	TLS    = "tls"    // TLS captures, some with their key logs
)

// A File is one of decode's test captures.
type File struct {
	Name string // its path under decode/testdata, with slashes: "oracle/demo.pcapng", "tls/zeek/hrr.pcap"
	Path string // where it is, relative to the working directory when it can be
}

// Input names f in an oracle's recording by its Name.
func (f File) Input() oracletest.Input { return oracletest.Input{Name: f.Name, Path: f.Path} }

// captureExts are the endings of the files Files lists.
var captureExts = []string{".pcap", ".pcapng", ".cap", ".gz"}

// Files lists the capture files (.pcap, .pcapng, .cap, .gz) under the
// given folders of decode/testdata (Oracle, TLS), sorted by Name. It
// fails t if there are none.
func Files(t testing.TB, dirs ...string) []File {
	t.Helper()
	var files []File
	for _, dir := range dirs {
		top := oracletest.Testdata("decode", dir)
		err := filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !slices.Contains(captureExts, filepath.Ext(path)) {
				return err
			}
			rel, err := filepath.Rel(top, path)
			if err != nil {
				return err
			}
			files = append(files, File{Name: dir + "/" + filepath.ToSlash(rel), Path: path})
			return nil
		})
		if err != nil {
			t.Fatalf("decodetest: %v", err)
		}
	}
	if len(files) == 0 {
		t.Fatalf("decodetest: no captures under decode/testdata/{%s}", strings.Join(dirs, ","))
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files
}

// OraclePorts are the TCP ports the oracles decode as HTTP or TLS, which
// neither tshark nor wiretap finds by port alone: the demo's plaintext
// HTTP (5683, CoAP's port for tshark), Fernet over HTTP (5684) and HTTPS
// (5685), and the hotplace captures' TLS (9000). Each call returns a new
// map, for decode.Options.Force.
func OraclePorts() map[uint16]string {
	return map[uint16]string{5683: "http", 5684: "http", 5685: "tls", 9000: "tls"}
}

// DecodeAs is tshark's options for ports: "-d tcp.port==N,proto" per
// port, in port order.
func DecodeAs(ports map[uint16]string) []string {
	var nums []int
	for p := range ports {
		nums = append(nums, int(p))
	}
	sort.Ints(nums)
	var args []string
	for _, p := range nums {
		args = append(args, "-d", fmt.Sprintf("tcp.port==%d,%s", p, ports[uint16(p)]))
	}
	return args
}

// EachInterface calls set with each packet's pcapng interface (none for
// a pcap file): what wiretap read gives decode's Analyzer.SetInterface.
func EachInterface(pkts []Packet, set func(iface int, name, description string, section int)) {
	for _, p := range pkts {
		if p.Iface != nil {
			set(p.CI.InterfaceIndex, p.Iface.Name, p.Iface.Description, p.Iface.Section)
		}
	}
}
