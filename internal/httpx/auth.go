package httpx

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Auth kinds.
const (
	AuthNone      = "none"
	AuthBearer    = "bearer"
	AuthBasic     = "basic"
	AuthSignature = "signature"
)

// AuthKinds are the kinds Auth.Kind accepts ("" means none).
var AuthKinds = []string{AuthNone, AuthBearer, AuthBasic, AuthSignature}

// ValidateAuthKind checks an auth kind as a client would; config calls it
// while parsing so that the list of kinds is declared once, here.
func ValidateAuthKind(kind string) error {
	if kind == "" || slices.Contains(AuthKinds, kind) {
		return nil
	}
	return fmt.Errorf("%q: want %s", kind, strings.Join(AuthKinds, ", "))
}

// Headers of the app-id signature scheme.
const (
	HeaderAppID     = "X-App-Id"
	HeaderTimestamp = "X-Timestamp"
	HeaderNonce     = "X-Nonce"
	HeaderSignature = "X-Signature"
)

// Auth says how requests prove who sends them. Kind is one of:
//
//	none       nothing added
//	bearer     Authorization: Bearer <Token>
//	basic      Authorization: Basic base64(User:Password)
//	signature  app-id signing, a fresh signature on every attempt
//
// The signature scheme adds four headers:
//
//	X-App-Id:    <AppID>
//	X-Timestamp: <unix seconds, decimal>
//	X-Nonce:     <32 hex digits, random per attempt>
//	X-Signature: hex(HMAC-SHA256(Secret, StringToSign))
//
//	StringToSign = METHOD "\n" PATH "\n" TIMESTAMP "\n" NONCE "\n" hex(SHA-256(body))
//
// METHOD is upper case; PATH is the escaped path plus "?query" when the URL
// has one, exactly as on the request line; an empty body hashes to
// e3b0c442…b855. A receiver recomputes the signature (VerifySignature),
// compares in constant time, and rejects a timestamp far from its clock or
// a nonce it has seen. SignatureHeader, when set, renames X-Signature.
type Auth struct {
	Kind            string
	Token           string
	User            string
	Password        string
	AppID           string
	Secret          string
	SignatureHeader string
}

// AuthError is a configuration problem with the credentials; retrying
// does not help. It never carries the secret itself.
type AuthError struct{ Msg string }

func (e *AuthError) Error() string { return "httpx: auth: " + e.Msg }

// String hides the secrets so that printing a config with %v or %+v is safe.
func (a Auth) String() string {
	return fmt.Sprintf("{Kind:%s User:%s AppID:%s Token:%s Password:%s Secret:%s}",
		a.kind(), a.User, a.AppID, mask(a.Token), mask(a.Password), mask(a.Secret))
}

// GoString hides the secrets from %#v as well.
func (a Auth) GoString() string { return "httpx.Auth" + a.String() }

func mask(s string) string {
	if s == "" {
		return ""
	}
	return "REDACTED"
}

func (a Auth) kind() string {
	if a.Kind == "" {
		return AuthNone
	}
	return a.Kind
}

// Validate checks that the kind has the credentials it needs, as New
// does; config calls it so that config check rejects what a run would.
func (a Auth) Validate() error {
	switch a.kind() {
	case AuthNone:
		return nil
	case AuthBearer:
		if a.Token == "" {
			return &AuthError{"bearer auth needs a token"}
		}
	case AuthBasic:
		if a.User == "" {
			return &AuthError{"basic auth needs a user"}
		}
	case AuthSignature:
		if a.AppID == "" || a.Secret == "" {
			return &AuthError{"signature auth needs an app id and a secret"}
		}
	default:
		return &AuthError{fmt.Sprintf("unknown kind %q (want %s)", a.Kind, strings.Join(AuthKinds, ", "))}
	}
	return nil
}

func (a Auth) apply(r *http.Request, body []byte, now time.Time) error {
	switch a.kind() {
	case AuthBearer:
		r.Header.Set("Authorization", "Bearer "+a.Token)
	case AuthBasic:
		r.SetBasicAuth(a.User, a.Password)
	case AuthSignature:
		var raw [16]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return fmt.Errorf("signature nonce: %w", err)
		}
		nonce := hex.EncodeToString(raw[:])
		ts := strconv.FormatInt(now.Unix(), 10)
		header := a.SignatureHeader
		if header == "" {
			header = HeaderSignature
		}
		r.Header.Set(HeaderAppID, a.AppID)
		r.Header.Set(HeaderTimestamp, ts)
		r.Header.Set(HeaderNonce, nonce)
		r.Header.Set(header, Sign(a.Secret, r.Method, r.URL.RequestURI(), ts, nonce, body))
	}
	return nil
}

// Sign computes the app-id signature described on Auth. Receivers (and
// tests) use it to check a request.
func Sign(secret, method, pathAndQuery, timestamp, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%s\n%s\n%s\n%s\n%s", method, pathAndQuery, timestamp, nonce, hex.EncodeToString(sum[:]))
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks a request signed with the scheme on Auth against
// secret, in constant time. It does not check timestamp freshness or nonce
// reuse; that needs the receiver's clock and memory.
func VerifySignature(r *http.Request, body []byte, secret, signatureHeader string) bool {
	if signatureHeader == "" {
		signatureHeader = HeaderSignature
	}
	want := Sign(secret, r.Method, r.URL.RequestURI(), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderNonce), body)
	return hmac.Equal([]byte(want), []byte(r.Header.Get(signatureHeader)))
}
