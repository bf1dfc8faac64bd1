package sqldb

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

const mask = "xxxxx"

// secretParam matches password-like key=value pairs in URL queries and in
// driver DSNs (`password=...`, `pwd=...`, `passwd=...`), up to the next
// separator.
var secretParam = regexp.MustCompile(`(?i)\b(password|pwd|passwd)=([^&;\s]*)`)

// userinfoSecret matches the password part of `scheme://user:secret@host`
// for strings that net/url cannot parse.
// It runs to the last @, as an unescaped password may hold one.
var userinfoSecret = regexp.MustCompile(`(://[^:/@\s]*:)(.*)@`)

// Redact returns the database URL with every password replaced by xxxxx,
// fit for errors and logs.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Opaque != "" || u.Host == "" {
		s := userinfoSecret.ReplaceAllString(rawURL, "${1}"+mask+"@")
		return secretParam.ReplaceAllString(s, "${1}="+mask)
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), mask)
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			switch strings.ToLower(k) {
			case "password", "pwd", "passwd":
				q.Set(k, mask)
			}
		}
		u.RawQuery = q.Encode()
	}
	// url.URL.String would escape the mask; keep it readable.
	return strings.ReplaceAll(u.String(), url.QueryEscape(mask), mask)
}

// scrubbed wraps an error so that its text never shows any of the given
// secrets, whatever the driver put in it.
type scrubbed struct {
	err     error
	secrets []string
}

func (s *scrubbed) Error() string {
	msg := s.err.Error()
	for _, secret := range s.secrets {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, mask)
		}
	}
	return secretParam.ReplaceAllString(msg, "${1}="+mask)
}

func (s *scrubbed) Unwrap() error { return s.err }

// scrub hides secrets in err's text while keeping errors.Is/As working.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var already *scrubbed
	if errors.As(err, &already) && len(secrets) == 0 {
		return err
	}
	return &scrubbed{err: err, secrets: secrets}
}
