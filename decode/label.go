package decode

// Labels are formatted here rather than by fmt.Sprintf because a
// node's label arguments reach fmt through an ...any that escapes: each
// boxed integer then costs an allocation at every call site, whether
// the label is ever built or not (a filter or -e run builds none). The
// formatter below reads its arguments through a type switch only, so
// they stay on the callers' stacks, and does fmt's work for the verbs
// and types the dissectors use; TestLabelFormatMatchesFmt holds it to
// fmt's output.

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// bitPattern is a label argument printed as Wireshark's bit diagram of
// a field in a word ("0101 .... "), nbits wide: mask's bits as their
// value in v, the others as dots. It is formatted only when the label
// is built.
type bitPattern struct {
	v, mask uint64
	nbits   int
}

func bits(v, mask uint64, nbits int) bitPattern { return bitPattern{v, mask, nbits} }

func (b bitPattern) append(dst []byte) []byte {
	for i := b.nbits - 1; i >= 0; i-- {
		bit := uint64(1) << uint(i)
		switch {
		case b.mask&bit == 0:
			dst = append(dst, '.')
		case b.v&bit != 0:
			dst = append(dst, '1')
		default:
			dst = append(dst, '0')
		}
		if i > 0 && i%4 == 0 {
			dst = append(dst, ' ')
		}
	}
	return dst
}

// deferred is a label argument printed as fn(v), called only when the
// label is built: a value's name (a flag list) that costs more than the
// node. fn must be a plain function (no closure), so that nothing
// escapes.
type deferred struct {
	fn func(uint64) string
	v  uint64
}

func later(fn func(uint64) string, v uint64) deferred { return deferred{fn, v} }

// textOf is a label argument printed as formatText prints its bytes
// (an HTTP line as Wireshark shows it).
type textOf []byte

// seconds is a label argument printed as tshark prints a duration in
// seconds (formatSeconds).
type seconds time.Duration

// labelsUnformatted counts arguments of a type the formatter does not
// know (printed as fmt prints a bad verb); the tests require none.
var labelsUnformatted atomic.Int64

// formatLabel is fmt.Sprintf(format, args...) for labels.
func formatLabel(format string, args []any) string {
	var buf [160]byte
	out, ok := appendLabel(buf[:0], format, args)
	if !ok {
		return fmt.Sprintf(format, reboxed(args)...)
	}
	return string(out)
}

// reboxed copies args into new interface values (of the types the
// formatter knows), so that handing them to fmt does not make the
// callers' arguments escape.
func reboxed(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case int:
			out[i] = v
		case int8:
			out[i] = v
		case int16:
			out[i] = v
		case int32:
			out[i] = v
		case int64:
			out[i] = v
		case uint:
			out[i] = v
		case uint8:
			out[i] = v
		case uint16:
			out[i] = v
		case uint32:
			out[i] = v
		case uint64:
			out[i] = v
		case string:
			// A copy: the caller's string must not reach fmt (see
			// above).
			out[i] = strings.Clone(v)
		case bool:
			out[i] = v
		case float64:
			out[i] = v
		case float32:
			out[i] = v
		case []byte:
			out[i] = append([]byte(nil), v...)
		case bitPattern:
			out[i] = string(v.append(nil))
		case netip.Addr:
			out[i] = string(appendAddr(nil, v))
		case truncHexOf:
			out[i] = truncHex(v)
		case hexLabelOf:
			out[i] = hexLabel(v)
		case textOf:
			out[i] = formatText(v)
		case deferred:
			out[i] = v.fn(v.v)
		case seconds:
			out[i] = formatSeconds(time.Duration(v))
		default:
			labelsUnformatted.Add(1)
			out[i] = "?"
		}
	}
	return out
}

