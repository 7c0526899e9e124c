package client

import "sync/atomic"

// Stats counts a Client's traffic since New.
type Stats struct {
	// Requests is the number of HTTP attempts sent, retries included.
	Requests int64
	// Retries is how many of those attempts were retries.
	Retries int64
	// BytesSent and BytesReceived count request and response bodies
	// exactly and their request lines, status lines and headers
	// approximately; TCP, TLS and proxy framing are not counted.
	BytesSent, BytesReceived int64
}

// Stats returns the client's traffic so far.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:      c.stats.requests.Load(),
		Retries:       c.stats.retries.Load(),
		BytesSent:     c.stats.sent.Load(),
		BytesReceived: c.stats.received.Load(),
	}
}

// counters are the live values behind Stats.
type counters struct {
	requests, retries, sent, received atomic.Int64
}
