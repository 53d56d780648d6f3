package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// benchView runs `wiretap view FILE` in a pseudo-terminal, as a user
// would, and times it from outside: the viewer writes its milestones
// (first-screen, indexed, analysed) to the FIFO named by
// WIRETAP_VIEW_TRACE as they happen; the bench notes when each arrives.
// Then, for each -filter, it types / and the expression, and Enter, and
// times the filter's milestones (filter-first-match: its first match is
// drawn; filter-done: every packet is filtered) from the Enter. Last it
// types q and reads the child's CPU time and peak RSS from its rusage.
func benchView(args []string) error {
	fs := newFlagSet("view")
	file := fs.String("file", "/tmp/big.pcapng", "the capture to open (1,000,000+ packets for the targets)")
	cols := fs.Int("cols", 120, "terminal width")
	rows := fs.Int("rows", 40, "terminal height")
	runs := fs.Int("runs", 3, "how many times to open it (the best and the worst are shown)")
	var filters multiFlag
	fs.Var(&filters, "filter", "after the fast pass, apply this display filter in the viewer (repeatable: one after the other)")
	fs.Parse(args)
	st, err := os.Stat(*file)
	if err != nil {
		return fmt.Errorf("%v (make one with: wiretap-bench dissect -keep %s)", err, *file)
	}
	dir, bin, err := workDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("capture: %s (%d MB), terminal %dx%d\n\n", *file, st.Size()>>20, *cols, *rows)
	fmt.Printf("%-4s %14s %14s %14s %8s %8s %12s\n", "run", "first screen s", "indexed s", "analysed s", "quit s", "CPU s", "peak RSS MB")
	var results []viewRun
	for i := 1; i <= *runs; i++ {
		r, err := runViewOnce(bin, *file, filepath.Join(dir, fmt.Sprintf("trace%d", i)), *cols, *rows, filters)
		if err != nil {
			return err
		}
		results = append(results, r)
		fmt.Printf("%-4d %14.3f %14.3f %14.3f %8.3f %8.2f %12.1f   (%s)\n", i, r.at["first-screen"].Seconds(), r.at["indexed"].Seconds(),
			r.at["analysed"].Seconds(), r.quit.Seconds(), r.cpu.Seconds(), float64(r.rssKB)/1024, r.detail["indexed"])
	}
	fmt.Println("\ntargets: first screen < 0.5 s, indexed < 3 s, peak RSS < 200 MB")
	fmt.Println("(indexed: every packet's row is reachable; analysed: the fast pass is done, so rows and trees are final;")
	fmt.Println(" CPU: wiretap's user+sys time for the whole run)")
	for k, expr := range filters {
		fmt.Printf("\nfilter %q (typed after the fast pass; times from the Enter)\n", expr)
		fmt.Printf("%-4s %20s %14s %14s   %s\n", "run", "filter first match s", "filter done s", "filter CPU s", "matched")
		for i, r := range results {
			fr := r.filters[k]
			first := "-" // nothing matched
			if fr.first > 0 {
				first = fmt.Sprintf("%.3f", fr.first.Seconds())
			}
			fmt.Printf("%-4d %20s %14.3f %14.2f   (%s)\n", i+1, first, fr.done.Seconds(), fr.cpu.Seconds(), fr.detail)
		}
	}
	if len(filters) > 0 {
		fmt.Println("\ntargets: filter first match < 0.5 s, filter done < 3 s")
		fmt.Println("(first match: the first matching row is drawn; done: every packet filtered, the progress gone;")
		fmt.Println(" filter CPU: wiretap's user+sys time from the Enter to done)")
	}
	return nil
}

type viewRun struct {
	at      map[string]time.Duration
	detail  map[string]string
	filters []filterRun
	quit    time.Duration
	cpu     time.Duration
	rssKB   int64
}

// filterRun is one display filter's timing, from the Enter that applied it.
type filterRun struct {
	first, done time.Duration // first is 0 when nothing matched
	cpu         time.Duration
	detail      string
}

