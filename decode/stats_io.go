package decode

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// -z io,stat,INTERVAL[,COLUMN]…: tshark's ui/cli/tap-iostat.c. Each
// column counts the frames (and bytes) that pass its display filter per
// interval, or computes COUNT, SUM, MIN, MAX, AVG or LOAD of a field over
// them ("SUM(tcp.len)tcp.srcport==80"). An interval of 0 is the whole
// capture.

// The calculations, in the order tshark tries their names.
const (
	ioFrames = iota
	ioBytes
	ioFramesAndBytes
	ioCount
	ioSum
	ioMin
	ioMax
	ioAvg
	ioLoad
)

var ioCalcNames = [...]string{"FRAMES", "BYTES", "FRAMES BYTES", "COUNT", "SUM", "MIN", "MAX", "AVG", "LOAD"}

// An IOMatcher is a compiled display filter for io,stat: whether a packet
// passes, and the fields it reads (for DissectFor).
type IOMatcher interface {
	Match(p *Packet) bool
	Fields() []string
}

// IOStat is one -z io,stat table being counted.
type IOStat struct {
	interval uint64 // µs; math.MaxUint64: the whole capture
	invlPrec int    // decimal places of the interval
	cols     []*ioColumn
	elapsed  time.Duration // the latest frame.time_relative (cf->elapsed_time)
	lastRel  uint64        // the last non-negative relative time, µs
}

type ioColumn struct {
	text   string // as given ("" shows as "Frames and bytes")
	calc   int
	field  string
	kind   Kind
	filter IOMatcher // nil: every frame
	primed bool      // field has values (Prime)
	// items are the intervals the column has counted in, by index from
	// 0 (sparse: a capture spanning years at a 1 s interval keeps only
	// the intervals with frames), last the latest index seen (-1 before
	// the first frame).
	items  map[int]*ioItem
	last   int
	maxVal uint64 // the largest value shown (its magnitude sizes the column)
	maxFr  uint32
}

type ioItem struct {
	frames  uint32
	num     uint32 // AVG's sample size
	counter uint64
	f32     float32 // SUM, MIN, MAX, AVG of a float field
	f64     float64
}

// add adds one value of a field of kind to a SUM or AVG column's item.
func (it *ioItem) add(kind Kind, v *Field) {
	switch kind {
	case KindFloat:
		it.f64 += v.F
	case KindDuration:
		it.counter += uint64(v.D)
	case KindInt:
		it.counter += uint64(v.I)
	default:
		it.counter += v.U
	}
}

// ParseIOStat reads "io,stat,INTERVAL[,COLUMN]…"; compile compiles a
// display filter.
func ParseIOStat(arg string, compile func(string) (IOMatcher, error)) (*IOStat, error) {
	bad := fmt.Errorf(`invalid "-z io,stat,<interval>[,<filter>][,<filter>]..." argument`)
	rest, ok := strings.CutPrefix(arg, "io,stat,")
	if !ok || strings.HasSuffix(arg, ",") {
		return nil, bad
	}
	invlText, filters, hasFilters := strings.Cut(rest, ",")
	tooSmall := fmt.Errorf(`"-z" interval must be >=0.000001 seconds or "0" for the entire capture duration`)
	secs, err := strconv.ParseFloat(invlText, 64)
	switch {
	case math.IsInf(secs, 0):
		return nil, tooSmall // as tshark says of it
	case err != nil || math.IsNaN(secs):
		return nil, bad
	}
	s := &IOStat{}
	if secs == 0 {
		s.interval = math.MaxUint64
	} else {
		if secs < 0 {
			return nil, tooSmall
		}
		// tshark's interval is a 64-bit count of µs: past it, the
		// conversion makes it no interval at all.
		if secs*1e6+0.5 >= 1<<64 {
			return nil, tooSmall
		}
		s.interval = uint64(secs*1e6 + 0.5)
		s.invlPrec = 6
		for i := uint64(10); i < 10_000_000; i *= 10 {
			if s.interval%i > 0 {
				break
			}
			s.invlPrec--
		}
		if s.invlPrec == 0 {
			// "1.00": as many decimals as given, up to 6.
			if _, frac, ok := strings.Cut(invlText, "."); ok && len(frac) > 0 {
				s.invlPrec = min(len(frac), 6)
			}
		}
		if s.interval < 1 {
			return nil, tooSmall
		}
	}
	var texts []string
	if hasFilters {
		texts = strings.Split(filters, ",")
	} else {
		texts = []string{""}
	}
	for _, text := range texts {
		c, err := newIOColumn(strings.TrimSpace(text), compile)
		if err != nil {
			return nil, err
		}
		s.cols = append(s.cols, c)
	}
	return s, nil
}

