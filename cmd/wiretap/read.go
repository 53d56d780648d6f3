package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
	"wiretap/decode"
	"wiretap/decode/dfilter"
)

func init() {
	register("read", "read a capture file: dissect, filter, print fields and statistics, re-write", runRead)
}

const readUsage = "-r FILE|- [-n] [-2] [-f CAPFILTER | CAPFILTER...] [-Y DISPLAYFILTER] [-c N] [--max-streams N] [-V] [-x] [-T text|fields|json|jsonraw|ek] [--no-duplicate-keys] [-e FIELD]... [-E header=y|separator=,|quote=d|occurrence=f|aggregator=,]... [-z STAT]... [-q] [-d tcp.port==N,http|http2|tls]... [--keylog FILE]... [-o tls.keylog_file:FILE] [--rsa-key FILE]... [--tls-psk HEX] [--fernet-key KEY | --fernet-key-file FILE]... [--secret TEXT]... [-w OUT] [-F pcapng|pcap] [--inject-secrets KEYLOG] [--extract-secrets FILE|-] [--view]"

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type readFlags struct {
	file, capFilter, dispFilter, write, format, outFormat string
	count, maxStreams                                     int
	quiet, verbose, hex                                   bool
	view, noDupKeys                                       bool
	fields, fieldOpts, stats, decodeAs                    multiFlag
	secrets, secretsHex                                   multiFlag
	keys                                                  keyLogFlags
	fernetKeys, fernetKeyFiles, rsaKeys                   multiFlag
	tlsPSK                                                string
	injectSecrets, extractSecrets                         string
	injected                                              []byte // the key log --inject-secrets names
}

func runRead(args []string, sio stdio) error {
	fs := newFlags("read", readUsage, sio)
	var f readFlags
	fs.StringVar(&f.file, "r", "", "capture file to read (pcap, pcapng, gzip-compressed or not; - for stdin)")
	fs.StringVar(&f.capFilter, "f", "", "capture filter in tcpdump syntax (or give it as words after the flags)")
	fs.StringVar(&f.dispFilter, "Y", "", "display filter: show only packets that match it")
	fs.StringVar(&f.write, "w", "", "write the packets that pass the filters to OUT (- for stdout)")
	fs.StringVar(&f.format, "F", "pcapng", "format of -w: pcapng or pcap")
	fs.IntVar(&f.count, "c", 0, "read at most N packets")
	fs.BoolVar(&f.quiet, "q", false, "print no per-packet output (for -z statistics)")
	fs.IntVar(&f.maxStreams, "max-streams", 0, "most TCP conversations (and, apart, UDP ones) held in memory: past N the least recently used are forgotten, counted and reported; a forgotten one that sends again starts a new stream number (0: no bound; the default for a file, as tshark)")
	fs.BoolVar(&f.verbose, "V", false, "print each packet's dissection tree")
	fs.BoolVar(&f.hex, "x", false, "print each packet's bytes as a hex dump")
	fs.StringVar(&f.outFormat, "T", "text", "output format: text, fields, json, jsonraw or ek (tshark's layouts)")
	fs.BoolVar(&f.noDupKeys, "no-duplicate-keys", false, "-T json: merge the fields of one name in one object into one key with an array")
	fs.Var(&f.fields, "e", "field to print with -T fields, json or ek, or a column: _ws.col.Info (repeatable)")
	fs.Var(&f.fieldOpts, "E", "-T fields option: header=y|n, separator=/t|/s|C, quote=d|s|n, occurrence=f|l|a, aggregator=,|/s|C, bom=y|n (repeatable)")
	fs.Var(&f.stats, "z", "statistics: conv,tcp|udp|ip | endpoints,tcp|udp|ip | follow,tcp|tls,ascii|hex|raw,N | follow,http2,ascii|hex|raw,N,S | http,tree | io,phs | io,stat,INTERVAL[,FILTER]... (repeatable)")
	fs.Var(&f.decodeAs, "d", "decode a TCP port as a protocol: tcp.port==N,http, tcp.port==N,http2 or tcp.port==N,tls (repeatable)")
	fs.Var(&f.secrets, "secret", "mark packets where TEXT is visible (field secret.found; -z exposure) (repeatable)")
	fs.Var(&f.secretsHex, "secret-hex", "like --secret, given as hex bytes (aa:bb:cc or aabbcc)")
	fs.Var(&f.keys.files, "keylog", "decrypt TLS with the secrets of this NSS key log (SSLKEYLOGFILE's format; also read: $SSLKEYLOGFILE and the file's own decryption secrets) (repeatable)")
	fs.Var(&f.fernetKeys, "fernet-key", "verify and decrypt Fernet tokens with this key (url-safe base64; default $SECRET_KEY) (repeatable)")
	fs.StringVar(&f.tlsPSK, "tls-psk", "", "decrypt TLS ≤ 1.2 sessions with PSK key exchange with this pre-shared key (hex; tshark's tls.psk)")
	fs.Var(&f.rsaKeys, "rsa-key", "decrypt TLS ≤ 1.2 sessions with RSA key exchange with this server private key (PEM) (repeatable)")
	fs.Var(&f.fernetKeyFiles, "fernet-key-file", "like --fernet-key, the key read from FILE (the demo's fernet.key) (repeatable)")
	fs.Var(&f.keys.prefs, "o", "a tshark preference: tls.keylog_file:FILE (= --keylog FILE) (repeatable)")
	fs.StringVar(&f.injectSecrets, "inject-secrets", "", "with -w (pcapng): put this TLS key log in the file first, as a decryption secrets block (editcap --inject-secrets tls,KEYLOG)")
	fs.StringVar(&f.extractSecrets, "extract-secrets", "", "write the TLS key logs of the file's decryption secrets blocks to FILE (- for stdout) and exit")
	fs.BoolVar(&f.view, "view", false, "open the file in the viewer (wiretap view) instead of printing")
	// tshark's and tcpdump's habits, taken as they are meant: wiretap
	// never resolves names, and its columns are always two-pass.
	fs.Bool("n", true, "no name resolution (always so; taken as tshark and tcpdump take it)")
	fs.Bool("2", true, "two passes (always so: the columns are tshark -2's)")
	words, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := f.check(words); err != nil {
		return err
	}
	if f.view {
		return viewFromRead(&f, sio)
	}
	rd, err := newReadJob(&f, sio)
	if err != nil {
		return err
	}
	defer rd.close()
	return rd.run()
}

