// Command deploy publishes the function package to the Flex Consumption app with OneDeploy
// and waits until it runs. `pulumi up` runs it (a local command in the stack) whenever the
// package changes; an operator can run it by hand with the same settings:
//
//	DEPLOY_SCM_HOST=<app>.scm.azurewebsites.net DEPLOY_PACKAGE=../dist/function.zip \
//	  go run ./cmd/deploy
//
// Settings (flags override the environment): DEPLOY_SCM_HOST, DEPLOY_PACKAGE,
// DEPLOY_TENANT_ID, DEPLOY_APP_ID and DEPLOY_FUNCTIONS (comma-separated functions to wait
// for in ARM; needs DEPLOY_APP_ID), DEPLOY_PROBE_URL (the hook URL, which must then answer an
// unauthenticated POST with 401), DEPLOY_TIMEOUT (default 20m).
//
// It signs in the way Pulumi's azure-native provider was told to, through the same ARM_*
// settings: OIDC (ARM_USE_OIDC with ARM_OIDC_TOKEN or ARM_OIDC_TOKEN_FILE_PATH), a managed
// identity (ARM_USE_MSI, ARM_CLIENT_ID for a user-assigned one), a client secret
// (ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID); with none of them, azidentity's
// DefaultAzureCredential (AZURE_* environment, workload identity, managed identity, az login).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"okta-acs-sms/infra/deploy"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// options are the command's settings after flags and environment are merged.
type options struct {
	scmHost   string
	pkg       string
	tenantID  string
	appID     string
	functions []string
	probeURL  string
	timeout   time.Duration
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	opts, err := parseOptions(os.Args[1:], os.Getenv)
	if err != nil {
		log.Error("deploy: bad settings", "error", err.Error())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, opts, log, credential); err != nil {
		log.Error("deploy failed", "error", err.Error())
		os.Exit(1)
	}
}

// parseOptions merges flags over the DEPLOY_* environment and checks the result.
func parseOptions(args []string, getenv func(string) string) (*options, error) {
	fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
	o := &options{}
	fs.StringVar(&o.scmHost, "scm-host", getenv("DEPLOY_SCM_HOST"), "app's SCM host")
	fs.StringVar(&o.pkg, "package", getenv("DEPLOY_PACKAGE"), "zip to publish")
	fs.StringVar(&o.tenantID, "tenant", getenv("DEPLOY_TENANT_ID"), "Entra tenant id")
	fs.StringVar(&o.appID, "app-id", getenv("DEPLOY_APP_ID"), "app's ARM resource id")
	functions := fs.String("functions", getenv("DEPLOY_FUNCTIONS"), "functions to wait for")
	fs.StringVar(&o.probeURL, "probe-url", getenv("DEPLOY_PROBE_URL"),
		"hook URL that must answer 401 without credentials")
	timeout := fs.String("timeout", getenv("DEPLOY_TIMEOUT"), "give up after (default 20m)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for _, f := range strings.Split(*functions, ",") {
		if f = strings.TrimSpace(f); f != "" {
			o.functions = append(o.functions, f)
		}
	}
	o.timeout = 20 * time.Minute
	if *timeout != "" {
		d, err := time.ParseDuration(*timeout)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("timeout: want a positive duration, got %q", *timeout)
		}
		o.timeout = d
	}
	switch {
	case o.scmHost == "" || strings.ContainsAny(o.scmHost, "/:"):
		return nil, errors.New("scm-host: want a host name like myapp.scm.azurewebsites.net")
	case o.pkg == "":
		return nil, errors.New("package: required (the zip from `make package`)")
	case len(o.functions) > 0 && o.appID == "":
		return nil, errors.New("app-id: required to wait for functions")
	case o.probeURL != "" && !strings.HasPrefix(o.probeURL, "https://"):
		return nil, errors.New("probe-url: want an https URL")
	}
	return o, nil
}

// credentialFunc builds the sign-in; tests pass a fake.
type credentialFunc func(tenantID string) (azcore.TokenCredential, error)

// credential signs in the way the ARM_* settings say (see chooseSignIn).
func credential(tenantID string) (azcore.TokenCredential, error) {
	s, err := chooseSignIn(os.Getenv, tenantID)
	if err != nil {
		return nil, err
	}
	return s.credential()
}

// run reads the package and publishes it.
func run(ctx context.Context, o *options, log *slog.Logger, cred credentialFunc) error {
	pkg, err := os.ReadFile(o.pkg)
	if err != nil {
		return fmt.Errorf("read package: %w", err)
	}
	c, err := cred(o.tenantID)
	if err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	p := &deploy.Publisher{
		SCMHost:    o.scmHost,
		Credential: c,
		AppID:      o.appID,
		Functions:  o.functions,
		ProbeURL:   o.probeURL,
		Logger:     log,
	}
	log.Info("publishing", "scm_host", o.scmHost, "package", o.pkg, "bytes", len(pkg))
	d, err := p.Publish(ctx, pkg)
	if err != nil {
		return err
	}
	log.Info("published", "deployment", d.ID)
	return nil
}