// newIOColumn is register_io_tap.
func newIOColumn(text string, compile func(string) (IOMatcher, error)) (*ioColumn, error) {
	c := &ioColumn{text: text, calc: ioFramesAndBytes, items: map[int]*ioItem{}, last: -1}
	flt := text
	for j, name := range ioCalcNames {
		after, ok := strings.CutPrefix(text, name)
		if !ok {
			// tshark's quirk: a name without parentheses ("FRAMES")
			// leaves its calculation over every frame.
			if c.calc == ioFrames || c.calc == ioBytes {
				flt = ""
			}
			continue
		}
		c.calc = j
		if !strings.HasPrefix(after, "(") {
			continue
		}
		field, rest, ok := strings.Cut(after[1:], ")")
		if !ok {
			return nil, fmt.Errorf("closing parenthesis missing from calculated expression")
		}
		if j == ioFrames || j == ioBytes {
			if field != "" {
				return nil, fmt.Errorf("%s does not require or allow a field name within the parens", name)
			}
		} else if field == "" {
			return nil, fmt.Errorf("you didn't specify a field name for %s(*)", name)
		}
		flt = rest
		if j == ioFrames || j == ioBytes {
			break
		}
		kind, _, known := LookupField(field)
		if !known {
			return nil, fmt.Errorf("there is no field named '%s'", field)
		}
		c.field, c.kind = field, kind
		switch kind {
		case KindUint, KindInt:
		case KindFloat:
			if j == ioLoad {
				return nil, fmt.Errorf("%s is a float field, so %s(*) calculations are not supported on it", field, name)
			}
		case KindDuration:
		default:
			if j != ioCount {
				return nil, fmt.Errorf("%s doesn't have integral values, so %s(*) calculations are not supported on it", field, name)
			}
		}
		if j == ioLoad && kind != KindDuration {
			return nil, fmt.Errorf("LOAD() is only supported for relative-time fields such as smb.time")
		}
		break
	}
	if strings.TrimSpace(flt) != "" {
		m, err := compile(flt)
		if err != nil {
			return nil, err
		}
		c.filter = m
	}
	return c, nil
}

// FilterFields are the fields the columns' filters name. tshark primes
// its dissection with every tap's filter and -Y's, and only the fields
// so primed have values for COUNT, SUM, MIN, MAX, AVG and LOAD: of any
// other field they see none ("MAX(tcp.len)tcp" is 0, "MAX(tcp.len)tcp.len"
// is not). Prime says which fields are primed.
func (s *IOStat) FilterFields() []string {
	var names []string
	for _, c := range s.cols {
		if c.filter != nil {
			names = append(names, c.filter.Fields()...)
		}
	}
	return names
}

// Prime names the fields whose values the calculations see (see
// FilterFields): the fields of every io,stat filter, of -Y, and
// tcp.stream for -z follow.
func (s *IOStat) Prime(names []string) {
	for _, c := range s.cols {
		c.primed = c.field != "" && slices.Contains(names, c.field)
	}
}

// Fields are the fields Add reads, for DissectFor.
func (s *IOStat) Fields() []string {
	names := []string{"frame.len", "frame.time_relative"}
	for _, c := range s.cols {
		if c.filter != nil {
			names = append(names, c.filter.Fields()...)
		}
		if c.field != "" {
			names = append(names, c.field)
		}
	}
	return names
}

