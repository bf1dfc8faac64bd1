package config

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hrsync/hrsync/internal/httpx"
)

// HTTPClient is the client block every HTTP section shares (hr.http and
// push_users.target): how hrsync authenticates, which CA it trusts, and how
// hard it pushes. Sections embed it inline, so its keys sit directly in the
// section:
//
//	auth: { kind: bearer, token: ${TOKEN} }   # or basic (user, password) or signature (app_id, secret)
//	ca_file: corp-ca.pem                      # a private CA, added to the system roots
//	concurrency: 4                            # requests in flight
//	rate_per_second: 0                        # 0: no limit
//	timeout: 60s                              # per request
//	max_retries: 3                            # quick retries inside one request; negative: none
//
// Its defaults are httpx's, except concurrency, which the section chooses.
type HTTPClient struct {
	Auth          HTTPAuth `yaml:"auth"`
	CAFile        string   `yaml:"ca_file"`
	Concurrency   int      `yaml:"concurrency"`
	RatePerSecond float64  `yaml:"rate_per_second"`
	Timeout       Duration `yaml:"timeout"`
	MaxRetries    int      `yaml:"max_retries"`
}

// HTTPAuth is how hrsync proves itself to an HTTP or SCIM target.
type HTTPAuth struct {
	Kind         string `yaml:"kind"` // httpx.AuthKinds
	Token        Secret `yaml:"token"`
	TokenFile    string `yaml:"token_file"`
	User         string `yaml:"user"`
	Password     Secret `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	AppID        string `yaml:"app_id"`
	Secret       Secret `yaml:"secret"`
	SecretFile   string `yaml:"secret_file"`
}

// DefaultUsersConcurrency is push_users.target's default concurrency: an
// employee target takes one request per person, so more are kept in flight
// than the punch sink's httpx.DefaultConcurrency batches.
const DefaultUsersConcurrency = 8

// validateHTTPClient checks the block under key as httpx.New would, its
// secrets already expanded, and fills its defaults; concurrency is the
// section's.
func (c *Config) validateHTTPClient(key string, h *HTTPClient, concurrency int) error {
	if err := httpx.ValidateAuthKind(h.Auth.Kind); err != nil {
		return c.errAt(key+".auth.kind", err.Error())
	}
	if err := h.authConfig().Validate(); err != nil {
		var ae *httpx.AuthError
		if errors.As(err, &ae) {
			return c.errAt(key+".auth", ae.Msg)
		}
		return c.errAt(key+".auth", err.Error())
	}
	if h.CAFile != "" {
		if err := httpx.CheckCAFile(c.Resolve(h.CAFile)); err != nil {
			return c.errAt(key+".ca_file", err.Error())
		}
	}
	if h.Concurrency < 0 {
		return c.errAt(key+".concurrency", fmt.Sprintf("%d: must not be negative", h.Concurrency))
	}
	if h.RatePerSecond < 0 {
		return c.errAt(key+".rate_per_second", fmt.Sprintf("%g: must not be negative (0: no limit)", h.RatePerSecond))
	}
	if h.Concurrency == 0 {
		h.Concurrency = concurrency
	}
	if h.Timeout == 0 {
		h.Timeout = Duration(httpx.DefaultTimeout)
	}
	if h.MaxRetries == 0 {
		h.MaxRetries = httpx.DefaultMaxRetries
	}
	return nil
}

// expandAuth fills an auth block's values from ${ENV} and *_file.
func (c *Config) expandAuth(key string, a *HTTPAuth) error {
	var err error
	if a.User, err = c.expandEnv(key+".user", a.User); err != nil {
		return err
	}
	if a.AppID, err = c.expandEnv(key+".app_id", a.AppID); err != nil {
		return err
	}
	if err := c.secretFrom(key+".token", &a.Token, a.TokenFile); err != nil {
		return err
	}
	if err := c.secretFrom(key+".password", &a.Password, a.PasswordFile); err != nil {
		return err
	}
	return c.secretFrom(key+".secret", &a.Secret, a.SecretFile)
}

func (h *HTTPClient) authConfig() httpx.Auth {
	a := h.Auth
	return httpx.Auth{Kind: a.Kind, Token: string(a.Token), User: a.User, Password: string(a.Password),
		AppID: a.AppID, Secret: string(a.Secret)}
}

// HTTPClientConfig turns a section's client block into the shared client's
// config, for baseURL ("" when requests carry absolute URLs). It is the one
// translation both hr.http and push_users.target go through.
func (c *Config) HTTPClientConfig(h *HTTPClient, baseURL string, log *slog.Logger) httpx.Config {
	return httpx.Config{
		BaseURL:       baseURL,
		Auth:          h.authConfig(),
		CAFile:        h.CAFile, // resolved when the file was parsed
		Timeout:       time.Duration(h.Timeout),
		MaxRetries:    h.MaxRetries,
		RatePerSecond: h.RatePerSecond,
		Concurrency:   h.Concurrency,
		Logger:        log,
	}
}
