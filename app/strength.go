package app

import (
	"math"
	"strings"
	"unicode"
)

// minPassphrase is the shortest passphrase a new vault accepts, in characters.
const minPassphrase = 12

// strength is a rough grade of a passphrase.
type strength int

const (
	strengthWeak strength = iota
	strengthFair
	strengthStrong
)

// commonParts are words and patterns that attackers try first.
var commonParts = []string{
	"password", "passw0rd", "qwerty", "йцукен", "asdf", "letmein", "admin", "welcome",
	"letapis", "летапіс", "летопись", "пароль", "belarus", "беларусь", "minsk", "мінск", "минск",
	"111111", "000000", "123123", "iloveyou",
}

// rateStrength grades a passphrase honestly and cheaply: it estimates the
// bits an attacker must guess from the length and the kinds of characters
// (or, for a passphrase made of words, from the number of words, counting a
// self-chosen word as about 12.5 bits), halves the estimate when it finds a
// common word, a run like "abcd" or "1234", or a few characters repeated,
// and returns plain-word warnings (English keys, translated by the caller).
// It is an estimate, not a guarantee, and the screen says so.
func rateStrength(p string) (strength, float64, []string) {
	runes := []rune(p)
	var warnings []string
	if len(runes) == 0 {
		return strengthWeak, 0, nil
	}
	var lower, upper, digit, symbol, other bool
	unique := map[rune]bool{}
	for _, r := range runes {
		unique[r] = true
		switch {
		case r < 128 && unicode.IsLower(r):
			lower = true
		case r < 128 && unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsLetter(r):
			other = true
		default:
			symbol = true
		}
	}
	pool := 0
	classes := 0
	for _, c := range []struct {
		on   bool
		size int
	}{{lower, 26}, {upper, 26}, {digit, 10}, {symbol, 33}, {other, 66}} {
		if c.on {
			pool += c.size
			classes++
		}
	}
	bits := float64(len(runes)) * math.Log2(float64(pool))

	// A passphrase of words: count the words, not the letters.
	words := strings.Fields(p)
	if len(words) >= 3 {
		wordBits := float64(len(words)) * 12.5
		if wordBits < bits {
			bits = wordBits
		}
	}

	weakened := false
	low := strings.ToLower(p)
	for _, c := range commonParts {
		if strings.Contains(low, c) {
			warnings = append(warnings, "It contains a common word or pattern that attackers try first.")
			weakened = true
			break
		}
	}
	if hasRun(runes, 4) {
		warnings = append(warnings, "It contains a run such as abcd or 1234.")
		weakened = true
	}
	if len(unique) <= len(runes)/3 {
		warnings = append(warnings, "It repeats the same few characters.")
		weakened = true
	}
	if classes == 1 && len(words) < 4 {
		warnings = append(warnings, "It uses only one kind of character: add more words, or mix in other characters.")
	}
	if len(runes) < minPassphrase {
		warnings = append(warnings, "It is shorter than 12 characters.")
	}
	if weakened {
		bits /= 2
	}
	switch {
	case bits >= 70 && len(runes) >= minPassphrase:
		return strengthStrong, bits, warnings
	case bits >= 50 && len(runes) >= minPassphrase:
		return strengthFair, bits, warnings
	}
	return strengthWeak, bits, warnings
}

// hasRun reports whether runes holds n or more consecutive code points that
// go up or down by one ("abcd", "4321", "абвг") or repeat ("aaaa").
func hasRun(runes []rune, n int) bool {
	for _, step := range []rune{1, -1, 0} {
		count := 1
		for i := 1; i < len(runes); i++ {
			if runes[i]-runes[i-1] == step {
				count++
				if count >= n {
					return true
				}
			} else {
				count = 1
			}
		}
	}
	return false
}