func (f *readFlags) check(words []string) error {
	if f.file == "" {
		return &usageError{msg: "read needs a file: -r FILE (or -r - for stdin)", hint: "usage: wiretap read " + readUsage}
	}
	if len(words) > 0 {
		if f.capFilter != "" {
			return &usageError{msg: "give the capture filter either with -f or as words after the flags, not both"}
		}
		f.capFilter = strings.Join(words, " ")
	}
	if f.format != "pcapng" && f.format != "pcap" {
		return &usageError{msg: fmt.Sprintf("unknown file format %q", f.format), hint: "-F takes pcapng or pcap"}
	}
	if f.count < 0 || f.maxStreams < 0 {
		return &usageError{msg: "-c and --max-streams take numbers of 0 or more"}
	}
	switch f.outFormat {
	case "text", "json", "jsonraw", "ek":
	case "fields":
		if len(f.fields) == 0 {
			return &usageError{msg: "-T fields needs at least one -e FIELD", hint: "e.g. -T fields -e frame.number -e ip.src -e tcp.srcport"}
		}
		if err := checkFieldNames(f.fields); err != nil {
			return err
		}
	default:
		return &usageError{msg: fmt.Sprintf("unknown output format %q", f.outFormat), hint: "-T takes text, fields, json, jsonraw or ek"}
	}
	if len(f.fields) > 0 && f.outFormat != "fields" && f.outFormat != "json" && f.outFormat != "ek" {
		return &usageError{msg: "-e needs -T fields, json or ek"}
	}
	if err := f.checkWriteAndPrint(); err != nil {
		return err
	}
	return f.checkSecretsFlags()
}

// checkWriteAndPrint refuses -w with the options that print packets
// (tshark -w prints nothing of them either, without -P): silently
// dropping them would hide that the run did not do what was asked. -z
// goes with -w: the statistics are printed and the packets written.
func (f *readFlags) checkWriteAndPrint() error {
	if f.write == "" {
		return nil
	}
	var printing []string
	if f.verbose {
		printing = append(printing, "-V")
	}
	if f.hex {
		printing = append(printing, "-x")
	}
	if f.outFormat != "text" {
		printing = append(printing, "-T "+f.outFormat)
	}
	if len(f.fields) > 0 {
		printing = append(printing, "-e")
	}
	if len(printing) == 0 {
		return nil
	}
	out := f.write
	if out == "-" {
		out = "FILE"
	}
	verb := "print"
	if len(printing) == 1 {
		verb = "prints"
	}
	return &usageError{
		msg:  fmt.Sprintf("-w writes the packets to a file, %s %s them: use one or the other", strings.Join(printing, " and "), verb),
		hint: fmt.Sprintf("write first, then print what was written: wiretap read -r %s %s", out, strings.Join(printing, " ")),
	}
}

// readJob is one run of `wiretap read`: the fast pass over the whole file,
// then (when anything per packet is asked for) a second pass that dissects
// each packet in full using what the first learned, as tshark -2 does.
type readJob struct {
	f        *readFlags
	sio      stdio
	path     string // the file read (stdin is first saved to a temporary file)
	tempPath string
	out      *bufio.Writer
	opts     decode.Options
	fields   decode.FieldsFormat
	json     *decode.JSONFormat // -T json, jsonraw, ek
	jsonN    int                // packets written in JSON
	filter   *dfilter.Filter
	ioStats  map[int]*decode.IOStat // by index in f.stats
	secrets  [][]byte
	// exposures are the per-stream secret findings, one per secret.
	exposures    []*decode.Exposure
	secretFrames map[int]bool
	// ifaces are the file's interfaces, as the last packetLoop left them
	// (their timestamp resolutions set the Time column's precision).
	ifaces []capture.InterfaceInfo
	pcapng bool // the file is pcapng: its frames name their interfaces
	// memLimit is the soft memory limit read set (0: GOMEMLIMIT's), and
	// gcCycles the collector's cycles when it was last looked at.
	memLimit int64
	gcCycles uint64
	feeder   secretsFeeder
	// secretsOf lists the Decryption Secrets Blocks the last packetLoop
	// has read so far (nil for a pcap file).
	secretsOf capture.SecretsReader
}

