package capture

// Differential tests against tcpdump: the same expression is compiled by
// wiretap and by libpcap (tcpdump -ddd), both programs run in x/net/bpf's VM
// over a packet corpus, and every accept/reject decision must agree.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"

	"wiretap/capture/oracletest"
)

// fcOracleExprs are compared with tcpdump on every link type of fcOracleLinkTypes.
var fcOracleExprs = []string{
	// protocols
	"ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "sctp", "igmp",
	// hosts
	"host 10.0.0.1", "src host 10.0.0.1", "dst host 10.0.0.2", "src or dst host 192.168.1.10",
	"src and dst host 127.0.0.1", "host 127.0.0.1", "host localhost", "ip host 1.2.3.4",
	"arp host 10.0.0.1", "rarp src host 1.2.3.4", "host 10", "host ::1", "ip6 host 2001:db8::1",
	"src host 2001:db8::1", "dst host ff02::1", "ip6 src and dst host ::1",
	// nets
	"net 10", "net 10.0", "net 192.168.1", "net 10.0.0.0/8", "net 192.168.0.0 mask 255.255.0.0",
	"src net 10.0.0.0/24", "dst net 192.168.1.0/24", "net 2001:db8::/32", "ip6 net fe80::/10",
	"net 0.0.0.0/0", "ip net 224.0.0.0/4", "net ::/0",
	// ports
	"port 80", "port 53", "tcp port 80", "udp port 53", "udp dst port 53", "tcp src port 80",
	"port http", "port domain", "port https", "tcp port ssh", "sctp port 9999",
	"src or dst port 443", "src and dst port 12345", "dst port 0x50", "port 010",
	"portrange 1-1023", "tcp portrange 8000-9000", "src portrange 50000-65535",
	"udp dst portrange 50-60", "portrange 80", "portrange http-https", "portrange 90-80",
	// proto
	"ip proto 6", "ip proto \\udp", "ip6 proto 58", "ip6 proto 6", "proto 17", "proto \\icmp",
	"ip proto 300", "ether proto 0x800", "ether proto \\arp", "ether proto \\ip6",
	"ether proto \\rarp", "ether proto 100", "ether proto 0x88cc", "ether proto 6", "ether proto 0xe0",
	"ether proto 0x809b", "ether proto 0x80f3", "ether proto 0xf0", "ip6 proto \\ipv6-icmp", "proto \\ip",
	// link layer
	"ether host 00:11:22:33:44:55", "ether src 00:11:22:33:44:55", "ether dst ff:ff:ff:ff:ff:ff",
	"ether src or dst 66:77:88:99:aa:bb", "ether broadcast", "ether multicast", "broadcast",
	"multicast", "ip multicast", "ip6 multicast",
	// vlan
	"vlan", "vlan 10", "vlan 100", "vlan and host 10.0.0.1", "vlan 10 and tcp port 80",
	"vlan and vlan", "vlan and vlan 10 and tcp", "host 10.0.0.1 or vlan and port 80",
	"ip or vlan and ip6", "vlan and ether proto \\ip6",
	// lengths
	"greater 100", "less 64", "len > 100", "len <= 64", "len >= 60 and len < 1000", "length = 54",
	// byte tests and arithmetic
	"tcp[13] & 2 != 0", "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn", "tcp[tcpflags] & tcp-rst != 0",
	"tcp[tcpflags] & (tcp-fin|tcp-push|tcp-urg|tcp-ece|tcp-cwr) != 0", "tcp[13] = 0x12",
	"ip[0] & 0xf > 5", "ip[2:2] > 100", "ip[6:2] & 0x1fff != 0", "udp[0:2] = 53 or udp[2:2] = 53",
	"icmp[icmptype] = icmp-echo", "icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply",
	"icmp[icmpcode] = 3", "icmp[0] = icmp-unreach", "icmp6[icmp6type] = icmp6-echo", "icmp6[0] = 129",
	"icmp6[icmp6code] = 0", "ip6[6] = 17", "ip6[40] = 6", "ether[0] & 1 = 1", "ether[12:2] = 0x806",
	"arp[7] = 1", "arp[6:2] = 2", "rarp[7] = 3", "sctp[0:2] = 9999", "igmp[0] = 0x22",
	"tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420", "ip[0] + tcp[0] = 69", "tcp[0] + ip[0] = 69",
	"ip[0] * 2 - 1 > 100", "ip[9] % 5 = 1", "ip[1] / 4 = 0", "ip[0] ^ 0x45 = 0", "ip[0] << 2 >> 4 = 1",
	"len - 14 = ip[2:2]", "ip[tcp[0]] = 0", "-ip[0] + 100 > 10", "tcp[0:2] | tcp[2:2] = 0xffff",
	"udp[4:2] - 8 > 0", "tcp[2:2] >= 1024 and tcp[2:2] <= 65535", "2 + 1 ^ ip[0] = 70",
	"ip[0] ^ 1 + 2 = 70", "ip[1] % ip[1:2] = 0", "ip[0] & 0xf0 = 0x40 and ip6[0] & 0xf0 = 0x60",
	"tcp[0xfffffff0] = 0", "ether[0xffffffff] = 0", "1 = 1", "len = len",
	// abbreviations and boolean structure
	"host 10.0.0.1 or 10.0.0.2", "host 10.0.0.1 and not 10.0.0.2", "port 80 or 443",
	"tcp port 80 or 443 or 8080", "tcp and (port 80 or port 443)", "host 10.0.0.1 and (10.0.0.2 or 1.2.3.4)",
	"port 80 or (443 or 22)", "host (1.2.3.4 or 5.6.7.8) and port 22", "dst port 80 or 53",
	"udp port domain and not 5353", "not tcp", "not (tcp or udp)", "! arp and ! ip6",
	"tcp && port 80 || udp && port 53", "ip or arp and tcp", "not port 80 and not port 22",
	"(tcp[13] & 2 != 0) and not src net 10", "ip and (tcp[13] & 0x12 = 0x12 or icmp)",
	"ip6 and not icmp6", "tcp and not host localhost", "src host 10.0.0.1 and dst port 80",
	"host 10.0.0.1 and (tcp) or 10.0.0.53", "not not ip", "((((tcp))))", "(ip[0] & 0xf0) = 0x40",
	"arp or rarp or ip6", "tcp[13] & 2 != 0 or arp[7] = 1",
	// where libpcap's optimiser decides which loads happen (short packets)
	"port 53 or 80", "tcp port 12345 or ip", "port 12345 or not arp", "not port 9999 or not port 22",
	"tcp[4:2] < -6 or ether[0:4] != 40", "udp or ip[0] & 0 = 0", "tcp or 0 < --1", "net 0.0.0.0/0 or ip6",
	"ip6 and tcp[13] & 2 != 0", "(tcp or udp) and (port 53 or port 5353) and not host 10.0.0.53",
}

