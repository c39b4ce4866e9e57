package stack

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/applicationinsights/v3"
	"github.com/pulumi/pulumi-azure-native-sdk/communication/v3"
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v3"
	"github.com/pulumi/pulumi-azure-native-sdk/resources/v3"
	"github.com/pulumi/pulumi-azure-native-sdk/web/v3"
	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// functionApp is the Flex Consumption app and the step that ships its code.
type functionApp struct {
	app *web.WebApp
	// deployed is the code deployment; whatever needs the functions to exist depends on it.
	deployed pulumi.Resource
}

// siteTLSTemplate sets the minimum TLS version of the site and of its SCM endpoint through
// Microsoft.Web/sites/config "web". NOTE: it is an ARM deployment on purpose: the Go SDK fills
// in `siteConfig.netFrameworkVersion` whenever WebApp.SiteConfig is set, and Flex Consumption
// rejects that property, so the WebApp itself carries no siteConfig at all.
var siteTLSTemplate = map[string]any{
	"$schema": "https://schema.management.azure.com/schemas/2019-04-01/" +
		"deploymentTemplate.json#",
	"contentVersion": "1.0.0.0",
	"parameters":     map[string]any{"siteName": map[string]any{"type": "string"}},
	"resources": []any{map[string]any{
		"type":       "Microsoft.Web/sites/config",
		"apiVersion": "2024-04-01",
		"name":       "[format('{0}/web', parameters('siteName'))]",
		"properties": map[string]any{"minTlsVersion": "1.2", "scmMinTlsVersion": "1.2"},
	}},
}

func (b *builder) functionApp(id *managedidentity.UserAssignedIdentity, st *store,
	ai *applicationinsights.Component, kv *vault, acs *communication.CommunicationService,
	roles []pulumi.Resource,
) (*functionApp, error) {
	app, err := b.webApp(id, st, roles)
	if err != nil {
		return nil, err
	}
	settings, err := web.NewWebAppApplicationSettings(b.ctx, "app-settings",
		&web.WebAppApplicationSettingsArgs{
			ResourceGroupName: b.rg,
			Name:              app.Name,
			Properties:        b.appSettings(id, st, ai, kv, acs),
		},
		// The Key Vault reference is first resolved when the settings land: by then the
		// identity's roles exist (propagation may still lag; the code deployment after
		// this restarts the app and resolves the references again).
		pulumi.DependsOn(roles))
	if err != nil {
		return nil, fmt.Errorf("declare app settings: %w", err)
	}
	hardened, err := b.hardenSite(app, settings)
	if err != nil {
		return nil, err
	}
	deps := append(append([]pulumi.Resource{app, settings}, kv.secrets...), roles...)
	deployed, err := b.deployCode(app, append(deps, hardened...))
	if err != nil {
		return nil, err
	}
	return &functionApp{app: app, deployed: deployed}, nil
}

