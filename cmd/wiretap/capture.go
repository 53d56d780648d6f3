package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/term"

	"wiretap/capture"
	"wiretap/cmd/wiretap/tui/packets"
	"wiretap/decode"
)

func init() {
	register("capture", "capture live packets (tcpdump-style filters, pcapng/pcap files, rotation)", runCapture)
}

const captureUsage = "[-i IFACE] [-f FILTER | FILTER...] [-w FILE|-] [-c COUNT] [-a duration:SEC] [-s SNAPLEN] [-F pcapng|pcap] [-C MB] [-G SEC] [-W FILES] [--keylog FILE] [--max-streams N] [-Z USER] [-q] [-D] [--view]"

type captureFlags struct {
	iface, filter, write, format, autostop string
	keylog                                 string
	user                                   string // -Z
	count, snap, fileMB, rotateSec, files  int
	maxStreams                             int
	quiet, list, view                      bool
}

func runCapture(args []string, io stdio) error {
	fs := newFlags("capture", captureUsage, io)
	var f captureFlags
	fs.StringVar(&f.iface, "i", capture.DefaultInterface, "interface to capture on")
	fs.StringVar(&f.filter, "f", "", "capture filter in tcpdump syntax (or give it as words after the flags)")
	fs.StringVar(&f.write, "w", "", "write packets to FILE (- for stdout) instead of printing them")
	fs.IntVar(&f.count, "c", 0, "stop after COUNT packets")
	fs.StringVar(&f.autostop, "a", "", "stop condition: duration:SEC")
	fs.IntVar(&f.snap, "s", 0, "snap length: bytes kept of each packet (0 = 262144)")
	fs.StringVar(&f.format, "F", "pcapng", "file format: pcapng or pcap (nanosecond)")
	fs.IntVar(&f.fileMB, "C", 0, "start a new file after MB megabytes (1,000,000 bytes)")
	fs.IntVar(&f.rotateSec, "G", 0, "start a new file every SEC seconds")
	fs.IntVar(&f.files, "W", 0, "keep a ring of FILES files (with -C or -G)")
	fs.StringVar(&f.keylog, "keylog", "", "watch this TLS key log (SSLKEYLOGFILE): with -w, store its lines in the pcapng file(s) as decryption secrets before the packets they decrypt; without, decrypt the printed lines (packets wait up to 1 s for their keys either way); an error with -F pcap")
	fs.StringVar(&f.user, "Z", "", dropUserUsage)
	fs.IntVar(&f.maxStreams, "max-streams", decode.DefaultMaxStreamsLive, "most TCP conversations (and, apart, UDP ones) held in memory: past N the least recently used are forgotten, counted and reported; a forgotten one that sends again starts a new stream number (0: no bound: memory grows with every new conversation)")
	fs.BoolVar(&f.quiet, "q", false, "print no packet lines or counter, only the totals")
	fs.BoolVar(&f.list, "D", false, "list the interfaces and exit")
	fs.BoolVar(&f.view, "view", false, "show the packets in the viewer (wiretap view) as they are captured")
	words, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if f.list {
		return listInterfaces(io.out)
	}
	if len(words) > 0 {
		if f.filter != "" {
			return &usageError{msg: "give the filter either with -f or as words after the flags, not both"}
		}
		f.filter = strings.Join(words, " ")
	}
	stopAfter, err := parseAutostop(f.autostop)
	if err != nil {
		return err
	}
	if f.count < 0 || f.snap < 0 || f.fileMB < 0 || f.rotateSec < 0 || f.files < 0 || f.maxStreams < 0 {
		return &usageError{msg: "-c, -s, -C, -G, -W and --max-streams take numbers of 0 or more"}
	}
	if f.format != "pcapng" && f.format != "pcap" {
		return &usageError{msg: fmt.Sprintf("unknown file format %q", f.format), hint: "-F takes pcapng or pcap"}
	}
	rotating := f.fileMB > 0 || f.rotateSec > 0
	if (rotating || f.files > 0) && (f.write == "" || f.write == "-") {
		return &usageError{msg: "-C, -G and -W need a file name with -w"}
	}
	if f.files > 0 && !rotating {
		return &usageError{msg: "-W needs -C or -G to say when to start the next file"}
	}
	if f.keylog != "" {
		switch {
		case f.view:
			return &usageError{msg: "--keylog is not supported with --view", hint: "capture to a file: wiretap capture --keylog FILE -w out.pcapng"}
		case f.write == "" && f.quiet:
			return &usageError{msg: "--keylog decrypts the printed lines or stores the secrets in the -w file: -q alone prints nothing", hint: "wiretap capture --keylog " + f.keylog + " -w out.pcapng"}
		case f.write != "" && f.format != "pcapng":
			return &usageError{msg: "--keylog needs a pcapng file: pcap has no place for decryption secrets", hint: "drop -F " + f.format + " (pcapng is the default)"}
		}
		if st, err := os.Stat(f.keylog); err == nil && st.IsDir() {
			return &usageError{msg: fmt.Sprintf("--keylog %s is a directory, not a key log file", f.keylog)}
		}
	}
	if f.snap == 0 {
		f.snap = capture.DefaultSnapLen
	}
	if f.view {
		if rotating {
			return &usageError{msg: "--view writes one file: -C, -G and -W are not supported with it"}
		}
		return viewLive(f, stopAfter, packets.Options{Decode: decode.Options{MaxStreams: f.maxStreams}}, nil, "", io)
	}

	live, dropped, err := openLive(f)
	if err != nil {
		return err
	}
	defer live.Close()

	sink, err := openSink(f, live, io)
	if err != nil {
		return asDropped(err, dropped)
	}
	// Lines decrypted with a key log: the packets go through the key log's
	// hold (keys arrive just after the packets that need them) to a sink
	// that prints them; the file's lines feed the fast pass's KeyLog.
	var keyRows *rowSink
	if f.keylog != "" && f.write == "" {
		keyRows = &rowSink{kl: decode.NewKeyLog(), lt: live.LinkType()}
		keyRows.an = decode.NewAnalyzer(decode.Options{Live: true, KeyLog: keyRows.kl, MaxStreams: f.maxStreams})
		sink = keyRows
	}
	var keys *capture.KeyLogWriter
	if f.keylog != "" {
		// Files are looked at every 100 ms and right before packets
		// are written; the file need not exist yet.
		keys, err = capture.NewKeyLogWriter(sink, capture.KeyLogOptions{Path: f.keylog})
		if err != nil {
			sink.Close()
			return asDropped(err, dropped)
		}
		sink = keys
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if stopAfter > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, stopAfter)
		defer cancel()
	}

	// Output while capturing: packet lines (no -w), a counter on a terminal
	// (with -w), or nothing (-q). Lines go through a buffer flushed by a
	// ticker, so a slow terminal costs a copy, not a kernel drop.
	var (
		mu    sync.Mutex
		out   = bufio.NewWriterSize(io.out, 64<<10)
		count atomic.Int64
		an    *decode.Analyzer
	)
	printLines := f.write == "" && !f.quiet && keyRows == nil
	showCounter := f.write != "" && !f.quiet && isTerminal(io.err)
	if printLines {
		// The fast pass runs as packets arrive: each line is the row
		// read would print (HTTP, TLS, TCP analysis), as far as the
		// packets so far tell.
		an = decode.NewAnalyzer(decode.Options{Live: true, MaxStreams: f.maxStreams})
	}
	onPacket := func(n int, ci gopacket.CaptureInfo, data []byte) {
		count.Store(int64(n))
		if printLines {
			an.Add(n, ci, live.LinkType(), data)
			s := an.Row(n, ci, live.LinkType(), data)
			mu.Lock()
			s.WriteTo(out)
			mu.Unlock()
		}
	}
	if keyRows != nil {
		keyRows.mu, keyRows.out = &mu, out
	}
	done := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			mu.Lock()
			out.Flush()
			mu.Unlock()
			// Files too: what is captured reaches the disk within
			// the tick, not when a 1 MiB buffer fills (a kill would
			// lose it). A failed flush fails the next write.
			if fl, ok := sink.(interface{ Flush() error }); ok && f.write != "" {
				fl.Flush()
			}
			if showCounter {
				fmt.Fprintf(io.err, "\rwiretap: %d packets captured", count.Load())
			}
		}
	}()
	fmt.Fprintf(io.err, "wiretap: capturing on %s, link type %s, snapshot length %d bytes\n", live.Interface(), linkTypeName(live.LinkType()), live.SnapLen())

	stats, recErr := capture.Record(ctx, live, sink, f.count, onPacket)
	close(done)
	bg.Wait()
	mu.Lock()
	out.Flush()
	mu.Unlock()
	if showCounter {
		fmt.Fprintf(io.err, "\r\033[K")
	}
	if ss, ok := sink.(interface{ SetStats(capture.Stats) }); ok {
		ss.SetStats(stats)
	}
	closeErr := sink.Close()
	fmt.Fprintf(io.err, "%d packets captured\n%d packets received by filter\n%d packets dropped by kernel\n",
		stats.Captured, stats.Received, stats.Dropped)
	if keys != nil {
		fmt.Fprintf(io.err, "%d key log lines stored as decryption secrets\n", keys.Lines())
	}
	for _, a := range []*decode.Analyzer{an, keyRows.analyzer()} {
		if a != nil {
			noteLimitsHit(io.err, a.LimitsHit())
		}
	}
	if recErr != nil {
		return recErr // a failed write also fails Close: say it once
	}
	return closeErr
}