var fcOracleLinkTypes = []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw, layers.LinkTypeLinuxSLL, layers.LinkTypeNull}

// fcOracleFileExprs are also compared as packet counts of tcpdump -r on the captures.
var fcOracleFileExprs = []string{
	"tcp", "udp", "ip6", "port 80", "port 8080", "udp port 53", "tcp[13] & 2 != 0",
	"tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", "greater 200", "len < 100", "host 10.1.1.1",
	"net 141.142.0.0/16", "host ::1 and tcp dst port 8080", "src net 95.211.92.0/24 or dst host 54.243.118.187",
	"tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420", "not tcp port 80", "ip6 and tcp[13] & 0x18 = 0x18",
}

type fcCorpusPacket struct {
	name string
	data []byte
}

// fcCaptureFiles are the captures the filters run on, by name: one in
// testdata/filter, the others shared test captures (see
// testdata/filter/SOURCES).
var fcCaptureFiles = []struct{ name, path string }{
	{"gopacket-test_dns.pcap", oracletest.Shared("formats/gopacket/test_dns.pcap")},
	{"gopacket-test_ethernet.pcap", oracletest.Shared("formats/gopacket/test_ethernet.pcap")},
	{"gopacket-test_loopback.pcap", oracletest.Shared("formats/gopacket/test_loopback.pcap")},
	{"zeek-get-gzip.pcap", oracletest.Shared("http/zeek/get-gzip.pcap")},
	{"zeek-get_nosyn.pcap", oracletest.Shared("http/zeek/get_nosyn.pcap")},
	{"zeek-multipart.pcapng", filepath.Join("testdata", "filter", "zeek-multipart.pcapng")},
	{"zeek-post.pcap", oracletest.Shared("http/zeek/post.pcap")},
	{"zeek-websocket.pcap", oracletest.Shared("http/zeek/websocket.pcap")},
}

