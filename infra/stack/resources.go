package stack

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/applicationinsights/v3"
	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v3"
	"github.com/pulumi/pulumi-azure-native-sdk/communication/v3"
	"github.com/pulumi/pulumi-azure-native-sdk/keyvault/v3"
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v3"
	"github.com/pulumi/pulumi-azure-native-sdk/operationalinsights/v3"
	"github.com/pulumi/pulumi-azure-native-sdk/storage/v3"
	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Built-in role definition GUIDs granted to the app's identity.
const (
	roleStorageBlobDataOwner        = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
	roleStorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
	roleKeyVaultSecretsUser         = "4633458b-17de-408a-b874-0445c86b69e6"
	roleMonitoringMetricsPublisher  = "3913510d-42f4-4e42-8a64-420c390055eb"
	// NOTE: Contributor, scoped to the ACS resource only: no narrower built-in role is
	// documented for sending SMS with Entra ID, and the scope keeps it from reaching anything
	// but that one resource.
	roleContributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"
)

func (b *builder) identity() (*managedidentity.UserAssignedIdentity, error) {
	id, err := managedidentity.NewUserAssignedIdentity(b.ctx, "identity",
		&managedidentity.UserAssignedIdentityArgs{
			ResourceGroupName: b.rg,
			ResourceName:      pulumi.String(b.names.Identity),
			Location:          pulumi.String(b.cfg.Location),
			Tags:              b.tags(),
		})
	if err != nil {
		return nil, fmt.Errorf("declare managed identity: %w", err)
	}
	return id, nil
}

func (b *builder) monitoring() (*applicationinsights.Component, error) {
	law, err := operationalinsights.NewWorkspace(b.ctx, "logs", &operationalinsights.WorkspaceArgs{
		ResourceGroupName: b.rg,
		WorkspaceName:     pulumi.String(b.names.LogAnalytics),
		Location:          pulumi.String(b.cfg.Location),
		Tags:              b.tags(),
		Sku:               &operationalinsights.WorkspaceSkuArgs{Name: pulumi.String("PerGB2018")},
		RetentionInDays:   pulumi.Int(30),
	})
	if err != nil {
		return nil, fmt.Errorf("declare log analytics workspace: %w", err)
	}
	ai, err := applicationinsights.NewComponent(b.ctx, "insights",
		&applicationinsights.ComponentArgs{
			ResourceGroupName:   b.rg,
			ResourceName:        pulumi.String(b.names.AppInsights),
			Location:            pulumi.String(b.cfg.Location),
			Tags:                b.tags(),
			Kind:                pulumi.String("web"),
			ApplicationType:     pulumi.String("web"),
			WorkspaceResourceId: law.ID(),
			// Telemetry is accepted only from Entra identities (the app's, with Monitoring
			// Metrics Publisher); the instrumentation key alone is not enough to write.
			DisableLocalAuth: pulumi.Bool(true),
		})
	if err != nil {
		return nil, fmt.Errorf("declare application insights: %w", err)
	}
	return ai, nil
}

// store is the storage account with its deployment container.
type store struct {
	account   *storage.StorageAccount
	container *storage.BlobContainer
}

