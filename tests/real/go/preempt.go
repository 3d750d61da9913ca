// A goroutine that spins without system calls must not starve a ticker, nor
// Go's sysmon (which preempts it with SIGURG), on one vCPU.
package main

import (
	"fmt"
	"sync/atomic"
	"time"
)

var counter uint64

func spin() {
	for {
		atomic.AddUint64(&counter, 1)
	}
}

func main() {
	go spin()
	t := time.NewTicker(5 * time.Millisecond)
	for i := 0; i < 5; i++ {
		<-t.C
		fmt.Println("tick", i)
	}
	fmt.Println("spinner ran", atomic.LoadUint64(&counter) > 0)
}
