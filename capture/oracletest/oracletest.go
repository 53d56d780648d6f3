// Package oracletest records what the reference tools (tshark, tcpdump,
// capinfos) print for the oracle tests of wiretap/capture, wiretap/decode,
// wiretap/decode/dfilter and cmd/wiretap, and replays it, so that the
// oracles compare wiretap with the tools whether or not the tools are
// installed. The tests whose inputs are made live (a capture on lo, the
// demo's, a file written with the time of day) run the tools directly,
// and skip without them.
//
// # Recordings
//
// A test opens one Oracle per tool (New) and runs the tool through it
// (Oracle.Run). Every run is stored in the package's
// testdata/golden/<TestName>/<tool>.txt (gzip-compressed as .txt.gz when
// larger than 32 KiB): the tool's name and version on the first line,
// then per run its command line (with the input named as the test names
// it, not by its temporary path), the input's SHA-256 (each input's, for
// a run that reads several files: RunFiles), the exit status, stdout and
// stderr. A run is looked up by its command line; an input whose bytes
// differ from the recorded ones fails the test (the recording is stale:
// re-record it).
//
// Three modes, per Oracle:
//
//   - replay (the default): the tool is not run, installed or not; its
//     outputs come from the recording. This is fast and needs no tool.
//   - live (WIRETAP_ORACLE=live, as .ci/run sets): when the tool is
//     installed with the version recorded (see Versions), it is run, the
//     test compares wiretap with its live output, and the live output must
//     equal the recording (else the test fails: re-record). With another
//     version, or no tool, the Oracle replays, and says so.
//   - update (go test -run X -update): the tool is run and the recording
//     rewritten. The installed version must be the recorded one (its
//     upstream version); to record with another, delete the test's
//     testdata/golden/<TestName> folder first.
//
// # Versions
//
// A recording's first line keeps the tool's whole version text, for
// information: "tshark 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3)",
// "tcpdump 4.99.3, libpcap 1.10.3 (with TPACKET_V3)". The modes compare
// only its upstream version (Upstream): the name and version number of
// the tool and of each library listed after a comma, without what is in
// parentheses or after a "-" or "+" in a number ("tshark 4.0.17",
// "tcpdump 4.99.3, libpcap 1.10.3"). A distribution's rebuild or security
// update of the same release so still runs live, and a change in its
// output fails the live check (re-record) instead of quietly turning the
// comparison into a replay; -update with it rewrites the first line. A
// new upstream release replays until the recordings are made again with
// it (delete the folder, then -update).
//
// A test reports how many values it compared against each Oracle
// (Oracle.Done): none is a failure. Done logs "oracle: ..." with the count
// and whether it was live or from the recording, and, when
// WIRETAP_ORACLE_COUNTS names a file, appends a line
// "<package> <test> <tool> <live|recorded> <values> <runs>" to it (.ci/run
// sums these).
//
// # Test captures, stored once
//
// The capture files shared by several packages' tests are stored once,
// under decode/testdata (which decode's tests read as testdata/oracle and
// testdata/tls, and the others through Testdata, or decode/decodetest's
// Files, which lists them for the oracles): the shared set that
// used to be copied into capture/testdata/files/{formats,http,tls} lives in
// decode/testdata/oracle/formats, decode/testdata/oracle/http and
// decode/testdata/tls; capture/testdata/files keeps the pcapng-structure
// vectors, which only capture's tests read. Shared and SharedFiles map the
// old capture/testdata/files-relative names ("formats/gopacket/test_dns.pcap")
// to the one copy; Testdata resolves a path under any package's testdata
// from the module root (found by walking up to go.mod). See the SOURCES
// files next to the captures for their origins and licences.
//
// Only tests import this package (decode/decodetest's test checks it). It
// imports neither wiretap/capture nor wiretap/decode, so both packages'
// in-package tests can import it.
package oracletest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "re-record the oracle tests' tool outputs (testdata/golden; needs the recorded tool version)")

// Environment variables.
const (
	// EnvMode set to "live" runs the tools where they are installed with
	// the recorded version, and checks the recordings against them.
	EnvMode = "WIRETAP_ORACLE"
	// EnvCounts names a file Done appends its counts to.
	EnvCounts = "WIRETAP_ORACLE_COUNTS"
)

// gzipOver is the size above which a recording is stored gzip-compressed.
const gzipOver = 32 << 10

