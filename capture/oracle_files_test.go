package capture

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket"

	"wiretap/capture/oracletest"
)

// oracleDiff is a line on which wiretap and tshark are expected to differ,
// with the reason. Lines are "time_epoch<TAB>cap_len<TAB>len<TAB>md5".
type oracleDiff struct {
	file   string // name as under the former testdata/files (oracletest.Shared)
	tshark string // tshark's line ("" when tshark prints nothing there)
	ours   string // wiretap's line ("" when wiretap delivers no packet there)
	why    string
}

var oracleDiffs = []oracleDiff{
	{
		file:   "formats/tcpdump/timestamp_invalid_nano.pcap",
		tshark: "1418145370.1000000000\t76\t76\tcca722f5db18ab2cce829d1fa8f788c7",
		ours:   "1418145371.000000000\t76\t76\tcca722f5db18ab2cce829d1fa8f788c7",
		why: "the record's nanosecond field is 1000000000 (out of range); tshark prints it " +
			"raw after the dot, wiretap carries it into the seconds (time.Unix normalises)",
	},
	{
		file:   "formats/tcpdump/timestamp_invalid_nano.pcap",
		tshark: "-1418145370.2147483648\t68\t68\t0818398c4ef30bcba5a4ddc9b7001cd3",
		ours:   "1418145372.147483648\t68\t68\t0818398c4ef30bcba5a4ddc9b7001cd3",
		why: "the nanosecond field is 2147483648 (0x80000000); tshark reads it as a negative " +
			"int32 and prints a negative time, wiretap reads the field unsigned and normalises",
	},
	{
		file: "pcapng-structure/test901-le.pcapng",
		ours: "1340954905.298858000\t314\t314\tc629fc3f59ca620f75b1a2ab499c469e",
		why: "the second of three sections has SHB version 2.0: tshark and capinfos stop " +
			"there with an error after the first section's packet; wiretap skips the " +
			"unknown-version section as the pcapng specification asks and also reads the " +
			"third section's packet",
	},
}

// TestOracleFiles reads every shared test file (oracletest.SharedFiles:
// capture/testdata/files and decode's formats, http, tls) with wiretap and
// with tshark: the files capinfos accepts must give the same packets
// (count, timestamps to the nanosecond, lengths, MD5 of the bytes) line for
// line; the files it rejects must make wiretap return an error (not
// panic), except those in oracleDiffs. capinfos's and tshark's outputs are
// recorded in testdata/golden/TestOracleFiles (see oracletest).
func TestOracleFiles(t *testing.T) {
	capinfos := oracletest.New(t, oracletest.Capinfos)
	tshark := oracletest.New(t, oracletest.Tshark)
	files, err := oracletest.SharedFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 150 {
		t.Fatalf("only %d shared test files", len(files))
	}

	var (
		mu                         sync.Mutex
		compared, packets, refused int
		used                       = map[int]bool{}
	)
	t.Run("files", func(t *testing.T) {
		for _, f := range files {
			path, rel := f.Path, f.Rel
			t.Run(rel, func(t *testing.T) {
				t.Parallel()
				ours, ourErr := readLines(path)
				in := oracletest.Input{Name: rel, Path: path}
				accepted, out := runCapinfos(t, capinfos, in)
				want := tsharkLines(t, tshark, in, accepted)

				var diffs []int
				for i, d := range oracleDiffs {
					if d.file == rel {
						diffs = append(diffs, i)
					}
				}
				if !accepted && len(diffs) == 0 {
					if ourErr == nil {
						t.Errorf("capinfos rejects the file, wiretap reads %d packets without error; capinfos:\n%s", len(ours), out)
					} else if !strings.HasPrefix(ourErr.Error(), "capture: ") {
						t.Errorf("error without prefix: %v", ourErr)
					}
					if len(want) > 0 {
						t.Errorf("tshark prints %d packets of a file capinfos rejects; add an oracleDiff", len(want))
					}
					mu.Lock()
					refused++
					mu.Unlock()
					return
				}
				if ourErr != nil {
					t.Fatalf("wiretap: %v (after %d packets)", ourErr, len(ours))
				}
				want = applyDiffs(want, ours, diffs, func(i int) {
					mu.Lock()
					used[i] = true
					mu.Unlock()
				})
				if len(ours) != len(want) {
					t.Errorf("wiretap reads %d packets, tshark %d", len(ours), len(want))
				}
				for i := range min(len(ours), len(want)) {
					if ours[i] != want[i] {
						t.Errorf("packet %d:\nwiretap %s\ntshark  %s", i+1, ours[i], want[i])
					}
				}
				mu.Lock()
				compared++
				packets += len(ours)
				mu.Unlock()
			})
		}
	})
	for i, d := range oracleDiffs {
		if !used[i] && !t.Failed() {
			t.Errorf("expected difference not seen: %s: tshark %q, wiretap %q", d.file, d.tshark, d.ours)
		}
	}
	t.Logf("%d files compared with tshark line for line, %d packets (timestamps to the ns, lengths, MD5 of the bytes); "+
		"%d files capinfos rejects are refused by wiretap too; %d expected differences (oracleDiffs)",
		compared, packets, refused, len(oracleDiffs))
	capinfos.Done(compared + refused)
	tshark.Done(packets)
}

