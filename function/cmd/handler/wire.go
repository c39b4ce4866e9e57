package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"okta-acs-sms/function/acs"
	"okta-acs-sms/function/delivery"
	"okta-acs-sms/function/hook"
	"okta-acs-sms/function/hookauth"
	"okta-acs-sms/function/outbox"
	"okta-acs-sms/function/sms"
	"okta-acs-sms/function/tablestore"
)

// memoryDeliveries bounds the in-process delivery records of a local run (no table
// configured), keeping the handler's memory small under load.
const memoryDeliveries = 4096

// warmTimeout bounds the background token fetch made after listening.
const warmTimeout = 30 * time.Second

// app is the wired handler: the mux and what must be closed or warmed.
type app struct {
	mux  *http.ServeMux
	hook *hook.Handler

	// Descriptions for the start-up log line; no secrets.
	sender, auth, deliveries string

	cred    azcore.TokenCredential // the managed identity, when a setting needs it
	closers []func() error
}

// wire builds every part from cfg. It makes no network call.
func wire(cfg *config, logger *slog.Logger) (*app, error) {
	a := &app{mux: http.NewServeMux()}

	// The Functions host polls GET / until it answers: any answer means ready.
	a.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	})

	authn, err := a.buildAuth(cfg, logger)
	if err != nil {
		return nil, err
	}
	sender, provider, err := a.buildSender(cfg, logger)
	if err != nil {
		return nil, err
	}
	rec, err := a.buildDeliveries(cfg, logger)
	if err != nil {
		return nil, err
	}
	a.hook, err = hook.New(hook.Options{
		Auth:     authn,
		Sender:   sender,
		Provider: provider,
		Recorder: rec,
		Deadline: cfg.Deadline,
		Logger:   logger,
	})
	if err != nil {
		return nil, err
	}

	a.mux.Handle("POST /api/telephony", a.hook)
	a.mux.Handle(delivery.LookupPattern, delivery.NewLookupHandler(rec, logger))
	a.mux.Handle("POST /deliveryreport", delivery.NewEventHandler(rec, logger))
	return a, nil
}

func (a *app) buildAuth(cfg *config, logger *slog.Logger) (hookauth.Authenticator, error) {
	var basic *hookauth.Basic
	var oauth *hookauth.OAuth
	var modes []string // for the start-up line: "basic", "oauth" or "basic+oauth"
	if cfg.basic() {
		basic = hookauth.NewBasic(cfg.OktaUser, cfg.BasicSecrets...)
		modes = append(modes, "basic")
	}
	if cfg.oauth() {
		var err error
		oauth, err = hookauth.NewOAuth(hookauth.OAuthConfig{
			Issuer:   cfg.OAuthIssuer,
			Audience: cfg.OAuthAudience,
			Scope:    cfg.OAuthScope,
			ClientID: cfg.OAuthClientID,
			Logger:   logger,
		})
		if err != nil {
			return nil, &settingError{"OKTA_HOOK_*", err.Error()}
		}
		modes = append(modes, "oauth")
	}
	a.auth = strings.Join(modes, "+")
	if basic != nil && oauth == nil {
		return basic, nil
	}
	return hookauth.Any(basic, oauth), nil
}

func (a *app) buildSender(cfg *config, logger *slog.Logger) (sms.Sender, string, error) {
	switch cfg.ACSMode {
	case acsKey:
		c, err := acs.NewClientFromConnectionString(cfg.ACSConnection, cfg.ACSSender,
			acsOptions())
		if err != nil {
			return nil, "", &settingError{envACSConn, err.Error()}
		}
		a.sender = "acs-key"
		return c, acs.Provider, nil
	case acsEntra:
		cred, err := a.identity(cfg)
		if err != nil {
			return nil, "", err
		}
		c, err := acs.NewClient(cfg.ACSEndpoint, cfg.ACSSender, cred, acsOptions())
		if err != nil {
			return nil, "", &settingError{envACSEndpoint, err.Error()}
		}
		a.sender = "acs-entra"
		return c, acs.Provider, nil
	}
	// NOTE: opened here, at start: a local file, not the network. A path that is no
	// regular file stops the binary naming OUTBOX_FILE instead of failing every text.
	o, err := outbox.New(cfg.OutboxFile, logger)
	if err != nil {
		return nil, "", &settingError{envOutboxFile, err.Error()}
	}
	a.closers = append(a.closers, o.Close)
	a.sender = "outbox:" + o.Path()
	return o, outbox.Provider, nil
}

// acsOptions gives the ACS client azcore's transport settings but for one: it keeps up to
// 64 idle connections to ACS instead of 10, so that a burst of concurrent hook calls reuses
// warm connections rather than paying a new TLS handshake inside Okta's 3 s budget.
func acsOptions() *acs.ClientOptions {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 100
	t.MaxIdleConnsPerHost = 64
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	o := &acs.ClientOptions{}
	o.Transport = &http.Client{Transport: t}
	return o
}

func (a *app) buildDeliveries(cfg *config, logger *slog.Logger) (*delivery.Recorder, error) {
	opts := &tablestore.Options{Table: cfg.TableName}
	var store delivery.Store
	switch {
	case cfg.TableEndpoint != "":
		cred, err := a.identity(cfg)
		if err != nil {
			return nil, err
		}
		s, err := tablestore.New(cfg.TableEndpoint, cred, opts)
		if err != nil {
			return nil, &settingError{envTableEndpoint, err.Error()}
		}
		store, a.deliveries = s, "table"
	case cfg.TableConnection != "":
		s, err := tablestore.NewFromConnectionString(cfg.TableConnection, opts)
		if err != nil {
			return nil, &settingError{envTableConn, err.Error()}
		}
		store, a.deliveries = s, "table"
	default:
		store, a.deliveries = delivery.NewMemoryStore(&delivery.MemoryOptions{
			MaxRecords: memoryDeliveries}), "memory"
	}
	return delivery.NewRecorder(store, logger), nil
}

// identity returns the managed identity credential, made once. Constructing it makes no
// network call; the first token request does.
func (a *app) identity(cfg *config) (azcore.TokenCredential, error) {
	if a.cred != nil {
		return a.cred, nil
	}
	var opts azidentity.ManagedIdentityCredentialOptions
	if cfg.AzureClientID != "" {
		opts.ID = azidentity.ClientID(cfg.AzureClientID)
	}
	cred, err := azidentity.NewManagedIdentityCredential(&opts)
	if err != nil {
		return nil, &settingError{envAzureClientID, fmt.Sprintf("managed identity: %v", err)}
	}
	a.cred = cred
	return cred, nil
}

// warm fetches the ACS token in the background once the handler listens, so the first
// hook call does not wait for the identity endpoint. A failure is logged; the first send
// retries.
func (a *app) warm(ctx context.Context, logger *slog.Logger) {
	if a.cred == nil || a.sender != "acs-entra" {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(ctx, warmTimeout)
		defer cancel()
		start := time.Now()
		_, err := a.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{acs.Scope}})
		if err != nil {
			logger.Warn("handler: ACS token warm-up failed", "error", err.Error())
			return
		}
		logger.Info("handler: ACS token ready", "ms", time.Since(start).Milliseconds())
	}()
}

func (a *app) close() {
	for _, c := range a.closers {
		_ = c()
	}
}