// appendLabel appends format with args; ok is false when it meets a
// verb, flag or type it does not do as fmt does (formatLabel then asks
// fmt).
func appendLabel(dst []byte, format string, args []any) (out []byte, ok bool) {
	argi := 0
	for i := 0; i < len(format); {
		c := format[i]
		if c != '%' {
			j := strings.IndexByte(format[i:], '%')
			if j < 0 {
				return append(dst, format[i:]...), argi == len(args)
			}
			dst = append(dst, format[i:i+j]...)
			i += j
			continue
		}
		i++
		var minus, zero, sharp, plus bool
	flags:
		for ; i < len(format); i++ {
			switch format[i] {
			case '-':
				minus = true
			case '0':
				zero = true
			case '#':
				sharp = true
			case '+':
				plus = true
			case ' ':
				return dst, false
			default:
				break flags
			}
		}
		width, prec := -1, -1
		if i < len(format) && format[i] >= '0' && format[i] <= '9' {
			width = 0
			for ; i < len(format) && format[i] >= '0' && format[i] <= '9'; i++ {
				width = width*10 + int(format[i]-'0')
			}
		}
		if i < len(format) && format[i] == '.' {
			i++
			prec = 0
			for ; i < len(format) && format[i] >= '0' && format[i] <= '9'; i++ {
				prec = prec*10 + int(format[i]-'0')
			}
		}
		if i >= len(format) {
			return dst, false
		}
		verb := format[i]
		i++
		if verb == '%' {
			dst = append(dst, '%')
			continue
		}
		if argi >= len(args) || format[i-2] == '[' || format[i-2] == '*' {
			return dst, false
		}
		start := len(dst)
		var good bool
		zeros := -1
		if zero && !minus {
			zeros = width
		}
		dst, good = appendArg(dst, verb, args[argi], sharp, plus, prec, zeros)
		argi++
		if !good {
			return dst, false
		}
		if width <= 0 {
			continue
		}
		if n := utf8.RuneCount(dst[start:]); width > n {
			pad := width - n
			switch {
			case minus:
				for ; pad > 0; pad-- {
					dst = append(dst, ' ')
				}
			case zero:
				// Integers pad with zeros in appendArg; fmt pads
				// anything else in ways not done here.
				return dst, false
			default:
				dst = insertPad(dst, start, ' ', pad)
			}
		}
	}
	return dst, argi == len(args)
}

func insertPad(dst []byte, at int, c byte, n int) []byte {
	for k := 0; k < n; k++ {
		dst = append(dst, 0)
	}
	copy(dst[at+n:], dst[at:len(dst)-n])
	for k := 0; k < n; k++ {
		dst[at+k] = c
	}
	return dst
}

// appendArg formats one argument by verb; good is false when fmt would
// do something this does not.
// zeros, when not -1, is the width integers are padded to with zeros
// (not counting a 0x prefix, as in fmt).
func appendArg(dst []byte, verb byte, a any, sharp, plus bool, prec, zeros int) ([]byte, bool) {
	if plus && verb != 'q' && verb != 'd' {
		return dst, false
	}
	var (
		i     int64
		u     uint64
		isInt bool
	)
	switch v := a.(type) {
	case int:
		i, isInt = int64(v), true
	case int8:
		i, isInt = int64(v), true
	case int16:
		i, isInt = int64(v), true
	case int32:
		i, isInt = int64(v), true
	case int64:
		i, isInt = v, true
	case uint:
		u = uint64(v)
	case uint8:
		u = uint64(v)
	case uint16:
		u = uint64(v)
	case uint32:
		u = uint64(v)
	case uint64:
		u = v
	case string:
		if zeros >= 0 {
			return dst, false
		}
		return appendText(dst, verb, v, nil, sharp, plus, prec)
	case []byte:
		if zeros >= 0 {
			return dst, false
		}
		return appendText(dst, verb, "", v, sharp, plus, prec)
	case bitPattern:
		if verb != 's' && verb != 'v' || sharp || plus || prec >= 0 || zeros >= 0 {
			return dst, false
		}
		return v.append(dst), true
	case netip.Addr:
		if verb != 's' && verb != 'v' || sharp || plus || prec >= 0 || zeros >= 0 {
			return dst, false
		}
		return appendAddr(dst, v), true
	case deferred:
		if verb != 's' && verb != 'v' || sharp || plus || prec >= 0 || zeros >= 0 {
			return dst, false
		}
		return append(dst, v.fn(v.v)...), true
	case seconds:
		if verb != 's' && verb != 'v' || sharp || plus || prec >= 0 || zeros >= 0 {
			return dst, false
		}
		return appendSeconds(dst, time.Duration(v)), true
	case truncHexOf:
		if verb != 's' && verb != 'v' || sharp || plus || prec >= 0 || zeros >= 0 {
			return dst, false
		}
		return append(dst, truncHex(v)...), true
	case hexLabelOf:
		if verb != 's' && verb != 'v' || sharp || plus || prec >= 0 || zeros >= 0 {
			return dst, false
		}
		return append(dst, hexLabel(v)...), true
	case textOf:
		if verb != 's' && verb != 'v' || sharp || plus || prec >= 0 || zeros >= 0 {
			return dst, false
		}
		return appendFormatText(dst, v), true
	case bool:
		if verb != 't' && verb != 'v' || sharp || prec >= 0 || zeros >= 0 {
			return dst, false
		}
		return strconv.AppendBool(dst, v), true
	case float64:
		if sharp || plus || zeros >= 0 {
			return dst, false
		}
		return appendFloat(dst, verb, v, 64, prec)
	case float32:
		if sharp || plus || zeros >= 0 {
			return dst, false
		}
		return appendFloat(dst, verb, float64(v), 32, prec)
	default:
		return dst, false
	}
	if prec >= 0 || sharp && verb != 'x' && verb != 'X' {
		return dst, false
	}
	neg := isInt && i < 0
	if isInt {
		u = uint64(i)
		if neg {
			u = -u
		}
	}
	switch verb {
	case 'd', 'v', 'x', 'X':
		base := 10
		switch {
		case neg:
			dst = append(dst, '-')
			zeros--
		case plus:
			dst = append(dst, '+')
			zeros--
		}
		if verb == 'x' || verb == 'X' {
			base = 16
			if sharp {
				dst = append(dst, '0', verb)
			}
		}
		var digits [64]byte
		d := strconv.AppendUint(digits[:0], u, base)
		for k := len(d); k < zeros; k++ {
			dst = append(dst, '0')
		}
		start := len(dst)
		dst = append(dst, d...)
		if verb == 'X' {
			upper(dst[start:])
		}
		return dst, true
	case 'c':
		if plus || zeros >= 0 {
			return dst, false
		}
		if isInt {
			u = uint64(i)
		}
		return utf8.AppendRune(dst, rune(u)), true
	}
	return dst, false
}