func newReadJob(f *readFlags, sio stdio) (*readJob, error) {
	rd := &readJob{f: f, sio: sio, path: f.file, out: bufio.NewWriterSize(sio.out, 256<<10)}
	rd.opts.Force = map[uint16]string{}
	rd.opts.MaxStreams = f.maxStreams
	for _, d := range f.decodeAs {
		port, proto, err := parseDecodeAs(d)
		if err != nil {
			return nil, err
		}
		rd.opts.Force[port] = proto
	}
	kl, err := f.keys.load(sio.err)
	if err != nil {
		return nil, err
	}
	rd.opts.KeyLog = kl
	if rd.opts.FernetKeys, err = readFernetKeys(sio.err, f.fernetKeys, f.fernetKeyFiles); err != nil {
		return nil, err
	}
	if rd.opts.RSAKeys, err = readRSAKeys(f.rsaKeys, sio); err != nil {
		return nil, err
	}
	if f.tlsPSK != "" {
		if rd.opts.TLSPSK, err = hex.DecodeString(strings.TrimPrefix(f.tlsPSK, "0x")); err != nil || len(rd.opts.TLSPSK) == 0 {
			return nil, &usageError{msg: fmt.Sprintf("bad --tls-psk %q", f.tlsPSK), hint: "give the pre-shared key in hex, e.g. --tls-psk 0102030405060708090a0b0c0d0e0f10"}
		}
	}
	rd.feeder = secretsFeeder{kl: kl, warn: sio.err}
	for _, t := range f.secrets {
		rd.secrets = append(rd.secrets, []byte(t))
	}
	for _, h := range f.secretsHex {
		b, err := hex.DecodeString(strings.NewReplacer(":", "", "-", "", " ", "").Replace(h))
		if err != nil || len(b) == 0 {
			return nil, &usageError{msg: fmt.Sprintf("bad --secret-hex %q", h), hint: "give hex bytes, e.g. --secret-hex 66:6c:75:66:66:79"}
		}
		rd.secrets = append(rd.secrets, b)
	}
	for i, z := range f.stats {
		switch {
		case z == "exposure":
			if len(rd.secrets) == 0 {
				return nil, &usageError{msg: "-z exposure needs the secret to look for", hint: `add --secret "fluffy tail"`}
			}
		case z == "conv,tcp", z == "conv,udp", z == "conv,ip", z == "endpoints,tcp", z == "endpoints,udp", z == "endpoints,ip",
			z == "http,tree", z == "io,phs":
		case strings.HasPrefix(z, "io,stat"):
			st, err := decode.ParseIOStat(z, func(s string) (decode.IOMatcher, error) {
				df, err := dfilter.Compile(s)
				if err != nil {
					return nil, err
				}
				return df, nil
			})
			if err != nil {
				return nil, &usageError{msg: fmt.Sprintf("bad -z %q: %v", z, err), hint: "io,stat takes io,stat,INTERVAL[,COLUMN]...: a COLUMN is a display filter, or COUNT|SUM|MIN|MAX|AVG|LOAD(FIELD)FILTER, or FRAMES()|BYTES()FILTER"}
			}
			if rd.ioStats == nil {
				rd.ioStats = map[int]*decode.IOStat{}
			}
			rd.ioStats[i] = st
		case strings.HasPrefix(z, "follow,http2,"):
			// follow,http2,MODE,TCPSTREAM,HTTP2STREAM, as tshark takes it.
			parts := strings.Split(z, ",")
			var n, sid int
			var err1, err2 error
			if len(parts) == 5 {
				n, err1 = strconv.Atoi(parts[3])
				sid, err2 = strconv.Atoi(parts[4])
			}
			if len(parts) != 5 || (parts[2] != "ascii" && parts[2] != "hex" && parts[2] != "raw") || err1 != nil || err2 != nil || n < 0 || sid < 0 {
				return nil, &usageError{msg: fmt.Sprintf("bad -z %q", z), hint: "follow,http2 takes follow,http2,ascii|hex|raw,N,S (N = tcp.stream, S = http2.streamid)"}
			}
		case strings.HasPrefix(z, "follow,tcp,"), strings.HasPrefix(z, "follow,tls,"):
			parts := strings.Split(z, ",")
			n, err := strconv.Atoi(parts[len(parts)-1])
			if len(parts) != 4 || (parts[2] != "ascii" && parts[2] != "hex" && parts[2] != "raw") || err != nil || n < 0 {
				return nil, &usageError{msg: fmt.Sprintf("bad -z %q", z), hint: "follow takes follow,tcp|tls,ascii|hex|raw,N (N = tcp.stream)"}
			}
			if rd.opts.Following && rd.opts.Follow != n {
				return nil, &usageError{msg: "follow one TCP stream per run"}
			}
			rd.opts.Follow, rd.opts.Following = n, true
		default:
			// tshark's words: `Invalid -z argument "X"; it must be one of:`.
			return nil, &usageError{msg: fmt.Sprintf("invalid -z argument %q", z),
				hint: "it must be one of: conv,tcp|udp|ip, endpoints,tcp|udp|ip, exposure, follow,tcp|tls,ascii|hex|raw,N, follow,http2,ascii|hex|raw,N,S, http,tree, io,phs, io,stat,INTERVAL[,FILTER]..."}
		}
	}
	rd.fields = decode.FieldsFormat{Fields: f.fields}
	for _, e := range f.fieldOpts {
		if err := rd.fields.SetOption(e); err != nil {
			return nil, &usageError{msg: fmt.Sprintf("bad -E %q: %v", e, err), hint: fieldOptionsHint}
		}
	}
	switch f.outFormat {
	case "fields":
		noteOtherColumns(sio.err, f.fields)
	case "json", "jsonraw", "ek":
		rd.json = &decode.JSONFormat{Fields: f.fields, Hex: f.hex, NoDuplicateKeys: f.noDupKeys}
		switch f.outFormat {
		case "jsonraw":
			rd.json.Mode = decode.JSONRaw
		case "ek":
			rd.json.Mode = decode.JSONEK
		}
	}
	if f.dispFilter != "" {
		df, err := dfilter.Compile(f.dispFilter)
		if err != nil {
			return nil, err
		}
		rd.filter = df
	}
	if len(rd.ioStats) > 0 {
		// The fields whose values io,stat's calculations see, as tshark
		// primes them: those of -Y and of every tap's filter.
		var primed []string
		if rd.filter != nil {
			primed = rd.filter.Fields()
		}
		if rd.opts.Following {
			primed = append(primed, "tcp.stream")
		}
		for _, st := range rd.ioStats {
			primed = append(primed, st.FilterFields()...)
		}
		for _, st := range rd.ioStats {
			st.Prime(primed)
		}
	}
	if f.file == "-" {
		// Two passes need the file twice: keep stdin in a temporary file.
		tmp, err := os.CreateTemp("", "wiretap-stdin-*")
		if err != nil {
			return nil, fmt.Errorf("saving stdin: %w", err)
		}
		_, err = io.Copy(tmp, sio.in)
		tmp.Close()
		rd.path, rd.tempPath = tmp.Name(), tmp.Name()
		if err != nil {
			return nil, fmt.Errorf("saving stdin: %w", err)
		}
	}
	return rd, nil
}

func (rd *readJob) close() {
	if rd.tempPath != "" {
		os.Remove(rd.tempPath)
	}
}

