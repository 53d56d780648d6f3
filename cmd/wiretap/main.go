// Command wiretap is a terminal network traffic inspector for the loopback
// interface: it captures, dissects and explains the secret-squirrel demo.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strings"

	"wiretap/decode"
)

// version is reported in pcapng's shb_userappl and by `wiretap version`.
const version = "0.1.0"

// A command is one subcommand. Each lives in its own file and registers
// itself in init, so main stays a dispatcher.
type command struct {
	summary string
	run     func(args []string, stdio stdio) error
}

// stdio carries the streams a command may use, so tests can run main in-process.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

var commands = map[string]command{}

func register(name, summary string, run func([]string, stdio) error) {
	commands[name] = command{summary: summary, run: run}
}

// usageError is a mistake in the command line; it exits 2 like flag does.
type usageError struct{ msg, hint string }

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Hint() string  { return e.hint }
func (e *usageError) ExitCode() int { return 2 }

// errUsagePrinted means the flag package already printed what was wrong.
var errUsagePrinted = errors.New("usage")

func main() {
	// WIRETAP_CPUPROFILE=file writes a CPU profile of the run, for the
	// speed work the benchmarks measure.
	if path := os.Getenv("WIRETAP_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				code := run(os.Args[1:], stdio{os.Stdin, os.Stdout, os.Stderr})
				pprof.StopCPUProfile()
				f.Close()
				os.Exit(code)
			}
		}
	}
	code := run(os.Args[1:], stdio{os.Stdin, os.Stdout, os.Stderr})
	// WIRETAP_MEMPROFILE=file writes what is live at the end of the run.
	if path := os.Getenv("WIRETAP_MEMPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
	os.Exit(code)
}

// run executes one wiretap command line and returns the exit status. Every
// error leaves as one `wiretap: error:` line, plus a `wiretap: hint:` line when
// the error knows the next step, never as a stack trace.
func run(args []string, io stdio) (code int) {
	defer func() {
		if r := recover(); r != nil {
			code = reportInternal(io.err, r)
		}
	}()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(io.out)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintf(io.out, "wiretap %s\n", version)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(io.err, "wiretap: error: unknown command %q\n", args[0])
		fmt.Fprintf(io.err, "wiretap: hint: commands are: %s (see 'wiretap help')\n", strings.Join(commandNames(), ", "))
		return 2
	}
	err := cmd.run(args[1:], io)
	if err == nil {
		return 0
	}
	return reportError(io.err, err)
}

// reportError prints err the wiretap way and returns the exit status it asks for.
func reportError(w io.Writer, err error) int {
	if errors.Is(err, errUsagePrinted) {
		return 2
	}
	if pe, ok := errors.AsType[*decode.PanicError](err); ok {
		return reportInternal(w, pe)
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(w, "wiretap: error: %s\n", pkiErrorText(strings.TrimSpace(err.Error())))
	// wiretap's own errors carry their advice; the capture package's get
	// theirs from captureAdvice.
	hint, code := captureAdvice(err)
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		hint = h.Hint()
	}
	if hint != "" {
		fmt.Fprintf(w, "wiretap: hint: %s\n", hint)
	}
	var c interface{ ExitCode() int }
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	if code != 0 {
		return code
	}
	return 1
}

// reportInternal prints a recovered panic (r, or the *decode.PanicError
// a worker goroutine recovered) as one line, no stack trace, and returns
// the exit status of an internal error.
func reportInternal(w io.Writer, r any) int {
	msg := fmt.Sprint(r)
	if pe, ok := r.(*decode.PanicError); ok {
		msg = pe.Error()
	} else if site := decode.PanicSite(); site != "" {
		msg += " (at " + site + ")"
	}
	fmt.Fprintf(w, "wiretap: internal error: %s\n", strings.ReplaceAll(msg, "\n", " "))
	fmt.Fprintf(w, "wiretap: hint: this is a bug; please report it with the command you ran\n")
	return 3
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "wiretap %s: see what crosses the loopback wire\n\nUsage: wiretap COMMAND [flags]\n\nCommands:\n", version)
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'wiretap COMMAND -h' for a command's flags.\n")
}

// newFlags makes a FlagSet that reports mistakes on stderr and returns
// instead of exiting, so main decides the exit status.
func newFlags(name, usage string, io stdio) *flag.FlagSet {
	fs := flag.NewFlagSet("wiretap "+name, flag.ContinueOnError)
	fs.SetOutput(io.err)
	fs.Usage = func() {
		fmt.Fprintf(io.err, "Usage: wiretap %s %s\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning flag's own errors (already printed) into
// errUsagePrinted so they are not printed twice.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsagePrinted
	}
	return nil
}
