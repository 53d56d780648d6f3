package capture

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
)

// RotateOptions configure a RotatingWriter, like dumpcap's ring buffer
// (tcpdump's -C, -G and -W).
type RotateOptions struct {
	// Path names the files: "dir/name.ext" gives dir/name_NNNNN_YYYYmmddHHMMSS.ext.
	Path string
	// MaxBytes starts a new file once the current one holds this much (-C).
	MaxBytes int64
	// Every starts a new file when this much time has passed since the
	// current one was opened (-G); checked as packets arrive.
	Every time.Duration
	// Files keeps only the newest Files files, deleting the oldest (-W).
	Files int
	// Create opens one file of the chosen format.
	Create func(path string) (PacketWriter, error)
	// Now is the clock (tests set it); nil means time.Now.
	Now func() time.Time
}

// RotatingWriter writes packets across a sequence of files.
type RotatingWriter struct {
	mu     sync.Mutex
	opts   RotateOptions
	cur    PacketWriter
	size   int64
	opened time.Time
	seq    int
	names  []string // files written, oldest first (only those still kept)
	stats  *Stats
	// secrets written so far, replayed at the start of every new file:
	// a file of a ring must decrypt on its own.
	secrets []secretBlock
}

type secretBlock struct {
	typ  uint32
	data []byte
}

var _ SecretsWriter = (*RotatingWriter)(nil)

// NewRotatingWriter opens the first file.
func NewRotatingWriter(opts RotateOptions) (*RotatingWriter, error) {
	if opts.Create == nil || opts.Path == "" {
		return nil, errors.New("capture: rotation needs a path and a file format")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := &RotatingWriter{opts: opts}
	if err := w.next(); err != nil {
		return nil, err
	}
	return w, nil
}

// Files lists the files written and still kept, oldest first.
func (w *RotatingWriter) Files() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.names...)
}

// name builds dumpcap's ring-buffer file name.
func (w *RotatingWriter) name(seq int, t time.Time) string {
	ext := filepath.Ext(w.opts.Path)
	prefix := strings.TrimSuffix(w.opts.Path, ext)
	return fmt.Sprintf("%s_%05d_%s%s", prefix, seq, t.Format("20060102150405"), ext)
}

func (w *RotatingWriter) next() error {
	if w.cur != nil {
		if err := w.cur.Close(); err != nil {
			return err
		}
	}
	w.seq++
	now := w.opts.Now()
	name := w.name(w.seq, now)
	cur, err := w.opts.Create(name)
	if err != nil {
		w.cur = nil
		return err
	}
	w.cur, w.size, w.opened = cur, 0, now
	w.names = append(w.names, name)
	for _, sb := range w.secrets {
		if err := w.writeSecrets(sb); err != nil {
			return err
		}
	}
	if w.opts.Files > 0 && len(w.names) > w.opts.Files {
		old := w.names[0]
		w.names = w.names[1:]
		if err := os.Remove(old); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("capture: removing the oldest ring file: %w", err)
		}
	}
	return nil
}

// WritePacket writes to the current file, first starting a new one if the
// current one is full or old enough.
func (w *RotatingWriter) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil {
		return errors.New("capture: write to a closed rotating writer")
	}
	// A packet block costs its data padded to 4 bytes plus about 32 bytes
	// of header in pcapng (16 in pcap); near enough for a size limit.
	cost := int64(len(data)+3)&^3 + 32
	full := w.opts.MaxBytes > 0 && w.size > 0 && w.size+cost > w.opts.MaxBytes
	old := w.opts.Every > 0 && w.opts.Now().Sub(w.opened) >= w.opts.Every
	if full || old {
		if err := w.next(); err != nil {
			return err
		}
	}
	w.size += cost
	return w.cur.WritePacket(ci, data)
}

// WriteSecrets writes decryption secrets to the current file, and to the
// start of every later one. It fails when the file format has no place
// for secrets (pcap).
func (w *RotatingWriter) WriteSecrets(typ uint32, data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil {
		return errors.New("capture: write to a closed rotating writer")
	}
	sb := secretBlock{typ, bytes.Clone(data)}
	if err := w.writeSecrets(sb); err != nil {
		return err
	}
	w.secrets = append(w.secrets, sb)
	return nil
}

func (w *RotatingWriter) writeSecrets(sb secretBlock) error {
	sw, ok := w.cur.(SecretsWriter)
	if !ok {
		return errors.New("capture: this file format cannot hold decryption secrets (pcapng can)")
	}
	// Secrets count towards the size limit, but never start a new file:
	// the new one would begin with them anyway.
	w.size += int64(len(sb.data)+3)&^3 + 20
	return sw.WriteSecrets(sb.typ, sb.data)
}

// SetStats passes capture counts to the current file's writer, if it keeps them.
func (w *RotatingWriter) SetStats(s Stats) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ss, ok := w.cur.(interface{ SetStats(Stats) }); ok {
		ss.SetStats(s)
	}
}

// Flush pushes the current file's buffered packets to it.
func (w *RotatingWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if fl, ok := w.cur.(interface{ Flush() error }); ok {
		return fl.Flush()
	}
	return nil
}

// Close closes the current file.
func (w *RotatingWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil {
		return nil
	}
	err := w.cur.Close()
	w.cur = nil
	return err
}
