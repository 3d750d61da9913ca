// A Go runtime tour whose output is deterministic, run under shoal and natively
// (Linux is the oracle): goroutines and channels, timers, garbage-collector
// pressure, maps and files. The directory for files is the first argument.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"
)

// A pipeline: producers -> squarer workers -> one summing consumer.
func pipeline() {
	in := make(chan int, 16)
	out := make(chan int, 16)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range in {
				out <- v * v
			}
		}()
	}
	go func() {
		for i := 1; i <= 100000; i++ {
			in <- i
		}
		close(in)
	}()
	go func() { wg.Wait(); close(out) }()
	sum := 0
	for v := range out {
		sum += v
	}
	fmt.Println("pipeline sum", sum)
}

// Timers and tickers. Only what holds on a loaded machine is printed: a timer
// never fires early, Stop on a pending timer reports it, a ticker ticks; never
// the order of two timers (a busy host may deliver both at once).
func timers() {
	start := time.Now()
	t1 := time.NewTimer(30 * time.Millisecond)
	t2 := time.NewTimer(5 * time.Millisecond)
	<-t2.C
	early2 := time.Since(start) < 5*time.Millisecond
	<-t1.C
	early1 := time.Since(start) < 30*time.Millisecond
	t3 := time.NewTimer(time.Hour)
	stopped := t3.Stop()
	t3.Reset(time.Millisecond)
	<-t3.C
	tick := time.NewTicker(2 * time.Millisecond)
	t0 := time.Now()
	for i := 0; i < 3; i++ {
		<-tick.C
	}
	tick.Stop()
	fmt.Println("timers early", early1 || early2, "stopped pending", stopped, "reset fired true",
		"3 ticks >= 6ms", time.Since(t0) >= 6*time.Millisecond)
	select {
	case <-time.After(10 * time.Millisecond):
		fmt.Println("after fired")
	}
}

type node struct {
	left, right *node
	val         int
}

func tree(d int) *node {
	if d == 0 {
		return &node{val: 1}
	}
	return &node{left: tree(d - 1), right: tree(d - 1), val: d}
}

func (n *node) count() int {
	if n == nil {
		return 0
	}
	return 1 + n.left.count() + n.right.count()
}

// Garbage-collector pressure: many short-lived trees and slices from several
// goroutines, with forced collections; the counts are printed, not the stats.
func gc() {
	var wg sync.WaitGroup
	results := make([]int, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			total := 0
			for i := 0; i < 40; i++ {
				total += tree(12).count()
				b := make([]byte, 256<<10)
				b[len(b)-1] = byte(i)
				total += int(b[len(b)-1])
			}
			results[g] = total
		}(g)
	}
	wg.Wait()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Println("gc results", results, "collected", ms.NumGC > 0)
}

// Maps: insert, delete, iterate (sorted for a deterministic order).
func maps() {
	m := map[string]int{}
	for i := 0; i < 200000; i++ {
		m[fmt.Sprintf("k%d", i%50000)] += i
	}
	for i := 0; i < 50000; i += 3 {
		delete(m, fmt.Sprintf("k%d", i))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%d;", k, m[k])
	}
	fmt.Printf("maps len %d first %s last %s digest %x\n", len(m), keys[0], keys[len(keys)-1], h.Sum(nil)[:8])
}

// Files: write, append, rename, read back, list, remove.
func files(dir string) {
	d := filepath.Join(dir, "gowork")
	must(os.MkdirAll(d, 0o755))
	for i := 0; i < 5; i++ {
		name := filepath.Join(d, fmt.Sprintf("f%d.txt", i))
		must(os.WriteFile(name, []byte(fmt.Sprintf("file %d\n", i)), 0o644))
		f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
		must(err)
		_, err = f.WriteString("appended\n")
		must(err)
		must(f.Close())
	}
	must(os.Rename(filepath.Join(d, "f0.txt"), filepath.Join(d, "renamed.txt")))
	ents, err := os.ReadDir(d)
	must(err)
	var names []string
	total := 0
	for _, e := range ents {
		names = append(names, e.Name())
		b, err := os.ReadFile(filepath.Join(d, e.Name()))
		must(err)
		total += len(b)
	}
	sort.Strings(names)
	fmt.Println("files", names, "bytes", total)
	_, err = os.Stat(filepath.Join(d, "f0.txt"))
	fmt.Println("old name gone", os.IsNotExist(err))
	must(os.RemoveAll(d))
	_, err = os.Stat(d)
	fmt.Println("removed", os.IsNotExist(err))
}

func must(err error) {
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func main() {
	dir := "/tmp"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	pipeline()
	timers()
	gc()
	maps()
	files(dir)
	fmt.Println("done")
}
