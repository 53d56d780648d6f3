package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fernet/fernet-go"

	"wiretap/capture"
	"wiretap/decode"
	"wiretap/demo/pki"
)

// Ports are the three demo servers' ports on 127.0.0.1.
type Ports struct{ Plain, Fernet, HTTPS uint16 }

// DefaultPorts follow the tutorial's 5683 for the plaintext server.
var DefaultPorts = Ports{Plain: 5683, Fernet: 5684, HTTPS: 5685}

// ScenarioConfig configures RunScenario.
type ScenarioConfig struct {
	Dir       string // created; must not hold an earlier run
	Ports     Ports
	Secret    string
	Interface string // default "lo"
	Progress  io.Writer
	HTTP2     bool // the HTTPS client offers h2 (ClientConfig.HTTP2)
	// AfterOpen, when set, runs once the capture socket is open and
	// before anything else: wiretap gives up root there, so the work dir,
	// keys, servers, clients and the analysis run unprivileged.
	AfterOpen func() error
}

// ModeResult is one mode's part of the demo.
type ModeResult struct {
	Mode     Mode
	Port     uint16
	URL      string
	Received string // what the client printed as the secret
	Proto    string // the protocol it got the answer over: "HTTP/1.1", "HTTP/2.0"
	// Streams are the TCP conversations with this mode's server.
	Streams []*decode.StreamExposure
}

// Packets and Bytes total the mode's conversations.
func (m *ModeResult) Packets() (n int) {
	for _, s := range m.Streams {
		n += s.TotalPackets()
	}
	return n
}

func (m *ModeResult) Bytes() (n int) {
	for _, s := range m.Streams {
		n += int(s.TotalBytes())
	}
	return n
}

// SecretFrame is the first frame where an eavesdropper reads the secret, 0 if none.
func (m *ModeResult) SecretFrame() int {
	f := 0
	for _, s := range m.Streams {
		for _, g := range []int{s.SecretFrame, s.SecretStreamFrame} {
			if g != 0 && (f == 0 || g < f) {
				f = g
			}
		}
	}
	return f
}

// ScenarioResult is what RunScenario found.
type ScenarioResult struct {
	Dir, Capture, KeyLog, FernetKeyFile string
	Files                               pki.Files
	Stats                               capture.Stats
	Packets                             int
	Modes                               []*ModeResult
	Secret                              string
}

// Passed reports the demo's lesson: plaintext shows the secret, Fernet and
// HTTPS do not.
func (r *ScenarioResult) Passed() bool {
	for _, m := range r.Modes {
		if (m.Mode == ModePlain) != (m.SecretFrame() != 0) {
			return false
		}
	}
	return len(r.Modes) == 3
}

