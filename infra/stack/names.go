package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Names are the Azure resource names of one stack. Names that must be unique across Azure
// (storage account, vault, app, ACS) end in a suffix hashed from the subscription, project and
// stack (and the optional `nameSalt`), in the spirit of ARM's uniqueString(): the same stack
// always gets the same names, and two tenants' "prod" stacks do not collide.
type Names struct {
	ResourceGroup  string
	LogAnalytics   string
	AppInsights    string
	Identity       string
	StorageAccount string
	Container      string
	Vault          string
	Secret         string
	SecretNext     string
	ACS            string
	Plan           string
	App            string
	SystemTopic    string
	Subscription   string
}

// slugLength keeps the storage account name (24 characters at most) inside its limit.
const slugLength = 8

// NewNames derives every resource name from the stack name and a hash of the subscription,
// project, stack and salt.
func NewNames(subscriptionID, project, stack, salt string) Names {
	slug := slugOf(stack)
	sum := sha256.Sum256([]byte(strings.Join([]string{subscriptionID, project, stack, salt}, "/")))
	suffix := hex.EncodeToString(sum[:])[:6]
	base := "oktasms-" + slug
	return Names{
		ResourceGroup:  "rg-" + base,
		LogAnalytics:   "log-" + base,
		AppInsights:    "appi-" + base,
		Identity:       "id-" + base,
		StorageAccount: "stsms" + slug + suffix,
		Container:      "app-package",
		Vault:          "kv-sms-" + slug + "-" + suffix,
		Secret:         "okta-basic-secret",
		SecretNext:     "okta-basic-secret-next",
		ACS:            "acs-" + base + "-" + suffix,
		Plan:           "plan-" + base,
		App:            "func-" + base + "-" + suffix,
		SystemTopic:    "evgt-" + base,
		Subscription:   "sms-delivery-reports",
	}
}

// slugOf keeps the lowercase letters and digits of a stack name, at most slugLength of them.
func slugOf(stack string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(stack) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
		if b.Len() == slugLength {
			break
		}
	}
	if b.Len() == 0 {
		return "stack"
	}
	return b.String()
}
