package capture

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/gopacket/gopacket"
	"golang.org/x/net/bpf"
)

// DefaultInterface is the interface OpenLive captures on when none is named.
const DefaultInterface = "lo"

// DefaultSnapLen is the snap length OpenLive uses when none is given. lo has
// an MTU of 65536 and with segmentation offload carries segments of about
// 64 KiB, so anything smaller would cut packets.
const DefaultSnapLen = MaxSnapLen

// maxLiveSnapLen bounds LiveOptions.SnapLen (the ring's block size grows
// with it).
const maxLiveSnapLen = 8 << 20

// pollTimeout is how long Live.ReadPacket waits before returning ErrTimeout.
const pollTimeout = 100 * time.Millisecond

// maxDrain bounds how long Record keeps reading after its context is done.
const maxDrain = 500 * time.Millisecond

// goneOrDown tells an interface that went away from one that went down.
// Deleting an interface takes it down first (which is what the capture
// sees) and unlists it a moment later, so a missing interface is looked for
// a few times.
func goneOrDown(iface string, err error) error {
	var ie *InterfaceError
	if !errors.As(err, &ie) {
		return err
	}
	for i := 0; ; i++ {
		if _, lerr := net.InterfaceByName(iface); lerr != nil {
			return &InterfaceError{Interface: iface, Err: ErrInterfaceGone, Cause: ie.Cause}
		}
		if i == 10 {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// LiveOptions configures a live capture.
type LiveOptions struct {
	// Interface to capture on; default "lo".
	Interface string
	// SnapLen is the most bytes kept of each packet; default 262144.
	SnapLen int
	// Filter is a classic BPF program; nil accepts all packets. It must be
	// written for the interface's link type (Ethernet on lo). OpenLive adds
	// the check that drops outgoing copies itself, so callers pass only their
	// own filter.
	Filter []bpf.Instruction
}

func (o LiveOptions) withDefaults() LiveOptions {
	if o.Interface == "" {
		o.Interface = DefaultInterface
	}
	if o.SnapLen <= 0 {
		o.SnapLen = DefaultSnapLen
	}
	return o
}

// Stats are the counts of a capture.
type Stats struct {
	// Received is the number of packets that passed the filter, counted by
	// the kernel (including the dropped ones).
	Received uint64
	// Dropped is the number of packets that passed the filter but were
	// dropped by the kernel because the ring was full.
	Dropped uint64
	// Captured is the number of packets written; filled in by Record.
	Captured uint64
}

// PacketWriter is a sink for packets.
type PacketWriter interface {
	WritePacket(ci gopacket.CaptureInfo, data []byte) error
	Close() error
}

// Record copies packets from l to w until ctx is done, count packets were
// written (count <= 0: no limit), l is closed, or an error occurs. It returns
// the final Stats: Captured is the number of packets written, Received and
// Dropped come from the kernel. onPacket, if not nil, is called after each
// write with the packet number (1-based), ci and data.
//
// When ctx is done Record first drains what the kernel has already captured,
// so packets sent just before the cancellation are kept. It does not close l
// or w. A cancelled context is not an error: Record then returns nil.
func Record(ctx context.Context, l *Live, w PacketWriter, count int, onPacket func(n int, ci gopacket.CaptureInfo, data []byte)) (Stats, error) {
	var n int
	write := func(data []byte, ci gopacket.CaptureInfo) error {
		if err := w.WritePacket(ci, data); err != nil {
			return err
		}
		n++
		if onPacket != nil {
			onPacket(n, ci, data)
		}
		return nil
	}
	full := func() bool { return count > 0 && n >= count }
	finish := func(err error) (Stats, error) {
		st, serr := l.Stats()
		st.Captured = uint64(n)
		if err == nil {
			err = serr
		}
		return st, err
	}

	// drain reads what the kernel has already captured: a packet may still
	// sit in a ring block the kernel has not handed over yet (it does after
	// the block timeout). It reads until everything the kernel counted has
	// been read, or until maxDrain has passed, so a flood cannot keep us
	// here.
	drain := func() error {
		deadline := time.Now().Add(maxDrain)
		for !full() {
			pending, err := l.pending()
			if err != nil || pending <= 0 {
				return nil
			}
			wait := time.Until(deadline)
			if wait <= 0 {
				return nil
			}
			data, ci, err := l.read(wait)
			if err != nil {
				if errors.Is(err, ErrTimeout) || errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			if err := write(data, ci); err != nil {
				return err
			}
		}
		return nil
	}

	for !full() {
		if ctx.Err() != nil {
			return finish(drain())
		}
		data, ci, err := l.ReadPacket()
		switch {
		case errors.Is(err, ErrTimeout):
			continue
		case errors.Is(err, io.EOF):
			return finish(nil)
		case errors.Is(err, ErrInterfaceWentDown):
			// The ring still holds what came in before: keep it.
			if derr := drain(); derr != nil && !errors.Is(derr, ErrInterfaceWentDown) {
				return finish(derr)
			}
			return finish(goneOrDown(l.Interface(), err))
		case err != nil:
			return finish(err)
		}
		if err := write(data, ci); err != nil {
			return finish(err)
		}
	}
	return finish(nil)
}
