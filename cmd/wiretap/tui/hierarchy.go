package tui

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"

	"wiretap/decode"
)

// Protocol hierarchy (P): the data of `-z io,phs`, as a table.

// openHierarchy counts protocols over the packets shown (after the
// display filter, as Wireshark does), dissecting each.
func (a *App) openHierarchy() {
	tv := &textList{title: "Protocol hierarchy", pending: "counting…"}
	a.pushOverlay(tv)
	store := a.store
	v := a.list.view
	filter := a.filter.applied
	j := a.startJob("hierarchy", func(j *job) func() {
		total := store.Len()
		if err := store.WaitAnalysed(j.stop, total); err != nil {
			return nil
		}
		if v.filtered != nil {
			for _, done := v.filtered.snapshot(); !done && !j.stopped(); _, done = v.filtered.snapshot() {
				time.Sleep(20 * time.Millisecond)
			}
		}
		stats := decode.NewStats()
		rows := v.length(total)
		for i := 0; i < rows; i++ {
			if i%256 == 0 {
				if j.stopped() {
					return nil
				}
				j.progress(i, rows)
			}
			p, _, err := store.Dissect(v.at(i, total))
			if err != nil {
				return func() { tv.pending = err.Error() }
			}
			stats.Add(p)
		}
		var sb strings.Builder
		stats.WritePHS(&sb)
		lines := hierarchyLines(sb.String(), rows)
		return func() {
			tv.pending = ""
			tv.title = "Protocol hierarchy of " + plural(rows, "packet")
			if filter != "" {
				tv.title += " matching " + filter
			}
			tv.lines = lines
		}
	})
	tv.pending = "counting… (" + j.name + ")"
}

// hierarchyLines turns WritePHS's text into a table with percentages, as
// Wireshark's Protocol Hierarchy window shows it.
func hierarchyLines(phs string, packetsShown int) []styledLine {
	type row struct {
		depth          int
		name           string
		frames, nbytes int64
	}
	var rows []row
	var totalBytes int64
	sc := bufio.NewScanner(strings.NewReader(phs))
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, " frames:")
		j := strings.Index(line, " bytes:")
		if i < 0 || j < 0 {
			continue
		}
		name := strings.TrimRight(line[:i], " ")
		depth := (len(name) - len(strings.TrimLeft(name, " "))) / 2
		frames, _ := strconv.ParseInt(strings.TrimSpace(line[i+len(" frames:"):j]), 10, 64)
		nbytes, _ := strconv.ParseInt(strings.TrimSpace(line[j+len(" bytes:"):]), 10, 64)
		rows = append(rows, row{depth, strings.TrimSpace(name), frames, nbytes})
		if depth == 0 {
			totalBytes += nbytes
		}
	}
	header := fmt.Sprintf("%-34s %9s %10s %9s %12s", "Protocol", "% Packets", "Packets", "% Bytes", "Bytes")
	out := []styledLine{plainLine(header, styleHeader)}
	pct := func(a, b int64) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) * 100 / float64(b)
	}
	for _, r := range rows {
		line := fmt.Sprintf("%-34s %8.1f%% %10d %8.1f%% %12d", strings.Repeat("  ", r.depth)+r.name,
			pct(r.frames, int64(packetsShown)), r.frames, pct(r.nbytes, totalBytes), r.nbytes)
		out = append(out, plainLine(line, styleNormal))
	}
	if len(rows) == 0 {
		out = append(out, plainLine("no packets", styleDim))
	}
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