func upper(b []byte) {
	for k, c := range b {
		if c >= 'a' && c <= 'f' {
			b[k] = c - 'a' + 'A'
		}
	}
}

func appendText(dst []byte, verb byte, s string, b []byte, sharp, plus bool, prec int) ([]byte, bool) {
	if b != nil {
		s = string(b)
	}
	switch verb {
	case 's', 'v':
		if sharp || (b != nil && verb == 'v') {
			return dst, false
		}
		return append(dst, truncRunes(s, prec)...), true
	case 'q':
		if sharp {
			return dst, false
		}
		s = truncRunes(s, prec)
		if plus {
			return strconv.AppendQuoteToASCII(dst, s), true
		}
		return strconv.AppendQuote(dst, s), true
	case 'x', 'X':
		if sharp || prec >= 0 {
			return dst, false
		}
		const digits = "0123456789abcdef"
		start := len(dst)
		for k := 0; k < len(s); k++ {
			dst = append(dst, digits[s[k]>>4], digits[s[k]&15])
		}
		if verb == 'X' {
			upper(dst[start:])
		}
		return dst, true
	}
	return dst, false
}

func truncRunes(s string, prec int) string {
	if prec < 0 {
		return s
	}
	n := 0
	for k := range s {
		if n == prec {
			return s[:k]
		}
		n++
	}
	return s
}

func appendFloat(dst []byte, verb byte, f float64, size, prec int) ([]byte, bool) {
	switch verb {
	case 'f', 'e':
		if prec < 0 {
			prec = 6
		}
		return strconv.AppendFloat(dst, f, verb, prec, size), true
	case 'v', 'g':
		if prec >= 0 {
			return dst, false
		}
		return strconv.AppendFloat(dst, f, 'g', -1, size), true
	}
	return dst, false
}

// appendAddr is a.AppendTo(dst) for the addresses of packets (no zone),
// rebuilt from its bytes: a's zone pointer would make the label's
// arguments escape.
func appendAddr(dst []byte, a netip.Addr) []byte {
	switch {
	case a.Is4():
		return netip.AddrFrom4(a.As4()).AppendTo(dst)
	case a.Is6():
		return netip.AddrFrom16(a.As16()).AppendTo(dst)
	}
	return append(dst, "invalid IP"...)
}
