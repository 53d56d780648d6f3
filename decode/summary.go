package decode

import (
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// Summary is one row of the packet list: Wireshark's No., Time, Source,
// Destination, Protocol, Length and Info columns.
type Summary struct {
	Number   int
	Time     time.Duration // since the first packet
	Src, Dst string
	Protocol string
	Length   int
	Info     string
	// TimeRes is the unit Time is printed in: tshark prints a packet's
	// time to the precision of its capture file's timestamps (6 decimals
	// for a microsecond pcap, 9 for nanoseconds; see TsResolTimeRes). A
	// power of ten from time.Nanosecond (also for 0) to time.Second (no
	// decimals).
	TimeRes time.Duration
}

// WriteTo prints s as one line in tshark's default layout (tshark 4.0's
// print_columns): the number right-aligned in 5 columns, the time in 10,
// the source in 12 (right-aligned) and the destination in 12
// (left-aligned), with " → " between them; the protocol, length and
// Info unpadded.
func (s Summary) WriteTo(w io.Writer) (int64, error) {
	var buf [256]byte
	n, err := w.Write(s.AppendTo(buf[:0]))
	return int64(n), err
}

// AppendTo appends the line WriteTo prints to b (into a buffer's
// AvailableBuffer, it allocates nothing).
func (s Summary) AppendTo(b []byte) []byte {
	b = appendColumns(b, s.Number, s.Time, s.TimeRes, s.Src, s.Dst, s.Protocol, s.Length)
	b = append(b, s.Info...)
	return append(b, '\n')
}

// appendColumns appends a line's columns before Info (AppendTo's, and
// RowWriter's), with the blank that ends them.
func appendColumns(b []byte, number int, t, res time.Duration, src, dst, proto string, length int) []byte {
	var num [32]byte
	b = statPad(b, strconv.AppendInt(num[:0], int64(number), 10), 5, false)
	b = append(b, ' ')
	b = statPad(b, appendRelTime(num[:0], t, res), 10, false)
	b = append(b, ' ')
	b = appendPaddedString(b, src, 12, false)
	b = append(b, " → "...)
	b = appendPaddedString(b, dst, 12, true)
	b = append(b, ' ')
	b = append(b, proto...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(length), 10)
	return append(b, ' ')
}

// appendRelTime appends d in seconds with the decimals of unit res, as
// Wireshark's display_signed_time does: both parts truncated toward zero,
// and a minus sign for a negative time under a second only when its
// fraction is not zero at that precision ("-0.000039", but "0.000" for
// -0.0007 s in milliseconds).
func appendRelTime(b []byte, d, res time.Duration) []byte {
	if res <= 0 {
		res = time.Nanosecond
	}
	digits := 0
	for u := res; u < time.Second; u *= 10 {
		digits++
	}
	secs, frac := d/time.Second, int64((d%time.Second)/res)
	if frac < 0 {
		frac = -frac
		if secs >= 0 {
			b = append(b, '-')
		}
	}
	b = strconv.AppendInt(b, int64(secs), 10)
	if digits == 0 {
		return b
	}
	b = append(b, '.')
	var f [9]byte
	for i := digits - 1; i >= 0; i-- {
		f[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, f[:digits]...)
}

// TsResolTimeRes is the unit tshark 4.0 prints the times of an
// interface's packets in, from its timestamp resolution as pcapng's
// if_tsresol byte gives it (capture.InterfaceInfo.TsResol; a pcap file's
// is 6 or 9): Wireshark keeps seconds, 1, 2, 3, 6 or 9 decimals, the
// fewest that show a tick of 10^-n (n of 4 and 5 get 3 decimals, 7 and
// 8 get 6) or of 2^-n (up to 2^-3 none, to 2^-6 one, to 2^-9 two, to
// 2^-19 three, to 2^-29 six, then nine).
func TsResolTimeRes(tsresol uint8) time.Duration {
	e := int(tsresol & 0x7f)
	var digits int
	if tsresol&0x80 != 0 {
		switch {
		case e <= 3:
			digits = 0
		case e <= 6:
			digits = 1
		case e <= 9:
			digits = 2
		case e <= 19:
			digits = 3
		case e <= 29:
			digits = 6
		default:
			digits = 9
		}
	} else {
		switch {
		case e <= 3:
			digits = e
		case e <= 5:
			digits = 3
		case e <= 8:
			digits = 6
		default:
			digits = 9
		}
	}
	res := time.Second
	for ; digits > 0; digits-- {
		res /= 10
	}
	return res
}

// appendPaddedString appends v padded with blanks to width runes, on the
// left (%Ns) or, with left set, on the right (%-Ns).
func appendPaddedString(b []byte, v string, width int, left bool) []byte {
	pad := width - utf8.RuneCountInString(v)
	if left {
		b = append(b, v...)
	}
	for ; pad > 0; pad-- {
		b = append(b, ' ')
	}
	if !left {
		b = append(b, v...)
	}
	return b
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
