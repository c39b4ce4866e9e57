// Package stack is the Pulumi program that stands up the Okta → ACS SMS hook: a Flex
// Consumption Function App running the Go custom handler, the ACS resource it sends through,
// the Key Vault holding the hook secret, the identity and roles that tie them together,
// monitoring, the code itself, and the Event Grid subscription for delivery reports.
//
// main.go only calls pulumi.Run(stack.Program); tests run Program under pulumi.WithMocks.
package stack

import (
	"encoding/base64"
	"fmt"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v3"
	"github.com/pulumi/pulumi-azure-native-sdk/resources/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// builder carries what every step of the program needs.
type builder struct {
	ctx      *pulumi.Context
	cfg      *Config
	names    Names
	subID    string
	tenantID string
	rg       pulumi.StringOutput
}

// tags mark every taggable resource with the project and stack, for cost and ownership.
func (b *builder) tags() pulumi.StringMap {
	return pulumi.StringMap{
		"app":   pulumi.String(b.ctx.Project()),
		"stack": pulumi.String(b.ctx.Stack()),
	}
}

// Outputs are the stack outputs by name.
type Outputs map[string]pulumi.Output

// Program declares the whole stack and exports its outputs. It fails at preview time, before
// anything is created, when the configuration is incomplete or invalid.
func Program(ctx *pulumi.Context) error {
	out, err := Build(ctx)
	if err != nil {
		return err
	}
	for name, v := range out {
		ctx.Export(name, v)
	}
	return nil
}

// Build declares every resource and returns the outputs Program exports.
func Build(ctx *pulumi.Context) (Outputs, error) {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	client, err := authorization.GetClientConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("read azure client config: %w", err)
	}
	b := &builder{
		ctx:      ctx,
		cfg:      cfg,
		names:    NewNames(client.SubscriptionId, ctx.Project(), ctx.Stack(), cfg.NameSalt),
		subID:    client.SubscriptionId,
		tenantID: client.TenantId,
	}
	return b.build()
}

// build runs the steps in dependency order; each step returns what later steps reference.
func (b *builder) build() (Outputs, error) {
	rg, err := resources.NewResourceGroup(b.ctx, "rg", &resources.ResourceGroupArgs{
		ResourceGroupName: pulumi.String(b.names.ResourceGroup),
		Location:          pulumi.String(b.cfg.Location),
		Tags:              b.tags(),
	})
	if err != nil {
		return nil, fmt.Errorf("declare resource group: %w", err)
	}
	b.rg = rg.Name

	// The identity comes first so that its principal exists, and has replicated, long
	// before the role assignments and the app refer to it.
	id, err := b.identity()
	if err != nil {
		return nil, err
	}
	mon, err := b.monitoring()
	if err != nil {
		return nil, err
	}
	st, err := b.storage()
	if err != nil {
		return nil, err
	}
	kv, err := b.vault()
	if err != nil {
		return nil, err
	}
	acs, err := b.communication()
	if err != nil {
		return nil, err
	}
	roles, err := b.roles(id, st, kv, acs, mon)
	if err != nil {
		return nil, err
	}
	fn, err := b.functionApp(id, st, mon, kv, acs, roles)
	if err != nil {
		return nil, err
	}
	if b.cfg.DeliveryReports {
		err := deliveryReports(b.ctx, b.names, b.rg, b.tags(), acs.ID(), fn.app.ID(),
			fn.deployed)
		if err != nil {
			return nil, err
		}
	}
	return b.outputs(fn, kv), nil
}

// outputs are what okta-setup and scripts/curl-test.sh read from the stack.
func (b *builder) outputs(fn *functionApp, kv *vault) Outputs {
	out := Outputs{
		"hookUrl":           hookURL(fn.app),
		"appName":           fn.app.Name,
		"resourceGroupName": b.rg,
		"keyVaultName":      kv.vault.Name,
		"oktaUser":          pulumi.String(b.cfg.OktaUser).ToStringOutput(),
	}

	user := b.cfg.OktaUser
	header := kv.secretValue.ApplyT(func(secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
	}).(pulumi.StringOutput)
	out["hookAuthorization"] = pulumi.ToSecret(header)

	if o := b.cfg.OAuth; o != nil {
		out["hookIssuer"] = pulumi.String(o.Issuer).ToStringOutput()
		out["hookAudience"] = pulumi.String(o.Audience).ToStringOutput()
		out["hookScope"] = pulumi.String(o.Scope).ToStringOutput()
	}
	return out
}
