package stack

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

var testNames = NewNames(testSubscription, testProject, testStack, "")

func rgID() string {
	return "/subscriptions/" + testSubscription + "/resourceGroups/" + testNames.ResourceGroup
}

func armID(path, name string) string { return rgID() + "/providers/" + path + "/" + name }

var (
	identityID = armID("Microsoft.ManagedIdentity/userAssignedIdentities", testNames.Identity)
	appID      = armID("Microsoft.Web/sites", testNames.App)
)

func TestProgramDeclaresEveryResourceWithItsType(t *testing.T) {
	r := mustRun(t, baseConfig(t))

	want := map[string]string{
		"rg":                    "azure-native:resources:ResourceGroup",
		"identity":              "azure-native:managedidentity:UserAssignedIdentity",
		"logs":                  "azure-native:operationalinsights:Workspace",
		"insights":              "azure-native:applicationinsights:Component",
		"storage":               "azure-native:storage:StorageAccount",
		"package-container":     "azure-native:storage:BlobContainer",
		"delivery-table":        "azure-native:storage:Table",
		"vault":                 "azure-native:keyvault:Vault",
		"hook-secret":           "azure-native:keyvault:Secret",
		"acs":                   "azure-native:communication:CommunicationService",
		"role-storage-blob":     "azure-native:authorization:RoleAssignment",
		"role-storage-table":    "azure-native:authorization:RoleAssignment",
		"role-vault-secrets":    "azure-native:authorization:RoleAssignment",
		"role-acs":              "azure-native:authorization:RoleAssignment",
		"role-insights":         "azure-native:authorization:RoleAssignment",
		"plan":                  "azure-native:web:AppServicePlan",
		"app":                   "azure-native:web:WebApp",
		"app-settings":          "azure-native:web:WebAppApplicationSettings",
		"site-tls":              "azure-native:resources:Deployment",
		"ftp-off":               "azure-native:web:WebAppFtpAllowed",
		"scm-basic-auth-off":    "azure-native:web:WebAppScmAllowed",
		"deploy-code":           "command:local:Command",
		"delivery-topic":        "azure-native:eventgrid:SystemTopic",
		"delivery-subscription": "azure-native:eventgrid:SystemTopicEventSubscription",
	}
	got := map[string]string{}
	for name, g := range r.reg {
		got[name] = g.token
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("resources:\n got %v\nwant %v", got, want)
	}
	// Every azure-native resource, the hand-written Event Grid ones included, asks for one
	// and the same provider plugin.
	for name, g := range r.reg {
		if strings.HasPrefix(g.token, "azure-native:") && g.version != "3.26.0" {
			t.Errorf("%s: provider version %q, want 3.26.0", name, g.version)
		}
	}
}

func TestNamesAreDerivedFromTheStack(t *testing.T) {
	r := mustRun(t, baseConfig(t))

	checks := []struct{ res, key, want string }{
		{"rg", "resourceGroupName", "rg-oktasms-prod"},
		{"rg", "location", "eastus2"},
		{"identity", "resourceName", "id-oktasms-prod"},
		{"logs", "workspaceName", "log-oktasms-prod"},
		{"insights", "resourceName", "appi-oktasms-prod"},
		{"plan", "name", "plan-oktasms-prod"},
		{"storage", "accountName", testNames.StorageAccount},
		{"vault", "vaultName", testNames.Vault},
		{"acs", "communicationServiceName", testNames.ACS},
		{"app", "name", testNames.App},
	}
	for _, c := range checks {
		if got := str(r.res(c.res).inputs, c.key); got != c.want {
			t.Errorf("%s.%s = %q, want %q", c.res, c.key, got, c.want)
		}
	}
	for _, name := range []string{"storage", "vault", "acs", "app", "identity", "plan"} {
		if got := str(r.res(name).inputs, "resourceGroupName"); got != "rg-oktasms-prod" {
			t.Errorf("%s in resource group %q", name, got)
		}
	}
}

func TestNewNamesFitAzureRulesAndDifferBySubscription(t *testing.T) {
	a := NewNames("sub-a", "okta-acs-sms", "Prod_EU-West.1", "")
	b := NewNames("sub-b", "okta-acs-sms", "Prod_EU-West.1", "")
	if a.StorageAccount == b.StorageAccount || a.Vault == b.Vault || a.App == b.App {
		t.Fatalf("names collide across subscriptions: %+v %+v", a, b)
	}
	if a != NewNames("sub-a", "okta-acs-sms", "Prod_EU-West.1", "") {
		t.Fatal("names are not stable")
	}
	if a == NewNames("sub-a", "okta-acs-sms", "Prod_EU-West.1", "x1") {
		t.Fatal("nameSalt does not change the names")
	}
	if !strings.HasPrefix(a.StorageAccount, "stsmsprodeuwe") || len(a.StorageAccount) != 19 {
		t.Errorf("storage account %q", a.StorageAccount)
	}
	for _, c := range a.StorageAccount {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			t.Errorf("storage account %q has %q", a.StorageAccount, c)
		}
	}
	if len(a.Vault) > 24 || strings.Contains(a.Vault, "--") {
		t.Errorf("vault %q breaks the 3-24 rule", a.Vault)
	}
	if got := NewNames("s", "p", "---", "").ResourceGroup; got != "rg-oktasms-stack" {
		t.Errorf("empty slug gives %q", got)
	}
}

