package proof

import (
	"context"
	"io"
)

// ReliabilityMain is `letapis-proof reliability`.
func ReliabilityMain(ctx context.Context, out, log io.Writer, getenv func(string) string) error {
	return nil
}
