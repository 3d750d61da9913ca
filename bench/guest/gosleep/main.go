// bench/guest/gosleep: the cost of the short sleeps Go's runtime makes on
// its own (sysmon's usleep(20) while the program is busy, the scheduler's
// osyield/usleep when it spins): N nanosleep(20 us) calls, timed inside the
// program. Under shoal each one is a block hypercall (an exit and a ppoll to
// the deadline); bench/runtimes runs it natively and under shoal.
//
//	gosleep [N]   prints "gosleep us <mean us per sleep> result <N>"
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	n := 2000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	ts := syscall.Timespec{Nsec: 20000}
	t0 := time.Now()
	for i := 0; i < n; i++ {
		syscall.Syscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
	}
	us := float64(time.Since(t0).Nanoseconds()) / float64(n) / 1000
	fmt.Printf("gosleep us %.1f result %d\n", us, n)
}
