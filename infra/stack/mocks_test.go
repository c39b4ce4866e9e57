package stack

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// The mock plays Azure Resource Manager: it echoes inputs back as state, adds the computed
// properties the program reads (ids, host names, principal ids), and records every
// registration for assertions after the run.
const (
	testProject      = "okta-acs-sms"
	testStack        = "prod"
	testSubscription = "00000000-0000-0000-0000-000000000001"
	testTenant       = "00000000-0000-0000-0000-0000000000aa"
	testPrincipalID  = "11111111-1111-1111-1111-111111111111"
	testClientID     = "22222222-2222-2222-2222-222222222222"
	testAIConnection = "InstrumentationKey=k;" +
		"IngestionEndpoint=https://eastus2.in.applicationinsights.azure.com/"
	testSecret    = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t"
	testGenerated = "generated-0123456789-0123456789-0123456789"
)

// registration is one resource as the engine would have received it.
type registration struct {
	token   string
	name    string
	inputs  resource.PropertyMap
	id      string
	deps    []string // names of the resources it depends on
	version string
	secrets []string // additional secret outputs
	ignored []string // ignoreChanges
}

type mocks struct {
	mu  sync.Mutex
	reg map[string]*registration // by logical name
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	if args.Token != "azure-native:authorization:getClientConfig" {
		return nil, fmt.Errorf("unexpected invoke %s", args.Token)
	}
	return resource.NewPropertyMapFromMap(map[string]any{
		"clientId":       "deployer-client",
		"objectId":       "deployer-object",
		"subscriptionId": testSubscription,
		"tenantId":       testTenant,
	}), nil
}

