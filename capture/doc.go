// Package capture holds wiretap's packet sources and sinks.
//
// Sources:
//   - Live: live capture on a Linux interface (default "lo") through an
//     AF_PACKET socket with a TPACKET_V3 ring and an in-kernel classic BPF
//     filter. On lo the kernel shows every packet twice (sent and received);
//     the outgoing copy is dropped in the kernel filter, as tcpdump does.
//   - OpenFile / NewReader: pcap (µs and ns, both byte orders) and pcapng
//     files, told apart by magic number.
//
// Sinks implement PacketWriter; PcapngWriter writes pcapng that Wireshark,
// tshark and capinfos read. Record copies packets from a Live to a
// PacketWriter.
//
// Filters are []bpf.Instruction (golang.org/x/net/bpf) for the link type of
// the interface; TCPPortsFilter builds the equivalent of
// tcpdump 'tcp port A or tcp port B …'.
//
// Errors are prefixed "capture: ". Errors a user can fix when opening a live
// capture are *Error values with a Hint and an ExitCode.
package capture