// A Tool is a reference tool.
type Tool struct {
	Name        string
	versionArgs []string
	version     func(out string) string // the version line from the version output

	once sync.Once
	path string
	ver  string
	err  error
}

// The reference tools.
var (
	Tshark   = &Tool{Name: "tshark", versionArgs: []string{"-v"}, version: wiresharkVersion("tshark")}
	Capinfos = &Tool{Name: "capinfos", versionArgs: []string{"-v"}, version: wiresharkVersion("capinfos")}
	Tcpdump  = &Tool{Name: "tcpdump", versionArgs: []string{"--version"}, version: tcpdumpVersion}
)

// wiresharkVersion turns "TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged
// as 4.0.17-0+deb12u3)." into "tshark 4.0.17 (Git v4.0.17 packaged as
// 4.0.17-0+deb12u3)".
func wiresharkVersion(name string) func(string) string {
	return func(out string) string {
		line, _, _ := strings.Cut(out, "\n")
		line = strings.TrimSuffix(strings.TrimSpace(line), ".")
		if _, rest, ok := strings.Cut(line, "(Wireshark) "); ok {
			return name + " " + rest
		}
		return line
	}
}

// tcpdumpVersion turns "tcpdump version 4.99.3\nlibpcap version 1.10.3
// (with TPACKET_V3)\n..." into "tcpdump 4.99.3, libpcap 1.10.3 (with
// TPACKET_V3)": libpcap compiles the filters, so its version counts too.
func tcpdumpVersion(out string) string {
	lines := strings.Split(out, "\n")
	v := "tcpdump " + strings.TrimPrefix(strings.TrimSpace(lines[0]), "tcpdump version ")
	if len(lines) > 1 && strings.HasPrefix(lines[1], "libpcap version ") {
		v += ", libpcap " + strings.TrimPrefix(strings.TrimSpace(lines[1]), "libpcap version ")
	}
	return v
}

