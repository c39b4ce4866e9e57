module okta-acs-sms/okta-setup

go 1.26.8

require (
	github.com/okta/okta-sdk-golang/v5 v5.0.6 // indirect
	golang.org/x/oauth2 v0.38.0 // indirect
)
