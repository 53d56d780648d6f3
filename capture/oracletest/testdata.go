package oracletest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

var root struct {
	mu  sync.Mutex
	dir string
}

// ModuleRoot returns the directory holding the module's go.mod, found by
// walking up from the working directory (a test's is its package's), or
// else from this source file's directory.
func ModuleRoot() (string, error) {
	root.mu.Lock()
	defer root.mu.Unlock()
	if root.dir != "" {
		return root.dir, nil
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				root.dir = dir
				return dir, nil
			}
			up := filepath.Dir(dir)
			if up == dir {
				break
			}
			dir = up
		}
	}
	return "", errors.New("oracletest: no go.mod above the working directory")
}

// Testdata returns the path of elem under the testdata folder of the
// package pkg ("decode", "capture": its directory below the module
// root), relative to the working directory when it can be. It panics
// outside the module.
func Testdata(pkg string, elem ...string) string {
	r, err := ModuleRoot()
	if err != nil {
		panic(err)
	}
	p := filepath.Join(append([]string{r, filepath.FromSlash(pkg), "testdata"}, elem...)...)
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil {
			return rel
		}
	}
	return p
}

// sharedDirs are the folders of the shared test captures, by the name
// they had under capture/testdata/files, and where their one copy is.
var sharedDirs = []struct {
	rel, pkg, dir string
}{
	{"", "capture", "files"}, // capture's own: pcapng-structure/ and SOURCES
	{"formats", "decode", "oracle/formats"},
	{"http", "decode", "oracle/http"},
	{"tls", "decode", "tls"},
}

// Shared returns the path of a shared test capture named as under the
// former capture/testdata/files ("formats/gopacket/test_dns.pcap",
// "tls/zeek/hrr.pcap", "pcapng-structure/test901-le.pcapng").
func Shared(rel string) string {
	rel = filepath.ToSlash(rel)
	for _, d := range sharedDirs[1:] {
		if rest, ok := strings.CutPrefix(rel, d.rel+"/"); ok {
			return Testdata(d.pkg, append(strings.Split(d.dir, "/"), strings.Split(rest, "/")...)...)
		}
	}
	return Testdata("capture", append([]string{"files"}, strings.Split(rel, "/")...)...)
}

// SharedFile is one file of the shared test captures.
type SharedFile struct {
	Rel  string // its name, as under the former capture/testdata/files
	Path string // where it is
}

// SharedFiles lists the shared test captures, sorted by name: every
// regular file of capture/testdata/files and of decode's shared folders
// (formats, http, tls), except decode's SOURCES files (decode documents
// its folders; capture/testdata/files/SOURCES, a text file the readers
// must refuse, is listed).
func SharedFiles() ([]SharedFile, error) {
	var out []SharedFile
	for i, d := range sharedDirs {
		top := Testdata(d.pkg, strings.Split(d.dir, "/")...)
		err := filepath.WalkDir(top, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.Type().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(top, path)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if i > 0 {
				if filepath.Base(rel) == "SOURCES" {
					return nil
				}
				rel = d.rel + "/" + rel
			} else if first, _, _ := strings.Cut(rel, "/"); first == "formats" || first == "http" || first == "tls" {
				return errors.New("oracletest: " + path + ": a shared capture stored twice (its copy is under decode/testdata)")
			}
			out = append(out, SharedFile{Rel: rel, Path: path})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rel < out[j].Rel })
	return out, nil
}