func TestStorageAccountAllowsIdentityAccessOnly(t *testing.T) {
	r := mustRun(t, baseConfig(t))

	in := r.res("storage").inputs
	wantBool := map[string]bool{
		"allowSharedKeyAccess":         false,
		"allowBlobPublicAccess":        false,
		"allowCrossTenantReplication":  false,
		"defaultToOAuthAuthentication": true,
		"enableHttpsTrafficOnly":       true,
	}
	for k, want := range wantBool {
		if v := at(in, k); !v.IsBool() || v.BoolValue() != want {
			t.Errorf("storage.%s = %v, want %v", k, v, want)
		}
	}
	if got := str(in, "minimumTlsVersion"); got != "TLS1_2" {
		t.Errorf("minimumTlsVersion = %q", got)
	}
	if got := str(in, "kind"); got != "StorageV2" {
		t.Errorf("kind = %q", got)
	}
	c := r.res("package-container").inputs
	if str(c, "publicAccess") != "None" || str(c, "containerName") != "app-package" ||
		str(c, "accountName") != testNames.StorageAccount {
		t.Errorf("container inputs %v", c)
	}
	if got := str(r.res("delivery-table").inputs, "tableName"); got != "deliveries" {
		t.Errorf("table = %q", got)
	}
}

func TestFunctionAppIsFlexConsumptionWithoutSiteConfig(t *testing.T) {
	cfg := baseConfig(t)
	cfg["maximumInstanceCount"] = "100"
	cfg["alwaysReady"] = "2"
	cfg["instanceMemoryMB"] = "4096"
	r := mustRun(t, cfg)

	plan := r.res("plan").inputs
	if str(plan, "sku", "name") != "FC1" || str(plan, "sku", "tier") != "FlexConsumption" ||
		!at(plan, "reserved").BoolValue() || str(plan, "kind") != "functionapp" {
		t.Errorf("plan inputs %v", plan)
	}

	in := r.res("app").inputs
	if _, ok := in["siteConfig"]; ok {
		t.Fatalf("the Flex app carries siteConfig: %v", in["siteConfig"])
	}
	if strings.Contains(dump(in), "netFrameworkVersion") {
		t.Fatal("netFrameworkVersion reached the Flex app")
	}
	deployment := []string{"functionAppConfig", "deployment", "storage"}
	checks := []struct {
		path []string
		want string
	}{
		{[]string{"kind"}, "functionapp,linux"},
		{[]string{"functionAppConfig", "runtime", "name"}, "custom"},
		{[]string{"functionAppConfig", "runtime", "version"}, "1.0"},
		{append(deployment, "type"), "blobContainer"},
		{append(deployment, "authentication", "type"), "UserAssignedIdentity"},
		{[]string{"serverFarmId"}, armID("Microsoft.Web/serverfarms", testNames.Plan)},
		{[]string{"keyVaultReferenceIdentity"}, identityID},
	}
	for _, c := range checks {
		if got := str(in, c.path...); got != c.want {
			t.Errorf("app %v = %q, want %q", c.path, got, c.want)
		}
	}
	if got := str(in, "functionAppConfig", "deployment", "storage", "value"); got !=
		"https://"+testNames.StorageAccount+".blob.core.windows.net/app-package" {
		t.Errorf("deployment container URL = %q", got)
	}
	if got := str(in, "functionAppConfig", "deployment", "storage", "authentication",
		"userAssignedIdentityResourceId"); got != identityID {
		t.Errorf("deployment identity = %q", got)
	}
	assertFlexScaleAndIdentity(t, in)
	assertDeps(t, r, "app", "plan", "identity", "role-storage-blob", "role-vault-secrets")
}

// assertFlexScaleAndIdentity checks the scale settings configured by the test above and the
// app's identity.
func assertFlexScaleAndIdentity(t *testing.T, in resource.PropertyMap) {
	t.Helper()
	for k, want := range map[string]bool{"httpsOnly": true, "reserved": true} {
		if v := at(in, k); !v.IsBool() || v.BoolValue() != want {
			t.Errorf("app.%s = %v", k, v)
		}
	}
	scale := at(in, "functionAppConfig", "scaleAndConcurrency").ObjectValue()
	if at(scale, "instanceMemoryMB").NumberValue() != 4096 ||
		at(scale, "maximumInstanceCount").NumberValue() != 100 {
		t.Errorf("scale = %v", scale)
	}
	ready := at(scale, "alwaysReady").ArrayValue()
	if len(ready) != 1 || str(ready[0].ObjectValue(), "name") != "http" ||
		at(ready[0].ObjectValue(), "instanceCount").NumberValue() != 2 {
		t.Errorf("alwaysReady = %v", ready)
	}
	if str(in, "identity", "type") != "UserAssigned" {
		t.Errorf("identity type %q", str(in, "identity", "type"))
	}
	ids := at(in, "identity", "userAssignedIdentities").ArrayValue()
	if len(ids) != 1 || ids[0].StringValue() != identityID {
		t.Errorf("identities = %v", ids)
	}
}

