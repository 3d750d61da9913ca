// A goroutine spins in a tight loop with no function call and no system call
// while another prints on a ticker. Go 1.14+ preempts the spinner
// asynchronously (sysmon sends SIGURG to its thread); with GOMAXPROCS=1 the
// ticker goroutine runs only if that works. Under shoal it needs a thread
// preempted in user code and the signal delivered to it.
package main

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

var stop int32

func spin() uint64 {
	var n uint64
	for atomic.LoadInt32(&stop) == 0 {
		n++ // no call, no allocation: only asynchronous preemption stops it
	}
	return n
}

func main() {
	runtime.GOMAXPROCS(1)
	res := make(chan uint64)
	go func() { res <- spin() }()
	runtime.Gosched() // let the spinner start first
	t := time.NewTicker(20 * time.Millisecond)
	for i := 1; i <= 5; i++ {
		<-t.C
		fmt.Println("tick", i)
	}
	t.Stop()
	atomic.StoreInt32(&stop, 1)
	fmt.Println("spinner ran", <-res > 0)
	fmt.Println("done")
}
