// Package httpx is the HTTP client every remote target shares: the punch
// sink now, employee HTTP/SCIM targets later. It adds what a plain
// http.Client lacks for unattended delivery: authentication (bearer, basic,
// app-id signature), TLS with a private CA bundle, retries with exponential
// backoff and jitter that honour Retry-After, a request rate limit and a cap
// on concurrent requests. Secrets never appear in its errors or logs.
package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Defaults used when a Config field is left zero.
const (
	DefaultTimeout       = 60 * time.Second
	DefaultMaxRetries    = 3
	DefaultBaseBackoff   = 500 * time.Millisecond
	DefaultMaxBackoff    = 30 * time.Second
	DefaultMaxRetryAfter = 2 * time.Minute
	DefaultConcurrency   = 4
	DefaultUserAgent     = "hrsync"
	// DefaultMaxResponseBytes bounds how much of a response body Send keeps.
	DefaultMaxResponseBytes = 1 << 20
)

// Config describes one remote endpoint. The zero value of every field
// except BaseURL means "use the default".
type Config struct {
	// BaseURL is prefixed to relative paths given to Send. Absolute URLs
	// passed to Send or Do are used as they are.
	BaseURL string
	Auth    Auth
	// CAFile is a PEM bundle of extra trusted roots (a private CA). It is
	// added to the system roots.
	CAFile string
	// InsecureSkipVerify turns TLS verification off. For a test bench only.
	InsecureSkipVerify bool
	// Timeout bounds one attempt, from sending the request to reading the
	// whole response.
	Timeout time.Duration
	// MaxRetries is how many times a failed attempt is retried; negative
	// means never retry.
	MaxRetries int
	// BaseBackoff and MaxBackoff bound the exponential backoff between
	// attempts: BaseBackoff·2^n, capped at MaxBackoff, with jitter.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxRetryAfter caps how long a Retry-After header may make us wait
	// inside one call. A longer wait ends the call with that response so
	// the caller (the outbox) can schedule it for later instead.
	MaxRetryAfter time.Duration
	// RatePerSecond limits requests (attempts) per second; 0 means no limit.
	RatePerSecond float64
	// Concurrency caps requests in flight at once across all callers.
	Concurrency int
	UserAgent   string
	// Header is added to every request (for example a tenant id).
	Header map[string]string
	// Logger receives one line per retried attempt; nil means silent.
	Logger *slog.Logger
}

// Client sends requests to one endpoint. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    *url.URL
	http    *http.Client
	limiter *rate.Limiter
	slots   chan struct{}
	// sleep is swapped by tests that need to see the waits.
	sleep func(ctx context.Context, d time.Duration) error
	// now feeds the signature timestamp.
	now func() time.Time
}

// New checks the configuration and builds a client.
func New(cfg Config) (*Client, error) {
	if err := cfg.Auth.Validate(); err != nil {
		return nil, err
	}
	var base *url.URL
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("httpx: base URL: %w", redactErr(err))
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fmt.Errorf("httpx: base URL %s: scheme must be http or https", u.Redacted())
		}
		if u.User != nil {
			return nil, fmt.Errorf("httpx: base URL %s: put credentials in auth, not in the URL", u.Redacted())
		}
		base = u
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = DefaultBaseBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.RatePerSecond < 0 {
		return nil, fmt.Errorf("httpx: rate per second must not be negative, got %g", cfg.RatePerSecond)
	}

	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify}
	if cfg.CAFile != "" {
		pool, err := loadCA(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		tlsCfg.RootCAs = pool
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsCfg
	transport.MaxIdleConnsPerHost = cfg.Concurrency
	transport.MaxConnsPerHost = cfg.Concurrency

	c := &Client{
		cfg:   cfg,
		base:  base,
		slots: make(chan struct{}, cfg.Concurrency),
		http: &http.Client{
			Transport:     transport,
			CheckRedirect: keepMethodRedirects,
		},
		sleep: sleepCtx,
		now:   time.Now,
	}
	if cfg.RatePerSecond > 0 {
		burst := max(1, int(cfg.RatePerSecond))
		c.limiter = rate.NewLimiter(rate.Limit(cfg.RatePerSecond), burst)
	}
	return c, nil
}

// CheckCAFile reads a CA bundle as New does. Config calls it, so that
// config check rejects a bundle a run could not use.
func CheckCAFile(file string) error {
	_, err := readCA(x509.NewCertPool(), file)
	return err
}

func loadCA(file string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if pool, err = readCA(pool, file); err != nil {
		return nil, fmt.Errorf("httpx: CA bundle: %w", err)
	}
	return pool, nil
}

// readCA adds the PEM certificates of file to pool.
func readCA(pool *x509.CertPool, file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate found", file)
	}
	return pool, nil
}

