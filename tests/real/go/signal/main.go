// signal.Notify under shoal and natively (Linux is the oracle): SIGUSR1 and
// SIGUSR2 sent to itself with syscall.Kill reach a channel; an ignored signal
// (signal.Ignore) does not kill the process; signal.Reset restores the default.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func expect(c chan os.Signal, want os.Signal) {
	select {
	case s := <-c:
		fmt.Println("received", s, s == want)
	case <-time.After(5 * time.Second):
		fmt.Println("timeout waiting for", want)
		os.Exit(1)
	}
}

func main() {
	pid := os.Getpid()
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGUSR2)
	for i := 0; i < 3; i++ {
		if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
			fmt.Println("kill:", err)
			os.Exit(1)
		}
		expect(c, syscall.SIGUSR1)
	}
	syscall.Kill(pid, syscall.SIGUSR2)
	expect(c, syscall.SIGUSR2)

	// A signal from another goroutine's thread.
	done := make(chan bool)
	go func() { syscall.Kill(pid, syscall.SIGUSR1); done <- true }()
	<-done
	expect(c, syscall.SIGUSR1)

	signal.Ignore(syscall.SIGHUP)
	syscall.Kill(pid, syscall.SIGHUP)
	time.Sleep(20 * time.Millisecond)
	fmt.Println("survived ignored SIGHUP")

	signal.Stop(c)
	signal.Notify(c, syscall.SIGUSR2)
	syscall.Kill(pid, syscall.SIGUSR2)
	expect(c, syscall.SIGUSR2)
	signal.Reset()
	fmt.Println("done")
}