// RunScenario runs the whole demo: keys and certificates in cfg.Dir, a live
// capture on lo, the three servers and their clients, then reads the capture
// back and reports what each mode exposed.
func RunScenario(ctx context.Context, cfg ScenarioConfig) (*ScenarioResult, error) {
	if cfg.Secret == "" {
		cfg.Secret = DefaultSecret
	}
	if cfg.Interface == "" {
		cfg.Interface = "lo"
	}
	if cfg.Ports == (Ports{}) {
		cfg.Ports = DefaultPorts
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	step := func(format string, a ...any) { fmt.Fprintf(progress, "wiretap: "+format+"\n", a...) }

	res := &ScenarioResult{
		Dir:           cfg.Dir,
		Capture:       filepath.Join(cfg.Dir, "demo.pcapng"),
		KeyLog:        filepath.Join(cfg.Dir, "keys.log"),
		FernetKeyFile: filepath.Join(cfg.Dir, "fernet.key"),
		Secret:        cfg.Secret,
	}

	// Open the capture first: it needs privilege, and failing here leaves
	// nothing half-started (not even the work dir).
	live, err := capture.OpenLive(capture.LiveOptions{
		Interface: cfg.Interface,
		Filter:    capture.TCPPortsFilter(cfg.Ports.Plain, cfg.Ports.Fernet, cfg.Ports.HTTPS),
	})
	if err != nil {
		return nil, err
	}
	defer live.Close()
	if cfg.AfterOpen != nil {
		if err := cfg.AfterOpen(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo: cannot make the work dir: %w", err)
	}

	// The Fernet key is written like Python's Fernet.generate_key() prints
	// it, so the tutorial's own scripts can use it (SECRET_KEY=$(cat ...)).
	keyText := GenerateFernetKey()
	if err := os.WriteFile(res.FernetKeyFile, []byte(keyText+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	fkey, err := ParseFernetKey(keyText)
	if err != nil {
		return nil, err
	}
	files, err := pki.Init(cfg.Dir, pki.InitOptions{})
	if err != nil {
		return nil, err
	}
	res.Files = files
	step("made a Fernet key and a CA + server certificate in %s", cfg.Dir)

	tlsConf, err := TLSConfigFromFiles(files.ServerCert, files.ServerKey, nil)
	if err != nil {
		return nil, err
	}

	pw, err := capture.CreatePcapng(res.Capture, capture.PcapngOptions{
		LinkType:    live.LinkType(),
		SnapLen:     live.SnapLen(),
		Interface:   live.Interface(),
		Application: "wiretap demo",
		Filter:      fmt.Sprintf("tcp port %d or tcp port %d or tcp port %d", cfg.Ports.Plain, cfg.Ports.Fernet, cfg.Ports.HTTPS),
	})
	if err != nil {
		return nil, err
	}
	// The HTTPS client's key log goes into the capture too, as Decryption
	// Secrets Blocks before the packets they decrypt, so Wireshark and
	// tshark open demo.pcapng decrypted with no options. It is created
	// now, 0600, so that the watcher finds it from the start.
	keylog, err := OpenKeyLog(res.KeyLog)
	if err != nil {
		pw.Close()
		return nil, err
	}
	defer keylog.Close()
	w, err := capture.NewKeyLogWriter(pw, capture.KeyLogOptions{Path: res.KeyLog})
	if err != nil {
		pw.Close()
		return nil, err
	}
	capCtx, stopCapture := context.WithCancel(context.Background())
	defer stopCapture()
	var recStats capture.Stats
	var recErr error
	var recWG sync.WaitGroup
	recWG.Add(1)
	go func() {
		defer recWG.Done()
		recStats, recErr = capture.Record(capCtx, live, w, 0, nil)
	}()
	step("capturing on %s: %s", live.Interface(), res.Capture)

	// Servers.
	srvCtx, stopServers := context.WithCancel(ctx)
	defer stopServers()
	var srvWG sync.WaitGroup
	type modeSetup struct {
		mode Mode
		port uint16
		cfg  ServerConfig
	}
	setups := []modeSetup{
		{ModePlain, cfg.Ports.Plain, ServerConfig{Mode: ModePlain}},
		{ModeFernet, cfg.Ports.Fernet, ServerConfig{Mode: ModeFernet, FernetKey: fkey}},
		{ModeHTTPS, cfg.Ports.HTTPS, ServerConfig{Mode: ModeHTTPS, TLS: tlsConf}},
	}
	var firstErr error
	for _, s := range setups {
		sc := s.cfg
		sc.Addr = fmt.Sprintf("127.0.0.1:%d", s.port)
		sc.Secret = cfg.Secret
		srv, err := NewServer(sc)
		if err == nil {
			err = srv.Listen()
		}
		if err != nil {
			firstErr = err
			break
		}
		mr := &ModeResult{Mode: s.mode, Port: s.port, URL: srv.URL()}
		res.Modes = append(res.Modes, mr)
		srvWG.Add(1)
		go func() { defer srvWG.Done(); srv.Serve(srvCtx) }()
		step("%-6s server on %s", s.mode, mr.URL)
	}

	// Clients, one request each, as the tutorial runs them.
	if firstErr == nil {
		for _, mr := range res.Modes {
			cc := ClientConfig{Mode: mr.Mode, URL: mr.URL, Timeout: 5 * time.Second}
			switch mr.Mode {
			case ModeFernet:
				cc.FernetKey = fkey
			case ModeHTTPS:
				cc.CACertFile = files.CACert
				cc.KeyLog = keylog
				cc.HTTP2 = cfg.HTTP2
			}
			c, err := NewClient(cc)
			if err == nil {
				mr.Received, err = c.FetchSecret(ctx)
				mr.Proto = c.Proto()
			}
			if err != nil {
				firstErr = err
				break
			}
			step("%-6s client: The secret message is: %s (%s)", mr.Mode, mr.Received, mr.Proto)
		}
		keylog.Close()
	}

	// Stop the servers first, so their connections close while the capture
	// still runs and each conversation is recorded whole (FIN to last ACK).
	stopServers()
	srvWG.Wait()
	time.Sleep(150 * time.Millisecond)
	stopCapture()
	recWG.Wait()
	w.SetStats(recStats)
	if err := w.Close(); err != nil && recErr == nil {
		recErr = err
	}
	res.Stats = recStats
	if firstErr != nil {
		return res, firstErr
	}
	if recErr != nil {
		return res, recErr
	}
	step("captured %d packets (%d dropped by the kernel)", recStats.Captured, recStats.Dropped)
	return res, analyze(res)
}

// Keys are the run's keys as decode takes them: the TLS key log the HTTPS
// client wrote (the capture carries it too) and the Fernet server's key.
func (r *ScenarioResult) Keys() (decode.Options, error) {
	opts := decode.Options{KeyLog: decode.NewKeyLog()}
	if _, err := opts.KeyLog.ReadFile(r.KeyLog); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return opts, err
	}
	if text, err := os.ReadFile(r.FernetKeyFile); err == nil {
		if k, err := ParseFernetKey(string(text)); err == nil {
			opts.FernetKeys = []*fernet.Key{k}
		}
	}
	return opts, nil
}

// analyze reads the capture back, as an eavesdropper would, and files each
// stream under the mode whose server port it talks to.
func analyze(res *ScenarioResult) error {
	src, err := capture.OpenFile(res.Capture)
	if err != nil {
		return err
	}
	defer src.Close()
	// The second half of the lesson: what the keys reveal.
	opts, err := res.Keys()
	if err != nil {
		return err
	}
	ex, err := decode.AnalyzeExposureWith(src, []byte(res.Secret), opts)
	if err != nil {
		return err
	}
	res.Packets = ex.Packets
	for _, s := range ex.Streams {
		for _, m := range res.Modes {
			if s.Server.Port == m.Port {
				m.Streams = append(m.Streams, s)
			}
		}
	}
	for _, m := range res.Modes {
		if len(m.Streams) == 0 {
			return errors.New("demo: the capture holds no conversation with the " + string(m.Mode) + " server")
		}
	}
	return nil
}
