//go:build linux

package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"
)

// Live capture through an AF_PACKET socket with a TPACKET_V3 ring.
//
// The socket is set up by hand with golang.org/x/sys/unix rather than with
// gopacket's afpacket package because the order of the setup steps matters:
// afpacket binds the socket to the interface (and so starts receiving every
// packet) before a filter can be attached, and hides the packet type the
// kernel records for each packet.
//
// Packets that arrive before the filter: neither drained nor re-checked —
// they cannot arrive. The socket is created with protocol 0, which the kernel
// hooks into no receive path, so it sees no packet at all. The BPF filter
// (with the drop-outgoing prologue) is attached, the ring is set up, and only
// then bind() with ETH_P_ALL and the interface index starts delivery; every
// packet the socket ever sees has gone through the filter. (A user-space
// re-check with the x/net/bpf VM could not cover the outgoing check anyway:
// the VM does not implement the packet-type extension.) As a second line,
// the reader also skips any packet whose recorded packet type is
// PACKET_OUTGOING, so lo never shows a packet twice.

// Ring geometry.
const (
	ringBytes       = 32 << 20 // aim for a ring of about this size
	minBlockSize    = 256 << 10
	minBlocks       = 8
	blockOverhead   = 4096 // block descriptor + tpacket3_hdr + sockaddr_ll + padding, rounded up
	blockTimeout    = 20 * time.Millisecond
	blockStatusOff  = 8  // tpacket_block_desc.hdr.bh1.block_status
	blockNumPktsOff = 12 // .num_pkts
	blockFirstOff   = 16 // .offset_to_first_pkt
	tp3HdrLen       = 48 // sizeof(struct tpacket3_hdr)
	sllLen          = 20 // sizeof(struct sockaddr_ll)
	sllPktTypeOff   = tp3HdrLen + 10
)

// Live is a live capture on one interface. ReadPacket and Stats may be called
// from one goroutine while Close is called from another.
type Live struct {
	iface    string
	snapLen  int
	linkType layers.LinkType

	fd  int // AF_PACKET socket
	efd int // eventfd written by Close to wake a ReadPacket blocked in poll

	ring      []byte
	blockSize int
	numBlocks int

	closed atomic.Bool

	mu    sync.Mutex // held while reading the ring; Close takes it before unmapping
	block int        // index of the block being read or waited for
	held  bool       // the block belongs to user space (TP_STATUS_USER)
	left  int        // packets not yet read in the held block
	next  int        // offset in ring of the next packet header in the held block

	consumed atomic.Uint64 // packets taken from the ring, skipped ones included

	statsMu  sync.Mutex
	stats    Stats // accumulated: PACKET_STATISTICS resets on every read
	fdClosed bool
}

// OpenLive opens a live capture. See LiveOptions for the defaults.
//
// Errors the user can fix are *InterfaceError values wrapping ErrPermission (no root
// or CAP_NET_RAW), ErrNoSuchInterface or ErrInterfaceDown.
func OpenLive(opts LiveOptions) (*Live, error) {
	opts = opts.withDefaults()
	if opts.SnapLen > maxLiveSnapLen {
		return nil, fmt.Errorf("capture: snap length %d is too large (at most %d)", opts.SnapLen, maxLiveSnapLen)
	}
	ifc, err := net.InterfaceByName(opts.Interface)
	if err != nil {
		return nil, noInterfaceError(opts.Interface, err)
	}
	if ifc.Flags&net.FlagUp == 0 {
		return nil, interfaceDownError(opts.Interface)
	}
	prog, err := kernelProgram(opts.Filter, opts.SnapLen)
	if err != nil {
		return nil, err
	}

	l := &Live{iface: opts.Interface, snapLen: opts.SnapLen, fd: -1, efd: -1}
	fail := func(what string, err error) (*Live, error) {
		l.release()
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, permissionError(opts.Interface, err)
		}
		if errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO) {
			return nil, noInterfaceError(opts.Interface, err)
		}
		if errors.Is(err, unix.ENETDOWN) {
			return nil, interfaceDownError(opts.Interface)
		}
		return nil, fmt.Errorf("capture: %s on %s: %w", what, opts.Interface, err)
	}

	// Protocol 0: no packets until bind (see the comment at the top).
	l.fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fail("opening packet socket", err)
	}
	filter := make([]unix.SockFilter, len(prog))
	for i, ins := range prog {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.SetsockoptSockFprog(l.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
		if errors.Is(err, unix.EINVAL) {
			return fail("attaching filter (the kernel rejected the program)", err)
		}
		return fail("attaching filter", err)
	}
	if err := unix.SetsockoptInt(l.fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fail("selecting TPACKET_V3", err)
	}
	if err := l.setUpRing(opts.SnapLen); err != nil {
		return fail("setting up the capture ring", err)
	}
	l.efd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return fail("creating eventfd", err)
	}
	// Start receiving.
	if err := unix.Bind(l.fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifc.Index}); err != nil {
		return fail("binding", err)
	}
	sa, err := unix.Getsockname(l.fd)
	if err != nil {
		return fail("reading socket address", err)
	}
	ll, ok := sa.(*unix.SockaddrLinklayer)
	if !ok {
		return fail("reading socket address", fmt.Errorf("unexpected address %T", sa))
	}
	lt, ok := linkTypeForHatype(ll.Hatype)
	if !ok {
		l.release()
		return nil, fmt.Errorf("capture: interface %s has a link type wiretap does not support yet (ARPHRD %d)", opts.Interface, ll.Hatype)
	}
	l.linkType = lt
	return l, nil
}

