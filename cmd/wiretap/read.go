package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/gopacket/gopacket/layers"

	"wiretap/capture"
	"wiretap/decode"
)

func init() {
	register("read", "read a capture file: print, filter and re-write its packets", runRead)
}

const readUsage = "-r FILE|- [-f FILTER | FILTER...] [-w OUT] [-F pcapng|pcap] [-c N] [-q]"

func runRead(args []string, sio stdio) error {
	fs := newFlags("read", readUsage, sio)
	file := fs.String("r", "", "capture file to read (pcap, pcapng, gzip-compressed or not; - for stdin)")
	filter := fs.String("f", "", "capture filter in tcpdump syntax (or give it as words after the flags)")
	write := fs.String("w", "", "write the packets that pass the filter to OUT")
	format := fs.String("F", "pcapng", "format of -w: pcapng or pcap")
	count := fs.Int("c", 0, "stop after N packets")
	quiet := fs.Bool("q", false, "print no packet lines")
	words, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *file == "" {
		return &usageError{msg: "read needs a file: -r FILE (or -r - for stdin)", hint: "usage: wiretap read " + readUsage}
	}
	if len(words) > 0 {
		if *filter != "" {
			return &usageError{msg: "give the filter either with -f or as words after the flags, not both"}
		}
		*filter = strings.Join(words, " ")
	}
	if *format != "pcapng" && *format != "pcap" {
		return &usageError{msg: fmt.Sprintf("unknown file format %q", *format), hint: "-F takes pcapng or pcap"}
	}
	if *count < 0 {
		return &usageError{msg: "-c takes a number of 0 or more"}
	}

	var src capture.Source
	if *file == "-" {
		src, err = capture.NewReader(sio.in)
	} else {
		src, err = capture.OpenFile(*file)
	}
	if err != nil {
		return err
	}
	defer src.Close()

	// A filter is compiled once per link type met in the file (pcapng may
	// mix them) and run over each packet, as libpcap does for offline reads.
	matchers := map[layers.LinkType]*capture.Matcher{}
	match := func(lt layers.LinkType, data []byte, wireLen int) (bool, error) {
		if *filter == "" {
			return true, nil
		}
		m, ok := matchers[lt]
		if !ok {
			prog, err := capture.CompileFilter(*filter, lt, capture.DefaultSnapLen)
			if err != nil {
				return false, err
			}
			if m, err = capture.NewMatcher(prog); err != nil {
				return false, err
			}
			matchers[lt] = m
		}
		return m.Match(data, wireLen), nil
	}

	var sink capture.PacketWriter
	var sinkLT layers.LinkType
	out := bufio.NewWriterSize(sio.out, 256<<10)
	defer out.Flush()
	summary := decode.NewSummarizer()
	n := 0
	var readErr error
	for *count == 0 || n < *count {
		data, ci, err := src.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		lt := src.LinkType(ci)
		ok, err := match(lt, data, ci.Length)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		n++
		if *write != "" {
			if sink == nil {
				if sink, err = createReadSink(*write, *format, lt, sio); err != nil {
					return err
				}
				sinkLT = lt
				defer sink.Close()
			}
			if lt != sinkLT {
				return fmt.Errorf("capture: %s mixes link types (%s and %s); writing such files is not supported yet", *file, sinkLT, lt)
			}
			ci.InterfaceIndex = 0
			if err := sink.WritePacket(ci, data); err != nil {
				return err
			}
		}
		if !*quiet && *write == "" {
			summary.Summarize(ci, lt, data).WriteTo(out)
		}
	}
	if sink != nil {
		if err := sink.Close(); err != nil {
			return err
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return readErr
}

func createReadSink(path, format string, lt layers.LinkType, sio stdio) (capture.PacketWriter, error) {
	if path == "-" {
		if format == "pcap" {
			return capture.NewPcapWriter(sio.out, lt, capture.DefaultSnapLen)
		}
		return capture.NewPcapngWriter(sio.out, capture.PcapngOptions{LinkType: lt, SnapLen: capture.DefaultSnapLen, Application: "wiretap " + version})
	}
	if format == "pcap" {
		return capture.CreatePcap(path, lt, capture.DefaultSnapLen)
	}
	return capture.CreatePcapng(path, capture.PcapngOptions{LinkType: lt, SnapLen: capture.DefaultSnapLen, Application: "wiretap " + version})
}
