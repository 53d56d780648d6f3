package main

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"wiretap/capture/oracletest"
	"wiretap/decode/decodetest"
)

// The statistics oracles (TestOracleStatsTables, TestOracleIOStat,
// TestOracleStatsRefused) run `wiretap read -q -z …` as a user does (run,
// the shipped path: flags, both passes, the writers) and tshark 4.0's
// `tshark -n -q -r F -z …` with the oracles' -d ports on every test
// capture, and compare what they print line for line, whole lines: the
// tables are tshark's output contract, which scripts parse.

// statsDiff is a line on which a -z table is expected to differ from
// tshark's, with the reason.
type statsDiff struct {
	file string // the capture as decodetest names it
	run  string // a prefix of the run's label (its -z arguments)
	line string // a regular expression each line that differs matches, tshark's or wiretap's
	why  string
}

var statsOracleDiffs = []statsDiff{
	// conv,udp, conv,ip, endpoints,udp and endpoints,ip, in one run.
	{"oracle/formats/tcpdump/of13_ericsson.pcapng", "-z http,tree -z conv,tcp", `^192\.168\.1\.[12][ :]`, whyOpenFlow},
	{"oracle/formats/tcpdump/of13_ericsson.pcapng", "tables in one run", `^192\.168\.1\.[12][ :]`, whyOpenFlow},
	// The OpenFlow packets' UDP is at 438381 s; the table is at 5000 s and
	// more per row (ioStatMaxRows).
	{"oracle/formats/tcpdump/of13_ericsson.pcapng", "-z io,stat,", `^\| 43[0-9]000 <> 44[0-9]000 \|`, whyOpenFlow},
}

// statsCaptures are the statistics oracles' captures: decode's corpus and
// the ones made here (the layers the corpus lacks, and statsSynthCapture).
func statsCaptures(t *testing.T) []decodetest.File {
	dir := t.TempDir()
	files := decodetest.Files(t, decodetest.Oracle, decodetest.TLS)
	files = append(files, synthCaptures(t, dir)...)
	return append(files, statsSynthCapture(t, dir))
}

// statsOracle runs tshark and wiretap on one capture with the same -z
// arguments and compares their outputs, counting what it compared.
type statsOracle struct {
	t      *testing.T
	o      *oracletest.Oracle
	seen   map[int]bool // statsOracleDiffs entries met
	runs   int          // runs compared
	lines  int          // tshark's lines compared
	values int          // the numbers in them
	differ int          // lines that differ, not expected
}

func newStatsOracle(t *testing.T) *statsOracle {
	return &statsOracle{t: t, o: oracletest.New(t, oracletest.Tshark), seen: map[int]bool{}}
}

// tshark runs tshark -n -q -r F -d … ARGS.
func (so *statsOracle) tshark(f decodetest.File, args ...string) (oracletest.Result, bool) {
	so.t.Helper()
	a := append([]string{"-n", "-q", "-r", f.Path}, decodetest.DecodeAs(decodetest.OraclePorts())...)
	res, err := so.o.Run(f.Input(), append(a, args...)...)
	if err != nil {
		so.t.Errorf("%s: tshark: %v", f.Name, err)
		return res, false
	}
	return res, true
}

// wiretap runs wiretap read -r F -d … -q ARGS.
func wiretapStats(f decodetest.File, args ...string) (stdout, stderr string, code int) {
	a := append([]string{"read", "-r", f.Path}, decodetest.DecodeAs(decodetest.OraclePorts())...)
	a = append(append(a, "-q"), args...)
	var out, errb bytes.Buffer
	code = run(a, stdio{strings.NewReader(""), &out, &errb})
	return out.String(), errb.String(), code
}

