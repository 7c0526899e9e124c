package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// errStalled ends an attempt during which nothing moved for the timeout.
var errStalled = errors.New("the connection stalled: nothing moved within the timeout")

// attempts is the RoundTripper beneath the retry loop: each RoundTrip is
// one attempt. It counts the attempt's traffic in Stats and cuts the
// attempt off when no byte has moved for idle (or idle plus the long-poll
// wait while the relay has yet to answer). retryablehttp offers no
// per-attempt deadline, and http.Client.Timeout would bound the whole
// exchange, which a large blob on a slow link may rightly exceed.
type attempts struct {
	next  http.RoundTripper
	idle  time.Duration
	stats *counters
}

// RoundTrip implements http.RoundTripper.
func (a *attempts) RoundTrip(req *http.Request) (*http.Response, error) {
	a.stats.requests.Add(1)
	a.stats.sent.Add(requestHeadSize(req))

	// Until the answer begins, silence may last as long as the relay may
	// hold a long poll; after that, idle.
	first := a.idle + callOf(req.Context()).wait
	ctx, cancel := context.WithCancelCause(req.Context())
	watchdog := time.AfterFunc(first, func() { cancel(errStalled) })
	out := req.WithContext(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		out.Body = &meteredBody{body: req.Body, ctx: ctx, count: &a.stats.sent, moved: func() { watchdog.Reset(first) }}
	}

	resp, err := a.next.RoundTrip(out)
	if err != nil {
		watchdog.Stop()
		err = stallCause(ctx, err)
		cancel(nil)
		return nil, err
	}
	a.stats.received.Add(responseHeadSize(resp))
	watchdog.Reset(a.idle)
	resp.Body = &meteredBody{
		body:  resp.Body,
		ctx:   ctx,
		count: &a.stats.received,
		moved: func() { watchdog.Reset(a.idle) },
		done:  func() { watchdog.Stop(); cancel(nil) },
	}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the transport
// beneath, as retryablehttp asks after a failed call.
func (a *attempts) CloseIdleConnections() {
	if c, ok := a.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// stallCause replaces err, the symptom of the watchdog cancelling the
// attempt, with the reason.
func stallCause(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, errStalled) {
		return cause
	}
	return err
}

// meteredBody counts the bytes read through it and reports progress to
// the attempt's watchdog.
type meteredBody struct {
	body  io.ReadCloser
	ctx   context.Context
	count *atomic.Int64
	moved func()
	done  func() // on Close; nil for request bodies, closed by the transport
}

func (b *meteredBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if n > 0 {
		b.count.Add(int64(n))
		b.moved()
	}
	if err != nil && err != io.EOF {
		err = stallCause(b.ctx, err)
	}
	return n, err
}

func (b *meteredBody) Close() error {
	err := b.body.Close()
	if b.done != nil {
		b.done()
	}
	return err
}

// requestHeadSize approximates the bytes of the request line and headers:
// the ones set here and by the transport (Host, Content-Length), not
// TLS or proxy framing.
func requestHeadSize(req *http.Request) int64 {
	n := len(req.Method) + 1 + len(req.URL.RequestURI()) + len(" HTTP/1.1\r\n") +
		len("Host: \r\n") + len(req.URL.Host) + headerSize(req.Header) + len("\r\n")
	if req.ContentLength > 0 {
		n += len("Content-Length: \r\n") + len(fmt.Sprint(req.ContentLength))
	}
	return int64(n)
}

// responseHeadSize approximates the bytes of the status line and headers.
func responseHeadSize(resp *http.Response) int64 {
	return int64(len(resp.Proto) + 1 + len(resp.Status) + len("\r\n") + headerSize(resp.Header) + len("\r\n"))
}

func headerSize(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			if v != "" {
				n += len(k) + len(": ") + len(v) + len("\r\n")
			}
		}
	}
	return n
}
