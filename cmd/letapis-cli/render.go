package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// jsonNode is a JSON value that keeps the order of object fields, so that
// a record shows its fields in the order its kind declares them.
type jsonNode struct {
	keys  []string    // object fields, in order
	vals  []*jsonNode // values of keys, or array items
	isObj bool
	isArr bool
	str   *string // a string scalar
	raw   string  // any other scalar: number, true, false, null
}

func parseOrdered(data []byte) (*jsonNode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseNode(dec)
	if err != nil {
		return nil, fmt.Errorf("malformed record body: %w", err)
	}
	return n, nil
}

func parseNode(dec *json.Decoder) (*jsonNode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &jsonNode{isObj: t == '{', isArr: t == '['}
		for dec.More() {
			if n.isObj {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := k.(string)
				n.keys = append(n.keys, key)
			}
			v, err := parseNode(dec)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		return n, nil
	case string:
		return &jsonNode{str: &t}, nil
	case nil:
		return &jsonNode{raw: "null"}, nil
	default:
		return &jsonNode{raw: fmt.Sprint(t)}, nil
	}
}

// renderBody formats a record body for people, one field a line, lists as
// "- " items and multi-line text indented under "key: |". note returns
// what to append to a scalar value at a JSON path such as
// "names[0].script", or "".
func renderBody(body []byte, note func(path, value string) string) ([]string, error) {
	n, err := parseOrdered(body)
	if err != nil {
		return nil, err
	}
	r := renderer{note: note}
	return r.value(n, ""), nil
}

type renderer struct {
	note func(path, value string) string
}

func (r renderer) value(n *jsonNode, path string) []string {
	switch {
	case n.isObj:
		return r.object(n, path)
	case n.isArr:
		return r.array(n, path)
	}
	return r.scalar("", n, path)
}

func (r renderer) object(n *jsonNode, path string) []string {
	var out []string
	for i, k := range n.keys {
		v, p := n.vals[i], k
		if path != "" {
			p = path + "." + k
		}
		switch {
		case (v.isArr || v.isObj) && len(v.vals) == 0:
			out = append(out, k+": (none)")
		case v.isArr || v.isObj:
			out = append(out, k+":")
			for _, l := range r.value(v, p) {
				out = append(out, "  "+l)
			}
		default:
			out = append(out, r.scalar(k+": ", v, p)...)
		}
	}
	return out
}

func (r renderer) array(n *jsonNode, path string) []string {
	var out []string
	for i, v := range n.vals {
		lines := r.value(v, path+"["+strconv.Itoa(i)+"]")
		if len(lines) == 0 {
			lines = []string{"(none)"}
		}
		out = append(out, "- "+lines[0])
		for _, l := range lines[1:] {
			out = append(out, "  "+l)
		}
	}
	return out
}

func (r renderer) scalar(prefix string, n *jsonNode, path string) []string {
	if n.str == nil {
		return []string{prefix + n.raw}
	}
	s := cleanText(*n.str)
	if strings.Contains(strings.TrimRight(s, "\n"), "\n") {
		out := []string{prefix + "|"}
		for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
			out = append(out, strings.TrimRight("  "+l, " "))
		}
		return out
	}
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return []string{prefix + `""`}
	}
	return []string{prefix + s + r.note(path, *n.str)}
}