// compare runs both with args (label names the run) and compares them.
func (so *statsOracle) compare(f decodetest.File, label string, args ...string) {
	so.t.Helper()
	res, ok := so.tshark(f, args...)
	if !ok {
		return
	}
	got, errs, code := wiretapStats(f, args...)
	switch {
	case res.Exit != 0 && code != 0:
		so.runs++ // both refuse (a capture tshark cannot read either)
		return
	case res.Exit != 0:
		so.t.Errorf("%s %s: tshark exits %d (%s), wiretap prints the tables", f.Name, label, res.Exit, firstLine(res.Stderr))
		return
	case code != 0:
		so.t.Errorf("%s %s: wiretap exits %d: %s", f.Name, label, code, errs)
		return
	}
	so.runs++
	want := splitLines(string(res.Stdout))
	have := splitLines(got)
	so.lines += len(want)
	shown := 0
	for _, d := range lineDiff(want, have) {
		if d.same {
			so.values += countNumbers(d.line)
			continue
		}
		side := "wiretap"
		if d.tshark {
			side, so.lines = "tshark", so.lines-1
		}
		if k, ok := allowedStatsDiff(f.Name, label, d.line); ok {
			so.seen[k] = true
			continue
		}
		so.differ++
		if shown++; shown <= 6 {
			so.t.Errorf("%s %s: only %s has the line\n  %q", f.Name, label, side, d.line)
		}
	}
	if shown > 6 {
		so.t.Errorf("%s %s: %d lines differ in all", f.Name, label, shown)
	}
}

// done checks that every expected difference of the test's runs (io:
// io,stat's, or the others) was met, and reports the counts.
func (so *statsOracle) done(io bool) {
	so.t.Helper()
	for k, d := range statsOracleDiffs {
		if strings.HasPrefix(d.run, "-z io,stat") == io && !so.seen[k] {
			so.t.Errorf("expected difference not seen (remove it from statsOracleDiffs?): %s %s %q", d.file, d.run, d.line)
		}
	}
	if so.differ > 0 {
		so.t.Errorf("%d lines differ from tshark's", so.differ)
	}
	so.t.Logf("%d runs compared with tshark: %d of tshark's lines equal, whole, holding %d numbers", so.runs, so.lines, so.values)
	so.o.Done(so.lines)
}

func allowedStatsDiff(file, label, line string) (int, bool) {
	for k, d := range statsOracleDiffs {
		if d.file == file && strings.HasPrefix(label, d.run) && regexp.MustCompile(d.line).MatchString(line) {
			return k, true
		}
	}
	return 0, false
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// countNumbers counts the numbers in a table line (figures, not
// separators): the words with a digit in them.
func countNumbers(line string) int {
	n := 0
	for _, w := range strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '|' }) {
		if strings.IndexFunc(w, unicode.IsDigit) >= 0 {
			n++
		}
	}
	return n
}

// lineEdit is one line of a diff: in both, or only in tshark's output
// (tshark) or only in wiretap's.
type lineEdit struct {
	line         string
	same, tshark bool
}

// lineDiff is the longest-common-subsequence diff of two outputs.
func lineDiff(want, have []string) []lineEdit {
	n, m := len(want), len(have)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if want[i] == have[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []lineEdit
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && want[i] == have[j]:
			out = append(out, lineEdit{line: want[i], same: true})
			i, j = i+1, j+1
		case j == m || (i < n && lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, lineEdit{line: want[i], tshark: true})
			i++
		default:
			out = append(out, lineEdit{line: have[j]})
			j++
		}
	}
	return out
}

// statsTables are the tables TestOracleStatsTables compares.
var statsTables = []string{"http,tree", "conv,tcp", "conv,udp", "conv,ip", "endpoints,tcp", "endpoints,udp", "endpoints,ip"}