// Add counts one packet (every packet, in order).
func (s *IOStat) Add(p *Packet) {
	var length uint64
	if f := p.Fields("frame.len"); len(f) > 0 {
		length = f[0].U
	}
	var relD time.Duration
	if f := p.Fields("frame.time_relative"); len(f) > 0 {
		relD = f[0].D
	}
	if relD > s.elapsed {
		s.elapsed = relD
	}
	// µs since the first frame; a frame from before it counts at the
	// last time seen.
	rel := s.lastRel
	if relD >= 0 {
		secs, ns := int64(relD/time.Second), int64(relD%time.Second)
		rel = uint64(secs)*1_000_000 + uint64((ns+500)/1000)
		s.lastRel = rel
	}
	for _, c := range s.cols {
		if c.filter != nil && !c.filter.Match(p) {
			continue
		}
		c.add(s, p, rel, length)
	}
}

func (c *ioColumn) add(s *IOStat, p *Packet, rel, length uint64) {
	idx := 0
	if s.interval != math.MaxUint64 {
		idx = int(rel / s.interval)
	}
	// A frame from before the last interval seen counts in that one.
	c.last = max(c.last, idx)
	it := c.item(c.last)
	it.frames++
	var values []*Field
	if c.primed {
		values = p.Fields(c.field)
	}
	switch c.calc {
	case ioFrames, ioBytes, ioFramesAndBytes:
		it.counter += length
	case ioCount:
		it.counter += uint64(len(values))
	case ioSum:
		for _, v := range values {
			it.add(c.kind, v)
		}
	case ioMin:
		for i, v := range values {
			first := it.frames == 1 && i == 0
			switch c.kind {
			case KindFloat:
				if first || v.F < it.f64 {
					it.f64 = v.F
				}
			case KindDuration:
				if first || uint64(v.D) < it.counter {
					it.counter = uint64(v.D)
				}
			case KindInt:
				if first || v.I < int64(it.counter) {
					it.counter = uint64(v.I)
				}
			default:
				if first || v.U < it.counter {
					it.counter = v.U
				}
			}
		}
	case ioMax:
		for _, v := range values {
			switch c.kind {
			case KindFloat:
				if v.F > it.f64 {
					it.f64 = v.F
				}
			case KindDuration:
				if uint64(v.D) > it.counter {
					it.counter = uint64(v.D)
				}
			case KindInt:
				if v.I > int64(it.counter) {
					it.counter = uint64(v.I)
				}
			default:
				if v.U > it.counter {
					it.counter = v.U
				}
			}
		}
	case ioAvg:
		for _, v := range values {
			it.num++
			it.add(c.kind, v)
		}
	case ioLoad:
		for _, v := range values {
			us := uint64(v.D / time.Microsecond)
			rem := us % s.interval
			it.counter += rem
			us -= rem
			for k := c.last - 1; us > 0 && k >= 0; k-- {
				if us < s.interval {
					c.item(k).counter += us
					break
				}
				c.item(k).counter += s.interval
				us -= s.interval
			}
		}
	}
	// The widest value the column shows.
	switch c.calc {
	case ioFrames:
		c.maxFr = max(c.maxFr, it.frames)
	case ioFramesAndBytes:
		c.maxFr = max(c.maxFr, it.frames)
		c.maxVal = max(c.maxVal, it.counter)
	case ioBytes, ioCount, ioLoad:
		c.maxVal = max(c.maxVal, it.counter)
	case ioSum, ioMin, ioMax:
		if c.kind == KindFloat {
			c.maxVal = max(c.maxVal, uint64(it.f64+0.5))
		} else {
			c.maxVal = max(c.maxVal, it.counter)
		}
	case ioAvg:
		if it.num == 0 {
			break
		}
		switch c.kind {
		case KindFloat:
			c.maxVal = max(c.maxVal, uint64(it.f64)/uint64(it.num))
		case KindDuration:
			c.maxVal = max(c.maxVal, (it.counter/uint64(it.num)+500_000_000)/1_000_000_000)
		default:
			c.maxVal = max(c.maxVal, it.counter/uint64(it.num))
		}
	}
}

