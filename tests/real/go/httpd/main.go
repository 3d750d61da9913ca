// A net/http server whose /nil handler dereferences a nil pointer. Go turns
// the fault (SIGSEGV) into a panic and net/http recovers it per request: the
// connection is dropped, the server keeps serving the other paths. Under
// shoal this needs the fault delivered to the runtime's SIGSEGV handler.
//
//	httpd [ADDR [ignore-term]]   (default :8080)
//
// SIGTERM (signal.Notify) is a graceful stop: it prints "gohttpd: SIGTERM,
// draining", lets the requests in flight finish (http.Server.Shutdown),
// prints "gohttpd: drained" and exits 0; with ignore-term it is ignored.
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
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
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
	srv := &http.Server{Handler: mux}
	if len(os.Args) > 2 && os.Args[2] == "ignore-term" {
		signal.Ignore(syscall.SIGTERM)
	} else {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM)
		go func() {
			<-stop
			fmt.Println("gohttpd: SIGTERM, draining")
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
			fmt.Println("gohttpd: drained")
			os.Exit(0)
		}()
	}
	fmt.Println("gohttpd: listening on", addr)
	err = srv.Serve(ln)
	if err == http.ErrServerClosed {
		select {} // Shutdown returned Serve at once: the goroutine above exits
	}
	log.Fatal(err)
}