// openSink opens where packets go: a printer (no -w), a file, a ring of
// files, or stdout.
func openSink(f captureFlags, live *capture.Live, io stdio) (capture.PacketWriter, error) {
	lt, snap := live.LinkType(), live.SnapLen()
	create := func(path string) (capture.PacketWriter, error) {
		if f.format == "pcap" {
			return capture.CreatePcap(path, lt, snap)
		}
		return capture.CreatePcapng(path, capture.PcapngOptions{
			LinkType: lt, SnapLen: snap, Interface: live.Interface(),
			Application: "wiretap " + version, Filter: f.filter,
		})
	}
	switch {
	case f.write == "":
		return discard{}, nil
	case f.write == "-":
		if isTerminal(io.out) {
			return nil, &usageError{msg: "refusing to write binary packets to a terminal", hint: "pipe it: wiretap capture -w - | tshark -r -"}
		}
		if f.format == "pcap" {
			return capture.NewPcapWriter(io.out, lt, snap)
		}
		return capture.NewPcapngWriter(io.out, capture.PcapngOptions{
			LinkType: lt, SnapLen: snap, Interface: live.Interface(),
			Application: "wiretap " + version, Filter: f.filter,
		})
	case f.fileMB > 0 || f.rotateSec > 0:
		return capture.NewRotatingWriter(capture.RotateOptions{
			Path: f.write, MaxBytes: int64(f.fileMB) * 1_000_000, Every: time.Duration(f.rotateSec) * time.Second,
			Files: f.files, Create: create,
		})
	default:
		return create(f.write)
	}
}