// fcCapture is one capture file of fcCaptureFiles.
type fcCapture struct {
	name string
	path string
	lt   layers.LinkType
	pkts [][]byte
}

func fcReadCaptures(t testing.TB) []fcCapture {
	t.Helper()
	var caps []fcCapture
	for _, f := range fcCaptureFiles {
		c, err := fcReadCapture(f.path)
		if err != nil {
			t.Fatalf("%s: %v", f.path, err)
		}
		c.name = f.name
		caps = append(caps, c)
	}
	return caps
}

// fcReadCapture reads a pcap or pcapng file, told apart by the magic number.
func fcReadCapture(path string) (fcCapture, error) {
	c := fcCapture{name: filepath.Base(path), path: path}
	raw, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	var next func() ([]byte, error)
	if len(raw) >= 4 && binary.LittleEndian.Uint32(raw) == 0x0a0d0d0a {
		r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return c, err
		}
		c.lt = r.LinkType()
		next = func() ([]byte, error) { d, _, err := r.ReadPacketData(); return d, err }
	} else {
		r, err := pcapgo.NewReader(bytes.NewReader(raw))
		if err != nil {
			return c, err
		}
		c.lt = r.LinkType()
		next = func() ([]byte, error) { d, _, err := r.ReadPacketData(); return d, err }
	}
	for {
		d, err := next()
		if err == io.EOF {
			return c, nil
		}
		if err != nil {
			return c, err
		}
		c.pkts = append(c.pkts, append([]byte(nil), d...))
	}
}

// fcCapturePackets turns capture packets into test packets that can be
// framed for every link type.
func fcCapturePackets(caps []fcCapture) []fcTestPacket {
	var out []fcTestPacket
	for _, c := range caps {
		for i, d := range c.pkts {
			p := fcTestPacket{name: fmt.Sprintf("%s#%d", c.name, i+1), srcMAC: fcMACA, dstMAC: fcMACB}
			switch c.lt {
			case layers.LinkTypeEthernet:
				p.eth = d
				if len(d) < 14 {
					p.ethFixed = true
					break
				}
				p.etype = binary.BigEndian.Uint16(d[12:])
				p.l3 = d[14:]
				p.srcMAC, p.dstMAC = d[6:12], d[0:6]
				if p.etype <= 1500 || p.etype == 0x8100 || p.etype == 0x88a8 {
					p.ethFixed = true
				}
			case layers.LinkTypeNull:
				if len(d) < 4 {
					continue
				}
				p.null = d
				fam := binary.LittleEndian.Uint32(d)
				if fam > 0xffff {
					fam = binary.BigEndian.Uint32(d)
				}
				switch fam {
				case 2:
					p.etype = 0x0800
				case 10, 24, 28, 30:
					p.etype = 0x86dd
				default:
					continue
				}
				p.l3 = d[4:]
			default:
				continue
			}
			out = append(out, p)
		}
	}
	return out
}

// fcOracleCorpus frames the hand-made and the capture packets for lt.
func fcOracleCorpus(t testing.TB, lt layers.LinkType, caps []fcCapture) []fcCorpusPacket {
	var out []fcCorpusPacket
	for _, p := range append(fcTestPackets(t), fcCapturePackets(caps)...) {
		for i, f := range fcFrames(lt, p) {
			name := p.name
			if i > 0 {
				name = fmt.Sprintf("%s/%d", name, i)
			}
			out = append(out, fcCorpusPacket{name, f})
		}
	}
	return out
}