// Upstream is a version line's upstream version: per comma-separated
// part, its first word and the leading digits and dots of its second
// ("tshark 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3)" is
// "tshark 4.0.17", "tcpdump 4.99.3, libpcap 1.10.3 (with TPACKET_V3)" is
// "tcpdump 4.99.3, libpcap 1.10.3"). Two versions with the same upstream
// version give the same outputs, as far as the modes go.
func Upstream(version string) string {
	parts := strings.Split(version, ",")
	for i, p := range parts {
		f := strings.Fields(p)
		switch {
		case len(f) == 0:
			parts[i] = ""
		case len(f) == 1:
			parts[i] = f[0]
		default:
			n := strings.IndexFunc(f[1], func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
			if n < 0 {
				n = len(f[1])
			}
			parts[i] = f[0] + " " + strings.TrimRight(f[1][:n], ".")
		}
	}
	return strings.Join(parts, ", ")
}

// Installed reports the tool's path and version line, or why it cannot
// be run.
func (tl *Tool) Installed() (path, version string, err error) {
	tl.once.Do(func() {
		tl.path, tl.err = exec.LookPath(tl.Name)
		if tl.err != nil {
			return
		}
		var out []byte
		out, tl.err = exec.Command(tl.path, tl.versionArgs...).Output()
		if tl.err != nil {
			tl.err = fmt.Errorf("%s %s: %v", tl.path, strings.Join(tl.versionArgs, " "), tl.err)
			return
		}
		tl.ver = tl.version(string(out))
	})
	return tl.path, tl.ver, tl.err
}

// Mode is how an Oracle gets the tool's outputs.
type Mode int

const (
	Replay Mode = iota // from the recording
	Live               // from the tool, checked against the recording
	Update             // from the tool, re-recorded
)

func (m Mode) String() string {
	return [...]string{"recorded", "live", "update"}[m]
}

// Input is a file a run reads.
type Input struct {
	Name string // its name in the recording: stable, unlike a temporary path
	Path string // where it is now; see RunFiles for the arguments recorded as Name
}

// ErrNotRecorded is the error (wrapped) of a replayed run that the
// recording does not have.
var ErrNotRecorded = errors.New("not recorded")

// Result is what a run of the tool gave. Occurrences of the input's path
// in the outputs read as its Name, and tshark's "Running as user root"
// warning is left out, whether live or replayed.
type Result struct {
	Stdout, Stderr []byte
	Exit           int // the exit status
}

type record struct {
	cmd    string // the command line, the key
	input  string // "name sha256:hex" per input, one a line, or ""
	exit   int
	stdout []byte
	stderr []byte
}

// Oracle is one test's runs of one tool.
type Oracle struct {
	t       *testing.T
	tool    *Tool
	test    string // the top-level test's name
	file    string // the recording, without .gz
	mode    Mode
	path    string // the tool, when run
	version string // the version recorded, or being recorded

	mu      sync.Mutex
	recs    map[string]*record // the recording
	used    map[string]*record // the runs of this test
	runs    int
	done    bool
	stale   int  // live outputs that differ from the recording
	explore bool // live, without a recording (Explore)
}

// New returns the Oracle for t's runs of tool; t's top-level test names
// the recording.
func New(t *testing.T, tool *Tool) *Oracle {
	t.Helper()
	test, _, _ := strings.Cut(t.Name(), "/")
	o := &Oracle{t: t, tool: tool, test: test, file: filepath.Join("testdata", "golden", test, tool.Name+".txt"),
		recs: map[string]*record{}, used: map[string]*record{}}
	recorded, err := o.load()
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("oracle: %v", err)
	}
	haveRec := err == nil
	path, installed, toolErr := tool.Installed()
	switch {
	case *update:
		if toolErr != nil {
			t.Fatalf("oracle: -update needs %s: %v", tool.Name, toolErr)
		}
		if haveRec && Upstream(recorded) != Upstream(installed) {
			t.Fatalf("oracle: %s is recorded with %q, %q is installed: to record with it, remove %s first",
				o.file, recorded, installed, filepath.Dir(o.file))
		}
		o.mode, o.path, o.version = Update, path, installed
	case !haveRec:
		t.Fatalf("oracle: no recording %s[.gz] of %s: record it with `go test -run '^%s$' -update` (needs %s)",
			o.file, tool.Name, test, tool.Name)
	case os.Getenv(EnvMode) == "live" && toolErr == nil && Upstream(installed) == Upstream(recorded):
		o.mode, o.path, o.version = Live, path, recorded
		if installed != recorded {
			t.Logf("oracle: %q is installed, the recording is of %q: the same upstream version (%s), so comparing live",
				installed, recorded, Upstream(recorded))
		}
	default:
		o.mode, o.version = Replay, recorded
		if os.Getenv(EnvMode) == "live" {
			if toolErr != nil {
				t.Logf("oracle: %s=live but %v: comparing with the recording (%s)", EnvMode, toolErr, recorded)
			} else {
				t.Logf("oracle: %s=live but %q is installed, the recording is of %q (upstream versions %s and %s): comparing with the recording",
					EnvMode, installed, recorded, Upstream(installed), Upstream(recorded))
			}
		}
	}
	t.Cleanup(o.cleanup)
	return o
}

// Explore returns an Oracle that runs tool live and neither reads nor
// writes a recording: for trying out other arguments than the recorded
// ones (the test fails if the tool is not installed).
func Explore(t *testing.T, tool *Tool) *Oracle {
	t.Helper()
	test, _, _ := strings.Cut(t.Name(), "/")
	path, version, err := tool.Installed()
	if err != nil {
		t.Fatalf("oracle: exploring needs %s: %v", tool.Name, err)
	}
	o := &Oracle{t: t, tool: tool, test: test, mode: Live, explore: true, path: path, version: version,
		recs: map[string]*record{}, used: map[string]*record{}}
	t.Cleanup(o.cleanup)
	return o
}

// Mode reports how o gets the tool's outputs.
func (o *Oracle) Mode() Mode { return o.mode }

// Version is the tool's version line, as recorded (or being recorded).
func (o *Oracle) Version() string { return o.version }

// Run runs the tool with args, or replays the recorded run; in is the
// file it reads (none if in.Path is empty). It is safe for concurrent
// use and does not stop the test: it returns an error if the run is not
// recorded (ErrNotRecorded), in is not the file recorded, or the tool
// could not be started (a non-zero exit status is a Result, not an
// error).
func (o *Oracle) Run(in Input, args ...string) (Result, error) {
	return o.RunFiles([]Input{in}, args...)
}

