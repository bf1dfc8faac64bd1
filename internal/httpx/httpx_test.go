package httpx

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// caFile writes the test server's certificate as a PEM bundle, the way a
// customer hands us their private CA.
func caFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// recordSleeps replaces real waits with a log of what would have been waited.
func recordSleeps(c *Client) *[]time.Duration {
	var mu sync.Mutex
	waits := &[]time.Duration{}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		*waits = append(*waits, d)
		return ctx.Err()
	}
	return waits
}

func TestAuthKinds(t *testing.T) {
	const secret = "s3cr3t-value"
	tests := []struct {
		name  string
		auth  Auth
		check func(r *http.Request, body []byte) bool
	}{
		{"none", Auth{}, func(r *http.Request, _ []byte) bool { return r.Header.Get("Authorization") == "" }},
		{"bearer", Auth{Kind: AuthBearer, Token: "tok-123"}, func(r *http.Request, _ []byte) bool {
			return r.Header.Get("Authorization") == "Bearer tok-123"
		}},
		{"basic", Auth{Kind: AuthBasic, User: "ann", Password: "pw"}, func(r *http.Request, _ []byte) bool {
			u, p, ok := r.BasicAuth()
			return ok && u == "ann" && p == "pw"
		}},
		{"signature", Auth{Kind: AuthSignature, AppID: "app-1", Secret: secret}, func(r *http.Request, body []byte) bool {
			return r.Header.Get(HeaderAppID) == "app-1" && len(r.Header.Get(HeaderNonce)) == 32 &&
				VerifySignature(r, body, secret, "")
		}},
		{"signature custom header", Auth{Kind: AuthSignature, AppID: "app-1", Secret: secret, SignatureHeader: "X-Sig"}, func(r *http.Request, body []byte) bool {
			return VerifySignature(r, body, secret, "X-Sig") && r.Header.Get(HeaderSignature) == ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if !tt.check(r, body) {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				w.Write([]byte("ok"))
			}))
			defer srv.Close()
			c, err := New(Config{BaseURL: srv.URL + "/api/", CAFile: caFile(t, srv), Auth: tt.auth})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Send(context.Background(), Request{Method: http.MethodPost, Path: "punches?batch=1", Body: []byte(`[{"a":1}]`)})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != http.StatusOK || string(resp.Body) != "ok" {
				t.Fatalf("status %d body %q", resp.Status, resp.Body)
			}
		})
	}
}

func TestSignatureIsDocumentedScheme(t *testing.T) {
	// Computed outside Go from the documented string-to-sign:
	//   h=$(printf '{}' | sha256sum | cut -c1-64)
	//   printf "POST\n/api/p?x=1\n1700000000\nabc\n%s" "$h" | openssl dgst -sha256 -hmac k
	got := Sign("k", "POST", "/api/p?x=1", "1700000000", "abc", []byte("{}"))
	want := "500bd57cce2a62a5c25ff27a940cbb1a84579f4bf2b39de7e94d2551ea12ac31"
	if got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

func TestBadAuthConfig(t *testing.T) {
	tests := []struct {
		auth Auth
		want string
	}{
		{Auth{Kind: "bearer"}, "needs a token"},
		{Auth{Kind: "basic"}, "needs a user"},
		{Auth{Kind: "signature", AppID: "a"}, "app id and a secret"},
		{Auth{Kind: "oauth"}, `unknown kind "oauth"`},
	}
	for _, tt := range tests {
		_, err := New(Config{BaseURL: "https://example.test", Auth: tt.auth})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want %q", tt.auth, err, tt.want)
		}
	}
}

func TestSecretsStayOutOfErrorsAndPrints(t *testing.T) {
	_, err := New(Config{BaseURL: "https://bob:hunter2@example.test/x"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err %v: want a refusal without the password", err)
	}
	a := Auth{Kind: AuthBearer, Token: "tok-secret", Password: "pw-secret", Secret: "hmac-secret"}
	for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%+v", Config{Auth: a}), fmt.Sprintf("%#v", a)} {
		for _, secret := range []string{"tok-secret", "pw-secret", "hmac-secret"} {
			if strings.Contains(s, secret) {
				t.Errorf("printed config %q shows %s", s, secret)
			}
		}
	}
	h := http.Header{"Authorization": {"Bearer tok"}, "X-Signature": {"abc"}, "Content-Type": {"x"}}
	r := RedactHeader(h)
	if r.Get("Authorization") != "REDACTED" || r.Get("X-Signature") != "REDACTED" || r.Get("Content-Type") != "x" {
		t.Fatalf("redacted header %v", r)
	}
	if h.Get("Authorization") != "Bearer tok" {
		t.Fatal("RedactHeader changed its input")
	}
}