// fcEmptyCapture writes an empty pcap with link type lt, for tcpdump -r.
func fcEmptyCapture(t testing.TB, dir string, lt layers.LinkType) string {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("empty-%d.pcap", lt))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := pcapgo.NewWriter(f).WriteFileHeader(fcDefaultSnapLen, lt); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// fcTcpdumpResult is tcpdump's verdict on an expression.
type fcTcpdumpResult struct {
	prog   []bpf.Instruction
	reject string // tcpdump's error message if it refused the expression
	skip   string // why the program cannot run in x/net/bpf's VM
}

// fcTcpdumpCompile runs (or replays) tcpdump -ddd and decodes the program.
func fcTcpdumpCompile(tcpdump *oracletest.Oracle, empty oracletest.Input, expr string) (fcTcpdumpResult, error) {
	var res fcTcpdumpResult
	run, err := tcpdump.Run(empty, "-r", empty.Path, "-ddd", "--", expr)
	if err != nil {
		return res, err
	}
	if run.Exit != 0 {
		msg := strings.TrimSpace(string(run.Stderr))
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		res.reject = msg
		return res, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(run.Stdout))
	var raw []bpf.RawInstruction
	n := -1
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if n < 0 {
			if n, err = strconv.Atoi(line); err != nil {
				return res, fmt.Errorf("bad -ddd count %q", line)
			}
			continue
		}
		if len(f) != 4 {
			return res, fmt.Errorf("bad -ddd line %q", line)
		}
		var v [4]uint64
		for i := range f {
			if v[i], err = strconv.ParseUint(f[i], 10, 32); err != nil {
				return res, fmt.Errorf("bad -ddd line %q", line)
			}
		}
		raw = append(raw, bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])})
	}
	if len(raw) != n {
		return res, fmt.Errorf("tcpdump printed %d instructions, announced %d", len(raw), n)
	}
	prog, ok := bpf.Disassemble(raw)
	if !ok {
		res.skip = "tcpdump's program has instructions x/net/bpf cannot decode"
		return res, nil
	}
	prog = fcExpandNeg(prog)
	for _, ins := range prog {
		if le, ok := ins.(bpf.LoadExtension); ok && le.Num != bpf.ExtLen {
			res.skip = fmt.Sprintf("tcpdump's program uses ancillary load %v, unsupported by x/net/bpf's VM", le.Num)
			return res, nil
		}
	}
	if _, err := bpf.NewVM(prog); err != nil {
		res.skip = "x/net/bpf's VM refuses tcpdump's program: " + err.Error()
	}
	res.prog = prog
	return res, nil
}

// fcExpandNeg replaces NegateA, which x/net/bpf's VM cannot run, by
// "xor #0xffffffff; add #1", and fixes the jumps over it.
func fcExpandNeg(prog []bpf.Instruction) []bpf.Instruction {
	newPos := make([]int, len(prog)+1)
	n := 0
	for i, ins := range prog {
		newPos[i] = n
		n++
		if _, ok := ins.(bpf.NegateA); ok {
			n++
		}
	}
	newPos[len(prog)] = n
	if n == len(prog) {
		return prog
	}
	target := func(i int, skip uint32) int { return newPos[i+1+int(skip)] - newPos[i] - 1 }
	out := make([]bpf.Instruction, 0, n)
	for i, ins := range prog {
		switch j := ins.(type) {
		case bpf.NegateA:
			out = append(out, bpf.ALUOpConstant{Op: bpf.ALUOpXor, Val: 0xffffffff}, bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1})
			continue
		case bpf.Jump:
			j.Skip = uint32(target(i, j.Skip))
			ins = j
		case bpf.JumpIf:
			j.SkipTrue, j.SkipFalse = uint8(target(i, uint32(j.SkipTrue))), uint8(target(i, uint32(j.SkipFalse)))
			ins = j
		case bpf.JumpIfX:
			j.SkipTrue, j.SkipFalse = uint8(target(i, uint32(j.SkipTrue))), uint8(target(i, uint32(j.SkipFalse)))
			ins = j
		}
		out = append(out, ins)
	}
	return out
}