func TestFlexDefaultsAreSane(t *testing.T) {
	r := mustRun(t, baseConfig(t))

	scale := at(r.res("app").inputs, "functionAppConfig", "scaleAndConcurrency").ObjectValue()
	if at(scale, "instanceMemoryMB").NumberValue() != 2048 ||
		at(scale, "maximumInstanceCount").NumberValue() != 40 ||
		at(at(scale, "alwaysReady").ArrayValue()[0].ObjectValue(), "instanceCount").
			NumberValue() != 1 {
		t.Errorf("default scale = %v", scale)
	}
}

func TestSiteGetsTLS12AndNoBasicPublishing(t *testing.T) {
	r := mustRun(t, baseConfig(t))

	d := r.res("site-tls").inputs
	if str(d, "properties", "mode") != "Incremental" ||
		str(d, "properties", "parameters", "siteName", "value") != testNames.App {
		t.Errorf("tls deployment %v", d)
	}
	res := at(d, "properties", "template", "resources").ArrayValue()
	if len(res) != 1 {
		t.Fatalf("template resources = %v", res)
	}
	tr := res[0].ObjectValue()
	if str(tr, "type") != "Microsoft.Web/sites/config" ||
		str(tr, "name") != "[format('{0}/web', parameters('siteName'))]" ||
		str(tr, "properties", "minTlsVersion") != "1.2" ||
		str(tr, "properties", "scmMinTlsVersion") != "1.2" ||
		len(at(tr, "properties").ObjectValue()) != 2 {
		t.Errorf("tls template resource %v", tr)
	}
	for _, name := range []string{"ftp-off", "scm-basic-auth-off"} {
		in := r.res(name).inputs
		if v := at(in, "allow"); !v.IsBool() || v.BoolValue() {
			t.Errorf("%s allow = %v", name, v)
		}
		if str(in, "name") != testNames.App {
			t.Errorf("%s targets %q", name, str(in, "name"))
		}
	}
	// Configuration writes to one site run in sequence.
	assertDeps(t, r, "site-tls", "app-settings")
	assertDeps(t, r, "ftp-off", "site-tls")
	assertDeps(t, r, "scm-basic-auth-off", "ftp-off")
}

func TestRoleAssignmentsAreScopedAndTypedServicePrincipal(t *testing.T) {
	r := mustRun(t, baseConfig(t))

	roleID := func(guid string) string {
		return "/subscriptions/" + testSubscription +
			"/providers/Microsoft.Authorization/roleDefinitions/" + guid
	}
	storageID := armID("Microsoft.Storage/storageAccounts", testNames.StorageAccount)
	cases := []struct{ name, scope, role string }{
		{"role-storage-blob", storageID, roleID("b7e6dc6d-f1e8-4753-8033-0f276bb0955b")},
		{"role-storage-table", storageID, roleID("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3")},
		{"role-vault-secrets", armID("Microsoft.KeyVault/vaults", testNames.Vault),
			roleID("4633458b-17de-408a-b874-0445c86b69e6")},
		{"role-acs", armID("Microsoft.Communication/communicationServices", testNames.ACS),
			roleID("b24988ac-6180-42a0-ab88-20f7382dd24c")},
		{"role-insights", armID("Microsoft.Insights/components", testNames.AppInsights),
			roleID("3913510d-42f4-4e42-8a64-420c390055eb")},
	}
	for _, c := range cases {
		in := r.res(c.name).inputs
		got := [4]string{str(in, "scope"), str(in, "roleDefinitionId"), str(in, "principalId"),
			str(in, "principalType")}
		want := [4]string{c.scope, c.role, testPrincipalID, "ServicePrincipal"}
		if got != want {
			t.Errorf("%s:\n got %v\nwant %v", c.name, got, want)
		}
	}
}

func TestKeyVaultUsesRBACAndHoldsTheSecretAsSecret(t *testing.T) {
	r := mustRun(t, baseConfig(t))

	in := r.res("vault").inputs
	for k, want := range map[string]bool{
		"enableRbacAuthorization": true, "enableSoftDelete": true, "enablePurgeProtection": true,
	} {
		if v := at(in, "properties", k); !v.IsBool() || v.BoolValue() != want {
			t.Errorf("vault %s = %v", k, v)
		}
	}
	if str(in, "properties", "tenantId") != testTenant || str(in, "properties", "sku", "name") !=
		"standard" {
		t.Errorf("vault properties %v", at(in, "properties"))
	}
	s := r.res("hook-secret").inputs
	value := at(s, "properties").ObjectValue()["value"]
	if !value.IsSecret() || value.SecretValue().Element.StringValue() != testSecret {
		t.Errorf("secret value is not the configured secret marked secret: %v", value)
	}
	if str(s, "secretName") != "okta-basic-secret" || str(s, "vaultName") != testNames.Vault {
		t.Errorf("secret inputs %v", s)
	}
}

