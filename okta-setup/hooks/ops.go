package hooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/okta/okta-sdk-golang/v5/okta"
)

// Hook is a telephony hook as Okta reports it. It never holds a secret: Okta does not
// return them.
type Hook struct {
	ID, Name, Status string
	ChannelType      string // HTTP or OAUTH
	URI, Method      string
	AuthScheme       string // HTTP: auth scheme type and header name, e.g. "HEADER Authorization"
	HeaderKeys       []string
	// OAUTH channel only.
	AuthType, ClientID, TokenURL, Scope, HookKeyID string
}

// Active reports whether Okta calls this hook.
func (h Hook) Active() bool { return h.Status == StatusActive }

// hookFromSDK reads a hook, taking its config from the channel's additional properties
// (the SDK model has no typed config).
func hookFromSDK(h *okta.InlineHook) Hook {
	if h == nil {
		return Hook{}
	}
	out := Hook{ID: h.GetId(), Name: h.GetName(), Status: h.GetStatus()}
	if h.Channel == nil {
		return out
	}
	out.ChannelType = h.Channel.GetType()
	cfg, _ := h.Channel.AdditionalProperties["config"].(map[string]interface{})
	str := func(m map[string]interface{}, k string) string {
		s, _ := m[k].(string)
		return s
	}
	out.URI, out.Method = str(cfg, "uri"), str(cfg, "method")
	out.AuthType, out.ClientID = str(cfg, "authType"), str(cfg, "clientId")
	out.TokenURL, out.Scope, out.HookKeyID = str(cfg, "tokenUrl"), str(cfg, "scope"),
		str(cfg, "hookKeyId")
	if as, ok := cfg["authScheme"].(map[string]interface{}); ok {
		out.AuthScheme = str(as, "type") + " " + str(as, "key")
	}
	hs, _ := cfg["headers"].([]interface{})
	for _, h := range hs {
		if m, ok := h.(map[string]interface{}); ok {
			out.HeaderKeys = append(out.HeaderKeys, str(m, "key"))
		}
	}
	return out
}

// List returns the org's telephony hooks in Okta's order.
func (c *Client) List(ctx context.Context) ([]Hook, error) {
	ctx = withRecord(ctx)
	got, resp, err := c.api.InlineHookAPI.ListInlineHooks(ctx).Type_(TelephonyType).Execute()
	if err != nil {
		return nil, c.fail(ctx, "list telephony hooks", resp, err)
	}
	hooks := make([]Hook, 0, len(got))
	for i := range got {
		// The type filter is Okta's; keep only telephony hooks even if it is ignored.
		if got[i].GetType() == TelephonyType {
			hooks = append(hooks, hookFromSDK(&got[i]))
		}
	}
	return hooks, nil
}

// Create creates the hook. Okta creates it ACTIVE.
func (c *Client) Create(ctx context.Context, s Spec) (Hook, error) {
	ctx = withRecord(ctx)
	if err := s.Validate(); err != nil {
		return Hook{}, err
	}
	got, resp, err := c.api.InlineHookAPI.CreateInlineHook(ctx).InlineHook(s.InlineHook()).Execute()
	if err != nil {
		return Hook{}, c.fail(ctx, "create hook", resp, err)
	}
	return hookFromSDK(got), nil
}

// Replace replaces the whole hook id with s, secrets included.
func (c *Client) Replace(ctx context.Context, id string, s Spec) (Hook, error) {
	ctx = withRecord(ctx)
	if err := s.Validate(); err != nil {
		return Hook{}, err
	}
	got, resp, err := c.api.InlineHookAPI.ReplaceInlineHook(ctx, id).
		InlineHook(s.InlineHook()).Execute()
	if err != nil {
		return Hook{}, c.fail(ctx, "replace hook "+id, resp, err)
	}
	return hookFromSDK(got), nil
}

// Activate makes Okta call the hook.
func (c *Client) Activate(ctx context.Context, id string) (Hook, error) {
	ctx = withRecord(ctx)
	got, resp, err := c.api.InlineHookAPI.ActivateInlineHook(ctx, id).Execute()
	if err != nil {
		return Hook{}, c.fail(ctx, "activate hook "+id, resp, err)
	}
	return hookFromSDK(got), nil
}

// Deactivate stops Okta calling the hook; with no active telephony hook Okta sends
// one-time passcodes through its own providers.
func (c *Client) Deactivate(ctx context.Context, id string) (Hook, error) {
	ctx = withRecord(ctx)
	got, resp, err := c.api.InlineHookAPI.DeactivateInlineHook(ctx, id).Execute()
	if err != nil {
		return Hook{}, c.fail(ctx, "deactivate hook "+id, resp, err)
	}
	return hookFromSDK(got), nil
}

// Delete deletes an inactive hook; Okta refuses to delete an active one.
func (c *Client) Delete(ctx context.Context, id string) error {
	ctx = withRecord(ctx)
	resp, err := c.api.InlineHookAPI.DeleteInlineHook(ctx, id).Execute()
	if err != nil {
		return c.fail(ctx, "delete hook "+id, resp, err)
	}
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("delete hook %s: unexpected status %d", id, resp.StatusCode)
	}
	return nil
}

// HookKey is an Okta hook key: a key pair Okta keeps to sign the client assertion of a
// private_key_jwt OAuth hook. ID is what a hook's hookKeyId names; KeyID is the kid of
// its public key, which the OAuth client must trust.
type HookKey struct {
	ID    string `json:"id"`
	KeyID string `json:"keyId"`
	Name  string `json:"name"`
}

// HookKey returns the hook key called name, creating it when there is none. created says
// which happened.
//
// NOTE: the hook key answer is read from the raw body, not the SDK model: Okta's own
// example (and so possibly Okta) sends "isUsed" as the string "false", which the SDK's
// bool field cannot decode.
func (c *Client) HookKey(ctx context.Context, name string) (key HookKey, created bool,
	err error) {
	ctx = withRecord(ctx)
	_, resp, err := c.api.HookKeyAPI.ListHookKeys(ctx).Execute()
	var keys []HookKey
	if err := c.decodeRaw(ctx, "list hook keys", resp, err, &keys); err != nil {
		return HookKey{}, false, err
	}
	for _, k := range keys {
		if k.Name == name {
			return k, false, nil
		}
	}

	req := okta.NewKeyRequest()
	req.SetName(name)
	_, resp, err = c.api.HookKeyAPI.CreateHookKey(ctx).KeyRequest(*req).Execute()
	if err := c.decodeRaw(ctx, "create hook key", resp, err, &key); err != nil {
		return HookKey{}, false, err
	}
	return key, true, nil
}

// decodeRaw decodes a successful answer's raw body into v, whether or not the SDK could
// decode it into its own model.
func (c *Client) decodeRaw(ctx context.Context, op string, resp *okta.APIResponse,
	err error, v interface{}) error {
	if resp == nil || resp.Response == nil || resp.StatusCode >= 300 {
		return c.fail(ctx, op, resp, err)
	}
	body := rawBody(resp, err)
	if jerr := json.Unmarshal(body, v); jerr != nil {
		return fmt.Errorf("%s: decode answer: %w", op, jerr)
	}
	return nil
}
