// Go turns a nil dereference into a panic through its SIGSEGV handler; the
// program recovers and goes on (as net/http does per request). Also an
// integer divide by zero (SIGFPE) recovered the same way.
package main

import (
	"fmt"
)

type node struct{ v int }

func deref(n *node) (v int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return n.v, nil
}

func divide(a, b int) (q int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return a / b, nil
}

func main() {
	for i := 0; i < 3; i++ {
		_, err := deref(nil)
		fmt.Println("recovered:", err)
	}
	v, _ := deref(&node{7})
	fmt.Println("value", v)
	zero := 0
	_, err := divide(1, zero)
	fmt.Println("recovered:", err)
}
