// Command checker reads a recorded history of Dapr state calls (JSON, one file) and asks porcupine
// whether it is linearizable against a per-key register model with ETags and first-write.
//
// Values are unique per write, so a value names the version that wrote it, and an ETag is recorded as
// the value it was read with ("expect"). A call whose outcome is unknown (a timeout, a 5xx, a dropped
// connection) has no return: it may have taken effect at any time after it was invoked, or never.
//
// Usage: checker <history.json> [visualization.html]. Exit 0 linearizable, 1 not, 2 unknown (timeout)
// or bad input.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/anishathalye/porcupine"
)

type input struct {
	Op     string `json:"op"` // get | set | cas | create | del | cdel
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Expect string `json:"expect,omitempty"` // the value the ETag was read with; "" = an ETag never valid for this key
}

type output struct {
	Result string `json:"result"` // ok | fail | unknown
	Found  bool   `json:"found,omitempty"`
	Value  string `json:"value,omitempty"`
}

type record struct {
	Client int    `json:"client"`
	Input  input  `json:"input"`
	Output output `json:"output"`
	Call   int64  `json:"call"`
	Return int64  `json:"return"`
}

// absent is the register's state when the key has no value ("" is never a written value).
const absent = ""

// never is an expectation no state equals: an ETag of another key, or one made up.
const never = "\x00never"

func step(state, in, out interface{}) (bool, interface{}) {
	s := state.(string)
	i := in.(input)
	o := out.(output)
	expect := i.Expect
	if expect == "" {
		expect = never
	}
	// Each write: whether its condition holds in s, and the state it leaves when it does.
	var holds bool
	next := s
	switch i.Op {
	case "get":
		if o.Found {
			return o.Value == s && s != absent, s
		}
		return s == absent, s
	case "set":
		holds, next = true, i.Value
	case "cas":
		holds, next = s == expect, i.Value
	case "create":
		holds, next = s == absent, i.Value
	case "del":
		holds, next = true, absent
	case "cdel":
		holds, next = s == expect, absent
	default:
		return false, s
	}
	switch o.Result {
	case "ok":
		return holds, next
	case "fail":
		return !holds, s
	default: // unknown: it took effect if its condition held when it was linearized
		if holds {
			return true, next
		}
		return true, s
	}
}

func describe(in, out interface{}) string {
	i := in.(input)
	o := out.(output)
	short := func(v string) string {
		if len(v) > 24 {
			return v[:24] + "…"
		}
		return v
	}
	switch i.Op {
	case "get":
		if o.Found {
			return fmt.Sprintf("get %s -> %s", i.Key, short(o.Value))
		}
		return fmt.Sprintf("get %s -> absent", i.Key)
	default:
		return fmt.Sprintf("%s %s %s (etag of %s) -> %s", i.Op, i.Key, short(i.Value), short(i.Expect), o.Result)
	}
}

var model = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var order []string
		for _, op := range history {
			k := op.Input.(input).Key
			if _, ok := byKey[k]; !ok {
				order = append(order, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(order))
		for _, k := range order {
			out = append(out, byKey[k])
		}
		return out
	},
	Init:              func() interface{} { return absent },
	Step:              step,
	Equal:             func(a, b interface{}) bool { return a.(string) == b.(string) },
	DescribeOperation: describe,
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: checker <history.json> [visualization.html]")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var records []record
	if err := json.Unmarshal(raw, &records); err != nil {
		fmt.Fprintln(os.Stderr, "history is not a JSON list of records:", err)
		os.Exit(2)
	}
	ops := make([]porcupine.Operation, 0, len(records))
	for _, r := range records {
		ret := r.Return
		if r.Output.Result == "unknown" {
			ret = math.MaxInt64
		}
		ops = append(ops, porcupine.Operation{ClientId: r.Client, Input: r.Input, Call: r.Call, Output: r.Output, Return: ret})
	}
	start := time.Now()
	result, info := porcupine.CheckOperationsVerbose(model, ops, 5*time.Minute)
	took := time.Since(start)
	if len(os.Args) > 2 {
		if err := porcupine.VisualizePath(model, info, os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "visualization:", err)
		}
	}
	summary, _ := json.Marshal(map[string]interface{}{
		"result":     string(result),
		"operations": len(ops),
		"checkMs":    took.Milliseconds(),
	})
	fmt.Println(string(summary))
	switch result {
	case porcupine.Ok:
		os.Exit(0)
	case porcupine.Illegal:
		os.Exit(1)
	default:
		os.Exit(2)
	}
}