// armPaths gives each type its ARM path under the resource group and the input naming it.
var armPaths = map[string][2]string{
	"managedidentity:UserAssignedIdentity": {
		"Microsoft.ManagedIdentity/userAssignedIdentities", "resourceName"},
	"operationalinsights:Workspace": {"Microsoft.OperationalInsights/workspaces", "workspaceName"},
	"applicationinsights:Component": {"Microsoft.Insights/components", "resourceName"},
	"storage:StorageAccount":        {"Microsoft.Storage/storageAccounts", "accountName"},
	"storage:BlobContainer": {
		"Microsoft.Storage/storageAccounts/x/blobServices/default/containers", "containerName"},
	"storage:Table": {
		"Microsoft.Storage/storageAccounts/x/tableServices/default/tables", "tableName"},
	"keyvault:Vault":  {"Microsoft.KeyVault/vaults", "vaultName"},
	"keyvault:Secret": {"Microsoft.KeyVault/vaults/x/secrets", "secretName"},
	"communication:CommunicationService": {
		"Microsoft.Communication/communicationServices", "communicationServiceName"},
	"web:AppServicePlan":            {"Microsoft.Web/serverfarms", "name"},
	"web:WebApp":                    {"Microsoft.Web/sites", "name"},
	"web:WebAppApplicationSettings": {"Microsoft.Web/sites/x/config", "name"},
	"web:WebAppFtpAllowed": {
		"Microsoft.Web/sites/x/basicPublishingCredentialsPolicies", "name"},
	"web:WebAppScmAllowed": {
		"Microsoft.Web/sites/x/basicPublishingCredentialsPolicies", "name"},
	"resources:Deployment":  {"Microsoft.Resources/deployments", "deploymentName"},
	"eventgrid:SystemTopic": {"Microsoft.EventGrid/systemTopics", "systemTopicName"},
	"eventgrid:SystemTopicEventSubscription": {
		"Microsoft.EventGrid/systemTopics/x/eventSubscriptions", "eventSubscriptionName"},
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	state := args.Inputs.Copy()
	in := func(k string) string {
		v := args.Inputs[resource.PropertyKey(k)]
		if v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	short := strings.TrimPrefix(args.TypeToken, "azure-native:")
	rgPath := "/subscriptions/" + testSubscription + "/resourceGroups/" + in("resourceGroupName")
	var id string
	switch short {
	case "resources:ResourceGroup":
		id = "/subscriptions/" + testSubscription + "/resourceGroups/" + in("resourceGroupName")
		state["name"] = resource.NewStringProperty(in("resourceGroupName"))
	case "authorization:RoleAssignment":
		id = in("scope") + "/providers/Microsoft.Authorization/roleAssignments/" + args.Name
	case "command:local:Command":
		id = "command-" + args.Name
		state["stdout"] = resource.NewStringProperty(testGenerated + "\n")
	default:
		p, ok := armPaths[short]
		if !ok {
			return "", nil, fmt.Errorf("mock: unexpected resource type %s", args.TypeToken)
		}
		name := in(p[1])
		id = rgPath + "/providers/" + p[0] + "/" + name
		state["name"] = resource.NewStringProperty(name)
	}
	addComputed(short, state)

	r := &registration{token: args.TypeToken, name: args.Name, inputs: args.Inputs, id: id}
	if rpc := args.RegisterRPC; rpc != nil {
		r.version = rpc.GetVersion()
		r.secrets = rpc.GetAdditionalSecretOutputs()
		r.ignored = rpc.GetIgnoreChanges()
		for _, urn := range rpc.GetDependencies() {
			r.deps = append(r.deps, urn[strings.LastIndex(urn, "::")+2:])
		}
		sort.Strings(r.deps)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.reg[args.Name]; dup {
		return "", nil, fmt.Errorf("mock: duplicate resource name %s", args.Name)
	}
	m.reg[args.Name] = r
	return id, state, nil
}

// addComputed adds the read-only properties Azure returns that the program reads.
func addComputed(short string, state resource.PropertyMap) {
	var name string
	if v := state["name"]; v.IsString() {
		name = v.StringValue()
	}
	switch short {
	case "managedidentity:UserAssignedIdentity":
		state["principalId"] = resource.NewStringProperty(testPrincipalID)
		state["clientId"] = resource.NewStringProperty(testClientID)
	case "storage:StorageAccount":
		state["primaryEndpoints"] = resource.NewObjectProperty(resource.PropertyMap{
			"blob": resource.NewStringProperty("https://" + name + ".blob.core.windows.net/"),
		})
	case "keyvault:Vault":
		props := state["properties"].ObjectValue().Copy()
		props["vaultUri"] = resource.NewStringProperty("https://" + name + ".vault.azure.net/")
		state["properties"] = resource.NewObjectProperty(props)
	case "keyvault:Secret":
		state["properties"] = resource.NewObjectProperty(secretProperties(state))
	case "communication:CommunicationService":
		state["hostName"] = resource.NewStringProperty(
			name + ".unitedstates.communication.azure.com")
	case "applicationinsights:Component":
		state["connectionString"] = resource.NewStringProperty(testAIConnection)
	case "web:WebApp":
		state["defaultHostName"] = resource.NewStringProperty(name + ".azurewebsites.net")
	}
}

// secretProperties is what ARM answers for a Key Vault secret: never the value, but the URI
// of the secret and of its current version. Key Vault mints a random 32-hex version on every
// write; the fake derives it from the value so a test can predict it, and a different value
// gets a different version.
func secretProperties(state resource.PropertyMap) resource.PropertyMap {
	props := state["properties"].ObjectValue().Copy()
	value := str(props, "value")
	delete(props, "value")
	uri := "https://" + str(state, "vaultName") + ".vault.azure.net/secrets/" +
		str(state, "secretName")
	props["secretUri"] = resource.NewStringProperty(uri)
	props["secretUriWithVersion"] = resource.NewStringProperty(
		uri + "/" + mockSecretVersion(value))
	return props
}

// mockSecretVersion is the version the fake Key Vault gives a secret holding value.
func mockSecretVersion(value string) string {
	sum := sha256.Sum256([]byte("version:" + value))
	return hex.EncodeToString(sum[:16])
}

// run is one program run under mocks with config (keys without the project prefix).
type run struct {
	t    *testing.T
	reg  map[string]*registration
	outs Outputs
}

// baseConfig is a complete configuration; tests change single keys.
func baseConfig(t *testing.T) map[string]string {
	return map[string]string{
		"location":    "eastus2",
		"sender":      "+18005550100",
		"hookSecret":  testSecret,
		"packagePath": writePackage(t, "zip-bytes"),
	}
}

// zipEntry is one file of a test package.
type zipEntry struct {
	name, body string
	mode       os.FileMode
}

const eventGridFunctionJSON = `{"bindings":[{"type":"eventGridTrigger","name":"event",` +
	`"direction":"in"}]}`

// packageEntries is the layout `make package` writes; version changes the handler's bytes.
func packageEntries(version string) []zipEntry {
	return []zipEntry{
		{"host.json", `{"version":"2.0"}`, 0o644},
		{"handler", "ELF handler " + version, 0o755},
		{"telephony/function.json", `{"bindings":[{"type":"httpTrigger"}]}`, 0o644},
		{"deliveryreport/function.json", eventGridFunctionJSON, 0o644},
		{"deliveries/function.json", `{"bindings":[{"type":"httpTrigger"}]}`, 0o644},
	}
}

// writePackage writes a package with the layout `make package` produces.
func writePackage(t *testing.T, version string) string {
	t.Helper()
	return writeZip(t, packageEntries(version))
}

func writeZip(t *testing.T, entries []zipEntry) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "function.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// runProgram runs Build under mocks; secret config keys are marked secret like
// `pulumi config set --secret` does.
func runProgram(t *testing.T, cfg map[string]string, secretKeys ...string) (*run, error) {
	t.Helper()
	return runProgramWithRaw(t, cfg, nil, secretKeys...)
}

// runProgramWithRaw also sets fully qualified keys of other namespaces.
func runProgramWithRaw(t *testing.T, cfg, raw map[string]string,
	secretKeys ...string) (*run, error) {
	t.Helper()
	m := &mocks{reg: map[string]*registration{}}
	r := &run{t: t, reg: m.reg}
	withConfig := func(ri *pulumi.RunInfo) {
		ri.Config = map[string]string{}
		for k, v := range raw {
			ri.Config[k] = v
		}
		for k, v := range cfg {
			ri.Config[testProject+":"+k] = v
		}
		for _, k := range secretKeys {
			ri.ConfigSecretKeys = append(ri.ConfigSecretKeys, testProject+":"+k)
		}
	}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		outs, err := Build(ctx)
		r.outs = outs
		return err
	}, pulumi.WithMocks(testProject, testStack, m), withConfig)
	return r, err
}

