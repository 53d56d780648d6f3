package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
)

// KeyLogOptions configure a KeyLogWriter.
type KeyLogOptions struct {
	// Path is the NSS key log file to watch (what SSLKEYLOGFILE names).
	// It need not exist yet.
	Path string
	// Poll is how often the file is looked at; 0 means 100 ms. It is
	// also looked at right before held packets are written.
	Poll time.Duration
	// Hold is how long a packet waits before it is written, so that the
	// secrets a TLS peer logs just after the packet arrives (a client
	// logs its handshake secrets once it has read the ServerHello) are
	// written before it: Wireshark reads secrets only as it meets them,
	// and cannot decrypt a handshake whose secrets come after it.
	// 0 means 1 s.
	Hold time.Duration
	// MaxHeld bounds the bytes of packets held; beyond it the oldest are
	// written early. 0 means 64 MiB.
	MaxHeld int
}

// KeyLogWriter writes packets to a SecretsWriter (a pcapng file or ring)
// and, as the key log file grows, each new whole line of it as a
// Decryption Secrets Block (SecretsTLSKeyLog) before the packets written
// after the line was seen. It is safe for concurrent use; Close stops
// watching, writes the last lines and held packets and closes w.
type KeyLogWriter struct {
	mu    sync.Mutex
	w     PacketWriter
	sw    SecretsWriter
	opts  KeyLogOptions
	off   int64 // bytes of the file written as secrets (whole lines)
	held  []heldPacket
	bytes int // bytes of data held
	lines int // key log lines written as secrets
	err   error
	done  chan struct{}
	wg    sync.WaitGroup

	closed bool
}

type heldPacket struct {
	ci      gopacket.CaptureInfo
	data    []byte
	arrived time.Time
}

var _ SecretsWriter = (*KeyLogWriter)(nil)

// NewKeyLogWriter reads what the key log already holds (written as the
// first secrets) and starts watching it. w must be a SecretsWriter.
func NewKeyLogWriter(w PacketWriter, opts KeyLogOptions) (*KeyLogWriter, error) {
	sw, ok := w.(SecretsWriter)
	if !ok {
		return nil, errors.New("capture: the key log needs a pcapng file: pcap has no place for decryption secrets")
	}
	if opts.Path == "" {
		return nil, errors.New("capture: no key log file to watch")
	}
	if opts.Poll <= 0 {
		opts.Poll = 100 * time.Millisecond
	}
	if opts.Hold <= 0 {
		opts.Hold = time.Second
	}
	if opts.MaxHeld <= 0 {
		opts.MaxHeld = 64 << 20
	}
	k := &KeyLogWriter{w: w, sw: sw, opts: opts, done: make(chan struct{})}
	if err := k.pollLocked(); err != nil {
		return nil, err
	}
	k.wg.Add(1)
	go k.watch()
	return k, nil
}

func (k *KeyLogWriter) watch() {
	defer k.wg.Done()
	tick := time.NewTicker(k.opts.Poll)
	defer tick.Stop()
	for {
		select {
		case <-k.done:
			return
		case now := <-tick.C:
			k.mu.Lock()
			if k.err == nil {
				k.err = k.writeHeld(now, false)
			}
			k.mu.Unlock()
		}
	}
}

// Lines returns how many key log lines have been written as secrets.
func (k *KeyLogWriter) Lines() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lines
}

// pollLocked writes the whole lines added to the key log since the last
// look as one Decryption Secrets Block.
func (k *KeyLogWriter) pollLocked() error {
	f, err := os.Open(k.opts.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // not yet: TLS libraries create it at their first session
	}
	if err != nil {
		return fmt.Errorf("capture: key log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("capture: key log: %w", err)
	}
	if st.Size() < k.off {
		k.off = 0 // truncated or replaced: a new log starts
	}
	if st.Size() == k.off {
		return nil
	}
	b, err := io.ReadAll(io.NewSectionReader(f, k.off, st.Size()-k.off))
	if err != nil {
		return fmt.Errorf("capture: key log: %w", err)
	}
	// Only whole lines: a writer may be in the middle of one.
	end := bytes.LastIndexByte(b, '\n')
	if end < 0 {
		return nil
	}
	b = b[:end+1]
	if err := k.sw.WriteSecrets(SecretsTLSKeyLog, b); err != nil {
		return err
	}
	k.off += int64(len(b))
	k.lines += bytes.Count(b, []byte{'\n'})
	return nil
}

// writeHeld looks at the key log, then writes the packets held at least
// Hold (all of them with all set).
func (k *KeyLogWriter) writeHeld(now time.Time, all bool) error {
	if err := k.pollLocked(); err != nil {
		return err
	}
	i := 0
	for ; i < len(k.held); i++ {
		p := &k.held[i]
		if !all && now.Sub(p.arrived) < k.opts.Hold && k.bytes <= k.opts.MaxHeld {
			break
		}
		if err := k.w.WritePacket(p.ci, p.data); err != nil {
			return err
		}
		k.bytes -= len(p.data)
		p.data = nil
	}
	k.held = append(k.held[:0], k.held[i:]...)
	return nil
}

// WritePacket holds a copy of the packet; it is written once it has waited
// Hold, after the secrets seen by then.
func (k *KeyLogWriter) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return errors.New("capture: write to a closed key log writer")
	}
	if k.err != nil {
		return k.err
	}
	ci.AncillaryData = nil // may point into a reader's buffers
	k.held = append(k.held, heldPacket{ci, bytes.Clone(data), time.Now()})
	k.bytes += len(data)
	if k.bytes > k.opts.MaxHeld {
		k.err = k.writeHeld(time.Now(), false)
	}
	return k.err
}

// WriteSecrets writes secrets of another source right away, before the
// packets held.
func (k *KeyLogWriter) WriteSecrets(typ uint32, data []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return k.err
	}
	return k.sw.WriteSecrets(typ, data)
}

// Flush writes the packets that have waited long enough and flushes w.
func (k *KeyLogWriter) Flush() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	if k.err == nil {
		k.err = k.writeHeld(time.Now(), false)
	}
	if k.err != nil {
		return k.err
	}
	if fl, ok := k.w.(interface{ Flush() error }); ok {
		return fl.Flush()
	}
	return nil
}

// SetStats passes capture counts to w, if it keeps them.
func (k *KeyLogWriter) SetStats(s Stats) {
	if ss, ok := k.w.(interface{ SetStats(Stats) }); ok {
		ss.SetStats(s)
	}
}

// Close looks at the key log a last time, writes every held packet and
// closes w.
func (k *KeyLogWriter) Close() error {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil
	}
	k.closed = true
	k.mu.Unlock()
	close(k.done)
	k.wg.Wait()

	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err == nil {
		k.err = k.writeHeld(time.Now(), true)
	}
	return errors.Join(k.err, k.w.Close())
}
