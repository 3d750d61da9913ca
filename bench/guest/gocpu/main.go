// bench/guest/gocpu: a Go CPU + garbage-collector workload (binary trees,
// maps, string building, sorting, from 2 goroutines), timed inside the
// program so that only the work is measured. bench/runtimes runs it natively
// and under shoal and prints the ratio.
//
//	gocpu [ROUNDS]   prints "gocpu ms <x> result <checksum> gcs>0 <bool>"
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type node struct{ l, r *node }

func build(d int) *node {
	if d == 0 {
		return &node{}
	}
	return &node{build(d - 1), build(d - 1)}
}

func (n *node) check() int {
	if n.l == nil {
		return 1
	}
	return 1 + n.l.check() + n.r.check()
}

func work(rounds int) int {
	sum := 0
	for r := 0; r < rounds; r++ {
		sum += build(14).check()
		m := make(map[int]string, 4096)
		for i := 0; i < 4096; i++ {
			m[i*r+i] = strconv.Itoa(i)
		}
		var sb strings.Builder
		keys := make([]int, 0, len(m))
		for k, v := range m {
			keys = append(keys, k)
			sb.WriteString(v)
		}
		sort.Ints(keys)
		sum += keys[len(keys)/2]%1000 + sb.Len()
	}
	return sum
}

func main() {
	rounds := 60
	if len(os.Args) > 1 {
		rounds, _ = strconv.Atoi(os.Args[1])
	}
	t0 := time.Now()
	var wg sync.WaitGroup
	res := make([]int, 2)
	for g := range res {
		wg.Add(1)
		go func(g int) { defer wg.Done(); res[g] = work(rounds) }(g)
	}
	wg.Wait()
	ms := float64(time.Since(t0).Microseconds()) / 1000
	var st runtime.MemStats
	runtime.ReadMemStats(&st)
	fmt.Printf("gocpu ms %.1f result %d gcs>0 %v\n", ms, res[0]+res[1], st.NumGC > 0)
}