// RunFiles is Run for a run that reads several files (a capture and a
// script, say); each is recorded with its SHA-256, in the order given.
// An argument equal to an input's Path, or ending in ":" or "=" and the
// Path (an option's value, as tshark's lua_script:FILE), is recorded
// with the Name instead, and so are the Paths in the outputs.
func (o *Oracle) RunFiles(ins []Input, args ...string) (Result, error) {
	ins = slices.DeleteFunc(slices.Clone(ins), func(in Input) bool { return in.Path == "" })
	key := make([]string, 0, len(args)+1)
	key = append(key, o.tool.Name)
	for _, a := range args {
		key = append(key, quoteArg(argName(a, ins)))
	}
	cmd := strings.Join(key, " ")
	var inputs []string
	for _, in := range ins {
		b, err := os.ReadFile(in.Path)
		if err != nil {
			return Result{}, fmt.Errorf("oracle: input of %s: %v", cmd, err)
		}
		sum := sha256.Sum256(b)
		inputs = append(inputs, in.Name+" sha256:"+hex.EncodeToString(sum[:]))
	}
	input := strings.Join(inputs, "\n")

	o.mu.Lock()
	rec := o.recs[cmd]
	o.runs++
	o.mu.Unlock()

	if o.mode == Replay {
		if rec == nil {
			return Result{}, fmt.Errorf("oracle: %s has no run `%s` (%w): re-record with `go test -run '^%s$' -update` (needs %s)",
				o.recFile(), cmd, ErrNotRecorded, o.test, o.version)
		}
		if rec.input != input {
			return Result{}, fmt.Errorf("oracle: the input of `%s` changed since it was recorded (%s, recorded %s): "+
				"re-record with `go test -run '^%s$' -update` (needs %s)", cmd, inputList(input), inputList(rec.input), o.test, o.version)
		}
		o.mu.Lock()
		o.used[cmd] = rec
		o.mu.Unlock()
		return rec.result(), nil
	}

	c := exec.Command(o.path, args...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	live := &record{cmd: cmd, input: input}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		live.exit = ee.ExitCode()
	case err != nil:
		return Result{}, fmt.Errorf("oracle: %s: %v", cmd, err)
	}
	live.stdout = normalize(stdout.Bytes(), ins)
	live.stderr = normalize(stderr.Bytes(), ins)
	o.mu.Lock()
	if prev := o.used[cmd]; prev != nil && !prev.same(live) {
		// A recording of it would be worth nothing.
		o.t.Errorf("oracle: `%s` gave two different outputs in one test", cmd)
	}
	o.used[cmd] = live
	o.mu.Unlock()
	if o.mode == Live && !o.explore {
		o.checkLive(live, rec)
	}
	return live.result(), nil
}

// result returns the run's outputs, which the caller may append to.
func (r *record) result() Result {
	return Result{Stdout: slices.Clip(r.stdout), Stderr: slices.Clip(r.stderr), Exit: r.exit}
}

func (r *record) same(q *record) bool {
	return r.input == q.input && r.exit == q.exit && bytes.Equal(r.stdout, q.stdout) && bytes.Equal(r.stderr, q.stderr)
}

// checkLive reports a live run that differs from its recording.
func (o *Oracle) checkLive(live, rec *record) {
	o.mu.Lock()
	defer o.mu.Unlock()
	why := ""
	switch {
	case rec == nil:
		why = "is not recorded"
	case rec.input != live.input:
		why = fmt.Sprintf("was recorded on another input (%s, now %s)", inputList(rec.input), inputList(live.input))
	case rec.exit != live.exit:
		why = fmt.Sprintf("exits %d, recorded %d", live.exit, rec.exit)
	case !bytes.Equal(rec.stdout, live.stdout):
		why = "prints another stdout than recorded: " + firstDiff(rec.stdout, live.stdout)
	case !bytes.Equal(rec.stderr, live.stderr):
		why = "prints another stderr than recorded: " + firstDiff(rec.stderr, live.stderr)
	default:
		return
	}
	if o.stale++; o.stale <= 10 {
		o.t.Errorf("oracle: live `%s` %s; re-record with `go test -run '^%s$' -update`", live.cmd, why, o.test)
	}
}

// firstDiff describes the first line where two outputs differ.
func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d is %.200q, recorded %.200q", i+1, gl, wl)
		}
	}
	return "they differ"
}

// rootWarning is what the Wireshark tools print on stderr when run as root.
const rootWarning = "Running as user \"root\" and group \"root\". This could be dangerous.\n"

// inputList is a record's inputs on one line.
func inputList(input string) string { return strings.ReplaceAll(input, "\n", "; ") }

