package main

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func write(t *testing.T, dir, name, content string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func TestPackageHoldsHostFunctionsAndAnExecutableHandler(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "host.json", `{"version":"2.0"}`, 0o644)
	write(t, dir, "handler", "\x7fELF binary", 0o600) // mode on disk does not matter
	write(t, dir, "telephony/function.json", `{"bindings":[]}`, 0o644)
	write(t, dir, "deliveries/function.json", `{"bindings":[]}`, 0o644)
	write(t, dir, "deliveries/sub/readme.txt", "x", 0o644)
	write(t, dir, "hook/hook.go", "package hook", 0o644)         // code: no function.json
	write(t, dir, "local.settings.json", `{"Values":{}}`, 0o644) // local only
	write(t, dir, "go.mod", "module x", 0o644)
	out := filepath.Join(t.TempDir(), "dist", "function.zip")

	n, err := build(dir, out)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()

	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		want := os.FileMode(0o644)
		if f.Name == "handler" {
			want = 0o755
		}
		if f.Mode() != want {
			t.Errorf("%s: mode %v; want %v", f.Name, f.Mode(), want)
		}
	}
	want := []string{"host.json", "handler", "deliveries/function.json",
		"deliveries/sub/readme.txt", "telephony/function.json"}
	if !slices.Equal(names, want) || n != len(want) {
		t.Errorf("entries %v (n=%d); want %v", names, n, want)
	}
	rc, err := zr.File[1].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != "\x7fELF binary" {
		t.Errorf("handler content %q", b)
	}
}

func TestPackageRefusesAnIncompleteApp(t *testing.T) {
	tests := map[string]func(dir string){
		"no handler": func(dir string) {
			write(t, dir, "host.json", "{}", 0o644)
			write(t, dir, "telephony/function.json", "{}", 0o644)
		},
		"no host.json": func(dir string) {
			write(t, dir, "handler", "x", 0o755)
			write(t, dir, "telephony/function.json", "{}", 0o644)
		},
		"no function": func(dir string) {
			write(t, dir, "host.json", "{}", 0o644)
			write(t, dir, "handler", "x", 0o755)
		},
	}
	for name, setup := range tests {
		dir := t.TempDir()
		setup(dir)
		out := filepath.Join(t.TempDir(), "f.zip")
		if _, err := build(dir, out); err == nil {
			t.Errorf("%s: build succeeded", name)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: a zip was left behind", name)
		}
	}
}

// TestFunctionAppFilesMatchTheHandler checks the real host.json and telephony/function.json
// against what the handler expects: forwarding mode, the binary name, the api route prefix
// and the POST-only, anonymous telephony route.
func TestFunctionAppFilesMatchTheHandler(t *testing.T) {
	var host struct {
		Version       string
		CustomHandler struct {
			Description                 struct{ DefaultExecutablePath string }
			EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
		}
		ExtensionBundle struct{ ID, Version string }
		Extensions      struct{ HTTP struct{ RoutePrefix string } }
	}
	readJSON(t, "../../host.json", &host)
	ch := host.CustomHandler
	if host.Version != "2.0" || ch.Description.DefaultExecutablePath != "handler" ||
		!ch.EnableForwardingHTTPRequest || host.ExtensionBundle.Version != "[4.*, 5.0.0)" ||
		host.Extensions.HTTP.RoutePrefix != "api" {
		t.Errorf("host.json = %+v", host)
	}

	var fn struct {
		Bindings []struct {
			Type, Direction, Name, AuthLevel, Route string
			Methods                                 []string
		}
	}
	readJSON(t, "../../telephony/function.json", &fn)
	b := fn.Bindings
	if len(b) != 2 || b[0].Type != "httpTrigger" || b[0].Route != "telephony" ||
		!slices.Equal(b[0].Methods, []string{"post"}) || b[0].AuthLevel != "anonymous" ||
		b[1].Type != "http" || b[1].Direction != "out" {
		t.Errorf("telephony/function.json = %+v", fn)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
