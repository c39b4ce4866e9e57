package main

import (
	"strings"
	"testing"
	"time"
)

// env returns a getenv over m, starting from a valid local configuration.
func env(m map[string]string) func(string) string {
	base := map[string]string{
		envPort: "7071", envOktaUser: "okta", envBasicSecret: "local-dev-secret",
	}
	for k, v := range m {
		base[k] = v
	}
	return func(k string) string { return base[k] }
}

const goodConn = "endpoint=https://contoso.communication.azure.com/;accesskey=pw=="

func TestLoadConfigAcceptsValidSettings(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(*config) bool
	}{
		{"local defaults", nil, func(c *config) bool {
			return c.Port == 7071 && c.ACSMode == acsOutbox && c.OutboxFile == "outbox.jsonl" &&
				c.Deadline == 2500*time.Millisecond && c.addr() == "127.0.0.1:7071" &&
				len(c.BasicSecrets) == 1 && !c.oauth()
		}},
		{"next secret", map[string]string{envBasicNext: "n"}, func(c *config) bool {
			return len(c.BasicSecrets) == 2 && c.BasicSecrets[1] == "n"
		}},
		{"access key", map[string]string{envACSConn: goodConn, envACSSender: "+18005550100"},
			func(c *config) bool { return c.ACSMode == acsKey }},
		{"short code", map[string]string{envACSConn: goodConn, envACSSender: "12345"},
			func(c *config) bool { return c.ACSMode == acsKey && c.ACSSender == "12345" }},
		{"entra", map[string]string{envACSEndpoint: "https://contoso.communication.azure.com",
			envACSSender: "+18005550100", envAzureClientID: "abc"},
			func(c *config) bool { return c.ACSMode == acsEntra && c.AzureClientID == "abc" }},
		{"deadline", map[string]string{envDeadline: "2s"},
			func(c *config) bool { return c.Deadline == 2*time.Second }},
		{"oauth only", map[string]string{envOktaUser: "", envBasicSecret: "",
			envIssuer: "https://acme.okta.com/oauth2/default", envAudience: "api://default",
			envScope: "okta.hook"},
			func(c *config) bool { return c.oauth() && !c.basic() }},
		{"outbox file", map[string]string{envOutboxFile: "/tmp/x.jsonl"},
			func(c *config) bool { return c.OutboxFile == "/tmp/x.jsonl" }},
		{"table endpoint", map[string]string{
			envTableEndpoint: "https://acct.table.core.windows.net"},
			func(c *config) bool { return c.TableEndpoint != "" }},
		{"highest port", map[string]string{envPort: "65535"},
			func(c *config) bool { return c.Port == 65535 }},
		{"lowest port", map[string]string{envPort: "1"},
			func(c *config) bool { return c.addr() == "127.0.0.1:1" }},
		{"longest deadline", map[string]string{envDeadline: "2.8s"},
			func(c *config) bool { return c.Deadline == 2800*time.Millisecond }},
		{"shortest deadline", map[string]string{envDeadline: "100ms"},
			func(c *config) bool { return c.Deadline == 100*time.Millisecond }},
		{"Key Vault text inside a value", map[string]string{
			envBasicSecret: "x@Microsoft.KeyVault("},
			func(c *config) bool { return c.BasicSecrets[0] == "x@Microsoft.KeyVault(" }},
	}
	for _, tt := range tests {
		c, err := loadConfig(env(tt.env))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !tt.check(c) {
			t.Errorf("%s: config %+v", tt.name, c)
		}
	}
}