func TestAppSettingsAreExactAndReferenceKeyVaultOnly(t *testing.T) {
	r := mustRun(t, baseConfig(t))

	in := r.res("app-settings").inputs
	if str(in, "name") != testNames.App {
		t.Errorf("settings target %q", str(in, "name"))
	}
	got := map[string]string{}
	for k, v := range at(in, "properties").ObjectValue() {
		if v.IsSecret() {
			t.Errorf("setting %s is a secret value; settings must hold references only", k)
		}
		got[string(k)] = v.StringValue()
	}
	acct := testNames.StorageAccount
	want := map[string]string{
		"ACS_ENDPOINT": "https://" + testNames.ACS +
			".unitedstates.communication.azure.com",
		"ACS_SENDER":                            "+18005550100",
		"HOOK_DEADLINE":                         "2.5s",
		"AZURE_CLIENT_ID":                       testClientID,
		"APPLICATIONINSIGHTS_CONNECTION_STRING": testAIConnection,
		"APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "ClientId=" + testClientID +
			";Authorization=AAD",
		"AzureWebJobsStorage__accountName": acct,
		"AzureWebJobsStorage__credential":  "managedidentity",
		"AzureWebJobsStorage__clientId":    testClientID,
		"OKTA_USER":                        "okta",
		"OKTA_BASIC_SECRET":                kvReference("okta-basic-secret", testSecret),
		"DELIVERY_TABLE_ENDPOINT":          "https://" + acct + ".table.core.windows.net",
		"DELIVERY_TABLE_NAME":              "deliveries",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("settings:\n got %v\nwant %v", got, want)
	}
	if strings.Contains(dump(in), testSecret) {
		t.Fatal("the hook secret appears in the app settings")
	}
	assertDeps(t, r, "app-settings", "role-vault-secrets", "role-storage-blob",
		"role-storage-table", "role-acs", "role-insights")
}

// kvReference is the app setting that points at one version of a Key Vault secret, as the
// fake Key Vault would have minted it for value.
func kvReference(secretName, value string) string {
	return "@Microsoft.KeyVault(SecretUri=https://" + testNames.Vault +
		".vault.azure.net/secrets/" + secretName + "/" + mockSecretVersion(value) + ")"
}

// basicSecretSettings runs the program and returns the two Basic-secret app settings.
func basicSecretSettings(t *testing.T, secret, next string) (current, nextRef string) {
	t.Helper()
	cfg := baseConfig(t)
	cfg["hookSecret"] = secret
	keys := []string{"hookSecret"}
	if next != "" {
		cfg["hookSecretNext"] = next
		keys = append(keys, "hookSecretNext")
	}
	r, err := runProgram(t, cfg, keys...)
	if err != nil {
		t.Fatal(err)
	}
	props := at(r.res("app-settings").inputs, "properties").ObjectValue()
	return props["OKTA_BASIC_SECRET"].StringValue(), str(props, "OKTA_BASIC_SECRET_NEXT")
}

// A new secret value must change the app setting itself: only a settings change makes the
// app fetch the secret again at once (an unversioned reference lags up to 24 hours).
func TestChangedHookSecretChangesTheAppSettingsVersionedReference(t *testing.T) {
	const other = "0th3r-0th3r-0th3r-0th3r-0th3r-0th3r-0th3r"
	next := "n3xt-n3xt-n3xt-n3xt-n3xt-n3xt-n3xt-n3xt"

	cur1, next1 := basicSecretSettings(t, testSecret, next)
	cur2, next2 := basicSecretSettings(t, other, next)
	_, next3 := basicSecretSettings(t, other, other+"-next")

	versioned := regexp.MustCompile(`^@Microsoft\.KeyVault\(SecretUri=https://` +
		regexp.QuoteMeta(testNames.Vault) + `\.vault\.azure\.net/secrets/` +
		`okta-basic-secret(-next)?/[0-9a-f]{32}\)$`)
	for _, ref := range []string{cur1, next1, cur2, next2, next3} {
		if !versioned.MatchString(ref) {
			t.Errorf("reference %q does not name a secret version", ref)
		}
	}
	if cur1 != kvReference("okta-basic-secret", testSecret) ||
		cur2 != kvReference("okta-basic-secret", other) {
		t.Errorf("OKTA_BASIC_SECRET = %q then %q", cur1, cur2)
	}
	if cur1 == cur2 {
		t.Errorf("a new hookSecret left OKTA_BASIC_SECRET unchanged: %q", cur1)
	}
	if next1 != next2 {
		t.Errorf("an unchanged hookSecretNext changed its setting: %q -> %q", next1, next2)
	}
	if next2 == next3 {
		t.Errorf("a new hookSecretNext left OKTA_BASIC_SECRET_NEXT unchanged: %q", next2)
	}
}