// fcRejectsAll is libpcap's error for a program that can never accept.
const fcRejectsAll = "expression rejects all packets"

// TestCompileFilterOracle compares fcOracleExprs; tcpdump's outputs are
// recorded in testdata/golden/TestCompileFilterOracle (see oracletest).
func TestCompileFilterOracle(t *testing.T) {
	tcpdump := oracletest.New(t, oracletest.Tcpdump)
	seen := map[string]bool{}
	for _, e := range fcOracleExprs {
		if seen[e] {
			t.Errorf("duplicate oracle expression %q", e)
		}
		seen[e] = true
	}
	if len(fcOracleExprs) < 60 {
		t.Errorf("only %d oracle expressions", len(fcOracleExprs))
	}
	st := fcOracleCompare(t, tcpdump, fcOracleExprs, true)
	t.Logf("oracle: %d expressions x %d link types: %d (expression, link type) pairs compared on packets, %d rejected by both, %d skipped; corpus %s; %d packet comparisons",
		len(fcOracleExprs), len(fcOracleLinkTypes), st.compared, st.bothRejected, st.skipped, st.corpus, st.runs)
	if st.compared == 0 {
		// Both rejecting every expression, or every pair skipped, ran no
		// program on a packet.
		t.Fatalf("compared nothing: no filter program ran against tcpdump's (%d rejected by both, %d skipped)", st.bothRejected, st.skipped)
	}
	tcpdump.Done(st.runs + st.bothRejected)
}

// TestCompileFilterOracleRandom compares random expressions (fixed seed;
// FC_RANDOM_N and FC_RANDOM_SEED change count and seed) the same way: they
// combine primitives, abbreviations, parentheses, negations and arithmetic
// in ways nobody would write, which is what finds disagreements.
// tcpdump's outputs for the default count and seed are recorded in
// testdata/golden/TestCompileFilterOracleRandom; other counts or seeds
// run tcpdump, unrecorded.
func TestCompileFilterOracleRandom(t *testing.T) {
	n, seed := 150, int64(1)
	explore := false
	if v, err := strconv.Atoi(os.Getenv("FC_RANDOM_N")); err == nil {
		n, explore = v, true
	}
	if v, err := strconv.ParseInt(os.Getenv("FC_RANDOM_SEED"), 10, 64); err == nil {
		seed, explore = v, true
	}
	var tcpdump *oracletest.Oracle
	if explore {
		tcpdump = oracletest.Explore(t, oracletest.Tcpdump)
	} else {
		tcpdump = oracletest.New(t, oracletest.Tcpdump)
	}
	g := fcExprGen{rand.New(rand.NewSource(seed))}
	var exprs []string
	for i := 0; i < n; i++ {
		exprs = append(exprs, g.expr(0))
	}
	st := fcOracleCompare(t, tcpdump, exprs, false)
	t.Logf("random oracle (seed %d): %d expressions x %d link types: %d pairs compared on packets, %d rejected by both, %d skipped; %d packet comparisons",
		seed, n, len(fcOracleLinkTypes), st.compared, st.bothRejected, st.skipped, st.runs)
	if st.compared == 0 {
		// Both rejecting every expression, or every pair skipped, ran no
		// program on a packet.
		t.Fatalf("compared nothing: no filter program ran against tcpdump's (%d rejected by both, %d skipped)", st.bothRejected, st.skipped)
	}
	tcpdump.Done(st.runs + st.bothRejected)
}

type fcOracleStats struct {
	compared, bothRejected, skipped, runs int
	corpus                                string
}