// item returns the column's item of interval k, made if need be.
func (c *ioColumn) item(k int) *ioItem {
	it := c.items[k]
	if it == nil {
		it = &ioItem{}
		c.items[k] = it
	}
	return it
}

// magnitude is the number of decimal digits of v, at most maxW.
func magnitude(v uint64, maxW int) int {
	mag := 0
	for i := 0; i < maxW; i++ {
		mag++
		if v /= 10; v == 0 {
			break
		}
	}
	return mag
}

// printCenter is printcenter: label centred in a column lenval wide.
func printCenter(b *bufio.Writer, label string, lenval, numpad int) {
	const spaces = "      "
	lenlab := len(label)
	n := len(spaces) - ((lenval-lenlab)/2 + numpad)
	switch {
	case n > 0 && n < 6:
		sp := spaces[n:]
		if (lenval-lenlab)%2 == 0 {
			b.WriteString(sp + label + sp + "|")
		} else {
			b.WriteString(spaces[n-1:] + label + sp + "|")
		}
	case n > 0 && n <= 15:
		b.WriteString(label + "|")
	}
}

// Write prints the table (iostat_draw, relative times).
func (s *IOStat) Write(w io.Writer) {
	// Written as it goes: such a table can have millions of rows.
	b := bufio.NewWriterSize(w, 64<<10)
	defer b.Flush()
	el := s.elapsed
	elSecs, elNs := int64(el/time.Second), int64(el%time.Second)
	duration := uint64(elSecs)*1_000_000 + uint64((elNs+500)/1000)
	durOrig := duration

	interval := s.interval
	whole := false
	if s.interval > duration || s.interval == math.MaxUint64 {
		interval = duration
		whole = true
	}
	durSecs := duration / 1_000_000
	durMag := magnitude(durSecs, 5)
	invlMag := magnitude(interval/1_000_000, 5)
	var invlPrec, borderlen int
	if interval == duration {
		switch {
		case durMag >= 2:
			invlPrec = 1
		case durMag == 1:
			invlPrec = 3
		default:
			invlPrec = 6
		}
		borderlen = 30 + durMag + ifPrec(invlPrec)
	} else {
		invlPrec = s.invlPrec
		borderlen = 25 + max(invlMag, durMag) + ifPrec(invlPrec)
	}
	dv := uint64(1_000_000)
	for range invlPrec {
		dv /= 10
	}
	if duration%dv > 5*(dv/10) {
		duration += 5 * (dv / 10)
		duration = duration / dv * dv
		durSecs = duration / 1_000_000
		durMag = magnitude(durSecs, 5)
	}
	if whole {
		interval = duration
	}
	var invlFmt func(v uint64) string
	var invlColW int
	if invlPrec == 0 {
		invlFmt = func(v uint64) string { return fmt.Sprintf("%*d", durMag, v/1_000_000) }
		invlColW = 2*durMag + 8
	} else {
		invlFmt = func(v uint64) string {
			return fmt.Sprintf("%*d.%0*d", durMag, v/1_000_000, invlPrec, v%1_000_000/dv)
		}
		invlColW = 2*durMag + 2*invlPrec + 10
	}
	invlColW = max(invlColW, 12)

	// Column widths and formats.
	type colFmt struct {
		fr, val int
		format  func(it *ioItem, last bool, t, end uint64) string
	}
	fmts := make([]colFmt, len(s.cols))
	tabrowW := invlColW
	for j, c := range s.cols {
		namelen := len(ioCalcNames[c.calc])
		if c.calc == ioFramesAndBytes {
			namelen = 5
		}
		f := &fmts[j]
		switch c.calc {
		case ioFrames, ioFramesAndBytes:
			f.fr = max(6, magnitude(uint64(c.maxFr), 15))
			tabrowW += f.fr + 3
			if c.calc == ioFrames {
				fr := f.fr
				f.format = func(it *ioItem, _ bool, _, _ uint64) string { return fmt.Sprintf(" %*d |", fr, it.frames) }
			} else {
				f.val = max(5, magnitude(c.maxVal, 15))
				tabrowW += f.val + 3
				fr, val := f.fr, f.val
				f.format = func(it *ioItem, _ bool, _, _ uint64) string {
					return fmt.Sprintf(" %*d | %*d |", fr, it.frames, val, it.counter)
				}
			}
			continue
		case ioBytes, ioCount:
			f.val = max(5, magnitude(c.maxVal, 15))
			val := f.val
			f.format = func(it *ioItem, _ bool, _, _ uint64) string { return fmt.Sprintf(" %*d |", val, it.counter) }
		default:
			switch c.kind {
			case KindFloat:
				mag := magnitude(c.maxVal, 15)
				f.val = mag + 7
				calc := c.calc
				f.format = func(it *ioItem, _ bool, _, _ uint64) string {
					v := it.f64
					if calc == ioAvg {
						v /= float64(max(it.num, 1))
					}
					return fmt.Sprintf(" %*.6f |", mag, v)
				}
			case KindDuration:
				maxVal := c.maxVal
				if c.calc == ioLoad {
					// tshark 4.0 divides by the zero interval of a
					// capture of no duration (and dies of SIGFPE).
					if interval != 0 {
						maxVal /= interval
					}
				} else if c.calc != ioAvg {
					maxVal = (maxVal + 500_000_000) / 1_000_000_000
				}
				mag := magnitude(maxVal, 15)
				f.val = mag + 7
				calc := c.calc
				f.format = func(it *ioItem, last bool, t, end uint64) string {
					var us uint64
					switch calc {
					case ioAvg:
						us = (it.counter/uint64(max(it.num, 1)) + 500) / 1000
					case ioLoad:
						d := interval
						if last {
							d = end - t
						}
						if d == 0 {
							return fmt.Sprintf(" %*d.%06d |", mag, 0, 0)
						}
						return fmt.Sprintf(" %*d.%06d |", mag, uint32(it.counter/d), uint32(it.counter%d*1_000_000/d))
					default:
						us = (it.counter + 500) / 1000
					}
					// printf("%u.%06u", (int)…): 32 bits of the seconds.
					return fmt.Sprintf(" %*d.%06d |", mag, uint32(us/1_000_000), uint32(us%1_000_000))
				}
			default:
				f.val = max(namelen, magnitude(c.maxVal, 15))
				val, calc, signed := f.val, c.calc, c.kind == KindInt
				f.format = func(it *ioItem, _ bool, _, _ uint64) string {
					v := it.counter
					if calc == ioAvg {
						v /= uint64(max(it.num, 1))
					}
					if signed {
						return fmt.Sprintf(" %*d |", val, int64(v))
					}
					return fmt.Sprintf(" %*d |", val, v)
				}
			}
		}
		tabrowW += f.val + 3
	}
	borderlen = max(borderlen, tabrowW)
	maxfltrW := 0
	for _, c := range s.cols {
		if c.text != "" {
			maxfltrW = max(maxfltrW, len(c.text)+11)
		} else {
			maxfltrW = max(maxfltrW, 26)
		}
	}
	if maxfltrW > borderlen && borderlen < 102 {
		borderlen = min(maxfltrW, 102)
	}
	if borderlen-tabrowW == 1 {
		borderlen++
	}

	// The header.
	padTo := func(line string) {
		b.WriteString(line)
		if n := borderlen - len(line) - 1; n > 0 {
			b.WriteString(strings.Repeat(" ", n))
		}
		b.WriteString("|\n")
	}
	b.WriteString("\n" + strings.Repeat("=", borderlen) + "\n")
	padTo("| IO Statistics")
	padTo("|")
	// tshark 4.0 pads these two lines for a duration of durMag digits,
	// even when it has more (magnitude stops at 5).
	fixed := func(line string, used int) {
		b.WriteString(line + strings.Repeat(" ", max(borderlen-used, 0)) + "|\n")
	}
	if invlPrec == 0 {
		// The duration unrounded, its microseconds as "%6u".
		fixed(fmt.Sprintf("| Duration: %*d.%6d secs", durMag, durOrig/1_000_000, durOrig%1_000_000), 25+durMag)
		fixed(fmt.Sprintf("| Interval: %*d secs", durMag, interval/1_000_000), 18+durMag)
	} else {
		fixed(fmt.Sprintf("| Duration: %s secs", invlFmt(duration)), 19+durMag+invlPrec)
		fixed(fmt.Sprintf("| Interval: %s secs", invlFmt(interval)), 19+durMag+invlPrec)
	}
	padTo("|")
	for j, c := range s.cols {
		line := "|    "
		if j == 0 {
			line = "| Col"
		}
		line += fmt.Sprintf("%2d: ", j+1)
		if c.text == "" {
			line += "Frames and bytes"
		} else {
			filter := c.text
			maxW := borderlen - 11
			for len(filter) > maxW {
				cut, next := maxW, maxW
				if k := strings.LastIndexByte(filter[:maxW], ' '); k >= 0 {
					cut, next = k, k+1
				}
				padTo(line + filter[:cut])
				line = "|        "
				filter = filter[next:]
			}
			line += filter
		}
		padTo(line)
	}
	b.WriteString("|-" + strings.Repeat("-", borderlen-3) + "|\n")

	// The column header rows.
	filler := ""
	if tabrowW < borderlen {
		filler = fmt.Sprintf("%*s", borderlen-tabrowW, "|")
	}
	fmt.Fprintf(b, "|%*s", invlColW-1, "|")
	for j, c := range s.cols {
		pad := fmts[j].val
		switch c.calc {
		case ioFramesAndBytes:
			pad = fmts[j].fr + fmts[j].val + 3
		case ioFrames:
			pad = fmts[j].fr
		}
		fmt.Fprintf(b, "%-2d%*s|", j+1, pad, "")
	}
	b.WriteString(filler + "\n")
	fmt.Fprintf(b, "%s%*s", "| Interval", invlColW-len("| Interval"), "|")
	for j, c := range s.cols {
		switch c.calc {
		case ioFrames:
			printCenter(b, "FRAMES", fmts[j].fr, 1)
		case ioFramesAndBytes:
			printCenter(b, "Frames", fmts[j].fr, 1)
			printCenter(b, "Bytes", fmts[j].val, 1)
		default:
			printCenter(b, ioCalcNames[c.calc], fmts[j].val, 1)
		}
	}
	b.WriteString(filler + "\n|-" + strings.Repeat("-", tabrowW-3) + "|" + filler + "\n")

	// The rows.
	numRows := 0
	if interval != 0 && duration != 0 {
		numRows = int(duration / interval)
		if duration%interval > 0 {
			numRows++
		}
	}
	rowFmt := func(a, e string) string { return "| " + a + " <> " + e + " |" }
	if invlPrec == 0 && durMag == 1 {
		rowFmt = func(a, e string) string { return "|  " + a + " <> " + e + "  |" }
	}
	var t uint64
	for i := range numRows {
		last := i == numRows-1
		end := t + interval
		if last {
			end = duration
		}
		if invlPrec == 0 && last {
			maxw := 3
			if durMag >= 3 {
				maxw = durMag + 1
			}
			sp := ""
			if durMag == 1 {
				sp = " "
			}
			fmt.Fprintf(b, "| %s%s <> %-*s|", sp, invlFmt(t), maxw, "Dur")
		} else {
			b.WriteString(rowFmt(invlFmt(t), invlFmt(end)))
		}
		for j, c := range s.cols {
			it := c.items[i]
			if it == nil {
				it = &ioItem{}
			}
			b.WriteString(fmts[j].format(it, last, t, end))
		}
		if tabrowW < borderlen {
			fmt.Fprintf(b, "%*s", borderlen-tabrowW, "|")
		}
		b.WriteByte('\n')
		t += interval
	}
	b.WriteString(strings.Repeat("=", borderlen) + "\n")
}

func ifPrec(prec int) int {
	if prec == 0 {
		return 0
	}
	return prec + 1
}
