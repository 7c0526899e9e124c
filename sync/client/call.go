package client

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
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
	sum    []byte        // the SHA-256 of blob if the caller has it, else nil
	sent   func()        // if set, called when the relay has an attempt's whole body
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
	ctx = context.WithValue(ctx, callKey{}, k)
	if k.sent != nil {
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{Got1xxResponse: k.got1xx})
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, k.method, k.url, raw)
	if err != nil {
		return nil, err
	}
	maps.Copy(req.Header, k.header)
	req.Header.Set("User-Agent", "") // send none: it would only identify the software
	if len(body) > 0 {
		req.Header.Set("Content-Type", contentType)
	}
	if len(k.sum) == sha256.Size && k.send == nil {
		req.Header.Set(wire.HeaderDigest, wire.DigestOf([sha256.Size]byte(k.sum)))
	} else {
		req.Header.Set(wire.HeaderDigest, wire.Digest(body))
	}
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

// got1xx calls k.sent when the relay says, with 102 Processing, that it
// has the whole body.
func (k *call) got1xx(code int, _ textproto.MIMEHeader) error {
	if code == http.StatusProcessing {
		k.sent()
	}
	return nil
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