// fcOracleCompare compiles every expression for every link type of
// fcOracleLinkTypes with wiretap and with tcpdump -ddd, runs both programs
// over the corpus and reports every (expression, link type, packet) where
// they disagree.
func fcOracleCompare(t *testing.T, tcpdump *oracletest.Oracle, exprs []string, verbose bool) fcOracleStats {
	t.Helper()
	dir := t.TempDir()
	caps := fcReadCaptures(t)
	type job struct {
		expr string
		lt   layers.LinkType
		res  fcTcpdumpResult
		err  error
	}
	var jobs []*job
	empties := map[layers.LinkType]oracletest.Input{}
	for _, lt := range fcOracleLinkTypes {
		path := fcEmptyCapture(t, dir, lt)
		empties[lt] = oracletest.Input{Name: filepath.Base(path), Path: path}
		for _, e := range exprs {
			jobs = append(jobs, &job{expr: e, lt: lt})
		}
	}
	// run tcpdump on both cores (or replay its runs)
	var wg sync.WaitGroup
	ch := make(chan *job)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				j.res, j.err = fcTcpdumpCompile(tcpdump, empties[j.lt], j.expr)
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()

	corpora := map[layers.LinkType][]fcCorpusPacket{}
	var sizes []string
	for _, lt := range fcOracleLinkTypes {
		corpora[lt] = fcOracleCorpus(t, lt, caps)
		sizes = append(sizes, fmt.Sprintf("%v=%d", lt, len(corpora[lt])))
	}
	st := fcOracleStats{corpus: strings.Join(sizes, " ")}

	var failures []string
	// rejectsAll: one side proved that nothing matches; the other side's
	// program must then reject the whole corpus
	rejectsAll := func(j *job, prog []bpf.Instruction, who string) {
		vm, err := bpf.NewVM(prog)
		if err != nil {
			failures = append(failures, fmt.Sprintf("%q on %v: NewVM refuses %s's program: %v", j.expr, j.lt, who, err))
			return
		}
		st.compared++
		for i, p := range corpora[j.lt] {
			st.runs++
			if n, err := vm.Run(p.data); err != nil || n != 0 {
				failures = append(failures, fmt.Sprintf("(%q, %v, packet %d %s: %s accepts it (err %v), the other says it rejects all packets)", j.expr, j.lt, i, p.name, who, err))
			}
		}
	}
	for _, j := range jobs {
		if j.err != nil {
			t.Fatalf("tcpdump %q on %v: %v", j.expr, j.lt, j.err)
		}
		ours, ourErr := CompileFilter(j.expr, j.lt, fcDefaultSnapLen)
		switch {
		case j.res.reject != "" && ourErr != nil:
			st.bothRejected++
			if verbose {
				t.Logf("both reject %q on %v: tcpdump: %s; wiretap: %v", j.expr, j.lt, strings.TrimPrefix(j.res.reject, "tcpdump: "), ourErr)
			}
			continue
		case strings.Contains(j.res.reject, fcRejectsAll):
			rejectsAll(j, ours, "wiretap")
			continue
		case j.res.reject != "":
			failures = append(failures, fmt.Sprintf("%q on %v: tcpdump rejects it (%s), wiretap compiles it", j.expr, j.lt, j.res.reject))
			continue
		case ourErr != nil && strings.Contains(ourErr.Error(), fcRejectsAll) && j.res.prog != nil:
			// libpcap's optimiser did not reduce its program to "ret #0"
			rejectsAll(j, j.res.prog, "tcpdump")
			continue
		case ourErr != nil:
			failures = append(failures, fmt.Sprintf("%q on %v: tcpdump compiles it, wiretap says %v", j.expr, j.lt, ourErr))
			continue
		case j.res.skip != "":
			st.skipped++
			if verbose {
				t.Logf("skip %q on %v: %s", j.expr, j.lt, j.res.skip)
			}
			continue
		}
		if _, err := bpf.Assemble(ours); err != nil {
			failures = append(failures, fmt.Sprintf("%q on %v: wiretap's program does not assemble: %v", j.expr, j.lt, err))
			continue
		}
		ourVM, err := bpf.NewVM(ours)
		if err != nil {
			failures = append(failures, fmt.Sprintf("%q on %v: NewVM refuses wiretap's program: %v", j.expr, j.lt, err))
			continue
		}
		theirVM, _ := bpf.NewVM(j.res.prog)
		st.compared++
		for i, p := range corpora[j.lt] {
			a, errA := ourVM.Run(p.data)
			b, errB := theirVM.Run(p.data)
			st.runs++
			if errA != nil || errB != nil {
				failures = append(failures, fmt.Sprintf("%q on %v, packet %d (%s): VM errors wiretap=%v tcpdump=%v", j.expr, j.lt, i, p.name, errA, errB))
				continue
			}
			if (a != 0) != (b != 0) {
				failures = append(failures, fmt.Sprintf("(%q, %v, packet %d %s, wiretap says %v, tcpdump says %v)", j.expr, j.lt, i, p.name, a != 0, b != 0))
			}
		}
	}
	if len(failures) > 0 {
		max := len(failures)
		if max > 200 {
			max = 200
		}
		t.Errorf("%d disagreements with tcpdump:\n%s", len(failures), strings.Join(failures[:max], "\n"))
	}
	return st
}

