// Command infra is the Pulumi program of the Okta → ACS SMS hook; `pulumi up` runs it.
package main

import (
	"okta-acs-sms/infra/stack"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(stack.Program)
}