// applyDiffs turns tshark's lines into the lines wiretap should give.
func applyDiffs(want, ours []string, diffs []int, use func(int)) []string {
	out := make([]string, 0, len(want)+len(diffs))
	out = append(out, want...)
	for _, i := range diffs {
		d := oracleDiffs[i]
		switch {
		case d.tshark != "":
			for j, line := range out {
				if line == d.tshark {
					out[j] = d.ours
					use(i)
					break
				}
			}
		default: // a packet only wiretap reads, in order
			pos := len(out)
			for j, line := range ours {
				if line == d.ours {
					pos = j
					break
				}
			}
			if pos <= len(out) {
				out = append(out[:pos], append([]string{d.ours}, out[pos:]...)...)
				use(i)
			}
		}
	}
	return out
}

// readLines reads a file with wiretap: one line per packet.
func readLines(path string) ([]string, error) {
	src, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var lines []string
	for {
		data, ci, err := src.ReadPacket()
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return lines, err
		}
		lines = append(lines, packetLine(ci, data))
	}
}

// packetLine formats a packet as tshark's frame.time_epoch, frame.cap_len,
// frame.len and frame.md5_hash; a packet without a timestamp (pcapng SPB)
// has an empty time, as in tshark.
func packetLine(ci gopacket.CaptureInfo, data []byte) string {
	ts := ""
	if !ci.Timestamp.IsZero() {
		ts = fmt.Sprintf("%d.%09d", ci.Timestamp.Unix(), ci.Timestamp.Nanosecond())
	}
	sum := md5.Sum(data)
	return fmt.Sprintf("%s\t%d\t%d\t%s", ts, ci.CaptureLength, ci.Length, hex.EncodeToString(sum[:]))
}

// runCapinfos reports whether capinfos accepts the file (exit status 0),
// and what it printed.
func runCapinfos(t *testing.T, capinfos *oracletest.Oracle, in oracletest.Input) (bool, []byte) {
	t.Helper()
	res, err := capinfos.Run(in, "-c", in.Path)
	if err != nil {
		t.Fatalf("capinfos: %v", err)
	}
	return res.Exit == 0, append(res.Stdout, res.Stderr...)
}

// tsharkLines runs tshark on the file: a line per packet record. Records
// of pcapng custom blocks (which tshark shows as frames) are left out:
// they are not packets. If mustSucceed, tshark must exit 0.
func tsharkLines(t *testing.T, tshark *oracletest.Oracle, in oracletest.Input, mustSucceed bool) []string {
	t.Helper()
	res, err := tshark.Run(in, "-n", "-r", in.Path, "-o", "frame.generate_md5_hash:TRUE",
		"-T", "fields", "-e", "frame.time_epoch", "-e", "frame.cap_len", "-e", "frame.len",
		"-e", "frame.md5_hash", "-e", "frame.cb_pen")
	if err != nil {
		t.Fatal(err)
	}
	if res.Exit != 0 && mustSucceed {
		t.Fatalf("tshark -r: exit status %d\n%s", res.Exit, res.Stderr)
	}
	var lines []string
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 5 || f[4] != "" {
			continue
		}
		lines = append(lines, strings.Join(f[:4], "\t"))
	}
	return lines
}