// webApp declares the plan and the app. The app waits for the role assignments so that its
// host's first start can already reach storage with the identity.
func (b *builder) webApp(id *managedidentity.UserAssignedIdentity, st *store,
	roles []pulumi.Resource) (*web.WebApp, error) {
	plan, err := web.NewAppServicePlan(b.ctx, "plan", &web.AppServicePlanArgs{
		ResourceGroupName: b.rg,
		Name:              pulumi.String(b.names.Plan),
		Location:          pulumi.String(b.cfg.Location),
		Tags:              b.tags(),
		Kind:              pulumi.String("functionapp"),
		Reserved:          pulumi.Bool(true),
		Sku: &web.SkuDescriptionArgs{
			Name: pulumi.String("FC1"),
			Tier: pulumi.String("FlexConsumption"),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("declare flex consumption plan: %w", err)
	}
	packageURL := pulumi.Sprintf("%s%s", st.account.PrimaryEndpoints.Blob().ApplyT(withSlash),
		st.container.Name)
	// NOTE: no SiteConfig here (see siteTLSTemplate), and so no netFrameworkVersion.
	app, err := web.NewWebApp(b.ctx, "app", &web.WebAppArgs{
		ResourceGroupName:     b.rg,
		Name:                  pulumi.String(b.names.App),
		Location:              pulumi.String(b.cfg.Location),
		Tags:                  b.tags(),
		Kind:                  pulumi.String("functionapp,linux"),
		Reserved:              pulumi.Bool(true),
		ServerFarmId:          plan.ID(),
		HttpsOnly:             pulumi.Bool(true),
		ClientAffinityEnabled: pulumi.Bool(false),
		Identity: &web.ManagedServiceIdentityArgs{
			Type:                   web.ManagedServiceIdentityTypeUserAssigned,
			UserAssignedIdentities: pulumi.StringArray{id.ID()},
		},
		// Key Vault references resolve with the user-assigned identity, not a system one.
		KeyVaultReferenceIdentity: id.ID(),
		FunctionAppConfig:         b.flexConfig(id, packageURL),
	}, pulumi.DependsOn(roles))
	if err != nil {
		return nil, fmt.Errorf("declare function app: %w", err)
	}
	return app, nil
}

// flexConfig is the Flex Consumption block: where the package lives and how the app scales.
func (b *builder) flexConfig(id *managedidentity.UserAssignedIdentity,
	packageURL pulumi.StringOutput) *web.FunctionAppConfigArgs {
	return &web.FunctionAppConfigArgs{
		Deployment: &web.FunctionsDeploymentArgs{
			Storage: &web.FunctionsDeploymentStorageArgs{
				Type:  pulumi.String("blobContainer"),
				Value: packageURL,
				Authentication: &web.FunctionsDeploymentAuthenticationArgs{
					Type:                           pulumi.String("UserAssignedIdentity"),
					UserAssignedIdentityResourceId: id.ID(),
				},
			},
		},
		Runtime: &web.FunctionsRuntimeArgs{
			Name:    pulumi.String("custom"),
			Version: pulumi.String("1.0"),
		},
		ScaleAndConcurrency: &web.FunctionsScaleAndConcurrencyArgs{
			InstanceMemoryMB:     pulumi.Int(b.cfg.InstanceMemoryMB),
			MaximumInstanceCount: pulumi.Int(b.cfg.MaximumInstances),
			// Okta waits 3 s; a cold start must not eat them, so the HTTP group keeps
			// instances warm.
			AlwaysReady: web.FunctionsAlwaysReadyConfigArray{
				&web.FunctionsAlwaysReadyConfigArgs{
					Name:          pulumi.String("http"),
					InstanceCount: pulumi.Int(b.cfg.AlwaysReady),
				},
			},
		},
	}
}

// appSettings is the app's whole settings set (the resource replaces it on every update).
// No secret is in it: the Basic secret is a Key Vault reference resolved by the platform.
func (b *builder) appSettings(id *managedidentity.UserAssignedIdentity, st *store,
	ai *applicationinsights.Component, kv *vault, acs *communication.CommunicationService,
) pulumi.StringMap {
	s := pulumi.StringMap{
		"ACS_ENDPOINT":                          pulumi.Sprintf("https://%s", acs.HostName),
		"ACS_SENDER":                            pulumi.String(b.cfg.Sender),
		"HOOK_DEADLINE":                         pulumi.String(b.cfg.HookDeadline),
		"AZURE_CLIENT_ID":                       id.ClientId,
		"APPLICATIONINSIGHTS_CONNECTION_STRING": ai.ConnectionString,
		"APPLICATIONINSIGHTS_AUTHENTICATION_STRING": pulumi.Sprintf(
			"ClientId=%s;Authorization=AAD", id.ClientId),
		"AzureWebJobsStorage__accountName": st.account.Name,
		"AzureWebJobsStorage__credential":  pulumi.String("managedidentity"),
		"AzureWebJobsStorage__clientId":    id.ClientId,
		"OKTA_USER":                        pulumi.String(b.cfg.OktaUser),
		"OKTA_BASIC_SECRET":                kv.reference,
		"DELIVERY_TABLE_ENDPOINT": pulumi.Sprintf("https://%s.table.core.windows.net",
			st.account.Name),
		"DELIVERY_TABLE_NAME": pulumi.String(b.cfg.DeliveryTableName),
	}
	if b.cfg.HookSecretNext != "" {
		s["OKTA_BASIC_SECRET_NEXT"] = kv.nextReference
	}
	if o := b.cfg.OAuth; o != nil {
		s["OKTA_HOOK_ISSUER"] = pulumi.String(o.Issuer)
		s["OKTA_HOOK_AUDIENCE"] = pulumi.String(o.Audience)
		s["OKTA_HOOK_SCOPE"] = pulumi.String(o.Scope)
		if o.ClientID != "" {
			s["OKTA_HOOK_CLIENT_ID"] = pulumi.String(o.ClientID)
		}
	}
	return s
}

// hardenSite sets the minimum TLS version and turns off FTP and basic-auth publishing. The
// steps run one after the other: the site answers concurrent configuration writes with 409.
func (b *builder) hardenSite(app *web.WebApp, after pulumi.Resource) ([]pulumi.Resource, error) {
	tls, err := resources.NewDeployment(b.ctx, "site-tls", &resources.DeploymentArgs{
		ResourceGroupName: b.rg,
		DeploymentName:    pulumi.String(b.names.App + "-tls"),
		Properties: &resources.DeploymentPropertiesArgs{
			Mode:     resources.DeploymentModeIncremental,
			Template: pulumi.Any(siteTLSTemplate),
			Parameters: resources.DeploymentParameterMap{
				"siteName": &resources.DeploymentParameterArgs{Value: app.Name},
			},
		},
	}, pulumi.DependsOn([]pulumi.Resource{after}))
	if err != nil {
		return nil, fmt.Errorf("declare site tls settings: %w", err)
	}
	ftp, err := web.NewWebAppFtpAllowed(b.ctx, "ftp-off", &web.WebAppFtpAllowedArgs{
		ResourceGroupName: b.rg,
		Name:              app.Name,
		Allow:             pulumi.Bool(false),
	}, pulumi.DependsOn([]pulumi.Resource{tls}))
	if err != nil {
		return nil, fmt.Errorf("declare ftp policy: %w", err)
	}
	scm, err := web.NewWebAppScmAllowed(b.ctx, "scm-basic-auth-off", &web.WebAppScmAllowedArgs{
		ResourceGroupName: b.rg,
		Name:              app.Name,
		Allow:             pulumi.Bool(false),
	}, pulumi.DependsOn([]pulumi.Resource{ftp}))
	if err != nil {
		return nil, fmt.Errorf("declare scm basic auth policy: %w", err)
	}
	return []pulumi.Resource{tls, ftp, scm}, nil
}

// deployCode publishes the package with OneDeploy (cmd/deploy, run by the operator's Go
// toolchain from the infra directory) after the app, its settings and every role assignment
// exist. It runs again exactly when the package's hash or the app changes.
func (b *builder) deployCode(app *web.WebApp, deps []pulumi.Resource) (pulumi.Resource, error) {
	required := []string{"telephony"}
	if b.cfg.DeliveryReports {
		required = append(required, deliveryFunctionName)
	}
	cmd, err := local.NewCommand(b.ctx, "deploy-code", &local.CommandArgs{
		Create: pulumi.String("go run ./cmd/deploy"),
		Environment: pulumi.StringMap{
			"DEPLOY_SCM_HOST":  app.DefaultHostName.ApplyT(scmHost).(pulumi.StringOutput),
			"DEPLOY_APP_ID":    app.ID().ToStringOutput(),
			"DEPLOY_PACKAGE":   pulumi.String(b.cfg.PackagePath),
			"DEPLOY_TENANT_ID": pulumi.String(b.tenantID),
			"DEPLOY_FUNCTIONS": pulumi.String(strings.Join(required, ",")),
			"DEPLOY_PROBE_URL": hookURL(app),
			// infra builds alone from its own go.sum, whatever the other modules' state.
			"GOWORK": pulumi.String("off"),
		},
		Triggers: pulumi.Array{pulumi.String(b.cfg.PackageSHA256), app.ID()},
	}, pulumi.DependsOn(deps))
	if err != nil {
		return nil, fmt.Errorf("declare code deployment: %w", err)
	}
	return cmd, nil
}

// hookURL is the telephony hook's public URL.
func hookURL(app *web.WebApp) pulumi.StringOutput {
	return pulumi.Sprintf("https://%s/api/telephony", app.DefaultHostName)
}

// scmHost is the deployment (Kudu) host of a site: ".scm" after the first DNS label, which
// holds for both app.azurewebsites.net and the regional unique default host names.
func scmHost(defaultHost string) string {
	label, rest, ok := strings.Cut(defaultHost, ".")
	if !ok {
		return defaultHost
	}
	return label + ".scm." + rest
}