// parseDecodeAs reads tshark's -d tcp.port==N,proto.
func parseDecodeAs(s string) (uint16, string, error) {
	bad := &usageError{msg: fmt.Sprintf("bad -d %q", s), hint: "-d takes tcp.port==N,http, tcp.port==N,http2 or tcp.port==N,tls"}
	rest, ok := strings.CutPrefix(s, "tcp.port==")
	if !ok {
		return 0, "", bad
	}
	portText, proto, ok := strings.Cut(rest, ",")
	port, err := strconv.Atoi(portText)
	if !ok || err != nil || port < 1 || port > 65535 || (proto != "http" && proto != "http2" && proto != "tls") {
		return 0, "", bad
	}
	return uint16(port), proto, nil
}

// fieldOptionsHint lists the -E options, as tshark 4.0 takes them.
const fieldOptionsHint = "-E takes header=y|n, separator=/t|/s|C, occurrence=f|l|a, aggregator=,|/s|C, quote=d|s|n, bom=y|n"

// checkFieldNames refuses -e names that are neither a field wiretap
// dissects nor a _ws.col.* column, all of them in one error (tshark's
// "Some fields aren't valid"), with the closest known names.
func checkFieldNames(names []string) error {
	bad := decode.UnknownFields(names)
	if len(bad) == 0 {
		return nil
	}
	var hints []string
	for _, n := range bad {
		if len(bad) == 1 {
			hints = dfilter.ClosestNames(n, 3, decode.FieldNames())
			break
		}
		if near := dfilter.ClosestNames(n, 1, decode.FieldNames()); len(near) > 0 {
			hints = append(hints, near[0]+" (for "+n+")")
		}
	}
	e := &usageError{msg: "some fields aren't valid: " + strings.Join(bad, ", ")}
	if len(hints) > 0 {
		sep := ", "
		if len(bad) == 1 {
			sep = " or "
		}
		e.hint = "did you mean " + strings.Join(hints, sep) + "?"
	}
	return e
}

// noteOtherColumns warns about a _ws.col.* name that is not one of
// tshark's default columns: tshark takes it and prints it empty, and so
// does wiretap, but it is most likely a misspelling.
func noteOtherColumns(w io.Writer, names []string) {
	for _, n := range names {
		if !decode.IsColumn(n) || slices.Contains(decode.ColumnNames, n) {
			continue
		}
		hint := "the columns are " + strings.Join(decode.ColumnNames, ", ")
		if near := dfilter.ClosestNames(n, 1, slices.Values(decode.ColumnNames)); len(near) > 0 {
			hint = "did you mean " + near[0] + "?"
		}
		fmt.Fprintf(w, "wiretap: hint: %s is not a column and prints empty; %s\n", n, hint)
	}
}

