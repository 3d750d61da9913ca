// A net/http server whose /nil handler dereferences a nil pointer. Go turns
// the fault (SIGSEGV) into a panic and net/http recovers it per request: the
// connection is dropped, the server keeps serving the other paths. Under
// shoal this needs the fault delivered to the runtime's SIGSEGV handler.
//
//	httpd [ADDR]   (default :8080)
//
// GET /hello -> "hello from go", /count -> requests served so far,
// /id -> a number drawn at start (the same before and after a panic shows
// the process survived), /nil -> panics (no response), /quit -> exits 0.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

type point struct{ x, y int }

var served int64

// lookup returns nil for a missing key; the /nil handler uses it without checking.
func lookup(m map[string]*point, k string) *point { return m[k] }

func main() {
	addr := ":8080"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	id := time.Now().UnixNano()
	mux := http.NewServeMux()
	mux.HandleFunc("/id", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, id)
	})
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		atomic.AddInt64(&served, 1)
		fmt.Fprintln(w, "hello from go")
	})
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, atomic.AddInt64(&served, 1))
	})
	mux.HandleFunc("/nil", func(w http.ResponseWriter, r *http.Request) {
		atomic.AddInt64(&served, 1)
		p := lookup(map[string]*point{}, "missing")
		fmt.Fprintln(w, p.x) // nil dereference: SIGSEGV -> runtime panic -> recovered by net/http
	})
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "bye")
		go func() { time.Sleep(100 * time.Millisecond); os.Exit(0) }()
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("gohttpd: listening on", addr)
	log.Fatal(http.Serve(ln, mux))
}
