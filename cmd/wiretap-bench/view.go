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
// WIRETAP_VIEW_TRACE as they happen; the bench notes when each arrives,
// then types q and reads the child's peak RSS from its rusage.
func benchView(args []string) error {
	fs := newFlagSet("view")
	file := fs.String("file", "/tmp/big.pcapng", "the capture to open (1,000,000+ packets for the targets)")
	cols := fs.Int("cols", 120, "terminal width")
	rows := fs.Int("rows", 40, "terminal height")
	runs := fs.Int("runs", 3, "how many times to open it (the best and the worst are shown)")
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
	fmt.Printf("%-4s %14s %14s %14s %14s %12s\n", "run", "first screen s", "indexed s", "analysed s", "quit s", "peak RSS MB")
	var results []viewRun
	for i := 1; i <= *runs; i++ {
		r, err := runViewOnce(bin, *file, filepath.Join(dir, fmt.Sprintf("trace%d", i)), *cols, *rows)
		if err != nil {
			return err
		}
		results = append(results, r)
		fmt.Printf("%-4d %14.3f %14.3f %14.3f %14.3f %12.1f   (%s)\n", i, r.at["first-screen"].Seconds(), r.at["indexed"].Seconds(),
			r.at["analysed"].Seconds(), r.quit.Seconds(), float64(r.rssKB)/1024, r.detail["indexed"])
	}
	fmt.Println("\ntargets: first screen < 0.5 s, indexed < 3 s, peak RSS < 200 MB")
	fmt.Println("(indexed: every packet's row is reachable; analysed: the fast pass is done, so rows and trees are final)")
	return nil
}

type viewRun struct {
	at     map[string]time.Duration
	detail map[string]string
	quit   time.Duration
	rssKB  int64
}

func runViewOnce(bin, file, fifo string, cols, rows int) (viewRun, error) {
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
	timeout := time.After(120 * time.Second)
	for r.at["analysed"] == 0 {
		select {
		case line, ok := <-events:
			if !ok {
				cmd.Process.Kill()
				cmd.Wait()
				return r, fmt.Errorf("the viewer closed its trace before the fast pass was done")
			}
			name, rest, _ := strings.Cut(line, " ")
			r.at[name] = time.Since(start)
			secs, detail, _ := strings.Cut(rest, " ")
			if v, err := strconv.ParseFloat(secs, 64); err == nil {
				detail += fmt.Sprintf(", %.3f s inside", v)
			}
			r.detail[name] = detail
		case <-timeout:
			cmd.Process.Kill()
			cmd.Wait()
			return r, fmt.Errorf("no milestones from the viewer after 120 s")
		}
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
	return r, nil
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