func TestTLSVerifiedByDefault(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()

	c, err := New(Config{BaseURL: srv.URL, BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	waits := recordSleeps(c)
	_, err = c.Send(context.Background(), Request{Path: "/"})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err %v, want a certificate error", err)
	}
	if len(*waits) != 0 {
		t.Fatalf("a certificate error was retried %d times", len(*waits))
	}

	insecure, err := New(Config{BaseURL: srv.URL, InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := insecure.Send(context.Background(), Request{Path: "/"}); err != nil || resp.Status != 200 {
		t.Fatalf("insecure: %v %v", resp, err)
	}
	if hits.Load() != 1 {
		t.Fatalf("server saw %d requests, want 1", hits.Load())
	}
}

func TestBadCAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(path, []byte("not pem"), 0o600)
	if _, err := New(Config{CAFile: path}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("err %v", err)
	}
	if _, err := New(Config{CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil {
		t.Fatal("missing CA file accepted")
	}
}

// scripted answers each request with the next status in the script (the
// last one repeats).
func scripted(t *testing.T, script []int, header http.Header) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		body, _ := io.ReadAll(r.Body)
		if string(body) != "payload" {
			t.Errorf("attempt %d got body %q", i+1, body)
		}
		status := script[min(i, len(script)-1)]
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "answer %d", i+1)
	}))
	return srv, &n
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name         string
		script       []int
		retryAfter   string
		maxRetries   int
		wantStatus   int
		wantRequests int32
		wantWaits    []time.Duration // nil: only count them
		wantNWaits   int
	}{
		{name: "500 then success", script: []int{500, 200}, wantStatus: 200, wantRequests: 2, wantNWaits: 1},
		{name: "502 503 504 then success", script: []int{502, 503, 504, 201}, wantStatus: 201, wantRequests: 4, wantNWaits: 3},
		{name: "408 retried", script: []int{408, 204}, wantStatus: 204, wantRequests: 2, wantNWaits: 1},
		{name: "429 honours Retry-After seconds", script: []int{429, 200}, retryAfter: "7", wantStatus: 200, wantRequests: 2, wantWaits: []time.Duration{7 * time.Second}},
		{name: "429 Retry-After beyond cap goes back to caller", script: []int{429, 200}, retryAfter: "3600", wantStatus: 429, wantRequests: 1, wantWaits: []time.Duration{}},
		{name: "400 never retried", script: []int{400, 200}, wantStatus: 400, wantRequests: 1, wantWaits: []time.Duration{}},
		{name: "401 never retried", script: []int{401, 200}, wantStatus: 401, wantRequests: 1, wantWaits: []time.Duration{}},
		{name: "404 never retried", script: []int{404, 200}, wantStatus: 404, wantRequests: 1, wantWaits: []time.Duration{}},
		{name: "retries run out", script: []int{500}, maxRetries: 2, wantStatus: 500, wantRequests: 3, wantNWaits: 2},
		{name: "no retries", script: []int{500}, maxRetries: -1, wantStatus: 500, wantRequests: 1, wantWaits: []time.Duration{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h http.Header
			if tt.retryAfter != "" {
				h = http.Header{"Retry-After": {tt.retryAfter}}
			}
			srv, n := scripted(t, tt.script, h)
			defer srv.Close()
			c, err := New(Config{BaseURL: srv.URL, CAFile: caFile(t, srv), MaxRetries: tt.maxRetries})
			if err != nil {
				t.Fatal(err)
			}
			waits := recordSleeps(c)
			resp, err := c.Send(context.Background(), Request{Method: "POST", Path: "/p", Body: []byte("payload")})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.wantStatus || n.Load() != tt.wantRequests || resp.Attempts != int(tt.wantRequests) {
				t.Fatalf("status %d after %d requests (attempts %d), want %d after %d", resp.Status, n.Load(), resp.Attempts, tt.wantStatus, tt.wantRequests)
			}
			if tt.wantWaits != nil {
				if fmt.Sprint(*waits) != fmt.Sprint(tt.wantWaits) {
					t.Fatalf("waits %v, want %v", *waits, tt.wantWaits)
				}
			} else if len(*waits) != tt.wantNWaits {
				t.Fatalf("waits %v, want %d", *waits, tt.wantNWaits)
			}
		})
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	c, err := New(Config{BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for attempt, ceil := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		ceil *= time.Millisecond
		for range 50 {
			d := c.backoff(attempt)
			if d < ceil/2 || d > ceil {
				t.Fatalf("attempt %d: backoff %v outside [%v, %v]", attempt, d, ceil/2, ceil)
			}
		}
	}
}

func TestRetryAfterDate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := map[string]time.Duration{
		"":     0,
		"12":   12 * time.Second,
		"-1":   0,
		"soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	}
	for in, want := range tests {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestNetworkErrorRetriedThenReported(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	url := srv.URL
	ca := caFile(t, srv)
	srv.Close() // nothing listens any more
	c, err := New(Config{BaseURL: url, CAFile: ca, MaxRetries: 2, Auth: Auth{Kind: AuthBearer, Token: "tok-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	waits := recordSleeps(c)
	_, err = c.Send(context.Background(), Request{Method: "POST", Path: "/p", Body: []byte("x")})
	if err == nil || !strings.Contains(err.Error(), "attempt 3") || strings.Contains(err.Error(), "tok-secret") {
		t.Fatalf("err %v", err)
	}
	if len(*waits) != 2 {
		t.Fatalf("waits %v, want 2", *waits)
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	var n atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select { // the first request hangs past the client's timeout
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte("late but fine"))
	}))
	defer srv.Close()
	defer close(release)
	c, err := New(Config{BaseURL: srv.URL, CAFile: caFile(t, srv), Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	recordSleeps(c)
	resp, err := c.Send(context.Background(), Request{Path: "/"})
	if err != nil || resp.Status != 200 || resp.Attempts != 2 {
		t.Fatalf("resp %+v err %v", resp, err)
	}
}

func TestConcurrencyCap(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := inFlight.Add(1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond) // let overlapping requests pile up
		inFlight.Add(-1)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, CAFile: caFile(t, srv), Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.Send(context.Background(), Request{Path: "/"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if peak.Load() > 3 {
		t.Fatalf("%d requests in flight at once, cap 3", peak.Load())
	}
}

func TestRateLimitedWaitsForToken(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, CAFile: caFile(t, srv), RatePerSecond: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(context.Background(), Request{Path: "/"}); err != nil {
		t.Fatal(err) // the burst allows one
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Send(ctx, Request{Path: "/"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("second request err %v, want it held back by the limiter", err)
	}
	if _, err := New(Config{RatePerSecond: -1}); err == nil {
		t.Fatal("negative rate accepted")
	}
}

func TestPostRedirectNotTurnedIntoGet(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old":
			http.Redirect(w, r, "/new", http.StatusFound)
		case "/tmp":
			http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
		case "/new":
			body, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %s", r.Method, body)
		}
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, CAFile: caFile(t, srv)})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Send(context.Background(), Request{Method: "POST", Path: "/old", Body: []byte("b")})
	if err != nil || resp.Status != http.StatusFound {
		t.Fatalf("302 after POST: %+v %v", resp, err)
	}
	resp, err = c.Send(context.Background(), Request{Method: "POST", Path: "/tmp", Body: []byte("b")})
	if err != nil || resp.Status != 200 || string(resp.Body) != "POST b" {
		t.Fatalf("307 after POST: %+v %v", resp, err)
	}
	resp, err = c.Send(context.Background(), Request{Path: "/old"})
	if err != nil || resp.Status != 200 || string(resp.Body) != "GET " {
		t.Fatalf("302 after GET: %+v %v", resp, err)
	}
}

func TestDoReplaysBody(t *testing.T) {
	srv, n := scripted(t, []int{503, 200}, nil)
	defer srv.Close()
	var logs bytes.Buffer
	c, err := New(Config{BaseURL: srv.URL + "/base/", CAFile: caFile(t, srv),
		Auth:   Auth{Kind: AuthBearer, Token: "tok-secret"},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	recordSleeps(c)
	req, _ := http.NewRequest("PUT", "rel", strings.NewReader("payload"))
	resp, err := c.Do(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "answer 2" || n.Load() != 2 {
		t.Fatalf("status %d body %q requests %d", resp.StatusCode, body, n.Load())
	}
	if !strings.Contains(logs.String(), "http retry") || strings.Contains(logs.String(), "tok-secret") {
		t.Fatalf("log %q", logs.String())
	}

	unreplayable, _ := http.NewRequest("POST", srv.URL, io.NopCloser(strings.NewReader("x")))
	if _, err := c.Do(context.Background(), unreplayable); err == nil || !strings.Contains(err.Error(), "replayed") {
		t.Fatalf("err %v", err)
	}
}
