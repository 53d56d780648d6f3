// Command gen makes the HTTP/2 cleartext (h2c) conversations of
// decode/testdata/http2 on 127.0.0.1, to be captured with tcpdump (see
// ../SOURCES). It is not part of the module's packages (testdata).
//
//	gen -mode client -port 8123   Go's http2.Transport (prior knowledge) against an h2c server
//	gen -mode frames -port 8124   every frame type, written with http2.Framer
//	gen -mode upgrade -port 8125  HTTP/1.1 Upgrade: h2c, then h2
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"golang.org/x/net/http2/hpack"
)

// chunkConn writes in pieces of at most n bytes, so that frames span TCP
// segments on lo (whose MTU would otherwise carry any frame whole).
type chunkConn struct {
	net.Conn
	n int
}

func (c chunkConn) Write(b []byte) (int, error) {
	done := 0
	for len(b) > 0 {
		k := min(len(b), c.n)
		w, err := c.Conn.Write(b[:k])
		done += w
		if err != nil {
			return done, err
		}
		b = b[k:]
		time.Sleep(time.Millisecond)
	}
	return done, nil
}

type chunkListener struct {
	net.Listener
	n int
}

func (l chunkListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return chunkConn{c, l.n}, nil
}

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "hello from %s %s\n", r.Proto, r.URL.Path)
	})
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"received":%d}`, len(b))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(bytes.Repeat([]byte("0123456789abcdef"), 3000)) // 48,000 bytes
	})
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo-Length", fmt.Sprint(len(r.Header.Get("X-Big"))))
		w.WriteHeader(204)
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	})
	return mux
}

func serve(port int, chunk int) net.Listener {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: h2c.NewHandler(handler(), &http2.Server{})}
	go srv.Serve(chunkListener{ln, chunk})
	return ln
}

// bigValue is a header value HPACK cannot squeeze under one 16 KiB
// frame: the block continues in CONTINUATION frames.
func bigValue(n int) string {
	var sb strings.Builder
	x := uint32(12345)
	for sb.Len() < n {
		x = x*1103515245 + 12345
		const alphabet = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		sb.WriteByte(alphabet[(x>>16)%uint32(len(alphabet))])
	}
	return sb.String()
}

func client(port int) {
	ln := serve(port, 1400)
	defer ln.Close()
	tr := &http2.Transport{AllowHTTP: true, DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
		c, err := net.Dial(network, addr)
		if err != nil {
			return nil, err
		}
		return chunkConn{c, 1400}, nil
	}}
	cl := &http.Client{Transport: tr}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	do := func(method, path string, body []byte, hdr map[string]string) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := cl.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		log.Printf("%s %s: %s, %d bytes", method, path, res.Status, len(b))
	}
	do("GET", "/", nil, nil)
	do("POST", "/upload", bytes.Repeat([]byte("wiretap "), 5000), map[string]string{"Content-Type": "application/octet-stream"})
	do("GET", "/big", nil, nil)
	do("GET", "/headers", nil, map[string]string{"X-Big": bigValue(30000)})
	do("GET", "/missing", nil, nil)
	tr.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond)
}

// frames writes every frame type by hand: padding, priority, PING,
// PRIORITY, RST_STREAM, WINDOW_UPDATE, GOAWAY, an unknown type.
func frames(port int) {
	ln := serve(port, 1<<20)
	defer ln.Close()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		log.Fatal(err)
	}
	bw := bufio.NewWriter(c)
	fr := http2.NewFramer(bw, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	go func() {
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			log.Printf("read %v", f.Header())
		}
	}()
	flush := func() { bw.Flush(); time.Sleep(20 * time.Millisecond) }
	io.WriteString(bw, http2.ClientPreface)
	fr.WriteSettings(http2.Setting{ID: http2.SettingEnablePush, Val: 0}, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20},
		http2.Setting{ID: http2.SettingHeaderTableSize, Val: 8192}, http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: 1 << 16})
	fr.WriteWindowUpdate(0, 1<<24)
	flush()
	fr.WriteSettingsAck()
	fr.WritePing(false, [8]byte{1, 2, 3, 4, 5, 6, 7, 8})
	flush()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	hdrs := func(method, path string, extra ...string) []byte {
		hb.Reset()
		enc.WriteField(hpack.HeaderField{Name: ":method", Value: method})
		enc.WriteField(hpack.HeaderField{Name: ":scheme", Value: "http"})
		enc.WriteField(hpack.HeaderField{Name: ":authority", Value: fmt.Sprintf("127.0.0.1:%d", port)})
		enc.WriteField(hpack.HeaderField{Name: ":path", Value: path})
		for i := 0; i+1 < len(extra); i += 2 {
			enc.WriteField(hpack.HeaderField{Name: extra[i], Value: extra[i+1]})
		}
		return append([]byte(nil), hb.Bytes()...)
	}
	// Stream 1: padded HEADERS with priority, END_STREAM.
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hdrs("GET", "/", "user-agent", "wiretap-gen"), EndStream: true, EndHeaders: true,
		PadLength: 5, Priority: http2.PriorityParam{StreamDep: 0, Exclusive: true, Weight: 15}})
	flush()
	// Stream 3: POST with a padded DATA frame split by hand into HEADERS + CONTINUATION.
	b := hdrs("POST", "/upload", "content-type", "text/plain", "x-note", "continued")
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: b[:10]})
	fr.WriteContinuation(3, true, b[10:])
	fr.WriteDataPadded(3, false, []byte("first part, "), []byte{0, 0, 0})
	fr.WriteData(3, true, []byte("second part"))
	flush()
	// PRIORITY for stream 5, then stream 5 reset by the client.
	fr.WritePriority(5, http2.PriorityParam{StreamDep: 3, Weight: 200})
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 5, BlockFragment: hdrs("GET", "/big"), EndStream: true, EndHeaders: true})
	fr.WriteRSTStream(5, http2.ErrCodeCancel)
	flush()
	// An unknown frame type, then a stream-level WINDOW_UPDATE.
	fr.WriteRawFrame(0xfa, 0x01, 0, []byte("unknown"))
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 7, BlockFragment: hdrs("GET", "/missing", "accept", "*/*"), EndStream: true, EndHeaders: true})
	fr.WriteWindowUpdate(7, 1000)
	flush()
	time.Sleep(100 * time.Millisecond)
	fr.WriteGoAway(7, http2.ErrCodeNo, []byte("bye"))
	flush()
	c.Close()
	time.Sleep(100 * time.Millisecond)
}

// upgrade asks for h2c with HTTP/1.1's Upgrade, then speaks h2 on the
// same connection (the response to the upgraded request comes as stream 1).
func upgrade(port int) {
	ln := serve(port, 1<<20)
	defer ln.Close()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(c, "GET /up HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n", port)
	br := bufio.NewReader(c)
	line, _ := br.ReadString('\n')
	log.Printf("upgrade: %q", line)
	for {
		l, _ := br.ReadString('\n')
		if l == "\r\n" || l == "" {
			break
		}
	}
	bw := bufio.NewWriter(c)
	io.WriteString(bw, http2.ClientPreface)
	fr := http2.NewFramer(bw, br)
	fr.WriteSettings()
	bw.Flush()
	go func() {
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			log.Printf("read %v", f.Header())
			if s, ok := f.(*http2.SettingsFrame); ok && !s.IsAck() {
				fr.WriteSettingsAck()
				bw.Flush()
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range []hpack.HeaderField{{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"}, {Name: ":authority", Value: "127.0.0.1"}, {Name: ":path", Value: "/after"}} {
		enc.WriteField(f)
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true})
	bw.Flush()
	time.Sleep(200 * time.Millisecond)
	c.Close()
	time.Sleep(100 * time.Millisecond)
}

func main() {
	mode := flag.String("mode", "client", "client, frames or upgrade")
	port := flag.Int("port", 8123, "TCP port on 127.0.0.1")
	flag.Parse()
	switch *mode {
	case "client":
		client(*port)
	case "frames":
		frames(*port)
	case "upgrade":
		upgrade(*port)
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
}