// setUpRing asks for the TPACKET_V3 ring and maps it. A block must hold a
// whole snap length of packet plus headers; if the kernel has not got the
// memory the ring is made smaller.
func (l *Live) setUpRing(snapLen int) error {
	bs := minBlockSize
	for bs < snapLen+blockOverhead {
		bs <<= 1
	}
	nb := max(ringBytes/bs, minBlocks)
	for {
		req := unix.TpacketReq3{
			Block_size:     uint32(bs),
			Block_nr:       uint32(nb),
			Frame_size:     uint32(bs), // frames mean nothing to V3; one per block
			Frame_nr:       uint32(nb),
			Retire_blk_tov: uint32(blockTimeout / time.Millisecond),
		}
		err := unix.SetsockoptTpacketReq3(l.fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req)
		if err == nil {
			break
		}
		if errors.Is(err, unix.ENOMEM) && nb > 2 {
			nb /= 2
			continue
		}
		return err
	}
	ring, err := unix.Mmap(l.fd, 0, bs*nb, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return err
	}
	l.ring, l.blockSize, l.numBlocks = ring, bs, nb
	return nil
}

// linkTypeForHatype maps an interface's ARPHRD type to the link type of the
// frames a SOCK_RAW packet socket reads from it.
func linkTypeForHatype(h uint16) (layers.LinkType, bool) {
	switch h {
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK:
		// lo frames carry an Ethernet header with zero MAC addresses.
		return layers.LinkTypeEthernet, true
	case unix.ARPHRD_NONE, unix.ARPHRD_RAWIP:
		// tun devices and the like: the frame is the IP packet.
		return layers.LinkTypeRaw, true
	case unix.ARPHRD_IEEE80211_RADIOTAP:
		return layers.LinkTypeIEEE80211Radio, true
	}
	return 0, false
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// LinkType is the link type of the packets, from the interface's hardware
// type (lo, ARPHRD_LOOPBACK, gives Ethernet framing).
func (l *Live) LinkType() layers.LinkType { return l.linkType }

// Interface is the name of the interface captured on.
func (l *Live) Interface() string { return l.iface }

// SnapLen is the most bytes kept of each packet.
func (l *Live) SnapLen() int { return l.snapLen }

// ReadPacket returns the next packet. data is a copy the caller owns;
// ci.InterfaceIndex is 0 (the interface's index in a capture file). It waits
// up to about 100 ms and then returns ErrTimeout, so callers can check a
// context and call again. After Close it returns io.EOF.
func (l *Live) ReadPacket() (data []byte, ci gopacket.CaptureInfo, err error) {
	return l.read(pollTimeout)
}

// pending is the number of packets the kernel has put in the ring that have
// not been read yet. The kernel's packet count includes the dropped packets,
// which never reach the ring.
func (l *Live) pending() (int64, error) {
	st, err := l.Stats()
	if err != nil {
		return 0, err
	}
	return int64(st.Received) - int64(st.Dropped) - int64(l.consumed.Load()), nil
}

// read is ReadPacket with a chosen wait; 0 does not block.
func (l *Live) read(wait time.Duration) (data []byte, ci gopacket.CaptureInfo, err error) {
	if l.closed.Load() {
		return nil, ci, io.EOF
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return nil, ci, io.EOF
	}
	deadline := time.Now().Add(wait)
	for {
		if l.held {
			if l.left > 0 {
				data, ci, ok, err := l.nextPacket()
				if err != nil || ok {
					return data, ci, err
				}
				continue
			}
			l.releaseBlock()
		}
		if atomic.LoadUint32(l.blockStatus())&unix.TP_STATUS_USER != 0 {
			base := l.block * l.blockSize
			l.held = true
			l.left = int(binary.NativeEndian.Uint32(l.ring[base+blockNumPktsOff:]))
			l.next = base + int(binary.NativeEndian.Uint32(l.ring[base+blockFirstOff:]))
			continue
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return nil, ci, ErrTimeout
		}
		if err := l.poll(remaining); err != nil {
			return nil, ci, err
		}
	}
}

// blockStatus points at the status word of the current block, which the
// kernel and we hand back and forth.
func (l *Live) blockStatus() *uint32 {
	return (*uint32)(unsafe.Pointer(&l.ring[l.block*l.blockSize+blockStatusOff]))
}

func (l *Live) releaseBlock() {
	atomic.StoreUint32(l.blockStatus(), unix.TP_STATUS_KERNEL)
	l.block = (l.block + 1) % l.numBlocks
	l.held = false
	l.left = 0
}

// poll waits for the kernel to retire a block, for Close, or for wait.
func (l *Live) poll(wait time.Duration) error {
	ms := int((wait + time.Millisecond - 1) / time.Millisecond)
	fds := []unix.PollFd{
		{Fd: int32(l.fd), Events: unix.POLLIN},
		{Fd: int32(l.efd), Events: unix.POLLIN},
	}
	_, err := unix.Poll(fds, ms)
	if err != nil {
		if errors.Is(err, unix.EINTR) {
			return nil
		}
		return fmt.Errorf("capture: waiting for packets on %s: %w", l.iface, err)
	}
	if fds[1].Revents != 0 || l.closed.Load() {
		return io.EOF
	}
	if fds[0].Revents&unix.POLLERR != 0 {
		// E.g. ENETDOWN when the interface goes down. Reading SO_ERROR
		// clears it.
		errno, err := unix.GetsockoptInt(l.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return fmt.Errorf("capture: %s: reading socket error: %w", l.iface, err)
		}
		if errno != 0 {
			if unix.Errno(errno) == unix.ENETDOWN {
				return &InterfaceError{Interface: l.iface, Err: ErrInterfaceWentDown, Cause: unix.Errno(errno)}
			}
			return fmt.Errorf("capture: %s: %w", l.iface, unix.Errno(errno))
		}
	}
	return nil
}

// nextPacket copies out the next packet of the held block. ok is false for
// a packet that is skipped (an outgoing copy).
func (l *Live) nextPacket() (data []byte, ci gopacket.CaptureInfo, ok bool, err error) {
	blockEnd := (l.block + 1) * l.blockSize
	h := l.next
	if h < l.block*l.blockSize || h+tp3HdrLen+sllLen > blockEnd {
		l.left = 0
		return nil, ci, false, fmt.Errorf("capture: corrupt capture ring (packet header at %d outside block %d)", h, l.block)
	}
	r := l.ring[h:blockEnd]
	ne := binary.NativeEndian
	nextOff := int(ne.Uint32(r[0:]))
	sec := ne.Uint32(r[4:])
	nsec := ne.Uint32(r[8:])
	snap := int(ne.Uint32(r[12:]))
	length := int(ne.Uint32(r[16:]))
	status := ne.Uint32(r[20:])
	mac := int(ne.Uint16(r[24:]))
	vlanTCI := ne.Uint32(r[32:])
	vlanTPID := ne.Uint16(r[36:])
	pktType := r[sllPktTypeOff]

	l.left--
	l.consumed.Add(1)
	if l.left > 0 {
		if nextOff <= 0 {
			l.left = 0
			return nil, ci, false, fmt.Errorf("capture: corrupt capture ring (no next packet in block %d)", l.block)
		}
		l.next = h + nextOff
	}
	if mac+snap > len(r) {
		return nil, ci, false, fmt.Errorf("capture: corrupt capture ring (packet of %d bytes at %d overruns block %d)", snap, h, l.block)
	}
	if pktType == pktTypeOutgoing {
		return nil, ci, false, nil
	}
	pkt := r[mac : mac+snap]

	// The kernel strips 802.1Q tags into the header; put them back where
	// they were on the wire, as libpcap does.
	insertVLAN := status&unix.TP_STATUS_VLAN_VALID != 0 && l.linkType == layers.LinkTypeEthernet && len(pkt) >= 12
	if insertVLAN {
		if status&unix.TP_STATUS_VLAN_TPID_VALID == 0 || vlanTPID == 0 {
			vlanTPID = unix.ETH_P_8021Q
		}
		data = make([]byte, len(pkt)+4)
		copy(data, pkt[:12])
		binary.BigEndian.PutUint16(data[12:], vlanTPID)
		binary.BigEndian.PutUint16(data[14:], uint16(vlanTCI))
		copy(data[16:], pkt[12:])
		length += 4
	} else {
		data = make([]byte, len(pkt))
		copy(data, pkt)
	}
	if len(data) > l.snapLen {
		data = data[:l.snapLen:l.snapLen]
	}
	if length < len(data) {
		length = len(data)
	}
	ci = gopacket.CaptureInfo{
		Timestamp:      time.Unix(int64(sec), int64(nsec)),
		CaptureLength:  len(data),
		Length:         length,
		InterfaceIndex: 0,
	}
	return data, ci, true, nil
}

// Stats returns the kernel's counts so far: Received is the number of
// packets that passed the filter, Dropped those of them lost because the ring
// was full. After Close it returns the final counts.
func (l *Live) Stats() (Stats, error) {
	l.statsMu.Lock()
	defer l.statsMu.Unlock()
	if l.fdClosed {
		return l.stats, nil
	}
	err := l.fetchStatsLocked()
	return l.stats, err
}

// fetchStatsLocked adds the kernel's counters to l.stats. The kernel resets
// them on every read and counts dropped packets in tp_packets too.
func (l *Live) fetchStatsLocked() error {
	st, err := unix.GetsockoptTpacketStatsV3(l.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return fmt.Errorf("capture: reading statistics on %s: %w", l.iface, err)
	}
	l.stats.Received += uint64(st.Packets)
	l.stats.Dropped += uint64(st.Drops)
	return nil
}

// Close stops the capture. It is safe to call while another goroutine is
// blocked in ReadPacket (which then returns io.EOF), and more than once.
func (l *Live) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _ = unix.Write(l.efd, one[:]) // wake a blocked poll
	l.mu.Lock()
	defer l.mu.Unlock()
	l.statsMu.Lock()
	defer l.statsMu.Unlock()
	_ = l.fetchStatsLocked() // keep the final counts for Stats after Close
	l.fdClosed = true
	return l.release()
}