// fcExprGen generates random filter expressions from pieces tcpdump accepts.
type fcExprGen struct{ r *rand.Rand }

func (g fcExprGen) pick(xs ...string) string { return xs[g.r.Intn(len(xs))] }

// head returns a qualifier head ("ip6 src host") and a generator of values
// that fit it, also used for abbreviations after and/or.
func (g fcExprGen) head() (string, func() string) {
	dir := g.pick("", "", "src ", "dst ", "src or dst ", "src and dst ")
	v4 := func() string {
		return g.pick("10.0.0.1", "10.0.0.2", "127.0.0.1", "localhost", "1.2.3.4", "192.168.1.10", "10", "10.0")
	}
	v6 := func() string { return g.pick("::1", "2001:db8::1", "ff02::1", "fe80::1") }
	switch g.r.Intn(9) {
	case 0:
		return g.pick("", "ip ", "arp ") + dir + "host", v4
	case 1:
		return g.pick("", "ip6 ") + dir + "host", v6
	case 2:
		return g.pick("", "ip ", "arp ") + dir + "net", func() string {
			return g.pick("10", "10.0", "192.168.1", "10.0.0.0/8", "192.168.0.0 mask 255.255.0.0", "0.0.0.0/0", "127.0.0.0/8", "224.0.0.0/4")
		}
	case 3:
		return g.pick("", "ip6 ") + dir + "net", func() string { return g.pick("2001:db8::/32", "fe80::/10", "::1/128", "::/0") }
	case 4, 5:
		return g.pick("", "tcp ", "udp ", "sctp ") + dir + "port", func() string {
			return g.pick("80", "53", "443", "22", "12345", "domain", "https", "9999", "0x50", "5353", "8080")
		}
	case 6:
		return g.pick("", "tcp ", "udp ") + dir + "portrange", func() string {
			return g.pick("1-1023", "50-60", "8000-9000", "80", "50000-65535")
		}
	case 7:
		return g.pick("", "ip ", "ip6 ") + "proto", func() string { return g.pick("6", "17", "1", "58", "132", "\\tcp", "\\udp", "44", "0") }
	}
	return "ether " + g.pick("", "src ", "dst ", "host ", "src or dst "), func() string {
		return g.pick("00:11:22:33:44:55", "ff:ff:ff:ff:ff:ff", "66:77:88:99:aa:bb")
	}
}

func (g fcExprGen) arith(d int) string {
	if d > 2 {
		return g.pick("0", "1", "2", "13", "0x12", "tcpflags", "tcp-syn", "icmp-echo", "len")
	}
	switch g.r.Intn(6) {
	case 0, 1:
		p := g.pick("ip", "ip6", "tcp", "udp", "icmp", "icmp6", "ether", "arp", "sctp")
		return fmt.Sprintf("%s[%s%s]", p, g.arith(d+1), g.pick("", ":1", ":2", ":4"))
	case 2:
		return g.arith(d+1) + " " + g.pick("+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>") + " " + g.arith(d+1)
	case 3:
		return "(" + g.arith(d+1) + ")"
	case 4:
		return g.pick("0", "1", "2", "4", "6", "13", "14", "20", "40", "0xf", "0xff", "64", "100", "1000", "len")
	}
	return "-" + g.arith(d+1)
}