// discard is the sink when packets are only printed.
type discard struct{}

// rowSink prints each packet's row as the fast pass, with the key log's
// secrets (WriteSecrets), makes it: the sink of capture --keylog without
// -w, after capture.KeyLogWriter's hold.
type rowSink struct {
	kl  *decode.KeyLog
	an  *decode.Analyzer
	lt  layers.LinkType
	n   int
	mu  *sync.Mutex // the output's
	out *bufio.Writer
}

func (r *rowSink) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	r.n++
	r.an.Add(r.n, ci, r.lt, data)
	s := r.an.Row(r.n, ci, r.lt, data)
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err := s.WriteTo(r.out)
	return err
}

func (r *rowSink) WriteSecrets(typ uint32, data []byte) error {
	if typ == capture.SecretsTLSKeyLog {
		r.kl.Read(bytes.NewReader(data), "key log")
	}
	return nil
}

func (r *rowSink) Close() error { return nil }

func (discard) WritePacket(gopacket.CaptureInfo, []byte) error { return nil }
func (discard) Close() error                                   { return nil }

// parseAutostop reads -a duration:SEC.
func parseAutostop(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	v, ok := strings.CutPrefix(s, "duration:")
	if !ok {
		return 0, &usageError{msg: fmt.Sprintf("unknown stop condition %q", s), hint: "-a takes duration:SECONDS, e.g. -a duration:10"}
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 {
		return 0, &usageError{msg: fmt.Sprintf("bad duration %q in -a", v), hint: "-a takes duration:SECONDS, e.g. -a duration:10"}
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// parseInterleaved parses flags that may stand before, between or after
// positional words (getopt permutes them so for tcpdump); "--" ends flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		i := 0
		for i < len(rest) && (rest[i] == "-" || !strings.HasPrefix(rest[i], "-")) {
			i++
		}
		words = append(words, rest[:i]...)
		if i == len(rest) {
			return words, nil
		}
		if rest[i] == "--" {
			return append(words, rest[i+1:]...), nil
		}
		args = rest[i:]
	}
}

// listInterfaces prints the interfaces as tcpdump -D does.
func listInterfaces(w io.Writer) error {
	ifs, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("capture: listing interfaces: %w", err)
	}
	for _, ifc := range ifs {
		var flags []string
		if ifc.Flags&net.FlagUp != 0 {
			flags = append(flags, "Up")
		} else {
			flags = append(flags, "Down")
		}
		if ifc.Flags&net.FlagRunning != 0 {
			flags = append(flags, "Running")
		}
		if ifc.Flags&net.FlagLoopback != 0 {
			flags = append(flags, "Loopback")
		}
		fmt.Fprintf(w, "%d.%s [%s]\n", ifc.Index, ifc.Name, strings.Join(flags, ", "))
	}
	return nil
}

func linkTypeName(lt layers.LinkType) string {
	switch lt {
	case layers.LinkTypeEthernet:
		return "EN10MB (Ethernet)"
	case layers.LinkTypeRaw:
		return "RAW (Raw IP)"
	}
	return lt.String()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// openLive opens f's interface with f's filter compiled for its link type,
// then gives up root (see dropTarget) before any packet is read: the files
// are created, and the packets dissected, as that user. It returns whom it
// became, nil if no one.
func openLive(f captureFlags) (*capture.Live, *capture.Credential, error) {
	target, err := dropTarget(f.user)
	if err != nil {
		return nil, nil, err
	}
	lt, err := capture.InterfaceLinkType(f.iface)
	if err != nil {
		return nil, nil, err
	}
	prog, err := capture.CompileFilter(f.filter, lt, f.snap)
	if err != nil {
		return nil, nil, err
	}
	live, err := capture.OpenLive(capture.LiveOptions{Interface: f.iface, SnapLen: f.snap, Filter: prog})
	if err != nil {
		return nil, nil, err
	}
	if err := dropRoot(target); err != nil {
		live.Close()
		return nil, nil, err
	}
	return live, target, nil
}

// analyzer is the fast pass of the printed lines, nil without a key log.
func (r *rowSink) analyzer() *decode.Analyzer {
	if r == nil {
		return nil
	}
	return r.an
}
