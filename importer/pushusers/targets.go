package pushusers

import (
	"fmt"
	"log/slog"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/httpx"
	"github.com/hrsync/hrsync/sinks/employeeapi"
	"github.com/hrsync/hrsync/sinks/scim"
)

// HTTPConfig turns the target section into the shared client's config.
func HTTPConfig(cfg *config.Config, log *slog.Logger) httpx.Config {
	t := &cfg.PushUsers.Target
	return cfg.HTTPClientConfig(&t.HTTPClient, t.URL, log)
}

// OpenRemoteTarget builds the http or scim target the config names.
func OpenRemoteTarget(cfg *config.Config, log *slog.Logger) (Target, error) {
	if cfg.PushUsers.Target.Kind == config.TargetDevices {
		return NewDeviceTarget(cfg), nil
	}
	return NewHTTPTarget(cfg, HTTPConfig(cfg, log))
}

// NewHTTPTarget builds the http or scim target with a given client config.
func NewHTTPTarget(cfg *config.Config, hc httpx.Config) (Target, error) {
	t := &cfg.PushUsers.Target
	switch t.Kind {
	case config.TargetHTTP:
		e := t.Endpoints
		first := 1
		if e.List.FirstPage != nil {
			first = *e.List.FirstPage
		}
		api, err := employeeapi.New(employeeapi.Config{HTTP: hc,
			List: employeeapi.ListEndpoint{Path: e.List.Path, Items: e.List.Items, PageParam: e.List.PageParam,
				SizeParam: e.List.SizeParam, PageSize: e.List.PageSize, FirstPage: first},
			Create: employeeapi.Endpoint{Method: e.Create.Method, Path: e.Create.Path},
			Update: employeeapi.Endpoint{Method: e.Update.Method, Path: e.Update.Path},
			Fields: t.Fields})
		if err != nil {
			return nil, fmt.Errorf("push_users.target: %w", err)
		}
		return PerEmployee(api, t.Concurrency), nil
	case config.TargetSCIM:
		c, err := scim.New(scim.Config{HTTP: hc, UserName: t.UserName, ActiveValue: t.ActiveValue, ResignedValue: t.ResignedValue})
		if err != nil {
			return nil, fmt.Errorf("push_users.target: %w", err)
		}
		return PerEmployee(c, t.Concurrency), nil
	}
	return nil, fmt.Errorf("push_users.target.kind %q is not a remote target", t.Kind)
}