// argName is an argument as recorded: an input's Path, alone or as an
// option's value after ":" or "=", reads as its Name.
func argName(a string, ins []Input) string {
	for _, in := range ins {
		if a == in.Path {
			return in.Name
		}
		if opt, ok := strings.CutSuffix(a, in.Path); ok && (strings.HasSuffix(opt, ":") || strings.HasSuffix(opt, "=")) {
			return opt + in.Name
		}
	}
	return a
}

// normalize writes the inputs' paths as their names, and drops the root
// warning, so that outputs do not depend on where and as whom they ran.
func normalize(b []byte, ins []Input) []byte {
	b = bytes.ReplaceAll(b, []byte(rootWarning), nil)
	// The longest paths first, lest one's prefix be taken for another.
	ins = slices.Clone(ins)
	slices.SortFunc(ins, func(a, b Input) int { return len(b.Path) - len(a.Path) })
	for _, in := range ins {
		if in.Path == in.Name {
			continue
		}
		if abs, err := filepath.Abs(in.Path); err == nil && abs != in.Path {
			b = bytes.ReplaceAll(b, []byte(abs), []byte(in.Name))
		}
		b = bytes.ReplaceAll(b, []byte(in.Path), []byte(in.Name))
	}
	if len(b) == 0 {
		return nil
	}
	return b
}

// Done reports that the test compared values values against the tool's
// outputs: it fails the test if none, logs the count and where the
// outputs came from, and adds it to the file $WIRETAP_ORACLE_COUNTS names.
func (o *Oracle) Done(values int) {
	o.t.Helper()
	o.mu.Lock()
	o.done = true
	runs := len(o.used)
	o.mu.Unlock()
	src := "from the recording " + o.recFile()
	switch {
	case o.explore:
		src = "live, not recorded (exploring)"
	case o.mode == Live:
		src = "live"
	case o.mode == Update:
		src = "live, re-recorded in " + o.file + "[.gz]"
	}
	mode := "recorded"
	if o.mode != Replay {
		mode = "live"
	}
	if f := os.Getenv(EnvCounts); f != "" {
		pkg := "."
		if wd, err := os.Getwd(); err == nil {
			if root, err := ModuleRoot(); err == nil {
				if rel, err := filepath.Rel(root, wd); err == nil {
					pkg = filepath.ToSlash(rel)
				}
			}
		}
		line := fmt.Sprintf("%s %s %s %s %d %d\n", pkg, o.test, o.tool.Name, mode, values, runs)
		if fh, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
			o.t.Errorf("oracle: %s: %v", EnvCounts, err)
		} else {
			fh.WriteString(line)
			fh.Close()
		}
	}
	if values == 0 {
		o.t.Fatalf("oracle: nothing compared with %s (%d runs, %s)", o.tool.Name, runs, src)
	}
	live, recorded := values, 0
	if o.mode == Replay {
		live, recorded = 0, values
	}
	o.t.Logf("oracle: %d comparisons live, %d from recordings (%s, %d runs: %s; %s)",
		live, recorded, o.tool.Name, runs, o.version, src)
}

func (o *Oracle) recFile() string {
	if _, err := os.Stat(o.file + ".gz"); err == nil {
		return o.file + ".gz"
	}
	return o.file
}

func (o *Oracle) cleanup() {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.t
	if !o.done && !t.Failed() && !t.Skipped() {
		t.Errorf("oracle: the test ran %s %d times but did not report what it compared (Oracle.Done)", o.tool.Name, o.runs)
	}
	if o.mode == Replay && !t.Failed() {
		if unused := len(o.recs) - len(o.used); unused > 0 {
			t.Logf("oracle: %d of the %d runs in %s were not replayed", unused, len(o.recs), o.recFile())
		}
	}
	if o.mode != Update || o.explore {
		return
	}
	recs := o.used
	if t.Failed() {
		// Keep the runs this test did not get to.
		for k, r := range o.recs {
			if recs[k] == nil {
				recs[k] = r
			}
		}
	}
	if err := o.save(recs); err != nil {
		t.Errorf("oracle: %v", err)
		return
	}
	t.Logf("oracle: recorded %d runs of %s in %s", len(recs), o.version, o.recFile())
}

// quoteArg quotes an argument that is not a plain word.
func quoteArg(a string) string {
	if a == "" || strings.ContainsFunc(a, func(r rune) bool {
		return r <= ' ' || r == '"' || r == '\'' || r == '\\' || r > '~'
	}) {
		return strconv.Quote(a)
	}
	return a
}

