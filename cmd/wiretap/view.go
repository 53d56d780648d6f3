package main

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"wiretap/capture"
	"wiretap/cmd/wiretap/tui"
	"wiretap/cmd/wiretap/tui/packets"
	"wiretap/decode"
	"wiretap/decode/dfilter"
)

func init() {
	register("view", "browse a capture file or a live capture in the terminal, like Wireshark", runView)
}

const viewUsage = "[FILE | -i IFACE [-f CAPFILTER]] [-Y DISPLAYFILTER] [--secret TEXT]... [-d tcp.port==N,http|http2|tls]... [--keylog FILE]... [--fernet-key KEY]... [-w FILE] [-c N] [--max-streams N] [-a duration:SEC] [-Z USER]"

// viewTraceEnv names a file that gets the viewer's timing milestones
// (first-screen, indexed, analysed), for wiretap-bench view.
const viewTraceEnv = "WIRETAP_VIEW_TRACE"

type viewFlags struct {
	iface, capFilter, dispFilter, write, autostop string
	user                                          string // -Z
	count, maxStreams                             int
	secrets, secretsHex, decodeAs                 multiFlag
	keys                                          keyLogFlags
	fernetKeys, fernetKeyFiles                    multiFlag
}

func runView(args []string, sio stdio) error {
	start := time.Now()
	fs := newFlags("view", viewUsage, sio)
	var f viewFlags
	fs.StringVar(&f.iface, "i", "", "capture live on this interface instead of reading a file")
	fs.StringVar(&f.capFilter, "f", "", "capture filter in tcpdump syntax (with -i)")
	fs.StringVar(&f.dispFilter, "Y", "", "display filter to start with")
	fs.StringVar(&f.write, "w", "", "with -i: also write the packets to FILE (pcapng)")
	fs.IntVar(&f.count, "c", 0, "with -i: stop capturing after N packets")
	fs.StringVar(&f.user, "Z", "", "with -i: "+dropUserUsage)
	fs.StringVar(&f.autostop, "a", "", "with -i: stop capturing after duration:SEC")
	fs.IntVar(&f.maxStreams, "max-streams", 0, "most TCP conversations (and, apart, UDP ones) held in memory: past N the least recently used are forgotten, counted and reported; a forgotten one that sends again starts a new stream number (0: no bound; default: 100000 with -i, none for a file)")
	fs.Var(&f.secrets, "secret", "mark packets where TEXT is visible (repeatable); the compare view looks for the first")
	fs.Var(&f.secretsHex, "secret-hex", "like --secret, given as hex bytes")
	fs.Var(&f.decodeAs, "d", "decode a TCP port as a protocol: tcp.port==N,http, tcp.port==N,http2 or tcp.port==N,tls (repeatable)")
	fs.Var(&f.keys.files, "keylog", "decrypt TLS with this NSS key log (also read: $SSLKEYLOGFILE and the file's own decryption secrets) (repeatable)")
	fs.Var(&f.keys.prefs, "o", "a tshark preference: tls.keylog_file:FILE (= --keylog FILE) (repeatable)")
	fs.Var(&f.fernetKeys, "fernet-key", "verify and decrypt Fernet tokens with this key (default $SECRET_KEY) (repeatable)")
	fs.Var(&f.fernetKeyFiles, "fernet-key-file", "like --fernet-key, the key read from FILE (repeatable)")
	words, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	opts, err := viewStoreOptions(f.secrets, f.secretsHex, f.decodeAs)
	if err != nil {
		return err
	}
	if err := checkDisplayFilter(f.dispFilter); err != nil {
		return err
	}
	switch {
	case f.maxStreams < 0:
		return &usageError{msg: "--max-streams takes a number of 0 or more"}
	case f.iface == "" && len(words) != 1:
		return &usageError{msg: "view needs one capture file, or -i IFACE for a live capture", hint: "usage: wiretap view " + viewUsage}
	case f.iface != "" && len(words) > 0:
		return &usageError{msg: "give either a file or -i IFACE, not both", hint: "a capture filter goes with -f"}
	case f.iface == "" && (f.capFilter != "" || f.write != "" || f.count != 0 || f.autostop != "" || f.user != ""):
		return &usageError{msg: "-f, -w, -c, -a and -Z are for live captures (-i IFACE)", hint: "filter a file's packets with -Y"}
	}
	if f.iface == "" {
		if err := viewKeys(&opts, &f.keys, f.fernetKeys, f.fernetKeyFiles, sio); err != nil {
			return err
		}
	}
	if err := needTerminal(sio); err != nil {
		return err
	}
	switch {
	case flagGiven(fs, "max-streams"):
		opts.Decode.MaxStreams = f.maxStreams
	case f.iface != "":
		opts.Decode.MaxStreams = decode.DefaultMaxStreamsLive
	}
	if f.iface == "" {
		store, err := packets.OpenFile(words[0], sio.in, opts)
		if err != nil {
			return err
		}
		return showViewer(store, tui.Options{Filter: f.dispFilter, Start: start})
	}
	stopAfter, err := parseAutostop(f.autostop)
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	defer close(stop)
	// The key logs and Fernet keys are read once root is given up, as the
	// user who asked for them.
	readKeys := func(opts *packets.Options) error {
		if err := viewKeys(opts, &f.keys, f.fernetKeys, f.fernetKeyFiles, sio); err != nil {
			return err
		}
		if len(f.keys.read) > 0 {
			// Live, the key logs grow as the clients connect.
			go f.keys.follow(opts.Decode.KeyLog, stop)
		}
		return nil
	}
	cf := captureFlags{iface: f.iface, filter: f.capFilter, write: f.write, format: "pcapng", count: f.count, snap: capture.DefaultSnapLen, user: f.user}
	return viewLive(cf, stopAfter, opts, readKeys, f.dispFilter, sio)
}