// packetLoop reads the file once, applying the capture filter and -c, and
// calls fn with each packet kept, numbered from 1.
func (rd *readJob) packetLoop(fn func(n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) error) (int, error) {
	var src capture.Source
	var err error
	if rd.f.file == "-" {
		f, ferr := os.Open(rd.path)
		if ferr != nil {
			return 0, ferr
		}
		defer f.Close()
		src, err = capture.NewReader(f)
	} else {
		src, err = capture.OpenFile(rd.path)
	}
	if err != nil {
		return 0, err
	}
	if il, ok := src.(capture.InterfaceLister); ok {
		defer func() { rd.ifaces = il.Interfaces() }() // before Close
	}
	if fs, ok := src.(interface{ Info() capture.SourceInfo }); ok {
		rd.pcapng = fs.Info().Format == "pcapng"
	}
	rd.secretsOf, _ = src.(capture.SecretsReader) // before a filter wraps it
	if rd.f.capFilter != "" {
		src = capture.NewFilteredSource(src, rd.f.capFilter, capture.DefaultSnapLen)
	}
	defer src.Close()
	n := 0
	for rd.f.count == 0 || n < rd.f.count {
		data, ci, err := src.ReadPacket()
		rd.feeder.feed(rd.secretsOf)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err // every packet before the fault has been handled
		}
		lt := src.LinkType(ci)
		n++
		if err := fn(n, ci, lt, data); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (rd *readJob) run() error {
	defer rd.out.Flush()
	// The fast pass keeps compact records for every packet; a soft memory
	// limit makes the collector return garbage early rather than let the
	// heap double (GOMEMLIMIT, when set, wins). 130 MiB keeps a
	// million-packet capture under 150 MB resident (wiretap-bench dissect,
	// fields). Printing every packet too, now that rows and trees come
	// from pools and make little garbage: on 1,050,344 packets the
	// summaries take 147 MB instead of 250 MB, for a quarter more CPU.
	//
	// Printing whole trees (-V, -x, JSON) keeps more in flight (each
	// packet's text until it is written): at 130 MiB the collector then
	// ran without pause on a million packets (2,437 cycles: -V took 76 s
	// instead of 24 s), so those runs get 8 MiB more (149 MB resident).
	if os.Getenv("GOMEMLIMIT") == "" {
		limit := int64(130 << 20)
		if !rd.f.quiet && (rd.f.verbose || rd.f.hex || rd.json != nil) {
			limit = 138 << 20
		}
		debug.SetMemoryLimit(limit)
		rd.memLimit = limit
	}
	if rd.f.extractSecrets != "" {
		return rd.extractSecrets()
	}
	// Re-writing without a display filter needs no dissection: copy.
	if rd.f.write != "" && rd.filter == nil && len(rd.f.stats) == 0 {
		return rd.copyPackets(nil)
	}
	rd.opts.Secrets = rd.secrets
	rd.opts.LayersOnly = rd.layersOnly()
	an := decode.NewAnalyzer(rd.opts)
	// A fault part-way through the file (truncation, corruption) is
	// reported last: every packet before it is still shown and counted.
	_, readErr := rd.packetLoop(func(n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) error {
		an.Add(n, ci, lt, data)
		if n%(1<<16) == 0 {
			rd.raiseMemoryLimit()
		}
		return nil
	})
	an.Finish()
	// A bug in the fast pass's application stage: what it handled is
	// still printed or written, and the fault reported last (exit 3).
	if err := an.Err(); err != nil {
		readErr = err
	}
	for i, ifc := range rd.ifaces {
		an.SetTsResol(i, ifc.TsResol)
		if rd.pcapng {
			an.SetInterface(i, decode.Interface{Name: ifc.Name, Description: ifc.Description, Section: ifc.Section})
		}
	}
	rd.noteExposures(an)
	noteLimitsHit(rd.sio.err, an.LimitsHit())
	if rd.f.write != "" {
		if err := rd.copyPackets(an); err != nil {
			if readErr == nil {
				readErr = err
			}
			return readErr
		}
		if len(rd.f.stats) == 0 {
			return readErr
		}
		// -w -z, as tshark: the packets went to the file, the
		// statistics are printed (and nothing of the packets).
		rd.f.quiet = true
	}

	stats := rd.newPacketStats()
	needTrees := !rd.f.quiet || rd.filter != nil || stats != nil
	var loopErr error
	// Plain summary lines need no trees: Row builds them many times faster.
	rowsOnly := !rd.f.quiet && rd.filter == nil && stats == nil && rd.f.outFormat == "text" &&
		!rd.f.verbose && !rd.f.hex && len(rd.secrets) == 0
	if rowsOnly {
		loopErr = rd.rowsLoop(an)
	} else if needTrees {
		if rd.f.outFormat == "fields" && !rd.f.quiet {
			rd.fields.WriteHeader(rd.out)
		}
		loopErr = rd.dissectLoop(an, stats)
		if rd.json != nil && !rd.f.quiet {
			rd.json.WriteEnd(rd.out, rd.jsonN)
		}
	}
	if err := rd.finishStats(an, stats); err != nil {
		return err
	}
	if err := rd.out.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if readErr != nil {
		return readErr
	}
	return loopErr
}

// noteLimitsHit warns of what the fast pass kept only part of, to stay
// within its memory bounds: never a silent cut.
func noteLimitsHit(w io.Writer, hit decode.LimitsHit) {
	for _, c := range []struct {
		n         int64
		one, many string
	}{
		{hit.HTTPCut, "HTTP message was", "HTTP messages were"},
		{hit.HTTP2Cut, "HTTP/2 frame was", "HTTP/2 frames were"},
		{hit.TLSCut, "TLS record was", "TLS records were"},
	} {
		what := c.many
		if c.n == 1 {
			what = c.one
		}
		if c.n > 0 {
			fmt.Fprintf(w, "wiretap: warning: %d %s longer than wiretap keeps of one while it arrives (its memory bound): the tree shows the first part\n", c.n, what)
		}
	}
	if ev := evictedNote(hit); ev != "" {
		fmt.Fprintf(w, "wiretap: warning: %s: their stream numbers and statistics start again if they send again\n", ev)
	}
}

// evictedNote says how many conversations the fast pass forgot to stay
// within --max-streams ("" for none).
func evictedNote(hit decode.LimitsHit) string {
	var parts []string
	if hit.TCPEvicted > 0 {
		parts = append(parts, fmt.Sprintf("%d TCP", hit.TCPEvicted))
	}
	if hit.UDPEvicted > 0 {
		parts = append(parts, fmt.Sprintf("%d UDP", hit.UDPEvicted))
	}
	if parts == nil {
		return ""
	}
	noun := " conversations"
	if hit.TCPEvicted+hit.UDPEvicted == 1 {
		noun = " conversation"
	}
	return strings.Join(parts, " and ") + noun + " forgotten, the least recently used, to stay within --max-streams"
}

// raiseMemoryLimit lifts the soft memory limit to twice what the fast
// pass's records hold so far, when they outgrow it (a capture with more
// records per packet than the limit was set for, as decrypted TLS has: 1M
// packets of it keep ~160 MB): at a limit below the live heap the
// collector runs without pause (450 cycles instead of 13, twice the CPU);
// at 1.25× it still ran 50 cycles, at 2× 35.
func (rd *readJob) raiseMemoryLimit() {
	if rd.memLimit == 0 {
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 || sample[1].Value.Kind() != metrics.KindUint64 {
		return
	}
	// Only when the collector runs again and again (more than 3 cycles in
	// the last 65,536 packets; a million packets of plain TCP and HTTP
	// take 13 in all, at 111 MB live under the limit that keeps them under
	// 150 MB).
	live, cycles := int64(sample[0].Value.Uint64()), sample[1].Value.Uint64()
	if cycles-rd.gcCycles > 3 && live > rd.memLimit/2 {
		rd.memLimit = max(rd.memLimit, 2*live+32<<20)
		debug.SetMemoryLimit(rd.memLimit)
	}
	rd.gcCycles = cycles
}

// dissectLoop is the second pass: every packet dissected (on all cores:
// Dissect only reads the fast pass's records), marked, filtered, counted in
// stats and printed in capture order. Plain rows are rowsLoop's.
func (rd *readJob) dissectLoop(an *decode.Analyzer, stats *packetStats) error {
	type job struct {
		n    int
		ci   gopacket.CaptureInfo
		lt   layers.LinkType
		data *[]byte // a copy (the reader reuses its buffer), from frames
	}
	// Each packet is printed into a scratch buffer, which emit writes out
	// and gives back; the packet's copy goes back after emit too: on a
	// million packets of -V that is gigabytes the collector never sees.
	type scratch struct{ buf bytes.Buffer }
	type result struct {
		p     *decode.Packet // kept for stats
		pool  bool           // p is DissectFor's: Release it after stats
		match bool
		out   *scratch // what the packet prints, if anything
		data  *[]byte
	}
	// Free lists, not sync.Pools: the emitter gives back what the workers
	// took, and a pool would keep them on the emitter's P (the workers'
	// Gets would then make new, empty buffers).
	scratches := newFreeList(func() *scratch { return new(scratch) })
	// A buffer that held a long tree is dropped, not kept: each of the
	// ~2,000 in circulation would otherwise grow to the longest text it
	// ever held, tens of megabytes on a million packets of -V.
	putScratch := func(s *scratch) {
		if s.buf.Cap() <= 16<<10 {
			scratches.Put(s)
		}
	}
	frames := newFreeList(func() *[]byte { return new([]byte) })
	want := rd.fieldsWant(stats)
	// The tree is only printed (-V, with or without -x): its hidden
	// fields need no labels. Not with a filter, statistics or secrets,
	// which read the tree.
	shownOnly := want == nil && rd.f.verbose && rd.f.outFormat == "text" && rd.filter == nil &&
		stats == nil && len(rd.secrets) == 0
	work := func(j job) (result, error) {
		if dissectHook != nil {
			dissectHook(j.n)
		}
		r := result{data: j.data}
		data := *j.data
		var p *decode.Packet
		if want != nil {
			p = an.DissectFor(want, j.n, j.ci, j.lt, data)
			if stats == nil {
				// Printed here and then dropped: its nodes are recycled.
				defer p.Release()
			}
		} else if shownOnly {
			p = an.DissectShown(j.n, j.ci, j.lt, data)
			if stats == nil {
				defer p.Release()
			}
		} else {
			p = an.Dissect(j.n, j.ci, j.lt, data)
			if stats == nil {
				// Printed here and then dropped (stats keep theirs).
				defer p.Release()
			}
		}
		if stats != nil {
			// Counted in emit, matching -Y or not (tshark's taps see every
			// packet), then released.
			r.p, r.pool = p, want != nil
		}
		if len(rd.secrets) > 0 {
			decode.MarkSecrets(p, rd.secrets, rd.secretFrames)
		}
		r.match = rd.filter == nil || rd.filter.Match(p)
		if !r.match {
			return r, nil
		}
		if !rd.f.quiet {
			s := scratches.Get()
			s.buf.Reset()
			if err := rd.printPacket(&s.buf, p); err != nil {
				scratches.Put(s)
				return r, err
			}
			r.out = s
		}
		return r, nil
	}
	emit := func(r result) error {
		if r.p != nil {
			stats.add(r.p)
			if r.pool {
				r.p.Release()
			}
		}
		frames.Put(r.data)
		if r.out == nil {
			return nil
		}
		defer putScratch(r.out)
		if rd.json != nil && r.out.buf.Len() > 0 {
			rd.json.WriteSeparator(rd.out, rd.jsonN)
			rd.jsonN++
		}
		_, err := rd.out.Write(r.out.buf.Bytes())
		return err
	}
	pass := decode.NewOrdered(context.Background(), work, emit)
	_, loopErr := rd.packetLoop(func(n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) error {
		b := frames.Get()
		*b = append((*b)[:0], data...)
		return pass.Add(job{n: n, ci: ci, lt: lt, data: b})
	})
	if err := pass.Wait(); err != nil {
		return err
	}
	return loopErr
}

// dissectHook, when set (by tests), runs in the second pass's workers
// before packet n is dissected: a panic in it stands for a bug there.
var dissectHook func(n int)

// rowBatch is rowBatchLen packets of the rows' second pass: their bytes
// back to back in data and, once a worker is done, their lines in out.
type rowBatch struct {
	first int // the number of the first packet
	cis   []gopacket.CaptureInfo
	lts   []layers.LinkType
	ends  []int // packet first+i is data[ends[i-1]:ends[i]]
	data  []byte
	out   []byte
}

// rowBatchLen packets a batch: a copy, a hand-over and a write for each
// 256 rather than for each packet. Per packet they took a fifth of the
// second pass's CPU on a million packets.
const rowBatchLen = 256

// rowBatchBytes ends a batch early: 256 packets of loopback's 64 KiB
// would hold 16 MiB.
const rowBatchBytes = 256 << 10

// rowsLoop is dissectLoop for plain summary lines: the packets' rows,
// written by RowWriters on every core and printed in capture order.
func (rd *readJob) rowsLoop(an *decode.Analyzer) error {
	batches := newFreeList(func() *rowBatch {
		return &rowBatch{
			cis:  make([]gopacket.CaptureInfo, 0, rowBatchLen),
			lts:  make([]layers.LinkType, 0, rowBatchLen),
			ends: make([]int, 0, rowBatchLen),
		}
	})
	// A RowWriter each for the workers (the pool keeps one per P).
	rowWriters := sync.Pool{New: func() any { return an.NewRowWriter() }}
	work := func(b *rowBatch) (*rowBatch, error) {
		w := rowWriters.Get().(*decode.RowWriter)
		defer rowWriters.Put(w)
		b.out = b.out[:0]
		start := 0
		for i, end := range b.ends {
			if dissectHook != nil {
				dissectHook(b.first + i)
			}
			b.out = w.Append(b.out, b.first+i, b.cis[i], b.lts[i], b.data[start:end])
			start = end
		}
		return b, nil
	}
	emit := func(b *rowBatch) error {
		_, err := rd.out.Write(b.out)
		b.cis, b.lts, b.ends, b.data = b.cis[:0], b.lts[:0], b.ends[:0], b.data[:0]
		if cap(b.data) <= 2*rowBatchBytes && cap(b.out) <= 2*rowBatchBytes {
			batches.Put(b) // (one of a few big packets is let go)
		}
		return err
	}
	pass := decode.NewOrderedBatches(context.Background(), 1, work, emit)
	cur := batches.Get()
	_, loopErr := rd.packetLoop(func(n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) error {
		if len(cur.ends) == 0 {
			cur.first = n
		}
		cur.cis = append(cur.cis, ci)
		cur.lts = append(cur.lts, lt)
		cur.data = append(cur.data, data...)
		cur.ends = append(cur.ends, len(cur.data))
		if len(cur.ends) < rowBatchLen && len(cur.data) < rowBatchBytes {
			return nil
		}
		b := cur
		cur = batches.Get()
		return pass.Add(b)
	})
	// The last batch, also when reading failed part-way: every packet
	// before the fault is printed.
	if err := pass.Add(cur); err != nil && loopErr == nil {
		loopErr = err
	}
	if err := pass.Wait(); err != nil {
		return err
	}
	return loopErr
}

// freeList is a bounded list of things to reuse, for any goroutine.
type freeList[T any] struct {
	free  chan T
	fresh func() T
}

// freeListLen holds more than the packets Ordered has in flight.
const freeListLen = 4096

func newFreeList[T any](fresh func() T) *freeList[T] {
	return &freeList[T]{free: make(chan T, freeListLen), fresh: fresh}
}

func (l *freeList[T]) Get() T {
	select {
	case v := <-l.free:
		return v
	default:
		return l.fresh()
	}
}

func (l *freeList[T]) Put(v T) {
	select {
	case l.free <- v:
	default:
	}
}

// fieldsWant is what the second pass dissects when fields on demand
// serve it (nil: whole trees): -T fields (and -q) print only the values
// of the fields -Y and -e name, so no labels are built, nor the trees of
// protocols none of them is in. A protocol whose -e value is its tree
// line (-e tcp) needs the labels. Statistics that read trees (stats,
// below) and printed trees rule it out.
func (rd *readJob) fieldsWant(stats *packetStats) *decode.Want {
	if len(rd.secrets) != 0 || rd.f.verbose || rd.f.hex {
		return nil
	}
	if !(rd.f.outFormat == "fields" || rd.f.quiet || (rd.json != nil && len(rd.f.fields) > 0)) ||
		!(rd.f.quiet || !rd.fields.NeedsLabels()) {
		return nil
	}
	if !rd.f.quiet && rd.filter == nil && rd.f.outFormat == "text" {
		return nil // rows
	}
	var names []string
	if rd.filter != nil {
		names = rd.filter.Fields()
	}
	if stats != nil {
		names = append(names, stats.fields...) // the per-packet -z tables'
	}
	if rd.json != nil {
		names = append(names, "frame.time_epoch") // the _index and ek's timestamp
	}
	return decode.WantFields(append(names, rd.fields.Fields...))
}

// layersOnly reports whether the run reads nothing of the application
// stage: fields on demand of the layers only, no statistics, follow,
// exposure or written file (decode.Options.LayersOnly).
func (rd *readJob) layersOnly() bool {
	if len(rd.f.stats) != 0 || rd.opts.Following || rd.f.write != "" {
		return false
	}
	w := rd.fieldsWant(nil)
	return w != nil && !w.App()
}

func (rd *readJob) wants(z string) bool {
	for _, s := range rd.f.stats {
		if s == z {
			return true
		}
	}
	return false
}

func (rd *readJob) printPacket(w *bytes.Buffer, p *decode.Packet) error {
	switch rd.f.outFormat {
	case "fields":
		return rd.fields.WriteFields(w, p)
	case "json", "jsonraw", "ek":
		return rd.json.WritePacket(w, p)
	}
	if rd.f.verbose {
		decode.WriteTree(w, p)
	} else {
		w.Write(p.Summary.AppendTo(w.AvailableBuffer()))
	}
	if rd.f.hex {
		if !rd.f.verbose {
			w.WriteByte('\n')
		}
		decode.WriteHex(w, p)
	}
	return nil
}

// packetStats are the -z tables counted from every packet's fields (the
// others come from the fast pass's records).
type packetStats struct {
	stats  *decode.Stats // io,phs, conv,ip, endpoints,ip
	io     map[int]*decode.IOStat
	fields []string // what they read
}

func (rd *readJob) newPacketStats() *packetStats {
	ps := &packetStats{io: rd.ioStats}
	if rd.wants("io,phs") {
		ps.fields = append(ps.fields, decode.PHSFields...)
	}
	if rd.wants("conv,ip") || rd.wants("endpoints,ip") {
		ps.fields = append(ps.fields, decode.IPFields...)
	}
	if len(ps.fields) > 0 {
		ps.stats = decode.NewStats()
	}
	for _, st := range ps.io {
		ps.fields = append(ps.fields, st.Fields()...)
	}
	if ps.stats == nil && len(ps.io) == 0 {
		return nil
	}
	return ps
}

func (ps *packetStats) add(p *decode.Packet) {
	if ps.stats != nil {
		ps.stats.Add(p)
	}
	for _, st := range ps.io {
		st.Add(p)
	}
}

// finishStats prints the -z tables asked for, last asked first, as tshark
// does.
func (rd *readJob) finishStats(an *decode.Analyzer, ps *packetStats) error {
	for i := len(rd.f.stats) - 1; i >= 0; i-- {
		z := rd.f.stats[i]
		switch {
		case z == "exposure":
			for _, ex := range rd.exposures {
				decode.WriteExposure(rd.out, ex)
			}
		case z == "conv,tcp":
			decode.WriteConvTCP(rd.out, an.TCPStreams(), an.FirstTime())
		case z == "conv,udp":
			decode.WriteConversations(rd.out, "UDP", true, decode.UDPConversations(an.UDPStreams(), an.FirstTime()))
		case z == "endpoints,tcp":
			decode.WriteEndpoints(rd.out, "TCP", true, decode.ConvEndpoints(decode.TCPConversations(an.TCPStreams(), an.FirstTime())))
		case z == "endpoints,udp":
			decode.WriteEndpoints(rd.out, "UDP", true, decode.ConvEndpoints(decode.UDPConversations(an.UDPStreams(), an.FirstTime())))
		case z == "http,tree":
			decode.WriteHTTPTree(rd.out, an)
		case strings.HasPrefix(z, "follow,tcp,"), strings.HasPrefix(z, "follow,tls,"), strings.HasPrefix(z, "follow,http2,"):
			if err := rd.writeFollow(an, z); err != nil {
				return err
			}
		case ps == nil:
		case z == "endpoints,ip":
			ps.stats.WriteEndpointsIP(rd.out)
		case z == "conv,ip":
			ps.stats.WriteConvIP(rd.out)
		case z == "io,phs":
			ps.stats.WritePHS(rd.out)
		case ps.io[i] != nil:
			ps.io[i].Write(rd.out)
		}
	}
	return nil
}

// writeFollow prints one -z follow,tcp|tls,MODE,N or follow,http2,MODE,N,S.
func (rd *readJob) writeFollow(an *decode.Analyzer, z string) error {
	parts := strings.Split(z, ",") // follow,PROTO,MODE,N: checked by newReadJob
	mode := parts[2]
	stream, _ := strconv.Atoi(parts[3])
	var client, server string
	for _, s := range an.TCPStreams() {
		if s.Index == stream {
			client, server = s.Client.String(), s.Server.String()
		}
	}
	if parts[1] == "http2" {
		sid, _ := strconv.Atoi(parts[4])
		chunks, err := an.FollowHTTP2(stream, uint32(sid))
		if err != nil {
			return err
		}
		decode.WriteFollowHTTP2(rd.out, mode, stream, uint32(sid), client, server, chunks)
		return nil
	}
	if parts[1] == "tls" {
		chunks, first, err := an.FollowTLS(stream)
		if err != nil {
			return err
		}
		decode.WriteFollowTLS(rd.out, mode, stream, client, server, first, chunks)
		return nil
	}
	chunks, err := an.FollowTCP(stream)
	if err != nil {
		return err
	}
	decode.WriteFollow(rd.out, mode, stream, client, server, chunks)
	return nil
}

// copyPackets re-writes the packets that pass the capture filter (and, with
// an analyzer, the display filter) to -w. A pcapng input may mix link types
// (one per interface): pcapng output gets an Interface Description Block
// for each input interface, its packets on it; pcap output, which has one
// link type, is refused before anything is written.
func (rd *readJob) copyPackets(an *decode.Analyzer) error {
	if rd.f.format == "pcap" {
		if err := rd.checkOneLinkType(); err != nil {
			return err
		}
	}
	var sink capture.PacketWriter
	var ng *capture.PcapngWriter     // sink, when it is pcapng
	outIface := map[inputIface]int{} // the output interface of each input's
	secrets := &secretsCopier{rd: rd}
	_, err := rd.packetLoop(func(n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) error {
		if an != nil && rd.filter != nil && !rd.filter.Match(an.Dissect(n, ci, lt, data)) {
			return nil
		}
		in := inputIface{ci.InterfaceIndex, lt}
		if sink == nil {
			var err error
			if sink, err = createReadSink(rd.f.write, rd.f.format, lt, rd.sio); err != nil {
				return err
			}
			ng, _ = sink.(*capture.PcapngWriter)
			outIface[in] = 0
		}
		iface, ok := outIface[in]
		if !ok {
			if ng == nil {
				// (checkOneLinkType let it through: the file changed.)
				return fmt.Errorf("capture: %s mixes link types (%s and %s): a pcap file holds one", rd.f.file, firstLinkType(outIface), lt)
			}
			var err error
			if iface, err = ng.AddInterface(lt, "", capture.DefaultSnapLen); err != nil {
				return err
			}
			outIface[in] = iface
		}
		if err := secrets.beforePacket(sink); err != nil {
			return err
		}
		if ng != nil {
			return ng.WritePacketOn(iface, ci, data)
		}
		ci.InterfaceIndex = 0
		return sink.WritePacket(ci, data)
	})
	if sink == nil && err == nil {
		// Nothing passed the filters: still a valid, empty capture, as
		// tcpdump -w writes, of the input's (first) link type.
		lt := layers.LinkTypeEthernet
		if len(rd.ifaces) > 0 {
			lt = rd.ifaces[0].LinkType
		}
		if sink, err = createReadSink(rd.f.write, rd.f.format, lt, rd.sio); err != nil {
			return err
		}
	}
	if serr := secrets.finish(sink); err == nil {
		err = serr
	}
	if sink != nil {
		if cerr := sink.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// inputIface is an input interface (with its link type: a pcap input's
// one interface has the file's) as copyPackets maps it to -w's.
type inputIface struct {
	index int
	lt    layers.LinkType
}

// firstLinkType is the link type of output interface 0 in m.
func firstLinkType(m map[inputIface]int) layers.LinkType {
	for in, out := range m {
		if out == 0 {
			return in.lt
		}
	}
	return 0
}

// checkOneLinkType refuses -F pcap for an input whose packets (those the
// capture filter and -c keep) have more than one link type, naming them,
// before any file is made: a pcap file has one link type for all.
func (rd *readJob) checkOneLinkType() error {
	var seen []layers.LinkType
	errOneLink := errors.New("pcap input: one link type")
	_, err := rd.packetLoop(func(n int, ci gopacket.CaptureInfo, lt layers.LinkType, data []byte) error {
		if !rd.pcapng {
			return errOneLink // (packetLoop knows the format by now)
		}
		if !slices.Contains(seen, lt) {
			seen = append(seen, lt)
		}
		return nil
	})
	if err != nil || len(seen) < 2 {
		return nil // a read fault is reported by the copy, after the packets before it
	}
	names := make([]string, len(seen))
	for i, lt := range seen {
		names[i] = lt.String()
	}
	out := rd.f.write
	if out == "-" {
		out = "OUT"
	}
	return &usageError{
		msg:  fmt.Sprintf("%s has packets of %d link types (%s): a pcap file holds one", rd.f.file, len(seen), strings.Join(names, ", ")),
		hint: fmt.Sprintf("write pcapng, which holds them all: -F pcapng -w %s.pcapng", strings.TrimSuffix(out, ".pcap")),
	}
}

func createReadSink(path, format string, lt layers.LinkType, sio stdio) (capture.PacketWriter, error) {
	opts := capture.PcapngOptions{LinkType: lt, SnapLen: capture.DefaultSnapLen, Application: "wiretap " + version}
	if path == "-" {
		if format == "pcap" {
			return capture.NewPcapWriter(sio.out, lt, capture.DefaultSnapLen)
		}
		return capture.NewPcapngWriter(sio.out, opts)
	}
	if format == "pcap" {
		return capture.CreatePcap(path, lt, capture.DefaultSnapLen)
	}
	return capture.CreatePcapng(path, opts)
}

// noteExposures takes -z exposure's findings from the fast pass, and the
// frames where a secret completes across segments (for secret.found).
func (rd *readJob) noteExposures(an *decode.Analyzer) {
	if len(rd.secrets) == 0 {
		return
	}
	rd.exposures = an.Exposures()
	rd.secretFrames = map[int]bool{}
	for _, ex := range rd.exposures {
		for _, s := range ex.Streams {
			if s.SecretStreamFrame != 0 {
				rd.secretFrames[s.SecretStreamFrame] = true
			}
		}
	}
}
