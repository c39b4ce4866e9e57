package hooks

import "testing"

func TestValidateRefusesControlCharactersInHeaderValues(t *testing.T) {
	const refused = `: value contains a control character (CR, LF, tab or another); ` +
		"none is allowed"
	tests := []struct {
		name    string
		headers []Header
		auth    string
		want    string
	}{
		{"plain", []Header{{"x-functions-key", "fk-123"}}, testSecret, ""},
		{"CR LF", []Header{{"x-functions-key", "fk\r\nX-Evil: 1"}}, testSecret,
			`header "x-functions-key"` + refused},
		{"LF", []Header{{"x-functions-key", "fk\n"}}, testSecret,
			`header "x-functions-key"` + refused},
		{"tab", []Header{{"x-functions-key", "fk\t1"}}, testSecret,
			`header "x-functions-key"` + refused},
		{"NUL", []Header{{"x-functions-key", "fk\x00"}}, testSecret,
			`header "x-functions-key"` + refused},
		{"DEL", []Header{{"x-functions-key", "fk\x7f"}}, testSecret,
			`header "x-functions-key"` + refused},
		{"C1 NEL", []Header{{"x-functions-key", "fk\u0085"}}, testSecret,
			`header "x-functions-key"` + refused},
		{"auth value LF", nil, "Basic b2t0YTpz\nM2NyZXQ=", `header "Authorization"` + refused},
		{"name with slash", []Header{{"x/key", "v"}}, testSecret,
			`header "x/key": not a valid header name`},
		{"name with NUL", []Header{{"x\x00key", "v"}}, testSecret,
			`header "x\x00key": not a valid header name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Spec{Name: "ACS", URI: testURI, Headers: tt.headers,
				Auth: Header{Key: "Authorization", Value: tt.auth}}
			err := s.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q;\nwant %q", got, tt.want)
			}
		})
	}
}