// TestOracleStatsTables compares -z http,tree (every column: counts,
// rates, percentages, burst rates and starts), conv,tcp, conv,udp,
// conv,ip, endpoints,tcp, endpoints,udp and endpoints,ip with tshark's
// on every test capture (a table of no rows too: its header must be
// tshark's), and several tables in one run, which tshark prints last
// asked first, -z follow among them (tshark's outputs recorded in
// testdata/golden/TestOracleStatsTables).
func TestOracleStatsTables(t *testing.T) {
	so := newStatsOracle(t)
	for _, f := range statsCaptures(t) {
		// All of them in one run (tshark's start-up, 0.3 s, is most of a
		// run's time on these captures; 400 runs took three minutes).
		var all []string
		for _, z := range statsTables {
			all = append(all, "-z", z)
		}
		so.compare(f, "-z "+strings.Join(statsTables, " -z "), all...)
		args := []string{"-z", "conv,udp", "-z", "http,tree", "-z", "endpoints,ip", "-z", "io,stat,0,tcp", "-z", "conv,tcp"}
		if pkts, err := decodetest.ReadFile(f.Path); err == nil && hasTCP(pkts) {
			args = append(args, "-z", "follow,tcp,ascii,0", "-z", "endpoints,tcp")
		}
		so.compare(f, "tables in one run", args...)
	}
	so.done(false)
}

// hasTCP reports whether a capture has a TCP segment over IPv4 or IPv6
// (a crude look at the Ethernet frames: for -z follow,tcp,…,0, which
// needs a stream 0).
func hasTCP(pkts []decodetest.Packet) bool {
	for _, p := range pkts {
		d := p.Data
		if p.LinkType != 1 || len(d) < 34 {
			continue
		}
		switch {
		case d[12] == 0x08 && d[13] == 0x00 && d[23] == 6:
			return true
		case d[12] == 0x86 && d[13] == 0xdd && len(d) > 20 && d[20] == 6:
			return true
		}
	}
	return false
}

// ioStatRuns are TestOracleIOStat's tables: an interval in seconds as
// given, and the columns. LOAD runs are marked: tshark 4.0 dies of
// SIGFPE, or loops, on LOAD over a capture of no duration.
var ioStatRuns = []struct {
	interval string
	columns  string
	load     bool
}{
	{"1", "", false},
	{"0.5", "tcp,udp", false},
	{"0", "", false},
	{"0.010", "", false},
	{"1.000", "udp", false},
	{"1", "COUNT(tcp.analysis.retransmission)tcp.analysis.retransmission,SUM(frame.len)frame.len", false},
	{"0.1", "MIN(tcp.len)tcp.len,MAX(tcp.len)tcp.len,AVG(tcp.len)tcp.len", false},
	{"0.25", "FRAMES,BYTES()ip,FRAMES()tcp,BYTES", false},
	// Fields no filter names have no values: 0 (tshark's priming).
	{"1", "MAX(tcp.len)tcp,SUM(tcp.srcport),COUNT(ip.src)", false},
	{"0", "http,tls,ip.len>100,MIN(frame.time_delta)frame,SUM(http.time)http.time", false},
	{"0.3", "http.request||http.response,MAX(http.time)http.time,AVG(http.time)http.time", false},
	{"2", "COUNT(http.response.code)http.response.code>=300,MIN(http.response.code)http.response.code,MAX(tcp.window_size)tcp.window_size", false},
	{"0.7", "ip.addr==10.0.0.5 && udp,AVG(udp.length)udp.length", false},
	// A filter longer than the table is wide: wrapped at blanks.
	{"1", "ip.addr == 10.0.0.1 and udp.length > 100 or tcp.srcport == 80 and tcp.len > 1000 or frame.len > 1200 and not arp and not icmp,udp", false},
	{"1", "AVG(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt,MAX(frame.time_delta)frame.time_delta,LOAD(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt", true},
	{"0.5", "LOAD(http.time)http.time,MIN(tcp.analysis.ack_rtt)tcp.analysis.ack_rtt", true},
}

// ioStatMaxRows bounds a table's rows: a capture whose packets span more
// intervals than that is compared at the first ten-fold of the interval
// that fits (the recordings stay small; tls1_3.pcap spans 68 million
// seconds, and tshark prints every row). decode's TestIOStatSparse
// covers such a span at a fine interval.
const ioStatMaxRows = 1000