func TestSecondSecretIsReferencedForRotation(t *testing.T) {
	cfg := baseConfig(t)
	next := "n3xt-n3xt-n3xt-n3xt-n3xt-n3xt-n3xt-n3xt"
	cfg["hookSecretNext"] = next
	r, err := runProgram(t, cfg, "hookSecret", "hookSecretNext")
	if err != nil {
		t.Fatal(err)
	}

	s := r.res("hook-secret-next").inputs
	value := at(s, "properties").ObjectValue()["value"]
	if str(s, "secretName") != "okta-basic-secret-next" || !value.IsSecret() ||
		value.SecretValue().Element.StringValue() != next {
		t.Errorf("next secret inputs %v", s)
	}
	props := at(r.res("app-settings").inputs, "properties").ObjectValue()
	want := kvReference("okta-basic-secret-next", next)
	if got := props["OKTA_BASIC_SECRET_NEXT"]; !got.IsString() || got.StringValue() != want {
		t.Errorf("OKTA_BASIC_SECRET_NEXT = %v", got)
	}
	// The published header stays the current secret's.
	v, _ := r.output("hookAuthorization")
	if v != "Basic "+base64.StdEncoding.EncodeToString([]byte("okta:"+testSecret)) {
		t.Errorf("hookAuthorization = %v", v)
	}
	assertDeps(t, r, "deploy-code", "hook-secret", "hook-secret-next")
}

// Between rotations the documented steady state is hookSecretNext == hookSecret, so that the
// next-secret resource is never deleted (a deleted Key Vault secret blocks its name for the
// soft-delete retention); the program must accept it.
func TestNextSecretEqualToTheCurrentOneIsAccepted(t *testing.T) {
	cfg := baseConfig(t)
	cfg["hookSecretNext"] = testSecret
	r, err := runProgram(t, cfg, "hookSecret", "hookSecretNext")
	if err != nil {
		t.Fatalf("program refused hookSecretNext == hookSecret: %v", err)
	}

	props := at(r.res("app-settings").inputs, "properties").ObjectValue()
	if got, want := props["OKTA_BASIC_SECRET"].StringValue(),
		kvReference("okta-basic-secret", testSecret); got != want {
		t.Errorf("OKTA_BASIC_SECRET = %q, want %q", got, want)
	}
	if got, want := props["OKTA_BASIC_SECRET_NEXT"].StringValue(),
		kvReference("okta-basic-secret-next", testSecret); got != want {
		t.Errorf("OKTA_BASIC_SECRET_NEXT = %q, want %q", got, want)
	}
	next := at(r.res("hook-secret-next").inputs, "properties", "value")
	if !next.IsString() || next.StringValue() != testSecret {
		t.Errorf("next secret value is not the configured one")
	}
	v, _ := r.output("hookAuthorization")
	if v != "Basic "+base64.StdEncoding.EncodeToString([]byte("okta:"+testSecret)) {
		t.Errorf("hookAuthorization = %v", v)
	}
}

func TestCommunicationServiceIsGlobalWithConfiguredDataLocation(t *testing.T) {
	cfg := baseConfig(t)
	cfg["dataLocation"] = "Europe"
	r := mustRun(t, cfg)

	in := r.res("acs").inputs
	if str(in, "location") != "global" || str(in, "dataLocation") != "Europe" {
		t.Errorf("acs inputs %v", in)
	}
}

func TestCodeDeploymentRunsAfterAppSettingsAndRolesAndHashTriggersIt(t *testing.T) {
	cfg := baseConfig(t)
	cfg["packagePath"] = writePackage(t, "package-v1")
	r := mustRun(t, cfg)

	d := r.res("deploy-code")
	if got := str(d.inputs, "create"); got != "go run ./cmd/deploy" {
		t.Errorf("create = %q", got)
	}
	env := map[string]string{}
	for k, v := range at(d.inputs, "environment").ObjectValue() {
		env[string(k)] = v.StringValue()
	}
	wantEnv := map[string]string{
		"DEPLOY_SCM_HOST":  testNames.App + ".scm.azurewebsites.net",
		"DEPLOY_APP_ID":    appID,
		"DEPLOY_PACKAGE":   cfg["packagePath"],
		"DEPLOY_TENANT_ID": testTenant,
		"DEPLOY_FUNCTIONS": "telephony,deliveryreport",
		"DEPLOY_PROBE_URL": "https://" + testNames.App + ".azurewebsites.net/api/telephony",
		"GOWORK":           "off",
	}
	if !reflect.DeepEqual(env, wantEnv) {
		t.Errorf("environment:\n got %v\nwant %v", env, wantEnv)
	}
	raw, err := os.ReadFile(cfg["packagePath"])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	trig := at(d.inputs, "triggers").ArrayValue()
	if len(trig) != 2 || trig[0].StringValue() != hex.EncodeToString(sum[:]) ||
		trig[1].StringValue() != appID {
		t.Errorf("triggers = %v", trig)
	}
	assertDeps(t, r, "deploy-code", "app", "app-settings", "hook-secret", "role-acs",
		"role-insights", "role-storage-blob", "role-storage-table", "role-vault-secrets",
		"site-tls", "ftp-off", "scm-basic-auth-off")
}

