// Package capture holds wiretap's packet sources and sinks.
//
// Sources:
//   - Live: live capture on a Linux interface (default "lo") through an
//     AF_PACKET socket with a TPACKET_V3 ring and an in-kernel classic BPF
//     filter. On lo the kernel shows every packet twice (sent and received);
//     the outgoing copy is dropped in the kernel filter, as tcpdump does.
//   - OpenFile / NewReader: pcap (µs and ns, both byte orders), pcapng (any
//     sections, interfaces and timestamp resolutions) and gzip-compressed
//     files of either, told apart by magic number. A pcapng file's
//     Decryption Secrets Blocks are kept in file order (SecretsReader).
//
// Sinks implement PacketWriter: PcapngWriter and PcapWriter (nanosecond
// pcap), RotatingWriter for ring buffers. PcapngWriter and RotatingWriter
// are SecretsWriters too: WriteSecrets puts a Decryption Secrets Block
// before the packets written after it, and a ring starts every file with
// the secrets written so far. KeyLogWriter watches an NSS key log while
// capturing and writes its new lines as secrets before the packets that
// need them (it holds packets briefly for that). File sinks cut a file back to its
// last whole packet when a write fails, so a full disk leaves a valid file.
// Record copies packets from a Live to a PacketWriter.
//
// Filters: CompileFilter compiles tcpdump's filter language to classic BPF
// for a link type (checked against tcpdump -d); the kernel runs it on live
// captures, Matcher runs it on packets read from files. LinkMatcher and
// FilteredSource compile a filter for each link type a file's packets have
// (a pcapng file may mix them), as the packets come.
//
// Errors are prefixed "capture: ". Errors a user can fix are *InterfaceError
// values wrapping ErrPermission, ErrNoSuchInterface or ErrInterfaceDown
// (before the capture), ErrInterfaceWentDown or ErrInterfaceGone (during
// it: what the ring held is delivered first); what to tell the user about
// them is the command's business.
package capture
