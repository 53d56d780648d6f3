package decode

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// TestLabelFormatMatchesFmt: formatLabel prints what fmt.Sprintf
// prints, for the verbs, flags and argument types dissectors pass, and
// for random combinations of them.
func TestLabelFormatMatchesFmt(t *testing.T) {
	type tc struct {
		format string
		args   []any
	}
	cases := []tc{
		{"plain", nil},
		{"100%% sure", nil},
		{"Frame %d: %d bytes on wire (%d bits)", []any{1, 74, 592}},
		{"Flags: 0x%03x (%s)", []any{uint16(0x18), "PSH, ACK"}},
		{"Checksum: 0x%04x [unverified]", []any{uint16(0xbeef)}},
		{"%#04x %#x %X %08X", []any{5, 255, 0xabc, uint32(0xdead)}},
		{"%q %.4q %+q", []any{"a\"b\n", "abcdefg", "é☺"}},
		{"%s %.3s %-6s| %6s|", []any{"x", "abcdef", "ab", "cd"}},
		{"%x %X", []any{[]byte{0, 1, 0xfe}, "AZ"}},
		{"%t %v %v %v", []any{true, false, 42, "s"}},
		{"%c%c", []any{'A', 0x263a}},
		{"%f %.3f %14.9f %e", []any{1.5, 2.0 / 3, 12.25, 1234.5}},
		{"%v", []any{1e21}},
		{"%d %d %d", []any{-5, int64(-1) << 63, uint64(1) << 63}},
		{"%05d %-5d| %+d %09d", []any{-42, 7, 3, int32(12)}},
		{"%6d %02x %x", []any{int8(-3), uint8(7), -255}},
		{"%d", []any{true}},
		{"%s", []any{3}},
		{"%d %d", []any{1}},
		{"%d", []any{1, 2}},
		{"%s = Header Length: %d bytes (%d)", []any{bits(0x50, 0xf0, 8), 20, 5}},
		{"%v", []any{[]byte("ab")}},
		{"%05s % d %[1]d %*d", []any{"a", 1, 2, 3}},
		{"trailing %", nil},
	}
	verbs := []string{"d", "s", "x", "X", "q", "v", "t", "c", "f", "e", "%"}
	flags := []string{"", "-", "0", "#", "+", " ", "05", "-9", ".2", "4.1", "#08"}
	vals := []any{0, -17, 300, uint8(200), uint16(65535), uint32(1 << 31), int64(-1e12), uint64(1<<64 - 1),
		"", "hello", "tab\tquote\"", "ünï", []byte{1, 2, 255}, true, 3.25, float32(0.1)}
	r := rand.New(rand.NewSource(1))
	for k := 0; k < 20000; k++ {
		n := r.Intn(3)
		f := "<"
		var args []any
		for j := 0; j < n; j++ {
			f += "%" + flags[r.Intn(len(flags))] + verbs[r.Intn(len(verbs))] + " "
			args = append(args, vals[r.Intn(len(vals))])
		}
		cases = append(cases, tc{f + ">", args})
	}
	before := labelsUnformatted.Load()
	for _, c := range cases {
		want := fmt.Sprintf(c.format, c.args...)
		if c.format == "%s = Header Length: %d bytes (%d)" {
			want = bitsLabel(0x50, 0xf0, 8, "Header Length: 20 bytes (5)")
		}
		if got := formatLabel(c.format, c.args); got != want {
			t.Errorf("formatLabel(%q, %#v) = %q, fmt says %q", c.format, c.args, got, want)
		}
	}
	if n := labelsUnformatted.Load() - before; n != 0 {
		t.Errorf("%d arguments of unknown types", n)
	}
	t.Logf("%d formats compared with fmt", len(cases))
}

// TestLabelFormatNoAllocs: an integer label's arguments stay on the
// caller's stack when labels are not built.
func TestLabelFormatNoAllocs(t *testing.T) {
	tr := &tree{noLabels: true}
	var buf [64]Field
	n := testing.AllocsPerRun(100, func() {
		tr.slab = buf[:]
		p := tr.at(0, 0)
		p.uint("tcp.seq", 4, 4, 123456, 0, "Sequence Number: %d%s", 123456, "    (relative sequence number)")
		p.bool("tcp.flags.syn", 13, 1, true, "%s = Syn: %s", bits(2, 2, 12), "Set")
	})
	if n != 0 {
		t.Errorf("%v allocations a call, want 0", n)
	}
}

// bitsLabel renders a bit field as Wireshark's tree does:
// "0100 .... = Version: 4" for mask 0xf0 of an 8-bit value.
func bitsLabel(v, mask uint64, nbits int, text string) string {
	var b strings.Builder
	b.Grow(nbits + nbits/4 + 3 + len(text))
	for i := nbits - 1; i >= 0; i-- {
		bit := uint64(1) << uint(i)
		switch {
		case mask&bit == 0:
			b.WriteByte('.')
		case v&bit != 0:
			b.WriteByte('1')
		default:
			b.WriteByte('0')
		}
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
	}
	b.WriteString(" = ")
	b.WriteString(text)
	return b.String()
}