// keepMethodRedirects follows a redirect only when it cannot turn a POST
// into a GET: a 301/302/303 after a POST would silently drop the body and
// look like success, so it is returned to the caller instead.
func keepMethodRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	orig := via[0].Method
	if orig == http.MethodGet || orig == http.MethodHead {
		return nil
	}
	if req.Response != nil {
		switch req.Response.StatusCode {
		case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			return nil
		}
	}
	return http.ErrUseLastResponse
}

// Request is what Send needs. Path is joined to BaseURL unless it is an
// absolute URL.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// Response is a fully read reply. Body is cut at DefaultMaxResponseBytes.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Attempts is how many requests were made, retries included.
	Attempts int
}

// OK reports a 2xx status.
func (r *Response) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Send makes the request with retries and reads the reply. Any HTTP status
// comes back as a Response with a nil error; the error is for requests that
// got no reply at all (network, TLS, timeout, cancelled context).
func (c *Client) Send(ctx context.Context, r Request) (*Response, error) {
	u, err := c.resolve(r.Path)
	if err != nil {
		return nil, err
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(r.Body))
	if err != nil {
		return nil, fmt.Errorf("httpx: %s %s: %w", method, u.Redacted(), redactErr(err))
	}
	if r.Body == nil {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	var out *Response
	attempts, err := c.do(ctx, req, r.Body, func(resp *http.Response) error {
		body, err := io.ReadAll(io.LimitReader(resp.Body, DefaultMaxResponseBytes))
		if err != nil {
			return err
		}
		out = &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Attempts = attempts
	return out, nil
}

// Do sends req with retries and returns the last response, body unread;
// the caller closes it. A request with a body must be replayable
// (req.GetBody set, as http.NewRequest does for bytes and strings readers).
// Relative request URLs are resolved against BaseURL.
func (c *Client) Do(ctx context.Context, req *http.Request) (*http.Response, error) {
	if !req.URL.IsAbs() {
		u, err := c.resolve(req.URL.String())
		if err != nil {
			return nil, err
		}
		req.URL, req.Host = u, u.Host
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, fmt.Errorf("httpx: %s %s: request body cannot be replayed for retries; use Send or set GetBody", req.Method, req.URL.Redacted())
		}
		rc, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("httpx: %s %s: %w", req.Method, req.URL.Redacted(), err)
		}
		body, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("httpx: %s %s: reading body: %w", req.Method, req.URL.Redacted(), err)
		}
	}
	var last *http.Response
	_, err := c.do(ctx, req, body, func(resp *http.Response) error {
		// Keep the body for the caller: read it now so the attempt's
		// timeout and slot can be released.
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(data))
		last = resp
		return nil
	})
	return last, err
}

func (c *Client) resolve(path string) (*url.URL, error) {
	u, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("httpx: URL: %w", redactErr(err))
	}
	if u.IsAbs() {
		return u, nil
	}
	if c.base == nil {
		return nil, fmt.Errorf("httpx: relative path %q and no base URL", path)
	}
	return c.base.ResolveReference(u), nil
}

