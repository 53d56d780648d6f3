package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"wiretap/capture/oracletest"
)

// readOut runs wiretap read with args and returns its stdout.
func readOut(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(append([]string{"read"}, args...), stdio{strings.NewReader(""), &out, &errb}); code != 0 {
		t.Fatalf("wiretap read %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// TestReadJSONIsOneArray: -T json (and jsonraw) write one JSON array,
// whatever the number of packets (tshark 4.0's layout: "[]" for none),
// and -T ek one document a line, two lines a packet.
func TestReadJSONIsOneArray(t *testing.T) {
	t.Setenv("TZ", "UTC")
	demo := oracletest.Testdata("decode", "oracle", "demo.pcapng")
	for _, tc := range []struct {
		n    int
		args []string
	}{
		{0, []string{"-Y", "frame.number == 0"}},
		{1, []string{"-c", "1"}},
		{2, []string{"-c", "2"}},
		{3, []string{"-Y", "frame.number <= 2 || frame.number == 36"}},
	} {
		for _, format := range []string{"json", "jsonraw"} {
			args := append([]string{"-r", demo, "-T", format}, tc.args...)
			out := readOut(t, args...)
			var pkts []map[string]any
			if err := json.Unmarshal([]byte(out), &pkts); err != nil {
				t.Errorf("%s: not one JSON array: %v\n%.300s", strings.Join(args, " "), err, out)
				continue
			}
			if len(pkts) != tc.n {
				t.Errorf("%s: %d packets, want %d", strings.Join(args, " "), len(pkts), tc.n)
			}
			if tc.n == 0 && out != "[]\n" {
				t.Errorf("%s: %q, want tshark's %q", strings.Join(args, " "), out, "[]\n")
			}
			for _, p := range pkts {
				if p["_index"] != "packets-2026-11-28" || p["_type"] != "doc" || p["_score"] != nil {
					t.Errorf("%s: a packet's header is %v %v %v", strings.Join(args, " "), p["_index"], p["_type"], p["_score"])
				}
				src, _ := p["_source"].(map[string]any)
				if _, ok := src["layers"].(map[string]any); !ok {
					t.Errorf("%s: no _source.layers object", strings.Join(args, " "))
				}
			}
		}
		args := append([]string{"-r", demo, "-T", "ek"}, tc.args...)
		out := readOut(t, args...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if out == "" {
			lines = nil
		}
		if len(lines) != 2*tc.n {
			t.Errorf("%s: %d lines, want %d", strings.Join(args, " "), len(lines), 2*tc.n)
		}
		for i, l := range lines {
			var doc map[string]any
			if err := json.Unmarshal([]byte(l), &doc); err != nil {
				t.Errorf("%s: line %d is not JSON: %v", strings.Join(args, " "), i+1, err)
			} else if _, ok := doc["index"]; ok != (i%2 == 0) {
				t.Errorf("%s: line %d: index lines and documents do not alternate", strings.Join(args, " "), i+1)
			}
		}
	}
}

// TestReadJSONFields: -e in json is an object of arrays of strings, as
// tshark writes it.
func TestReadJSONFields(t *testing.T) {
	demo := oracletest.Testdata("decode", "oracle", "demo.pcapng")
	out := readOut(t, "-r", demo, "-T", "json", "-e", "tcp.port", "-e", "http.host", "-c", "1")
	want := `[
  {
    "_index": "packets-2026-11-28",
    "_type": "doc",
    "_score": null,
    "_source": {
      "layers": {
        "tcp.port": [
          "53662",
          "5683"
        ]
      }
    }
  }
]
`
	if out != want {
		t.Errorf("-T json -e tcp.port -e http.host:\n%s\nwant:\n%s", out, want)
	}
	out = readOut(t, "-r", demo, "-T", "ek", "-e", "tcp.port", "-c", "1")
	want = `{"index":{"_index":"packets-2026-11-28","_type":"doc"}}` + "\n" +
		`{"timestamp":"1795868027042","layers":{"tcp_port":["53662","5683"]}}` + "\n"
	if out != want {
		t.Errorf("-T ek -e tcp.port:\n%s\nwant:\n%s", out, want)
	}
}

// TestReadJSONPython: Python's json module reads the demo's -T json.
func TestReadJSONPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 to check the JSON with: ", err)
	}
	demo := oracletest.Testdata("decode", "oracle", "demo.pcapng")
	out := readOut(t, "-r", demo, "-T", "json")
	cmd := exec.Command(py, "-c", "import json,sys; d=json.load(sys.stdin); print(len(d))")
	cmd.Stdin = strings.NewReader(out)
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 json.load: %v\n%s", err, res)
	}
	if strings.TrimSpace(string(res)) != "36" {
		t.Errorf("python3 reads %s packets, want 36", strings.TrimSpace(string(res)))
	}
}
