//go:build !linux

package capture

import (
	"errors"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var errNotLinux = errors.New("capture: live capture is only supported on Linux")

// Live is a live capture; only Linux supports it.
type Live struct{}

// OpenLive fails: live capture needs Linux AF_PACKET sockets.
func OpenLive(opts LiveOptions) (*Live, error) { return nil, errNotLinux }

// LinkType is the link type of the packets.
func (l *Live) LinkType() layers.LinkType { return layers.LinkTypeNull }

// Interface is the name of the interface captured on.
func (l *Live) Interface() string { return "" }

// SnapLen is the most bytes kept of each packet.
func (l *Live) SnapLen() int { return 0 }

// ReadPacket returns the next packet.
func (l *Live) ReadPacket() ([]byte, gopacket.CaptureInfo, error) {
	return nil, gopacket.CaptureInfo{}, errNotLinux
}

func (l *Live) read(time.Duration) ([]byte, gopacket.CaptureInfo, error) {
	return nil, gopacket.CaptureInfo{}, errNotLinux
}

func (l *Live) pending() (int64, error) { return 0, errNotLinux }

// Stats returns the capture's counts.
func (l *Live) Stats() (Stats, error) { return Stats{}, errNotLinux }

// Close stops the capture.
func (l *Live) Close() error { return nil }

// InterfaceLinkType is not available off Linux.
func InterfaceLinkType(name string) (layers.LinkType, error) { return 0, errNotLinux }