// do runs the attempt loop. read consumes a response inside the attempt
// (under its timeout); do returns how many attempts were made.
func (c *Client) do(ctx context.Context, req *http.Request, body []byte, read func(*http.Response) error) (int, error) {
	where := req.Method + " " + req.URL.Redacted()
	for attempt := 0; ; attempt++ {
		status, retryAfter, err := c.attempt(ctx, req, body, read)
		if ctx.Err() != nil {
			return attempt + 1, fmt.Errorf("httpx: %s: %w", where, ctx.Err())
		}
		retry := false
		switch {
		case err != nil:
			retry = retryableError(err)
		default:
			retry = RetryableStatus(status)
		}
		if !retry || attempt >= c.cfg.MaxRetries {
			if err != nil {
				return attempt + 1, fmt.Errorf("httpx: %s: attempt %d: %w", where, attempt+1, err)
			}
			return attempt + 1, nil
		}
		wait := c.backoff(attempt)
		if retryAfter > 0 {
			if retryAfter > c.cfg.MaxRetryAfter {
				// Too long to wait here: hand the 429/503 back.
				return attempt + 1, nil
			}
			wait = retryAfter
		}
		if c.cfg.Logger != nil {
			c.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "http retry",
				slog.String("request", where), slog.Int("attempt", attempt+1),
				slog.Int("status", status), slog.String("error", errText(err)),
				slog.Duration("wait", wait))
		}
		if err := c.sleep(ctx, wait); err != nil {
			return attempt + 1, fmt.Errorf("httpx: %s: %w", where, err)
		}
	}
}

// attempt makes one request. It returns the status (0 when there was no
// reply) and the Retry-After wait the server asked for.
func (c *Client) attempt(ctx context.Context, req *http.Request, body []byte, read func(*http.Response) error) (int, time.Duration, error) {
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return 0, 0, err
		}
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return 0, 0, ctx.Err()
	}
	defer func() { <-c.slots }()

	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	r := req.Clone(actx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	r.Header.Set("User-Agent", c.cfg.UserAgent)
	for k, v := range c.cfg.Header {
		r.Header.Set(k, v)
	}
	if err := c.cfg.Auth.apply(r, body, c.now()); err != nil {
		return 0, 0, err
	}
	resp, err := c.http.Do(r)
	if err != nil {
		return 0, 0, redactErr(err)
	}
	defer resp.Body.Close()
	if err := read(resp); err != nil {
		return 0, 0, fmt.Errorf("reading response: %w", err)
	}
	var wait time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		wait = retryAfter(resp.Header.Get("Retry-After"), c.now())
	}
	return resp.StatusCode, wait, nil
}

// backoff is BaseBackoff·2^attempt capped at MaxBackoff, jittered into
// [d/2, d] so that many clients do not retry in step.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.BaseBackoff << min(attempt, 30)
	if d <= 0 || d > c.cfg.MaxBackoff {
		d = c.cfg.MaxBackoff
	}
	half := d / 2
	return half + rand.N(half+1)
}

// RetryableStatus reports whether a reply is worth another try: 408, 429
// and 5xx. Every other status, other 4xx included, is final.
func RetryableStatus(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// retryableError: network trouble is retried; a certificate the client
// refuses is a configuration problem that another try will not fix.
func retryableError(err error) bool {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		authErr  *AuthError
	)
	switch {
	case errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verify), errors.As(err, &authErr):
		return false
	case errors.Is(err, context.Canceled):
		return false
	}
	return true
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// redactErr strips any password from a URL inside err: url.Error prints
// the whole URL.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.User != nil {
			cp := *ue
			cp.URL = u.Redacted()
			return &cp
		}
	}
	return err
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// RedactHeader returns a copy of h fit for a log: credentials replaced.
func RedactHeader(h http.Header) http.Header {
	out := h.Clone()
	for k := range out {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", HeaderSignature:
			out[k] = []string{"REDACTED"}
		}
	}
	return out
}