// viewStoreOptions turns --secret, --secret-hex and -d into Store options.
func viewStoreOptions(secrets, secretsHex, decodeAs []string) (packets.Options, error) {
	opts := packets.Options{Decode: decode.Options{Force: map[uint16]string{}}}
	for _, d := range decodeAs {
		port, proto, err := parseDecodeAs(d)
		if err != nil {
			return opts, err
		}
		opts.Decode.Force[port] = proto
	}
	for _, s := range secrets {
		opts.Secrets = append(opts.Secrets, []byte(s))
	}
	for _, h := range secretsHex {
		b, err := hex.DecodeString(strings.NewReplacer(":", "", "-", "", " ", "").Replace(h))
		if err != nil || len(b) == 0 {
			return opts, &usageError{msg: fmt.Sprintf("bad --secret-hex %q", h), hint: "give hex bytes, e.g. --secret-hex 66:6c:75:66:66:79"}
		}
		opts.Secrets = append(opts.Secrets, b)
	}
	return opts, nil
}

// viewKeys adds the key logs and Fernet keys to the Store's options: the
// viewer decrypts as read does (and reads a file's own secrets).
func viewKeys(opts *packets.Options, keys *keyLogFlags, fernetKeys, fernetKeyFiles []string, sio stdio) error {
	kl, err := keys.load(sio.err)
	if err != nil {
		return err
	}
	opts.Decode.KeyLog = kl
	opts.Decode.FernetKeys, err = readFernetKeys(sio.err, fernetKeys, fernetKeyFiles)
	return err
}

func checkDisplayFilter(expr string) error {
	if expr == "" {
		return nil
	}
	_, err := dfilter.Compile(expr)
	return err
}

// needTerminal refuses to start the viewer without a terminal to draw on.
func needTerminal(sio stdio) error {
	if !isTerminal(sio.out) {
		return &usageError{msg: "the viewer needs a terminal, and standard output is not one",
			hint: "print the packets instead: wiretap read -r FILE (add -V for the tree)"}
	}
	return nil
}

// viewFromRead is `wiretap read … --view`: the same file, filters and
// secrets, in the viewer.
func viewFromRead(f *readFlags, sio stdio) error {
	start := time.Now()
	if f.write != "" || len(f.stats) > 0 || f.count != 0 {
		return &usageError{msg: "--view shows the packets: -w, -z and -c do not go with it", hint: "the viewer has conversations (C) and the protocol hierarchy (P)"}
	}
	opts, err := viewStoreOptions(f.secrets, f.secretsHex, f.decodeAs)
	if err != nil {
		return err
	}
	opts.CapFilter = f.capFilter
	if err := viewKeys(&opts, &f.keys, f.fernetKeys, f.fernetKeyFiles, sio); err != nil {
		return err
	}
	if err := checkDisplayFilter(f.dispFilter); err != nil {
		return err
	}
	if err := needTerminal(sio); err != nil {
		return err
	}
	store, err := packets.OpenFile(f.file, sio.in, opts)
	if err != nil {
		return err
	}
	return showViewer(store, tui.Options{Filter: f.dispFilter, Start: start})
}

// viewLive is `wiretap view -i` and `wiretap capture … --view`: capture
// into the viewer (and into -w FILE when given). readKeys, when not nil,
// completes opts once root is given up.
func viewLive(f captureFlags, stopAfter time.Duration, opts packets.Options, readKeys func(*packets.Options) error, dispFilter string, sio stdio) error {
	start := time.Now()
	if f.write == "-" {
		return &usageError{msg: "--view draws on the terminal: it cannot also write packets to standard output", hint: "write them to a file with -w FILE"}
	}
	if err := needTerminal(sio); err != nil {
		return err
	}
	live, dropped, err := openLive(f)
	if err != nil {
		return err
	}
	defer live.Close()
	if readKeys != nil {
		if err := readKeys(&opts); err != nil {
			return err
		}
	}
	lo := packets.LiveOptions{Live: live, Filter: f.filter, Count: f.count, Duration: stopAfter, Application: "wiretap " + version}
	if f.write != "" {
		sink, err := openSink(f, live, sio)
		if err != nil {
			return asDropped(err, dropped)
		}
		lo.Sink, lo.SinkName = sink, f.write
	}
	store, err := packets.OpenLive(lo, opts)
	if err != nil {
		if lo.Sink != nil {
			lo.Sink.Close()
		}
		return err
	}
	return showViewer(store, tui.Options{Filter: dispFilter, Start: start})
}

// showViewer runs the viewer on store until the user quits, then closes
// the store (for a live capture: stops it and closes -w's file).
func showViewer(store *packets.Store, opts tui.Options) error {
	// The fast pass keeps compact records for every packet; a soft memory
	// limit makes the collector return garbage early rather than let the
	// heap double on a big file (GOMEMLIMIT, when set, wins).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(150 << 20)
	}
	opts.Store = store
	if path := os.Getenv(viewTraceEnv); path != "" {
		if tf, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
			defer tf.Close()
			opts.Trace = tf
		}
	}
	err := tui.Run(opts)
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	return err
}

// flagGiven reports whether the command line set the flag.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