// mustRun runs a configuration that must succeed.
func mustRun(t *testing.T, cfg map[string]string) *run {
	t.Helper()
	r, err := runProgram(t, cfg, "hookSecret")
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return r
}

func (r *run) res(name string) *registration {
	r.t.Helper()
	g, ok := r.reg[name]
	if !ok {
		r.t.Fatalf("resource %q not declared", name)
	}
	return g
}

// output awaits a resolved stack output.
func (r *run) output(name string) (value any, secret bool) {
	r.t.Helper()
	o, ok := r.outs[name]
	if !ok {
		r.t.Fatalf("output %q missing", name)
	}
	res, err := internals.UnsafeAwaitOutput(context.Background(), o)
	if err != nil {
		r.t.Fatalf("await output %s: %v", name, err)
	}
	return res.Value, res.Secret
}

// at walks nested objects of a property map (through secrets) and returns the value there.
func at(pm resource.PropertyMap, path ...string) resource.PropertyValue {
	v := resource.NewObjectProperty(pm)
	for _, k := range path {
		for v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsObject() {
			return resource.NewNullProperty()
		}
		v = v.ObjectValue()[resource.PropertyKey(k)]
	}
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

// str is the string at path, or "<missing>".
func str(pm resource.PropertyMap, path ...string) string {
	v := at(pm, path...)
	if !v.IsString() {
		return "<missing>"
	}
	return v.StringValue()
}

// dump renders a property map, keys and values, for substring checks.
func dump(pm resource.PropertyMap) string {
	return fmt.Sprintf("%v", pm.Mappable())
}