func TestLoadConfigRefusesBadSettingsNamingThem(t *testing.T) {
	kv := "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/acs/)"
	tests := []struct {
		name string
		env  map[string]string
		want string // the error's start
	}{
		{"unresolved secret", map[string]string{envBasicSecret: kv},
			"OKTA_BASIC_SECRET: unresolved Key Vault reference"},
		{"unresolved connection string", map[string]string{envACSConn: " " + kv},
			"ACS_CONNECTION_STRING: unresolved Key Vault reference"},
		{"unresolved next secret", map[string]string{envBasicNext: kv},
			"OKTA_BASIC_SECRET_NEXT: unresolved Key Vault reference"},
		{"no port", map[string]string{envPort: ""}, "FUNCTIONS_CUSTOMHANDLER_PORT: not set"},
		{"bad port", map[string]string{envPort: "http"}, "FUNCTIONS_CUSTOMHANDLER_PORT: "},
		{"port out of range", map[string]string{envPort: "70000"}, "FUNCTIONS_CUSTOMHANDLER_PORT"},
		{"no auth", map[string]string{envOktaUser: "", envBasicSecret: ""},
			"no hook authentication configured"},
		{"user without secret", map[string]string{envBasicSecret: ""},
			"OKTA_BASIC_SECRET: not set"},
		{"secret without user", map[string]string{envOktaUser: ""}, "OKTA_USER: not set"},
		{"colon in user", map[string]string{envOktaUser: "a:b"}, "OKTA_USER: must not contain"},
		{"partial oauth", map[string]string{envIssuer: "https://acme.okta.com/oauth2/default"},
			"OKTA_HOOK_AUDIENCE: not set"},
		{"malformed connection string", map[string]string{envACSConn: "accesskey=pw==",
			envACSSender: "+18005550100"}, "ACS_CONNECTION_STRING: malformed"},
		{"key not base64", map[string]string{envACSConn: "endpoint=https://x/;accesskey=%%",
			envACSSender: "+18005550100"}, "ACS_CONNECTION_STRING: malformed"},
		{"both ACS modes", map[string]string{envACSConn: goodConn,
			envACSEndpoint: "https://x.communication.azure.com", envACSSender: "+18005550100"},
			"ACS_ENDPOINT: set together with ACS_CONNECTION_STRING"},
		{"http endpoint", map[string]string{envACSEndpoint: "http://x.communication.azure.com",
			envACSSender: "+18005550100"}, "ACS_ENDPOINT: must be https://"},
		{"no sender", map[string]string{envACSConn: goodConn}, "ACS_SENDER: not set"},
		{"sender without ACS", map[string]string{envACSSender: "+18005550100"},
			"ACS_SENDER: set, but neither"},
		{"sender without +", map[string]string{envACSConn: goodConn, envACSSender: "18005550100"},
			"ACS_SENDER: \"18005550100\" is neither"},
		{"sender with spaces", map[string]string{envACSConn: goodConn,
			envACSSender: "+1 800 555 0100"}, "ACS_SENDER: "},
		{"4-digit short code", map[string]string{envACSConn: goodConn, envACSSender: "1234"},
			"ACS_SENDER: "},
		{"alphanumeric sender", map[string]string{envACSConn: goodConn, envACSSender: "CONTOSO"},
			"ACS_SENDER: "},
		{"bad deadline", map[string]string{envDeadline: "fast"}, "HOOK_DEADLINE: \"fast\""},
		{"deadline without unit", map[string]string{envDeadline: "2500"}, "HOOK_DEADLINE: "},
		{"deadline too long", map[string]string{envDeadline: "3s"}, "HOOK_DEADLINE: "},
		{"deadline too short", map[string]string{envDeadline: "10ms"}, "HOOK_DEADLINE: "},
		{"outbox in Azure", map[string]string{envWebsiteSite: "okta-sms-prod"},
			"no ACS settings"},
		{"both tables", map[string]string{envTableEndpoint: "https://a.table.core.windows.net",
			envTableConn: "UseDevelopmentStorage=true"}, "DELIVERY_TABLE_ENDPOINT: set together"},
		{"http table endpoint", map[string]string{envTableEndpoint: "http://a"},
			"DELIVERY_TABLE_ENDPOINT: must be https://"},
	}
	for _, tt := range tests {
		_, err := loadConfig(env(tt.env))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: err = %v; want it to start %q", tt.name, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "pw==") || strings.Contains(err.Error(), "local-dev") {
			t.Errorf("%s: error leaks a secret: %v", tt.name, err)
		}
	}
}

func TestLoadConfigRefusesSettingsThatPassedBeforeWithExactTexts(t *testing.T) {
	const kvProblem = ": unresolved Key Vault reference: the app could not read the " +
		"secret (check the reference and the identity's access to the vault)"
	const ref = "(SecretUri=https://v.vault.azure.net/secrets/okta-basic/)"
	deadline := func(v string) string {
		return "HOOK_DEADLINE: \"" + v + "\" must be a Go duration from 100ms to 2.8s, " +
			"e.g. 2.5s (Okta waits 3s in all, and the Functions host's hop to and from " +
			"this handler needs the rest)"
	}
	port := func(v string) string {
		return "FUNCTIONS_CUSTOMHANDLER_PORT: \"" + v + "\" is not a TCP port number " +
			"from 1 to 65535"
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"deadline just under 3s", map[string]string{envDeadline: "2999ms"}, deadline("2999ms")},
		{"deadline just over 2.8s", map[string]string{envDeadline: "2801ms"}, deadline("2801ms")},
		{"deadline 3s", map[string]string{envDeadline: "3s"}, deadline("3s")},
		{"deadline under 100ms", map[string]string{envDeadline: "99ms"}, deadline("99ms")},
		{"negative deadline", map[string]string{envDeadline: "-1s"}, deadline("-1s")},
		{"port 0", map[string]string{envPort: "0"}, port("0")},
		{"negative port", map[string]string{envPort: "-1"}, port("-1")},
		{"port 65536", map[string]string{envPort: "65536"}, port("65536")},
		{"lower-case reference", map[string]string{envBasicSecret: "@microsoft.keyvault" + ref},
			"OKTA_BASIC_SECRET" + kvProblem},
		{"upper-case reference", map[string]string{envBasicNext: "@MICROSOFT.KEYVAULT" + ref},
			"OKTA_BASIC_SECRET_NEXT" + kvProblem},
		{"mixed case after white space", map[string]string{
			envACSConn: " \t\n@microsoft.KeyVault" + ref}, "ACS_CONNECTION_STRING" + kvProblem},
		{"lower-case reference in the port", map[string]string{
			envPort: "@microsoft.keyvault" + ref}, "FUNCTIONS_CUSTOMHANDLER_PORT" + kvProblem},
	}
	for _, tt := range tests {
		_, err := loadConfig(env(tt.env))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: err = %v; want %q", tt.name, err, tt.want)
		}
	}
}
