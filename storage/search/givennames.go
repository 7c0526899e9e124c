package search

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
)

// givenNamesJSON holds groups of given names that are one name in
// different languages and spellings (Алесь, Аляксандр, Александр, Aleś,
// Aliaksandr, Alexander…). It is data, not code: add a group or a spelling
// there.
//
//go:embed givennames.json
var givenNamesJSON []byte

// equivalentNames maps the key of a given name to the keys of every name
// it shares a group with, its own key included.
var equivalentNames = mustLoadGivenNames(givenNamesJSON)

func mustLoadGivenNames(data []byte) map[string][]string {
	var file struct {
		Groups [][]string `json:"groups"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		panic(fmt.Sprintf("search: given-name groups: %v", err))
	}
	m := make(map[string][]string)
	for _, group := range file.Groups {
		var keys []string
		for _, name := range group {
			for _, k := range nameKeys(name) {
				if !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
			}
		}
		for _, k := range keys {
			for _, e := range keys {
				if !slices.Contains(m[k], e) {
					m[k] = append(m[k], e)
				}
			}
		}
	}
	return m
}
