package packets

import (
	"fmt"
	"net/netip"
	"os"

	"wiretap/decode"
)

// Conversation is a followed TCP stream: its payload chunk by chunk, in the
// order `-z follow,tcp` shows it, with the frame that carried each chunk.
type Conversation struct {
	Info   *decode.Stream
	Chunks []decode.FollowChunk // Frame numbers are the capture's
	// TLS: the chunks are the stream's decrypted application data (Follow
	// TLS Stream), with the keys the Store was given.
	TLS bool
}

// TCPStream returns the fast pass's record of TCP stream index.
func (s *Store) TCPStream(index int) (*decode.Stream, error) {
	an, _ := s.Analyzer()
	if an == nil {
		return nil, fmt.Errorf("packets: the fast pass has not run yet")
	}
	for _, st := range an.TCPStreams() {
		if st.Index == index {
			return st, nil
		}
	}
	return nil, fmt.Errorf("packets: no TCP stream %d", index)
}

// Follow reassembles TCP stream index. The fast pass keeps no stream's
// bytes (it would need all of them), so this reads the frames from the
// stream's first to its last, keeps those of its two endpoints and runs a
// fast pass of their own over them that follows the stream.
func (s *Store) Follow(stop <-chan struct{}, index int) (*Conversation, error) {
	info, err := s.TCPStream(index)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("packets: %w", err)
	}
	defer f.Close()
	sr := newSeqReader(f)
	opts := s.opts.Decode
	opts.Follow, opts.Following = 0, true
	an := decode.NewAnalyzer(opts)
	dec := decode.NewDecoder()
	var frames []int // the capture's frame number of each packet given to an
	for n := info.FirstFrame; n <= info.LastFrame && n <= s.Len(); n++ {
		if n%1024 == 0 && (isClosed(stop) || s.stopped()) {
			return nil, errStopped
		}
		e := s.Entry(n)
		data, err := sr.read(e.Offset, e.CapLen)
		if err != nil {
			return nil, err
		}
		lt := s.linkType(e.Iface)
		seg, ok := dec.TCP(lt, data)
		if !ok || !sameConversation(info, seg) {
			continue
		}
		frames = append(frames, n)
		an.Add(len(frames), e.captureInfo(), lt, data)
	}
	an.Finish()
	if err := an.Err(); err != nil {
		panic(err) // a bug in the fast pass: the viewer reports it (goSafe, RunOn)
	}
	chunks, err := an.FollowTCP(0)
	if err != nil {
		return nil, err
	}
	tls := false
	if opts.KeyLog != nil {
		// A TLS stream with keys: its decrypted data, as Wireshark's
		// Follow TLS Stream shows it.
		if dec, _, err := an.FollowTLS(0); err == nil && len(dec) > 0 {
			chunks, tls = dec, true
		}
	}
	for i := range chunks {
		if f := chunks[i].Frame; f >= 1 && f <= len(frames) {
			chunks[i].Frame = frames[f-1]
		}
	}
	return &Conversation{Info: info, Chunks: chunks, TLS: tls}, nil
}

func sameConversation(info *decode.Stream, seg decode.Segment) bool {
	same := func(e decode.Endpoint, addr netip.Addr, port uint16) bool {
		return e.Port == port && e.Addr.Unmap() == addr.Unmap()
	}
	a, b := info.Client, info.Server
	return same(a, seg.Src, seg.SrcPort) && same(b, seg.Dst, seg.DstPort) ||
		same(b, seg.Src, seg.SrcPort) && same(a, seg.Dst, seg.DstPort)
}