func (b *builder) storage() (*store, error) {
	acct, err := storage.NewStorageAccount(b.ctx, "storage", &storage.StorageAccountArgs{
		ResourceGroupName: b.rg,
		AccountName:       pulumi.String(b.names.StorageAccount),
		Location:          pulumi.String(b.cfg.Location),
		Tags:              b.tags(),
		Kind:              pulumi.String("StorageV2"),
		Sku:               &storage.SkuArgs{Name: pulumi.String("Standard_LRS")},
		// Identity-only access: the host, the deployment and the delivery table all use
		// the managed identity, so keys and SAS tokens are switched off.
		AllowSharedKeyAccess:         pulumi.Bool(false),
		DefaultToOAuthAuthentication: pulumi.Bool(true),
		AllowBlobPublicAccess:        pulumi.Bool(false),
		AllowCrossTenantReplication:  pulumi.Bool(false),
		EnableHttpsTrafficOnly:       pulumi.Bool(true),
		MinimumTlsVersion:            pulumi.String("TLS1_2"),
	})
	if err != nil {
		return nil, fmt.Errorf("declare storage account: %w", err)
	}
	container, err := storage.NewBlobContainer(b.ctx, "package-container",
		&storage.BlobContainerArgs{
			ResourceGroupName: b.rg,
			AccountName:       acct.Name,
			ContainerName:     pulumi.String(b.names.Container),
			PublicAccess:      storage.PublicAccessNone,
		})
	if err != nil {
		return nil, fmt.Errorf("declare deployment container: %w", err)
	}
	_, err = storage.NewTable(b.ctx, "delivery-table", &storage.TableArgs{
		ResourceGroupName: b.rg,
		AccountName:       acct.Name,
		TableName:         pulumi.String(b.cfg.DeliveryTableName),
	})
	if err != nil {
		return nil, fmt.Errorf("declare delivery table: %w", err)
	}
	return &store{account: acct, container: container}, nil
}

// vault is the Key Vault with the hook secrets and the references the app settings carry.
type vault struct {
	vault       *keyvault.Vault
	secrets     []pulumi.Resource
	secretValue pulumi.StringOutput
	reference   pulumi.StringOutput
	// nextReference is set when a second secret (rotation) is configured.
	nextReference pulumi.StringOutput
}

func (b *builder) vault() (*vault, error) {
	kv, err := keyvault.NewVault(b.ctx, "vault", &keyvault.VaultArgs{
		ResourceGroupName: b.rg,
		VaultName:         pulumi.String(b.names.Vault),
		Location:          pulumi.String(b.cfg.Location),
		Tags:              b.tags(),
		Properties: &keyvault.VaultPropertiesArgs{
			TenantId: pulumi.String(b.tenantID),
			Sku: &keyvault.SkuArgs{
				Family: pulumi.String("A"),
				Name:   keyvault.SkuNameStandard,
			},
			EnableRbacAuthorization:   pulumi.Bool(true),
			EnableSoftDelete:          pulumi.Bool(true),
			SoftDeleteRetentionInDays: pulumi.Int(7),
			EnablePurgeProtection:     pulumi.Bool(true),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("declare key vault: %w", err)
	}
	value, err := b.hookSecret()
	if err != nil {
		return nil, err
	}
	v := &vault{vault: kv, secretValue: value}
	v.reference, err = v.store(b, "hook-secret", b.names.Secret, value)
	if err != nil {
		return nil, err
	}
	// NOTE: once declared, the next secret must stay declared (README: keep hookSecretNext
	// equal to hookSecret between rotations). Deleting it leaves its name soft-deleted in
	// the purge-protected vault for the retention days, and re-creating it fails until then.
	if next := b.cfg.HookSecretNext; next != "" {
		nextValue := pulumi.ToSecret(pulumi.String(next)).(pulumi.StringOutput)
		v.nextReference, err = v.store(b, "hook-secret-next", b.names.SecretNext, nextValue)
		if err != nil {
			return nil, err
		}
	}
	return v, nil
}

// store writes one secret and returns the app-setting reference to it.
//
// NOTE: the reference names the secret's version (secretUriWithVersion), on purpose. Every
// new value is a new version, so it changes the app setting, which Azure treats as a
// configuration change: the app restarts and fetches the secret at once. An unversioned
// reference would keep serving the old value for up to 24 hours while Okta already sends
// the new one, and every call would fail with 401.
func (v *vault) store(b *builder, resName, secretName string,
	value pulumi.StringOutput) (pulumi.StringOutput, error) {
	s, err := keyvault.NewSecret(b.ctx, resName, &keyvault.SecretArgs{
		ResourceGroupName: b.rg,
		VaultName:         v.vault.Name,
		SecretName:        pulumi.String(secretName),
		Properties: &keyvault.SecretPropertiesArgs{
			Value:       value,
			ContentType: pulumi.String("text/plain"),
		},
	})
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("declare key vault secret %s: %w", resName, err)
	}
	v.secrets = append(v.secrets, s)
	return pulumi.Sprintf("@Microsoft.KeyVault(SecretUri=%s)",
		s.Properties.SecretUriWithVersion()), nil
}

// withSlash ends uri in exactly one slash, however ARM returned it.
func withSlash(uri string) string {
	if strings.HasSuffix(uri, "/") {
		return uri
	}
	return uri + "/"
}

// hookSecret is the Basic secret: from config when set, else generated once by a local
// command (crypto/rand, see cmd/hooksecret) whose output Pulumi keeps encrypted in the stack
// state. The command runs on create only, so the secret stays the same on every later
// `pulumi up`. It is rotated by configuring hookSecretNext and then hookSecret (README).
func (b *builder) hookSecret() (pulumi.StringOutput, error) {
	if b.cfg.HookSecret != "" {
		return pulumi.ToSecret(pulumi.String(b.cfg.HookSecret)).(pulumi.StringOutput), nil
	}
	gen, err := local.NewCommand(b.ctx, "hook-secret-generated", &local.CommandArgs{
		Create:      pulumi.String("go run ./cmd/hooksecret"),
		Environment: pulumi.StringMap{"GOWORK": pulumi.String("off")},
		// Only stderr reaches the console: stdout is the secret itself.
		Logging: local.LoggingStderr,
	}, pulumi.AdditionalSecretOutputs([]string{"stdout"}),
		pulumi.IgnoreChanges([]string{"create", "dir", "environment"}))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("declare hook secret generator: %w", err)
	}
	value := gen.Stdout.ApplyT(strings.TrimSpace).(pulumi.StringOutput)
	return pulumi.ToSecret(value).(pulumi.StringOutput), nil
}