// release unmaps the ring and closes the descriptors.
func (l *Live) release() error {
	var errs []error
	if l.ring != nil {
		errs = append(errs, unix.Munmap(l.ring))
		l.ring = nil
	}
	if l.fd >= 0 {
		errs = append(errs, unix.Close(l.fd))
		l.fd = -1
	}
	if l.efd >= 0 {
		errs = append(errs, unix.Close(l.efd))
		l.efd = -1
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("capture: closing %s: %w", l.iface, err)
	}
	return nil
}

// InterfaceLinkType is the link type a live capture on the named interface
// will have, known before opening it (from /sys/class/net/NAME/type, the
// ARPHRD type), so a filter can be compiled for it first.
func InterfaceLinkType(name string) (layers.LinkType, error) {
	if _, err := net.InterfaceByName(name); err != nil {
		return 0, noInterfaceError(name, err)
	}
	b, err := os.ReadFile("/sys/class/net/" + name + "/type")
	if err != nil {
		return 0, fmt.Errorf("capture: reading the link type of %s: %w", name, err)
	}
	h, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("capture: reading the link type of %s: %w", name, err)
	}
	lt, ok := linkTypeForHatype(uint16(h))
	if !ok {
		return 0, fmt.Errorf("capture: interface %s has a link type wiretap does not support yet (ARPHRD %d)", name, h)
	}
	return lt, nil
}
