package decodetest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
)

// TestImportedByTestsOnly: the test helpers (this package and
// capture/oracletest) are imported by _test.go files and by each other
// only, never by what wiretap is built from.
func TestImportedByTestsOnly(t *testing.T) {
	root, err := oracletest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	helpers := []string{"decode/decodetest", "capture/oracletest"} // their folders; the module is wiretap
	isHelper := func(p string) bool {
		for _, dir := range helpers {
			if p == dir || strings.HasPrefix(p, dir+"/") {
				return true
			}
		}
		return false
	}
	n := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		n++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if pkg, ok := strings.CutPrefix(p, "wiretap/"); ok && isHelper(pkg) && !isHelper(rel) {
				t.Errorf("%s imports the test helper %s", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Errorf("only %d Go files read under %s", n, root)
	}
}

func TestFiles(t *testing.T) {
	files := Files(t, Oracle, TLS)
	seen := map[string]bool{}
	for i, f := range files {
		seen[f.Name] = true
		if i > 0 && files[i-1].Name >= f.Name {
			t.Errorf("not sorted: %s before %s", files[i-1].Name, f.Name)
		}
		if filepath.ToSlash(f.Path) != filepath.ToSlash(oracletest.Testdata("decode", strings.Split(f.Name, "/")...)) {
			t.Errorf("%s at %s", f.Name, f.Path)
		}
	}
	for _, name := range []string{"oracle/demo.pcapng", "oracle/formats/tcpdump/tcp-handshake-nano.pcap", "tls/zeek/hrr.pcap"} {
		if !seen[name] {
			t.Errorf("%s not listed", name)
		}
	}
	pkts, err := ReadFile(Files(t, Oracle)[0].Path)
	if err != nil || len(pkts) == 0 {
		t.Errorf("%s: %d packets, %v", files[0].Name, len(pkts), err)
	}
	if got := strings.Join(DecodeAs(OraclePorts()), " "); got != "-d tcp.port==5683,http -d tcp.port==5684,http -d tcp.port==5685,tls -d tcp.port==9000,tls" {
		t.Errorf("DecodeAs: %s", got)
	}
}