func (b *builder) communication() (*communication.CommunicationService, error) {
	acs, err := communication.NewCommunicationService(b.ctx, "acs",
		&communication.CommunicationServiceArgs{
			ResourceGroupName:        b.rg,
			CommunicationServiceName: pulumi.String(b.names.ACS),
			Location:                 pulumi.String("global"),
			Tags:                     b.tags(),
			DataLocation:             pulumi.String(b.cfg.DataLocation),
		})
	if err != nil {
		return nil, fmt.Errorf("declare communication service: %w", err)
	}
	return acs, nil
}

// grant is one role assignment of the app's identity.
type grant struct {
	name  string
	scope pulumi.StringInput
	role  string
}

// roles grants the app's identity exactly what it uses, each at the narrowest scope.
func (b *builder) roles(id *managedidentity.UserAssignedIdentity, st *store, kv *vault,
	acs *communication.CommunicationService, ai *applicationinsights.Component,
) ([]pulumi.Resource, error) {
	grants := []grant{
		{"role-storage-blob", st.account.ID(), roleStorageBlobDataOwner},
		{"role-storage-table", st.account.ID(), roleStorageTableDataContributor},
		{"role-vault-secrets", kv.vault.ID(), roleKeyVaultSecretsUser},
		{"role-acs", acs.ID(), roleContributor},
		{"role-insights", ai.ID(), roleMonitoringMetricsPublisher},
	}
	var out []pulumi.Resource
	for _, g := range grants {
		ra, err := authorization.NewRoleAssignment(b.ctx, g.name, &authorization.RoleAssignmentArgs{
			Scope:       g.scope,
			PrincipalId: id.PrincipalId,
			// Skips the directory lookup that fails while a new identity replicates.
			PrincipalType: pulumi.String("ServicePrincipal"),
			RoleDefinitionId: pulumi.String(fmt.Sprintf(
				"/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s",
				b.subID, g.role)),
		})
		if err != nil {
			return nil, fmt.Errorf("declare role assignment %s: %w", g.name, err)
		}
		out = append(out, ra)
	}
	return out, nil
}
