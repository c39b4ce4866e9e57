package azurite

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBinaryFromFindsTheToolsOfTheRepositoryRoot(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "function", "tablestore")
	bin := filepath.Join(root, "tools", "node_modules", ".bin", "azurite-table")
	for _, d := range []string{deep, filepath.Dir(bin)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pkg := filepath.Join(root, "tools", "package.json")
	if err := os.WriteFile(pkg, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}

	if _, err := binaryFrom(deep); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Fatalf("without the binary: error = %v, want one saying it is not installed", err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := binaryFrom(deep)
	if err != nil || got != bin {
		t.Fatalf("binaryFrom = %q, %v; want %q", got, err, bin)
	}
}

func TestBinaryFromFailsOutsideTheRepository(t *testing.T) {
	if _, err := binaryFrom(t.TempDir()); err == nil {
		t.Fatal("binaryFrom found a binary in an empty folder tree")
	}
}

func TestStartTablesAnswersAndStopsWithTheTest(t *testing.T) {
	var addr string
	t.Run("running", func(t *testing.T) {
		az := StartTables(t)
		addr = strings.TrimPrefix(strings.TrimSuffix(az.URL, "/"+Account), "http://")
		resp, err := az.Client.Get(az.URL + "/Tables")
		if err != nil {
			t.Fatalf("GET /Tables: %v", err)
		}
		resp.Body.Close()
		// Unsigned request: Azurite answers with the real protocol's 403.
		if resp.StatusCode != 403 {
			t.Errorf("unsigned GET /Tables status = %d, want 403", resp.StatusCode)
		}
	})
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		conn.Close()
		t.Fatalf("Azurite still listens on %s after its test ended", addr)
	}
}

func TestStartReportsTheOutputOfAnAzuriteThatExits(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "azurite-table")
	script := "#!/bin/sh\necho 'Exiting due to an unhandled error: listen EADDRINUSE' >&2\nexit 1\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := start(t, bin, nil)
	if err == nil {
		t.Fatal("start succeeded with a binary that exits at once")
	}
	for _, want := range []string{"exited before it started", "EADDRINUSE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