func TestDeliveryReportSubscriptionTargetsTheFunctionAfterDeployment(t *testing.T) {
	r := mustRun(t, baseConfig(t))

	topic := r.res("delivery-topic").inputs
	acsID := armID("Microsoft.Communication/communicationServices", testNames.ACS)
	if str(topic, "source") != acsID || str(topic, "location") != "global" ||
		str(topic, "topicType") != "Microsoft.Communication.CommunicationServices" ||
		str(topic, "systemTopicName") != "evgt-oktasms-prod" {
		t.Errorf("system topic inputs %v", topic)
	}

	sub := r.res("delivery-subscription")
	in := sub.inputs
	if got := str(in, "destination", "resourceId"); got != appID+"/functions/deliveryreport" {
		t.Errorf("destination = %q", got)
	}
	if str(in, "destination", "endpointType") != "AzureFunction" ||
		str(in, "systemTopicName") != "evgt-oktasms-prod" ||
		str(in, "eventDeliverySchema") != "EventGridSchema" {
		t.Errorf("subscription inputs %v", in)
	}
	types := at(in, "filter", "includedEventTypes").ArrayValue()
	if len(types) != 1 ||
		types[0].StringValue() != "Microsoft.Communication.SMSDeliveryReportReceived" {
		t.Errorf("filter = %v", types)
	}
	if at(in, "retryPolicy", "maxDeliveryAttempts").NumberValue() != 30 ||
		at(in, "retryPolicy", "eventTimeToLiveInMinutes").NumberValue() != 1440 {
		t.Errorf("retry policy = %v", at(in, "retryPolicy"))
	}
	// Azure refuses the subscription until the function exists: it waits for the code.
	assertDeps(t, r, "delivery-subscription", "deploy-code", "delivery-topic")
}

func TestDeliveryReportsOffDeclaresNoEventGrid(t *testing.T) {
	cfg := baseConfig(t)
	cfg["deliveryReports"] = "false"
	r := mustRun(t, cfg)

	for name, g := range r.reg {
		if strings.Contains(g.token, "eventgrid") {
			t.Errorf("event grid resource %s declared with deliveryReports=false", name)
		}
	}
	env := at(r.res("deploy-code").inputs, "environment").ObjectValue()
	if got := env["DEPLOY_FUNCTIONS"].StringValue(); got != "telephony" {
		t.Errorf("DEPLOY_FUNCTIONS = %q", got)
	}
}

func TestDeliveryReportsDefaultIsOnAndDeclaresEventGrid(t *testing.T) {
	if !DeliveryReportsDefault {
		t.Fatal("DeliveryReportsDefault = false, want true")
	}
	cfg := baseConfig(t)
	delete(cfg, "deliveryReports") // the default, not a value, decides
	r := mustRun(t, cfg)

	want := []struct{ res, token, key, name string }{
		{"delivery-topic", "azure-native:eventgrid:SystemTopic",
			"systemTopicName", "evgt-oktasms-prod"},
		{"delivery-subscription", "azure-native:eventgrid:SystemTopicEventSubscription",
			"eventSubscriptionName", "sms-delivery-reports"},
	}
	for _, w := range want {
		g := r.res(w.res)
		if g.token != w.token {
			t.Errorf("%s type = %q, want %q", w.res, g.token, w.token)
		}
		if got := str(g.inputs, w.key); got != w.name {
			t.Errorf("%s.%s = %q, want %q", w.res, w.key, got, w.name)
		}
	}
	if got := str(r.res("delivery-subscription").inputs, "systemTopicName"); got !=
		"evgt-oktasms-prod" {
		t.Errorf("subscription on topic %q, want evgt-oktasms-prod", got)
	}
	env := at(r.res("deploy-code").inputs, "environment").ObjectValue()
	if got := env["DEPLOY_FUNCTIONS"].StringValue(); got != "telephony,deliveryreport" {
		t.Errorf("DEPLOY_FUNCTIONS = %q, want telephony,deliveryreport", got)
	}
}

func TestOutputsCarryTheHookAndOnlyTheHeaderIsSecret(t *testing.T) {
	r := mustRun(t, baseConfig(t))

	want := map[string]string{
		"hookUrl":           "https://" + testNames.App + ".azurewebsites.net/api/telephony",
		"appName":           testNames.App,
		"resourceGroupName": "rg-oktasms-prod",
		"keyVaultName":      testNames.Vault,
		"oktaUser":          "okta",
		"hookAuthorization": "Basic " +
			base64.StdEncoding.EncodeToString([]byte("okta:"+testSecret)),
	}
	var names []string
	for name := range r.outs {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) != len(want) {
		t.Fatalf("outputs = %v", names)
	}
	for name, w := range want {
		v, secret := r.output(name)
		if v != w {
			t.Errorf("%s = %v, want %v", name, v, w)
		}
		if secret != (name == "hookAuthorization") {
			t.Errorf("%s secret = %v", name, secret)
		}
	}
}

