package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The cookie that carries the signed tenant value; the session token
// travels as a bearer token.
const tenantSigCookie = "__Host-tenant_sig"

// client sends the probe's requests. It reaches *.localhost names on the
// loopback interface by itself (the system resolver does not resolve
// them), or every name at Config.Connect.
type client struct {
	hc      *http.Client
	signIn  *http.Client // sign-ins: spread over Config.SignInAddrs
	scheme  string
	port    string
	maxWait time.Duration
	logf    func(format string, args ...any)

	requests atomic.Int64
	signIns  atomic.Int64
	waited   atomic.Int64 // nanoseconds spent honouring Retry-After
}

func newClient(cfg *Config, scheme, port string) *client {
	c := &client{scheme: scheme, port: port, maxWait: cfg.MaxRateLimitWait, logf: cfg.logf}
	c.hc = &http.Client{Transport: transport(cfg, nil, true), Timeout: cfg.RequestTimeout, CheckRedirect: noRedirect}
	c.signIn = c.hc
	if len(cfg.SignInAddrs) > 0 {
		var next atomic.Uint64
		c.signIn = &http.Client{
			Transport: transport(cfg, func() string {
				return cfg.SignInAddrs[int(next.Add(1)-1)%len(cfg.SignInAddrs)]
			}, false),
			Timeout: cfg.RequestTimeout, CheckRedirect: noRedirect,
		}
	}
	return c
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// transport dials 127.0.0.1 for localhost names (or cfg.Connect for every
// name); local, when set, picks the source address of each connection.
func transport(cfg *Config, local func() string, keepAlive bool) *http.Transport {
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			d := &net.Dialer{Timeout: 5 * time.Second}
			if local != nil {
				d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local())}
			}
			switch {
			case cfg.Connect != "":
				addr = cfg.Connect
			case host == "localhost" || strings.HasSuffix(host, ".localhost"):
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost:   16,
		DisableKeepAlives:     !keepAlive,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       30 * time.Second,
	}
}

// request is one HTTP request of the probe.
type request struct {
	method string
	host   string // host name without port
	path   string // path and query
	body   any    // JSON-encoded when not nil
	token  string // sent as Authorization: Bearer
	sig    string // sent as the __Host-tenant_sig cookie
	header map[string]string
	signIn bool // opens a session (or tries to): subject to sign-in limits
	// limited: the server limits the operation per client address (sign-in,
	// password reset): sent from Config.SignInAddrs.
	limited bool
	// raw, when not nil, is sent as the body instead of body, as
	// contentType.
	raw         []byte
	contentType string
}

// response is what came back.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(v any) error {
	if err := json.Unmarshal(r.body, v); err != nil {
		return fmt.Errorf("decode %d response %.200q: %w", r.status, r.body, err)
	}
	return nil
}

// problem returns the problem body without its per-request instance, for
// comparing two refusals.
func (r response) problem() string {
	var m map[string]any
	if json.Unmarshal(r.body, &m) != nil {
		return string(r.body)
	}
	delete(m, "instance")
	b, _ := json.Marshal(m)
	return string(b)
}

func (r response) String() string {
	b := r.body
	if len(b) > 300 {
		b = append(b[:300:300], "…"...)
	}
	return fmt.Sprintf("%d %s", r.status, b)
}

// url returns the address of path on host.
func (c *client) url(host, path string) string {
	if c.port != "" {
		host = net.JoinHostPort(host, c.port)
	}
	return c.scheme + "://" + host + path
}

// do sends r. A 429 with a Retry-After within the configured wait is
// waited out and retried: the probe must not fail because it signs in
// more often than a person would.
func (c *client) do(ctx context.Context, r request) (response, error) {
	return c.waiting(ctx, r, c.maxWait)
}

// waiting sends r, waiting out a 429 whose Retry-After is at most maxWait
// (never, when maxWait is not positive).
func (c *client) waiting(ctx context.Context, r request, maxWait time.Duration) (response, error) {
	for {
		resp, err := c.once(ctx, r)
		if err != nil || resp.status != http.StatusTooManyRequests {
			return resp, err
		}
		secs, _ := strconv.Atoi(resp.header.Get("Retry-After"))
		wait := time.Duration(max(secs, 1)) * time.Second
		if maxWait <= 0 || wait > maxWait {
			return resp, nil
		}
		c.logf("rate limited on %s %s: waiting %s", r.method, r.path, wait)
		c.waited.Add(int64(wait))
		select {
		case <-ctx.Done():
			return resp, ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (c *client) once(ctx context.Context, r request) (response, error) {
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return response{}, err
		}
		body = bytes.NewReader(b)
	}
	if r.raw != nil {
		body = bytes.NewReader(r.raw)
	}
	hr, err := http.NewRequestWithContext(ctx, r.method, c.url(r.host, r.path), body)
	if err != nil {
		return response{}, err
	}
	switch {
	case r.raw != nil:
		hr.Header.Set("Content-Type", r.contentType)
	case r.body != nil:
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Accept", "application/json")
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.sig != "" {
		hr.AddCookie(&http.Cookie{Name: tenantSigCookie, Value: r.sig})
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	hc := c.hc
	if r.signIn || r.limited {
		hc = c.signIn
	}
	if r.signIn {
		c.signIns.Add(1)
	}
	c.requests.Add(1)
	resp, err := hc.Do(hr)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return response{}, fmt.Errorf("read response of %s %s: %w", r.method, r.path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// errStatus reports an unexpected status of a setup request.
func errStatus(what string, r response) error {
	return &statusError{what: what, r: r}
}

// statusError is an answer other than the one the probe needed.
type statusError struct {
	what string
	r    response
}

func (e *statusError) Error() string { return fmt.Sprintf("%s: %s", e.what, e.r) }

// answered reports whether err is an answer with status code.
func answered(err error, code int) bool {
	var se *statusError
	return errors.As(err, &se) && se.r.status == code
}
