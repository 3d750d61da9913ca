// A Go program's start-up reserves its arenas and page summaries with
// mmap(PROT_NONE) (hundreds of GiB of address space) and then maps parts of
// them read-write with MAP_FIXED (issue 11 point 1). It then grows a slice to
// 8 MB and lets the garbage collector run, so committed memory comes and goes.
package main

import (
	"fmt"
	"runtime"
)

func main() {
	s := make([]int, 0)
	for i := 0; i < 1000000; i++ {
		s = append(s, i)
	}
	sum := 0
	for _, v := range s {
		sum += v
	}
	runtime.GC()
	fmt.Println("hello from go", len(s), sum)
}