// TestOracleIOStat compares -z io,stat tables (frames and bytes per
// filter, and COUNT, SUM, MIN, MAX, AVG and LOAD of fields, with
// intervals as tshark's header and rows print them) with tshark's on
// every test capture, and with -Y, whose fields prime the calculations
// (tshark's outputs recorded in testdata/golden/TestOracleIOStat).
func TestOracleIOStat(t *testing.T) {
	so := newStatsOracle(t)
	scaled := 0
	for _, f := range statsCaptures(t) {
		pkts, _ := decodetest.ReadFile(f.Path)
		span := captureSpan(pkts)
		// Every form in one run, which tshark prints last asked first, as
		// wiretap does: tshark's start-up is most of a run's time, and
		// 800 runs took six minutes.
		done := map[string]bool{}
		var args []string
		for _, r := range ioStatRuns {
			if r.load && span == 0 {
				continue
			}
			invl := fitInterval(r.interval, span)
			if invl != r.interval {
				scaled++
			}
			z := "io,stat," + invl
			if r.columns != "" {
				z += "," + r.columns
			}
			if done[z] {
				continue // an interval scaled to one already compared
			}
			done[z] = true
			args = append(args, "-z", z)
		}
		so.compare(f, fmt.Sprintf("-z io,stat, (%d forms in one run)", len(done)), args...)
		if span > 0 && span <= 10*time.Second {
			so.compare(f, "-Y with io,stat", "-Y", "tcp.len > 0", "-z", "io,stat,1,MAX(tcp.len)tcp,SUM(tcp.len)tcp,COUNT(tcp.len)")
		}
	}
	t.Logf("%d runs at a larger interval than asked (more than %d rows)", scaled, ioStatMaxRows)
	so.done(true)
}

// captureSpan is the latest frame's time since the first frame (tshark's
// elapsed time, which sizes io,stat's rows).
func captureSpan(pkts []decodetest.Packet) time.Duration {
	var span time.Duration
	for _, p := range pkts {
		span = max(span, p.CI.Timestamp.Sub(pkts[0].CI.Timestamp))
	}
	return span
}

// fitInterval returns the interval (seconds, as given) times the least
// power of ten that keeps a table of span within ioStatMaxRows rows.
func fitInterval(interval string, span time.Duration) string {
	secs, err := strconv.ParseFloat(interval, 64)
	if err != nil || secs == 0 {
		return interval
	}
	us := int64(math.Round(secs * 1e6))
	if span/time.Microsecond/time.Duration(us) <= ioStatMaxRows {
		return interval
	}
	for span/time.Microsecond/time.Duration(us) > ioStatMaxRows {
		us *= 10
	}
	s := strconv.FormatInt(us/1e6, 10)
	if frac := us % 1e6; frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
	}
	return s
}

// statsRefusedDiffs are the -z arguments tshark 4.0 takes and wiretap
// refuses, with the reason.
var statsRefusedDiffs = map[string]string{
	"io,stat,-1":              "tshark turns a negative interval into an unsigned one through C's undefined conversion (the table then spans the capture); wiretap refuses it, with tshark's message for an interval too small",
	"io,stat,nan":             "as a negative interval: NaN through an undefined conversion",
	"io,stat,0x10":            "tshark's sscanf reads C's hexadecimal floating point; wiretap takes decimal intervals",
	"io,stat,1,LOAD(tcp.len)": "tshark 4.0 takes LOAD of a field that is not a relative time and prints rows with no value in its column; wiretap refuses it (tshark's later message)",
	"http,tree,http.request":  "tshark takes a display filter after http,tree; wiretap does not yet",
	"conv,tcp,tcp.port==80":   "tshark takes a display filter after conv,TYPE; wiretap does not yet",
}

