package wire

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrPlainHTTP is returned by ParseRelayURL for an http:// relay that is
// neither on this computer nor an onion service: the network would see
// every request, and could change the answers.
var ErrPlainHTTP = errors.New("the relay address uses plain http://, which is allowed only for a relay on this computer (127.0.0.1, ::1, localhost) or an onion service (.onion); use https://")

// ParseRelayURL checks a relay's base URL: https://, or http:// for a
// loopback host (127.0.0.0/8, ::1, localhost) or a .onion host, which Tor
// encrypts and authenticates itself. Any other http:// URL is refused with
// ErrPlainHTTP.
func ParseRelayURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return nil, fmt.Errorf("relay address %q is not an http(s) URL", s)
	case u.Scheme == "http" && !PlainHTTPAllowed(u.Hostname()):
		return nil, ErrPlainHTTP
	}
	return u, nil
}

// PlainHTTPAllowed reports whether a relay on host may be reached over
// plain HTTP: a loopback address or localhost, or an onion service.
func PlainHTTPAllowed(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return host == "localhost" || strings.HasSuffix(host, ".onion")
}
