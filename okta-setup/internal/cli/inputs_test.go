package cli

import (
	"strings"
	"testing"

	"okta-acs-sms/okta-setup/internal/oktatest"
)

func TestRegisterRefusesBadHeaderUserOrPulumiSizeInOneLine(t *testing.T) {
	big := writeFile(t, "big.json", `{"hookUrl":"`+hookURL+`"}`+
		strings.Repeat(" ", maxPulumiBytes))
	const ctl = `value contains a control character (CR, LF, tab or another); none is allowed`
	tests := []struct {
		name  string
		set   map[string]string
		stdin string
		args  []string
		want  string
	}{
		{"CR LF in --header", nil, "", []string{"--hook-url", hookURL, "--header",
			"x-functions-key=fk\r\nX-Evil: 1"}, `header "x-functions-key": ` + ctl},
		{"tab in --header", nil, "", []string{"--hook-url", hookURL, "--header",
			"x-functions-key=fk\t1"}, `header "x-functions-key": ` + ctl},
		{"NUL in --header", nil, "", []string{"--hook-url", hookURL, "--header",
			"x-functions-key=fk\x00"}, `header "x-functions-key": ` + ctl},
		{"LF in --header-env", map[string]string{"FUNC_KEY": "fk-secret-1\n"}, "",
			[]string{"--hook-url", hookURL, "--header-env", "x-functions-key=FUNC_KEY"},
			`header "x-functions-key": ` + ctl},
		{"--header without =", nil, "", []string{"--hook-url", hookURL, "--header",
			"x-functions-key: fk-secret-1"}, `--header: want KEY=VALUE; found no "="`},
		{"OKTA_USER with colon", map[string]string{"OKTA_USER": "ok:ta"}, "",
			[]string{"--hook-url", hookURL}, "OKTA_USER must not contain ':' (Basic auth " +
				"separates user and secret with it)"},
		{"oktaUser with colon", map[string]string{"OKTA_USER": "", "OKTA_BASIC_SECRET": ""},
			`{"hookUrl":"` + hookURL + `","hookAuthorization":"` + basicValue +
				`","oktaUser":"okta:x"}`, []string{"--from-pulumi", "-"},
			"oktaUser of --from-pulumi must not contain ':' (Basic auth separates user and " +
				"secret with it)"},
		{"pulumi file over 1 MiB", nil, "", []string{"--from-pulumi", big},
			"--from-pulumi " + big + ": larger than 1 MiB; not the output of 'pulumi stack " +
				"output --json'"},
		{"pulumi stdin over 1 MiB", nil, `{"hookUrl":"` + hookURL + `"}` +
			strings.Repeat(" ", maxPulumiBytes), []string{"--from-pulumi", "-"},
			"--from-pulumi -: larger than 1 MiB; not the output of 'pulumi stack output " +
				"--json'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedInOneLine(t, tt.set, tt.stdin, append([]string{"register"}, tt.args...),
				tt.want, "fk-secret-1", "fk\r", "s3cret")
		})
	}
}

func TestPulumiOutputsOfExactly1MiBAreRead(t *testing.T) {
	srv := oktatest.New(t, apiToken)
	env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": apiToken}
	body := pulumiJSON + strings.Repeat(" ", maxPulumiBytes-len(pulumiJSON))
	file := writeFile(t, "outputs.json", body)

	r := runCLI(t, srv, env, "", "register", "--from-pulumi", file)

	if len(body) != 1<<20 || r.code != ExitOK || len(srv.Hooks()) != 1 {
		t.Errorf("%d bytes: exit %d, stderr %q", len(body), r.code, r.stderr)
	}
}