// term returns a term and, for a qualified primitive, its value generator.
func (g fcExprGen) term(d int) (string, func() string) {
	if d > 3 {
		return g.pick("tcp", "udp", "ip", "ip6", "arp", "icmp"), nil
	}
	switch g.r.Intn(10) {
	case 0:
		t, v := g.term(d + 1)
		return g.pick("not ", "! ") + t, v
	case 1:
		return "(" + g.expr(d+1) + ")", nil
	case 2:
		return g.pick("ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "sctp", "igmp", "vlan", "vlan 10",
			"broadcast", "multicast", "ip multicast", "ip6 multicast", "greater 100", "less 64", "ether broadcast"), nil
	case 3, 4:
		return g.arith(1) + " " + g.pick("=", "==", "!=", "<", "<=", ">", ">=") + " " + g.arith(1), nil
	}
	h, v := g.head()
	return h + " " + v(), v
}

func (g fcExprGen) expr(d int) string {
	s, v := g.term(d)
	for i := g.r.Intn(3); i > 0; i-- {
		conn := g.pick(" and ", " or ", " && ", " || ")
		if v != nil && g.r.Intn(2) == 0 {
			s += conn + g.pick("", "", "not ") + v() // abbreviation: inherits the qualifiers
			continue
		}
		var t string
		t, v = g.term(d + 1)
		s += conn + t
	}
	return s
}

// TestCompileFilterOracleFiles compares packet counts with tcpdump -r on
// every capture of fcCaptureFiles (tcpdump's outputs recorded in
// testdata/golden/TestCompileFilterOracleFiles).
func TestCompileFilterOracleFiles(t *testing.T) {
	tcpdump := oracletest.New(t, oracletest.Tcpdump)
	caps := fcReadCaptures(t)
	checked := 0
	for _, c := range caps {
		path := c.path
		for _, expr := range fcOracleFileExprs {
			res, err := tcpdump.Run(oracletest.Input{Name: c.name, Path: path}, "-nn", "-q", "-r", path, "--", expr)
			if err != nil {
				t.Fatal(err)
			}
			var runErr error
			if res.Exit != 0 {
				runErr = fmt.Errorf("exit status %d", res.Exit)
			}
			stderr := string(res.Stderr)
			prog, err := CompileFilter(expr, c.lt, fcDefaultSnapLen)
			want := strings.Count(string(res.Stdout), "\n")
			if runErr != nil && strings.Contains(stderr, fcRejectsAll) {
				runErr, want = nil, 0 // must then accept nothing
				if err != nil {
					checked++
					continue
				}
			}
			if runErr != nil {
				if err == nil {
					t.Errorf("%s %q: tcpdump fails (%v: %s), wiretap compiles", c.name, expr, runErr, strings.TrimSpace(stderr))
				}
				continue
			}
			if err != nil {
				t.Errorf("%s %q: wiretap: %v", c.name, expr, err)
				continue
			}
			vm, err := bpf.NewVM(prog)
			if err != nil {
				t.Fatalf("%s %q: NewVM: %v", c.name, expr, err)
			}
			got := 0
			for _, d := range c.pkts {
				n, err := vm.Run(d)
				if err != nil {
					t.Fatalf("%s %q: run: %v", c.name, expr, err)
				}
				if n != 0 {
					got++
				}
			}
			if got != want {
				t.Errorf("%s %q: wiretap accepts %d packets, tcpdump prints %d", c.name, expr, got, want)
			}
			checked++
		}
	}
	t.Logf("oracle files: %d captures x %d expressions: %d packet counts agree with tcpdump -r", len(caps), len(fcOracleFileExprs), checked)
	tcpdump.Done(checked)
}