// The recording's format: header lines beginning with "#" (the first is
// "# <version line>"), then per run:
//
//	=== <command line>
//	input <name> sha256:<hex>        (per file the run reads)
//	exit <status>
//	stdout <n>
//	<n bytes>
//	stderr <n>
//	<n bytes>
//
// with a newline after each block of bytes. Runs are sorted by command line.

func (o *Oracle) load() (version string, err error) {
	var r io.Reader
	f, err := os.Open(o.file + ".gz")
	if err == nil {
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return "", fmt.Errorf("%s: %v", o.file+".gz", err)
		}
		r = zr
	} else {
		f, err = os.Open(o.file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReader(r)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", o.recFile(), fmt.Sprintf(format, args...))
	}
	line := func() (string, error) {
		s, err := br.ReadString('\n')
		if err == io.EOF && s != "" {
			return "", bad("cut short")
		}
		return strings.TrimSuffix(s, "\n"), err
	}
	blob := func(label string) ([]byte, error) {
		s, err := line()
		if err != nil {
			return nil, bad("cut short before %s", label)
		}
		n, err := strconv.Atoi(strings.TrimPrefix(s, label+" "))
		if !strings.HasPrefix(s, label+" ") || err != nil || n < 0 {
			return nil, bad("want %q, have %q", label+" <length>", s)
		}
		b := make([]byte, n+1)
		if _, err := io.ReadFull(br, b); err != nil || b[n] != '\n' {
			return nil, bad("%s: cut short", label)
		}
		if n == 0 {
			return nil, nil
		}
		return b[:n], nil
	}
	first, err := line()
	if err != nil || !strings.HasPrefix(first, "# "+o.tool.Name+" ") {
		return "", bad("the first line must be \"# %s <version>\"", o.tool.Name)
	}
	version = strings.TrimPrefix(first, "# ")
	for {
		s, err := line()
		if err == io.EOF {
			return version, nil
		}
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(s, "#") || s == "" {
			continue
		}
		cmd, ok := strings.CutPrefix(s, "=== ")
		if !ok {
			return "", bad("want \"=== <command>\", have %q", s)
		}
		rec := &record{cmd: cmd}
		if s, err = line(); err != nil {
			return "", bad("cut short")
		}
		var inputs []string
		for {
			in, ok := strings.CutPrefix(s, "input ")
			if !ok {
				break
			}
			inputs = append(inputs, in)
			if s, err = line(); err != nil {
				return "", bad("cut short")
			}
		}
		rec.input = strings.Join(inputs, "\n")
		exit, ok := strings.CutPrefix(s, "exit ")
		if rec.exit, err = strconv.Atoi(exit); !ok || err != nil {
			return "", bad("want \"exit <status>\", have %q", s)
		}
		if rec.stdout, err = blob("stdout"); err != nil {
			return "", err
		}
		if rec.stderr, err = blob("stderr"); err != nil {
			return "", err
		}
		if o.recs[cmd] != nil {
			return "", bad("two runs `%s`", cmd)
		}
		o.recs[cmd] = rec
	}
}

func (o *Oracle) save(recs map[string]*record) error {
	keys := make([]string, 0, len(recs))
	for k := range recs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n", o.version)
	fmt.Fprintf(&b, "# %s's runs of %s (%d), replayed by wiretap/capture/oracletest (see its doc for the format).\n", o.test, o.tool.Name, len(keys))
	fmt.Fprintf(&b, "# Re-record: go test -run '^%s$' -update (with this version of %s installed).\n", o.test, o.tool.Name)
	for _, k := range keys {
		r := recs[k]
		fmt.Fprintf(&b, "=== %s\n", r.cmd)
		if r.input != "" {
			for in := range strings.SplitSeq(r.input, "\n") {
				fmt.Fprintf(&b, "input %s\n", in)
			}
		}
		fmt.Fprintf(&b, "exit %d\nstdout %d\n%s\nstderr %d\n%s\n", r.exit, len(r.stdout), r.stdout, len(r.stderr), r.stderr)
	}
	if err := os.MkdirAll(filepath.Dir(o.file), 0o755); err != nil {
		return err
	}
	data, keep, drop := b.Bytes(), o.file, o.file+".gz"
	if len(data) > gzipOver {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		zw.Write(data)
		if err := zw.Close(); err != nil {
			return err
		}
		data, keep, drop = z.Bytes(), o.file+".gz", o.file
	}
	if err := os.WriteFile(keep, data, 0o644); err != nil {
		return err
	}
	if err := os.Remove(drop); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