// TestOracleStatsRefused: what tshark refuses as a -z argument wiretap
// refuses too, before reading the capture, with one `wiretap: error:`
// line in tshark's words where they say what is wrong with the argument
// (tshark's outputs recorded in testdata/golden/TestOracleStatsRefused).
func TestOracleStatsRefused(t *testing.T) {
	o := oracletest.New(t, oracletest.Tshark)
	f := decodetest.File{Name: "oracle/http/zeek/get.pcap", Path: oracletest.Testdata("decode", "oracle", "http", "zeek", "get.pcap")}
	cases := []struct {
		z    string
		same bool // wiretap's message holds tshark's
	}{
		{"io,stat,abc", true}, {"io,stat,", true}, {"io,stat", true}, {"io,stat,1,", true},
		{"io,stat,0.0000001", true}, {"io,stat,1e-7", true}, {"io,stat,inf", true}, {"io,stat,1e14", true},
		{"io,stat,1,SUM(nosuch.field)", true}, {"io,stat,1,SUM(ip.src)", true}, {"io,stat,1,AVG(http.request.method)", true},
		{"io,stat,1,SUM(tcp.len", true}, {"io,stat,1,SUM()tcp", true}, {"io,stat,1,FRAMES(tcp.len)", true},
		{"io,stat,1,BYTES(frame.len)", true},
		{"io,stat,1,tcp.port==", false}, {"io,stat,1,nosuch.proto", false},
		{"endpoints,foo", true}, {"conv,foo", true}, {"conv", true}, {"endpoints", true}, {"foo", true}, {"http,tre", true},
		{"io,stat,-1", false}, {"io,stat,nan", false}, {"io,stat,0x10", false}, {"io,stat,1,LOAD(tcp.len)", false},
		{"http,tree,http.request", false}, {"conv,tcp,tcp.port==80", false},
	}
	compared := 0
	for _, c := range cases {
		res, err := o.Run(f.Input(), "-n", "-q", "-r", f.Path, "-z", c.z)
		if err != nil {
			t.Fatalf("-z %s: tshark: %v", c.z, err)
		}
		var out, errb bytes.Buffer
		code := run([]string{"read", "-r", "/nonexistent/capture.pcap", "-q", "-z", c.z}, stdio{strings.NewReader(""), &out, &errb})
		compared++
		lines := splitLines(errb.String())
		if code == 0 || out.Len() != 0 || len(lines) == 0 || len(lines) > 2 || !strings.HasPrefix(lines[0], "wiretap: error: ") ||
			(len(lines) == 2 && !strings.HasPrefix(lines[1], "wiretap: hint: ")) {
			t.Errorf("-z %s: want exit 2 and an error line (and a hint), before opening the capture; exit %d, stdout %q, stderr %q", c.z, code, out.String(), errb.String())
			continue
		}
		// tshark says what it refuses on stderr and exits non-zero; a
		// stats_tree whose filter it refuses it reports and goes on.
		tsharkRefuses := res.Exit != 0 || strings.Contains(string(res.Stderr), "failed to attach")
		if why, ok := statsRefusedDiffs[c.z]; ok {
			if tsharkRefuses {
				t.Errorf("-z %s: tshark refuses it too now (%s): remove it from statsRefusedDiffs (%s)", c.z, firstLine(res.Stderr), why)
			}
			continue
		}
		if !tsharkRefuses {
			t.Errorf("-z %s: tshark takes it, wiretap refuses it: %s", c.z, lines[0])
			continue
		}
		if c.same {
			msg := tsharkMessage(res.Stderr)
			if !strings.Contains(strings.ToLower(lines[0]), strings.ToLower(msg)) {
				t.Errorf("-z %s: wiretap says %q, tshark %q", c.z, lines[0], msg)
			}
		}
	}
	o.Done(compared)
}

// tsharkMessage is tshark's error message: the first line of its stderr
// that says "tshark: ", without that, the trailing period, and what
// follows a "; it must be one of" (the list of every tap).
func tsharkMessage(stderr []byte) string {
	for _, l := range strings.Split(string(stderr), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(l), "tshark: "); ok {
			m, _, _ = strings.Cut(m, "; it must be one of")
			return strings.TrimSuffix(m, ".")
		}
	}
	return strings.TrimSpace(string(stderr))
}
