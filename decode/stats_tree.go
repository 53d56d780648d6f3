package decode

import (
	"bytes"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// statsTree is Wireshark's stats_tree (epan/stats_tree.c), as tshark
// prints it: a tree of counters, each with its rate, its share of its
// parent and its highest count in a 100 ms window (the burst rate), with
// Wireshark's default preferences (bursts on, 5 ms buckets, 100 ms window,
// rows sorted by count, most first, ties by name).
type statsTree struct {
	name    string // the registered name, "HTTP/Packet Counter"
	root    *statNode
	now     float64 // ms since the first frame, of the packet being counted
	start   float64 // the first counted packet's now; < 0 before it
	elapsed float64
}

type statNode struct {
	name      string
	counter   int
	rootChild bool // a child of the root: shown by its display name
	parent    *statNode
	children  []*statNode
	// Burst: buckets of stBurstRes ms, oldest first, within the window.
	buckets   []burstBucket
	bcount    int
	maxBurst  int
	burstTime float64
}

type burstBucket struct {
	no    float64
	count int
	start float64
}

// Wireshark's defaults: st_burst_resolution, st_burst_windowlen.
const (
	stBurstRes    = 5.0
	stBurstWindow = 100.0
)

func newStatsTree(name string) *statsTree {
	t := &statsTree{name: name, start: -1}
	t.root = t.newNode(displayName(name), nil)
	return t
}

func (t *statsTree) newNode(name string, parent *statNode) *statNode {
	n := &statNode{name: name, parent: parent, burstTime: -1, buckets: []burstBucket{{}}}
	if parent != nil {
		n.rootChild = parent == t.root
		parent.children = append(parent.children, n)
	}
	return n
}

// child finds or makes parent's child called name.
func (t *statsTree) child(parent *statNode, name string) *statNode {
	for _, c := range parent.children {
		if c.name == name {
			return c
		}
	}
	return t.newNode(name, parent)
}

// packet is stats_tree_packet: the time (ms since the first frame) of the
// packet the next ticks count.
func (t *statsTree) packet(nowMs float64) {
	t.now = nowMs
	if t.start < 0 {
		t.start = nowMs
	}
	t.elapsed = t.now - t.start
}

// tick adds one to n (stats_tree_manip_node MN_INCREASE, or the pivot's
// own count in stats_tree_tick_pivot).
func (t *statsTree) tick(n *statNode) {
	n.counter++
	n.burst(t.now, 1)
}

// burst is update_burst_calc.
func (n *statNode) burst(now float64, value int) {
	cur := math.Floor(now / stBurstRes)
	win := stBurstWindow / stBurstRes
	head, tail := &n.buckets[0], &n.buckets[len(n.buckets)-1]
	switch {
	case cur > tail.no:
		n.buckets = append(n.buckets, burstBucket{no: cur, count: value, start: now})
		n.bcount += value
		for cur >= n.buckets[0].no+win {
			n.bcount -= n.buckets[0].count
			n.buckets = n.buckets[1:]
		}
	case cur < head.no:
		if cur+win > tail.no {
			n.buckets = slices.Insert(n.buckets, 0, burstBucket{no: cur, count: value, start: now})
			n.bcount += value
		}
	default:
		i := len(n.buckets) - 1
		for cur < n.buckets[i].no {
			i--
		}
		if cur == n.buckets[i].no {
			n.buckets[i].count += value
			if n.buckets[i].start > now {
				n.buckets[i].start = now
			}
		} else {
			n.buckets = slices.Insert(n.buckets, i+1, burstBucket{no: cur, count: value, start: now})
		}
		n.bcount += value
	}
	if n.bcount > n.maxBurst {
		n.maxBurst = n.bcount
		n.burstTime = n.buckets[0].start
	}
}

// displayName is stats_tree_get_displayname: the part after the last
// unescaped slash ("//" is a slash).
func displayName(full string) string {
	b := []byte(full)
	for i := 0; i < len(b); i++ {
		if b[i] != '/' {
			continue
		}
		if i+1 < len(b) && b[i+1] == '/' {
			b = append(b[:i+1], b[i+2:]...)
			continue
		}
		b = append(b[:0], b[i+1:]...)
		i = -1
	}
	return string(b)
}

func (n *statNode) shownName() string {
	if n.rootChild {
		return displayName(n.name)
	}
	return n.name
}

const (
	statColumns   = 9  // name and the eight value columns
	statColumnLen = 12 // stats_tree_get_column_size of a value column
	statIndentMax = 32 // INDENT_MAX
)

var statColumnNames = [statColumns]string{"Topic / Item", "Count", "Average", "Min Val", "Max Val", "Rate (ms)", "Percent", "Burst Rate", "Burst Start"}

// maxNameLen is stats_tree_branch_max_namelen.
func (n *statNode) maxNameLen(indent int) int {
	indent = min(indent, statIndentMax)
	m := 0
	for _, c := range n.children {
		m = max(m, c.maxNameLen(indent+1))
	}
	return max(m, len(n.shownName())+indent)
}

// values is stats_tree_get_values_from_node, for counters (no averages).
func (t *statsTree) values(n *statNode) [statColumns]string {
	var v [statColumns]string
	v[0] = n.shownName()
	v[1] = strconv.Itoa(n.counter)
	if t.elapsed != 0 {
		v[5] = strconv.FormatFloat(float64(float32(n.counter))/t.elapsed, 'f', 4, 64)
	}
	switch {
	case n.parent != nil && n.parent.counter != 0:
		v[6] = strconv.FormatFloat(float64(n.counter)*100/float64(n.parent.counter), 'f', 2, 64) + "%"
	case n.parent == t.root:
		v[6] = "100%"
	}
	if n.maxBurst != 0 {
		v[7] = strconv.FormatFloat(float64(n.maxBurst)/stBurstWindow, 'f', 4, 64)
		v[8] = strconv.FormatFloat(n.burstTime/1000, 'f', 3, 64)
	} else {
		v[7], v[8] = "-", "-"
	}
	return v
}

// write is stats_tree_format_as_str with ST_FORMAT_PLAIN.
func (t *statsTree) write(w io.Writer) {
	nameLen := t.root.maxNameLen(0)
	sepLen := nameLen + (statColumns-1)*(statColumnLen+2)
	var b bytes.Buffer
	b.WriteString("\n" + strings.Repeat("=", sepLen) + "\n" + t.name + ":\n")
	pad := func(s string, n int) {
		b.WriteString(s)
		for i := len(s); i < n; i++ {
			b.WriteByte(' ')
		}
	}
	pad(statColumnNames[0], nameLen)
	for _, c := range statColumnNames[1:] {
		b.WriteByte(' ')
		pad(c, statColumnLen+1)
	}
	b.WriteString("\n" + strings.Repeat("-", sepLen) + "\n")
	var node func(n *statNode, indent int)
	node = func(n *statNode, indent int) {
		v := t.values(n)
		b.WriteString(strings.Repeat(" ", indent))
		pad(v[0], nameLen-indent)
		for _, s := range v[1:] {
			b.WriteByte(' ')
			pad(s, statColumnLen+1)
		}
		b.WriteByte('\n')
		kids := slices.Clone(n.children)
		slices.SortStableFunc(kids, func(a, b *statNode) int {
			if a.counter != b.counter {
				return b.counter - a.counter
			}
			return strings.Compare(b.name, a.name)
		})
		for _, c := range kids {
			node(c, min(indent+1, statIndentMax))
		}
	}
	for _, c := range t.root.children {
		node(c, 0)
	}
	b.WriteString("\n" + strings.Repeat("-", sepLen) + "\n")
	w.Write(b.Bytes())
}
