package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/letapis/letapis/sync/wire"
)

// checkRetry is the retry policy (retryablehttp.CheckRetry): retry
// failures of the network and the statuses that say "try again", never a
// refused certificate, an unacceptable answer, another 4xx, or once the
// caller's context is done.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	var retry bool
	if err != nil {
		retry = !isCertificateError(err) && !errors.Is(err, ErrProtocol)
	} else {
		retry = retryableStatus(resp.StatusCode)
	}
	if retry {
		c.log.Debug("relay request attempt failed", "op", callOf(ctx).op, "reason", reason(resp, err))
	}
	return retry, nil
}

// retryableStatus reports whether an answer with status says the request
// may succeed if tried again.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is the wait before retry number attempt+1
// (retryablehttp.Backoff): capped exponential with full jitter, a random
// duration between lo and min(hi, lo·2^attempt). A Retry-After from the
// relay lengthens it, but never beyond hi: a relay or proxy asking for a
// day must not stall the device for a day.
func backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	ceiling := hi
	if attempt < 63 && lo <= hi>>attempt {
		ceiling = lo << attempt
	}
	wait := lo + rand.N(ceiling-lo+1)
	if after, ok := retryAfter(resp); ok {
		wait = max(wait, min(after, hi))
	}
	return wait
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t), true
	}
	return 0, false
}

// prepareRetry signs a signed request afresh before it is sent again
// (retryablehttp.PrepareRetry): the relay refuses a nonce it has seen.
// The body and so its digest are unchanged.
func (c *Client) prepareRetry(req *http.Request) error {
	if req.Header.Get(wire.HeaderSignature) != "" {
		// The header map is shared with the previous attempt's request.
		req.Header = req.Header.Clone()
		wire.SignRequest(req, c.cfg.Pseudonym, c.cfg.AuthKey, time.Now())
	}
	return nil
}

// onAttempt counts and logs retries (retryablehttp.RequestLogHook, called
// before every attempt, the first being number 0).
func (c *Client) onAttempt(_ retryablehttp.Logger, req *http.Request, attempt int) {
	if attempt > 0 {
		c.stats.retries.Add(1)
		c.log.Debug("retrying relay request", "op", callOf(req.Context()).op, "retry", attempt)
	}
}

// giveUp returns the outcome once retrying is over
// (retryablehttp.ErrorHandler): an answer whose status outlasted the
// retries is passed on like any other, to be read by do; otherwise the
// error, after closing any answer.
func giveUp(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err == nil {
		return resp, nil
	}
	if resp != nil {
		resp.Body.Close()
	}
	return nil, err
}