func runViewOnce(bin, file, fifo string, cols, rows int, filters []string) (viewRun, error) {
	r := viewRun{at: map[string]time.Duration{}, detail: map[string]string{}}
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		return r, err
	}
	master, slave, err := openPty(cols, rows)
	if err != nil {
		return r, err
	}
	defer master.Close()
	cmd := exec.Command(bin, "view", file)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.Env = append(os.Environ(), "TERM=xterm-256color", "WIRETAP_VIEW_TRACE="+fifo)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	events := make(chan string, 8)
	go func() {
		// Opening a FIFO for reading waits for the writer.
		f, err := os.Open(fifo)
		if err != nil {
			close(events)
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			events <- sc.Text()
		}
		close(events)
	}()
	go io.Copy(io.Discard, master) // the screen: drained, or the child blocks
	start := time.Now()
	if err := cmd.Start(); err != nil {
		slave.Close()
		return r, err
	}
	slave.Close()
	fail := func(err error) (viewRun, error) {
		cmd.Process.Kill()
		cmd.Wait()
		return r, err
	}
	// next waits for a milestone: its name, when it arrived, its detail.
	next := func(what string) (string, time.Time, string, error) {
		select {
		case line, ok := <-events:
			if !ok {
				return "", time.Time{}, "", fmt.Errorf("the viewer closed its trace before %s", what)
			}
			at := time.Now()
			name, rest, _ := strings.Cut(line, " ")
			secs, detail, _ := strings.Cut(rest, " ")
			if v, err := strconv.ParseFloat(secs, 64); err == nil {
				detail += fmt.Sprintf(", %.3f s inside", v)
			}
			return name, at, detail, nil
		case <-time.After(120 * time.Second):
			return "", time.Time{}, "", fmt.Errorf("no milestone from the viewer for 120 s, waiting for %s", what)
		}
	}
	for r.at["analysed"] == 0 {
		name, at, detail, err := next("the fast pass was done")
		if err != nil {
			return fail(err)
		}
		r.at[name] = at.Sub(start)
		r.detail[name] = detail
	}
	for _, expr := range filters {
		// Open the bar, clear it (Ctrl-U), type the expression; Enter
		// once the viewer has taken the typing in.
		master.Write([]byte("/\x15" + expr))
		time.Sleep(500 * time.Millisecond)
		cpu0 := procCPU(cmd.Process.Pid)
		enter := time.Now()
		master.Write([]byte("\r"))
		var fr filterRun
		for fr.done == 0 {
			name, at, detail, err := next("filter " + expr + " was done")
			if err != nil {
				return fail(err)
			}
			switch name {
			case "filter-first-match":
				fr.first = at.Sub(enter)
			case "filter-done":
				fr.done = at.Sub(enter)
				fr.detail = detail
			}
		}
		fr.cpu = procCPU(cmd.Process.Pid) - cpu0
		r.filters = append(r.filters, fr)
	}
	quitAt := time.Now()
	master.Write([]byte("q"))
	if err := cmd.Wait(); err != nil {
		return r, fmt.Errorf("wiretap view: %v", err)
	}
	r.quit = time.Since(quitAt)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rssKB = ru.Maxrss
	}
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, nil
}

// procCPU is a running process's user+sys time so far, from
// /proc/PID/stat (0 if it cannot be read).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count the
	// fields after it (utime and stime are the 14th and 15th of all).
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ: 100 on Linux
	return time.Duration(ut+st) * time.Second / ticks
}

// openPty makes a pseudo-terminal of the given size (no cgo: the ptmx
// ioctls).
func openPty(cols, rows int) (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlocking the pty: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("naming the pty: %w", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: uint16(rows), Col: uint16(cols)}); err != nil {
		master.Close()
		slave.Close()
		return nil, nil, err
	}
	return master, slave, nil
}
