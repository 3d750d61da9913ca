// os/exec from a Go program (CGO_ENABLED=0: Go's own fork/exec, clone with
// CLONE_VFORK|CLONE_VM then execve) running busybox applets found on PATH:
// Output, CombinedOutput, stdin from the program, a non-zero exit as
// *exec.ExitError, and a command that does not exist.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

func main() {
	out, err := exec.Command("echo", "hello", "from", "echo").Output()
	fmt.Printf("Output: %q err=%v\n", out, err)

	out, err = exec.Command("sh", "-c", "echo to-stdout; echo to-stderr >&2").CombinedOutput()
	fmt.Printf("CombinedOutput: %q err=%v\n", out, err)

	cmd := exec.Command("tr", "a-z", "A-Z")
	cmd.Stdin = strings.NewReader("lower case input\n")
	out, err = cmd.Output()
	fmt.Printf("stdin: %q err=%v\n", out, err)

	out, err = exec.Command("sh", "-c", "echo partial; exit 3").Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		fmt.Printf("ExitError: code %d output %q stderr %q\n", ee.ExitCode(), out, ee.Stderr)
	} else {
		fmt.Printf("no ExitError: %v\n", err)
	}

	err = exec.Command("sh", "-c", "kill -TERM $$").Run()
	if errors.As(err, &ee) {
		fmt.Printf("signalled: %v code %d\n", err, ee.ExitCode())
	} else {
		fmt.Printf("not signalled: %v\n", err)
	}

	err = exec.Command("no-such-command-here").Run()
	fmt.Printf("missing: %v\n", err)

	var sb strings.Builder
	pipeline := exec.Command("sh", "-c", "seq 1 50 | sort -rn | head -n 3")
	pipeline.Stdout = &sb
	err = pipeline.Run()
	fmt.Printf("pipeline: %q err=%v exit=%d\n", sb.String(), err, pipeline.ProcessState.ExitCode())

	for i := 0; i < 5; i++ {
		o, e := exec.Command("expr", fmt.Sprint(i), "*", "11").Output()
		fmt.Printf("loop %d: %s err=%v\n", i, strings.TrimSpace(string(o)), e)
	}
	os.Exit(4)
}
