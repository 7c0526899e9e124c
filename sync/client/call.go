package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/letapis/letapis/sync/wire"
)

// call describes one exchange with the relay; do carries it out.
type call struct {
	op     string // what is being done, in words, for errors and logs
	method string
	url    string
	signed bool          // sign with the device's auth key
	send   wire.Message  // JSON request body, validated before it is sent
	blob   []byte        // or an opaque request body
	sent   func()        // if set, called when an attempt has read the whole body
	header http.Header   // more request headers
	wait   time.Duration // how long the relay may hold the request (long poll)
	recv   wire.Message  // where to decode a JSON answer; nil discards it
	batch  *[][]byte     // or where to split a batch answer (see wire.SplitBatch)
	stream bool          // hand the answer's body to the caller unread
}

type callKey struct{}

// callOf returns the call a request context belongs to: the retry hooks
// and the attempt transport see only the request.
func callOf(ctx context.Context) *call {
	if k, ok := ctx.Value(callKey{}).(*call); ok {
		return k
	}
	return &call{}
}

// do carries out k: it builds and signs the request, sends it with
// retries and reads the answer into k.recv. For a streaming call it
// returns the answer with its body open. Errors start with k.op.
func (c *Client) do(ctx context.Context, k *call) (*http.Response, error) {
	resp, err := c.exchange(ctx, k)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.op, err)
	}
	return resp, nil
}

func (c *Client) exchange(ctx context.Context, k *call) (*http.Response, error) {
	body, contentType := k.blob, "application/octet-stream"
	if k.send != nil {
		if err := k.send.Validate(); err != nil {
			return nil, err
		}
		var err error
		if body, err = json.Marshal(k.send); err != nil {
			return nil, err
		}
		contentType = "application/json"
	}
	var raw any // retryablehttp replays a []byte on every attempt
	if len(body) > 0 {
		raw = body
	}
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, callKey{}, k), k.method, k.url, raw)
	if err != nil {
		return nil, err
	}
	maps.Copy(req.Header, k.header)
	req.Header.Set("User-Agent", "") // send none: it would only identify the software
	if len(body) > 0 {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set(wire.HeaderDigest, wire.Digest(body))
	if k.signed {
		wire.SignRequest(req.Request, c.cfg.Pseudonym, c.cfg.AuthKey, time.Now())
	}
	req.SetResponseHandler(k.read)

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, explain(err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, relayError(resp)
	}
	return resp, nil
}

// read is the response handler: inside the retry loop it reads a
// successful answer whole, so that an answer cut off is retried like any
// failed attempt. Other answers, and streams, are left to the caller.
func (k *call) read(resp *http.Response) error {
	if k.stream || resp.StatusCode/100 != 2 {
		return nil
	}
	defer resp.Body.Close()
	var err error
	switch {
	case k.batch != nil:
		var body []byte
		if body, err = io.ReadAll(io.LimitReader(resp.Body, wire.MaxBatchSize+1)); err == nil {
			*k.batch, err = wire.SplitBatch(body)
		}
	case k.recv == nil:
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, wire.MaxMessageSize))
	default:
		err = wire.Decode(resp.Body, k.recv)
	}
	if errors.Is(err, wire.ErrMalformed) {
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	if err != nil {
		return fmt.Errorf("the answer broke off: %w", err)
	}
	return nil
}
