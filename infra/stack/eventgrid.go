package stack

import (
	"fmt"

	"github.com/pulumi/pulumi-azure-native-sdk/v3/utilities"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The azure-native Go SDK publishes its eventgrid module only as v2 on the module proxy this
// project builds from; importing it would make `pulumi up` fetch and run a second azure-native
// provider plugin (v2) beside v3. These two hand-written bindings register the same resource
// types through the v3 provider instead: utilities.PkgResourceDefaultOpts pins them to the
// plugin version of every other resource. Inputs use the ARM/schema camelCase names.

const (
	systemTopicType       = "azure-native:eventgrid:SystemTopic"
	systemTopicSubType    = "azure-native:eventgrid:SystemTopicEventSubscription"
	acsTopicType          = "Microsoft.Communication.CommunicationServices"
	smsDeliveryReportType = "Microsoft.Communication.SMSDeliveryReportReceived"
	deliveryFunctionName  = "deliveryreport"
)

// SystemTopic is an Event Grid system topic (Microsoft.EventGrid/systemTopics).
type SystemTopic struct {
	pulumi.CustomResourceState

	Name pulumi.StringOutput `pulumi:"name"`
}

// NewSystemTopic registers a system topic with raw ARM inputs.
func NewSystemTopic(ctx *pulumi.Context, name string, args pulumi.Map,
	opts ...pulumi.ResourceOption) (*SystemTopic, error) {
	var r SystemTopic
	err := ctx.RegisterResource(systemTopicType, name, args, &r,
		utilities.PkgResourceDefaultOpts(opts)...)
	if err != nil {
		return nil, fmt.Errorf("register event grid system topic: %w", err)
	}
	return &r, nil
}

// SystemTopicEventSubscription is an event subscription on a system topic.
type SystemTopicEventSubscription struct {
	pulumi.CustomResourceState

	Name pulumi.StringOutput `pulumi:"name"`
}

// NewSystemTopicEventSubscription registers an event subscription with raw ARM inputs.
func NewSystemTopicEventSubscription(ctx *pulumi.Context, name string, args pulumi.Map,
	opts ...pulumi.ResourceOption) (*SystemTopicEventSubscription, error) {
	var r SystemTopicEventSubscription
	err := ctx.RegisterResource(systemTopicSubType, name, args, &r,
		utilities.PkgResourceDefaultOpts(opts)...)
	if err != nil {
		return nil, fmt.Errorf("register event grid subscription: %w", err)
	}
	return &r, nil
}

// deliveryReports subscribes the deployed `deliveryreport` function to the ACS resource's SMS
// delivery reports. It must depend on the code deployment: Azure checks that the target
// function exists, with an Event Grid trigger, when the subscription is created.
func deliveryReports(ctx *pulumi.Context, n Names, rg pulumi.StringInput, tags pulumi.StringMap,
	acsID pulumi.IDOutput, appID pulumi.IDOutput, deployed pulumi.Resource) error {
	topic, err := NewSystemTopic(ctx, "delivery-topic", pulumi.Map{
		"resourceGroupName": rg,
		"systemTopicName":   pulumi.String(n.SystemTopic),
		// ACS is a global resource, and so is its system topic.
		"location":  pulumi.String("global"),
		"source":    acsID,
		"topicType": pulumi.String(acsTopicType),
		"tags":      tags,
	})
	if err != nil {
		return err
	}

	_, err = NewSystemTopicEventSubscription(ctx, "delivery-subscription", pulumi.Map{
		"resourceGroupName":     rg,
		"systemTopicName":       topic.Name,
		"eventSubscriptionName": pulumi.String(n.Subscription),
		"eventDeliverySchema":   pulumi.String("EventGridSchema"),
		"destination": pulumi.Map{
			"endpointType": pulumi.String("AzureFunction"),
			"resourceId":   pulumi.Sprintf("%s/functions/%s", appID, deliveryFunctionName),
			// One event per invocation: the Functions Event Grid trigger hands the
			// custom handler one event at a time either way.
			"maxEventsPerBatch":             pulumi.Int(1),
			"preferredBatchSizeInKilobytes": pulumi.Int(64),
		},
		"filter": pulumi.Map{
			"includedEventTypes": pulumi.StringArray{pulumi.String(smsDeliveryReportType)},
		},
		// A report is worth little after a day; Event Grid retries on its own schedule.
		"retryPolicy": pulumi.Map{
			"maxDeliveryAttempts":      pulumi.Int(30),
			"eventTimeToLiveInMinutes": pulumi.Int(1440),
		},
	}, pulumi.DependsOn([]pulumi.Resource{deployed}))
	return err
}