func TestOAuthConfigAddsSettingsAndOutputs(t *testing.T) {
	cfg := baseConfig(t)
	cfg["hookIssuer"] = "https://acme.okta.com/oauth2/default"
	cfg["hookAudience"] = "api://default"
	cfg["hookScope"] = "okta.telephony.hook"
	cfg["hookClientId"] = "0oa1hook"
	r := mustRun(t, cfg)

	props := at(r.res("app-settings").inputs, "properties").ObjectValue()
	for k, want := range map[string]string{
		"OKTA_HOOK_ISSUER":    "https://acme.okta.com/oauth2/default",
		"OKTA_HOOK_AUDIENCE":  "api://default",
		"OKTA_HOOK_SCOPE":     "okta.telephony.hook",
		"OKTA_HOOK_CLIENT_ID": "0oa1hook",
	} {
		if got := props[resource.PropertyKey(k)]; !got.IsString() || got.StringValue() != want {
			t.Errorf("%s = %v, want %q", k, got, want)
		}
	}
	// Basic stays configured beside OAuth, for a migration without downtime.
	if !props["OKTA_BASIC_SECRET"].IsString() {
		t.Error("OKTA_BASIC_SECRET dropped when OAuth is configured")
	}
	for name, want := range map[string]string{
		"hookIssuer":   "https://acme.okta.com/oauth2/default",
		"hookAudience": "api://default",
		"hookScope":    "okta.telephony.hook",
	} {
		if v, secret := r.output(name); v != want || secret {
			t.Errorf("%s = %v (secret %v)", name, v, secret)
		}
	}
}

func TestGeneratedHookSecretWhenNoneIsConfigured(t *testing.T) {
	cfg := baseConfig(t)
	delete(cfg, "hookSecret")
	r := mustRun(t, cfg)

	gen := r.res("hook-secret-generated")
	if str(gen.inputs, "create") != "go run ./cmd/hooksecret" ||
		str(gen.inputs, "logging") != "stderr" {
		t.Errorf("generator inputs %v", gen.inputs)
	}
	if !reflect.DeepEqual(gen.secrets, []string{"stdout"}) {
		t.Errorf("additional secret outputs = %v", gen.secrets)
	}
	// Created once: a moved checkout or a changed command must not mint a new secret.
	if !reflect.DeepEqual(gen.ignored, []string{"create", "dir", "environment"}) {
		t.Errorf("ignoreChanges = %v", gen.ignored)
	}
	if str(gen.inputs, "environment", "GOWORK") != "off" {
		t.Errorf("environment = %v", at(gen.inputs, "environment"))
	}
	value := at(r.res("hook-secret").inputs, "properties").ObjectValue()["value"]
	if !value.IsSecret() || value.SecretValue().Element.StringValue() != testGenerated {
		t.Errorf("vault secret = %v, want the generated secret, trimmed and secret", value)
	}
	v, secret := r.output("hookAuthorization")
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("okta:"+testGenerated))
	if v != want || !secret {
		t.Errorf("hookAuthorization = %v (secret %v)", v, secret)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name   string
		change map[string]string
		want   string
	}{
		{"no sender", map[string]string{"sender": ""}, "okta-acs-sms:sender: required"},
		{"bad sender", map[string]string{"sender": "555-0100"},
			"okta-acs-sms:sender: want an E.164"},
		{"no location", map[string]string{"location": ""}, "okta-acs-sms:location: required"},
		{"org authorization server",
			map[string]string{"hookIssuer": "https://acme.okta.com", "hookAudience": "a",
				"hookScope": "s"},
			"is the org authorization server"},
		{"issuer without audience and scope",
			map[string]string{"hookIssuer": "https://acme.okta.com/oauth2/default"},
			"hookAudience: required with hookIssuer"},
		{"audience without issuer", map[string]string{"hookAudience": "api://default"},
			"hookIssuer: required when"},
		{"plain http issuer",
			map[string]string{"hookIssuer": "http://acme.okta.com/oauth2/default",
				"hookAudience": "a", "hookScope": "s"},
			"want an https URL"},
		{"deadline over okta's limit", map[string]string{"hookDeadline": "3s"}, "hookDeadline"},
		{"deadline without room for the host", map[string]string{"hookDeadline": "2801ms"},
			`hookDeadline: want a Go duration from 100ms to 2.8s, e.g. 2.5s; got "2801ms"`},
		{"deadline too short", map[string]string{"hookDeadline": "99ms"},
			`hookDeadline: want a Go duration from 100ms to 2.8s, e.g. 2.5s; got "99ms"`},
		{"memory 512", map[string]string{"instanceMemoryMB": "512"}, "instanceMemoryMB: want"},
		{"too few instances", map[string]string{"maximumInstanceCount": "10"},
			"maximumInstanceCount: want a whole number from 40 to 1000"},
		{"always ready above max", map[string]string{"alwaysReady": "41"}, "alwaysReady"},
		{"bad flag", map[string]string{"deliveryReports": "yes please"}, "deliveryReports: want"},
		{"missing package", map[string]string{"packagePath": "/nonexistent/function.zip"},
			"build it with `make package` first"},
		{"short secret", map[string]string{"hookSecret": "short"}, "want at least 32 characters"},
		{"user with colon", map[string]string{"oktaUser": "ok:ta"}, "oktaUser"},
		{"bad table", map[string]string{"deliveryTableName": "de-liveries"}, "deliveryTableName"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := baseConfig(t)
			for k, v := range c.change {
				cfg[k] = v
			}
			r, err := runProgram(t, cfg, "hookSecret")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
			if len(r.reg) != 0 {
				t.Errorf("%d resources declared despite invalid config", len(r.reg))
			}
		})
	}
}

