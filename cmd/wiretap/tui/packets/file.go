package packets

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"wiretap/capture"
	"wiretap/decode"
)

// warmRows is how many of a file's first packets get list rows from a
// fast pass of their own while indexing (a live one: its rows are what
// the packets so far tell), so the first screen shows the application
// protocols before the whole file's fast pass is done.
const warmRows = 4096

// OpenFile opens a capture file and starts indexing it and running the fast
// pass in the background; the Store is usable at once. path "-" reads stdin
// (saved to a temporary file first: packets are re-read by offset), and a
// gzip-compressed file is decompressed to a temporary file for the same
// reason. An error means the file cannot be read at all (missing, not a
// capture file); a fault part-way through shows in Progress().Err.
func OpenFile(path string, stdin io.Reader, opts Options) (*Store, error) {
	s := newStore(filepath.Base(path), opts)
	s.path = path
	if path == "-" {
		s.name = "standard input"
		if err := s.spool(stdin); err != nil {
			return nil, err
		}
	}
	src, err := capture.OpenFile(s.path)
	if err != nil {
		s.Close()
		return nil, err
	}
	fsrc := src.(*capture.FileSource)
	if fsrc.Info().Compression != "" {
		src.Close()
		if src, err = s.decompress(); err != nil {
			s.Close()
			return nil, err
		}
		fsrc = src.(*capture.FileSource)
	}
	if s.f, err = os.Open(s.path); err != nil {
		src.Close()
		s.Close()
		return nil, fmt.Errorf("packets: %w", err)
	}
	if fi, err := s.f.Stat(); err == nil {
		s.size = fi.Size()
	}
	s.goWork(func() { s.index(fsrc) })
	s.goWork(s.analyseFile)
	return s, nil
}

// spool saves r to a temporary file and reads that.
func (s *Store) spool(r io.Reader) error {
	tmp, err := os.CreateTemp("", "wiretap-view-*")
	if err != nil {
		return fmt.Errorf("packets: saving standard input: %w", err)
	}
	s.path, s.temp = tmp.Name(), tmp.Name()
	_, err = io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.Close()
		return fmt.Errorf("packets: saving standard input: %w", err)
	}
	return nil
}

// decompress writes the gzip-compressed s.path to a temporary file and
// opens that instead.
func (s *Store) decompress() (capture.Source, error) {
	in, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("packets: %w", err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return nil, fmt.Errorf("packets: %s: %w", s.path, err)
	}
	old := s.temp
	tmp, err := os.CreateTemp("", "wiretap-view-*.pcap")
	if err != nil {
		return nil, fmt.Errorf("packets: %w", err)
	}
	s.path, s.temp = tmp.Name(), tmp.Name()
	if old != "" {
		os.Remove(old)
	}
	// A cut-short gzip stream keeps what was decompressed: the reader then
	// reports the truncated record, as `wiretap read` does.
	_, copyErr := io.Copy(tmp, zr)
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("packets: %w", err)
	}
	src, err := capture.OpenFile(s.path)
	if err != nil {
		if copyErr != nil {
			return nil, fmt.Errorf("packets: decompressing: %w", copyErr)
		}
		return nil, err
	}
	return src, nil
}

// warmOptions are the warm rows' fast pass's: the file's, live.
func (s *Store) warmOptions() decode.Options {
	opts := s.decodeOptions()
	opts.Live = true
	return opts
}

// index reads the file once, recording where each packet is. It is the
// Index's only writer.
func (s *Store) index(src *capture.FileSource) {
	defer src.Close()
	var (
		warm   = decode.NewAnalyzer(s.warmOptions())
		filter = capture.NewLinkMatcher(s.opts.CapFilter, capture.DefaultSnapLen)
		n      int
	)
	publish := func() {
		s.mu.Lock()
		if n > 0 {
			e := s.idx.At(n - 1)
			s.scanned = e.Offset + int64(e.CapLen)
		}
		s.cond.Broadcast()
		s.mu.Unlock()
		s.notify()
	}
	secrets := 0
	for !s.stopped() {
		data, ci, err := src.ReadPacket()
		if kl := s.opts.Decode.KeyLog; kl != nil {
			// The file's own TLS secrets, before the packets after them
			// (the fast pass reads only what the index has passed).
			secrets = FeedSecrets(kl, src.Secrets(), secrets, nil)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			s.mu.Lock()
			s.readErr = err
			s.mu.Unlock()
			break
		}
		if ifs := src.Interfaces(); len(ifs) != len(s.linkTypes) {
			s.mu.Lock()
			s.linkTypes = s.linkTypes[:0]
			for _, i := range ifs {
				s.linkTypes = append(s.linkTypes, i.LinkType)
			}
			s.ifaces, s.pcapng = ifs, src.Info().Format == "pcapng"
			s.mu.Unlock()
		}
		lt := src.LinkType(ci)
		ok, err := filter.Match(lt, data, ci.Length)
		if err != nil {
			s.mu.Lock()
			s.readErr = err
			s.mu.Unlock()
			break
		}
		if !ok {
			continue
		}
		s.idx.Append(Entry{Offset: src.PacketOffset(), Time: ci.Timestamp, CapLen: len(data), OrigLen: ci.Length, Iface: ci.InterfaceIndex})
		n++
		if n <= warmRows {
			warm.Add(n, ci, lt, data)
			s.mu.Lock()
			s.warm, s.warmN = warm, n
			s.mu.Unlock()
		}
		if n%4096 == 0 || n == 64 {
			publish()
		}
	}
	publish()
	s.mu.Lock()
	s.indexed = true
	s.cond.Broadcast()
	s.mu.Unlock()
	s.notify()
	if s.opts.Trace != nil {
		s.opts.Trace("indexed", n)
	}
}

// FeedSecrets adds the TLS key log text of Decryption Secrets Blocks
// secs[from:] to kl and returns how many it has seen; bad gets each
// block's malformed lines (nil: not told).
func FeedSecrets(kl *decode.KeyLog, secs []capture.Secret, from int, bad func([]error)) int {
	for ; from < len(secs); from++ {
		if secs[from].Type != capture.SecretsTLSKeyLog {
			continue
		}
		errs, _ := kl.Read(bytes.NewReader(secs[from].Data), fmt.Sprintf("(decryption secrets block %d)", secs[from].Block))
		if bad != nil {
			bad(errs)
		}
	}
	return from
}
