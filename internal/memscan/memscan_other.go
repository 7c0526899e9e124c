//go:build !linux

package memscan

// Scanner is unavailable outside Linux; New returns ErrUnsupported.
type Scanner struct{}

// New returns ErrUnsupported.
func New(needles ...Needle) (*Scanner, error) { return nil, ErrUnsupported }

// Count is never reached outside Linux.
func (s *Scanner) Count() ([]int, error) { return nil, ErrUnsupported }

// Close does nothing.
func (s *Scanner) Close() error { return nil }

// Report is never reached outside Linux.
func (s *Scanner) Report(counts []int) string { return "" }