func TestPackageIsCheckedBeforeAnythingIsDeclared(t *testing.T) {
	full := packageEntries("v1")
	without := func(name string) []zipEntry {
		var out []zipEntry
		for _, e := range full {
			if e.name != name {
				out = append(out, e)
			}
		}
		return out
	}
	noExec := append(without("handler"), zipEntry{"handler", "ELF", 0o644})
	httpOnly := append(without("deliveryreport/function.json"),
		zipEntry{"deliveryreport/function.json", `{"bindings":[{"type":"httpTrigger"}]}`, 0o644})
	cases := []struct {
		name    string
		entries []zipEntry
		reports string
		want    string
	}{
		{"no host.json", without("host.json"), "true", "has no host.json"},
		{"handler not executable", noExec, "true", "handler is not executable"},
		{"no telephony", without("telephony/function.json"), "false",
			"has no telephony/function.json"},
		{"no delivery function with reports on", without("deliveryreport/function.json"),
			"true", "set deliveryReports to false"},
		{"delivery function without event grid trigger", httpOnly, "true",
			"no eventGridTrigger binding"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := baseConfig(t)
			cfg["packagePath"] = writeZip(t, c.entries)
			cfg["deliveryReports"] = c.reports
			r, err := runProgram(t, cfg, "hookSecret")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want %q", err, c.want)
			}
			if len(r.reg) != 0 {
				t.Errorf("%d resources declared", len(r.reg))
			}
		})
	}

	// Without delivery reports, a package without that function deploys.
	cfg := baseConfig(t)
	cfg["packagePath"] = writeZip(t, without("deliveryreport/function.json"))
	cfg["deliveryReports"] = "false"
	mustRun(t, cfg)
}

func TestPlainTextHookSecretIsRefused(t *testing.T) {
	r, err := runProgram(t, baseConfig(t)) // hookSecret not marked secret
	want := "must be stored encrypted"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want %q", err, want)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Fatal("the error message echoes the secret")
	}
	if len(r.reg) != 0 {
		t.Errorf("%d resources declared", len(r.reg))
	}
}

func TestLocationFallsBackToTheProviderLocation(t *testing.T) {
	cfg := baseConfig(t)
	delete(cfg, "location")
	raw := map[string]string{"azure-native:location": "westeurope"}
	r, err := runProgramWithRaw(t, cfg, raw, "hookSecret")
	if err != nil {
		t.Fatal(err)
	}
	if got := str(r.res("rg").inputs, "location"); got != "westeurope" {
		t.Errorf("location = %q", got)
	}
}

func TestScmHostInsertsScmAfterTheFirstLabel(t *testing.T) {
	cases := map[string]string{
		"app.azurewebsites.net":                   "app.scm.azurewebsites.net",
		"app-abc123.eastus2-01.azurewebsites.net": "app-abc123.scm.eastus2-01.azurewebsites.net",
		"nodots": "nodots",
	}
	for in, want := range cases {
		if got := scmHost(in); got != want {
			t.Errorf("scmHost(%q) = %q, want %q", in, got, want)
		}
	}
}

// assertDeps checks that name's registration depends on every one of want.
func assertDeps(t *testing.T, r *run, name string, want ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, d := range r.res(name).deps {
		have[d] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("%s does not depend on %s (deps %v)", name, w, r.res(name).deps)
		}
	}
}

func TestProgramRunsInPreviewAndExports(t *testing.T) {
	m := &mocks{reg: map[string]*registration{}}
	cfg := baseConfig(t)
	err := pulumi.RunErr(Program, pulumi.WithMocks(testProject, testStack, m),
		func(ri *pulumi.RunInfo) {
			ri.DryRun = true
			ri.Config = map[string]string{}
			for k, v := range cfg {
				ri.Config[testProject+":"+k] = v
			}
			ri.ConfigSecretKeys = []string{testProject + ":hookSecret"}
		})
	if err != nil {
		t.Fatalf("preview failed: %v", err)
	}
	if len(m.reg) != 24 {
		t.Errorf("%d resources in preview, want 24", len(m.reg))
	}
}

func TestTaggableResourcesCarryProjectAndStack(t *testing.T) {
	r := mustRun(t, baseConfig(t))

	for _, name := range []string{"rg", "identity", "logs", "insights", "storage", "vault",
		"acs", "plan", "app", "delivery-topic"} {
		in := r.res(name).inputs
		if str(in, "tags", "app") != "okta-acs-sms" || str(in, "tags", "stack") != "prod" ||
			len(at(in, "tags").ObjectValue()) != 2 {
			t.Errorf("%s tags = %v", name, at(in, "tags"))
		}
	}
}
