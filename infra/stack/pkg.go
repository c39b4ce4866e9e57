package stack

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Entries of the package from `make package` (function/cmd/package) the stack relies on.
const (
	hostJSON      = "host.json"
	handlerBinary = "handler"
)

// eventGridFunctionError is a package problem with the function Event Grid targets.
type eventGridFunctionError struct{ err error }

func (e *eventGridFunctionError) Error() string { return e.err.Error() }
func (e *eventGridFunctionError) Unwrap() error { return e.err }

// inspectPackage hashes the package and checks, before anything is deployed, what Azure would
// otherwise reject minutes into `pulumi up`: the host files, the handler's exec bit, the
// functions the stack routes to, and the Event Grid trigger binding of the function the
// delivery-report subscription targets.
func inspectPackage(path string, functions []string, eventGridFunction string) (string, error) {
	sum, err := fileSHA256(path)
	if err != nil {
		return "", err
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return "", fmt.Errorf("open package %s as zip: %w", path, err)
	}
	defer zr.Close()

	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	if files[hostJSON] == nil {
		return "", fmt.Errorf("package %s has no %s", path, hostJSON)
	}
	h := files[handlerBinary]
	if h == nil {
		return "", fmt.Errorf("package %s has no %s binary", path, handlerBinary)
	}
	if h.Mode()&0o111 == 0 {
		return "", fmt.Errorf("package %s: %s is not executable (zips made on Windows"+
			" lose the bit; use `make package`)", path, handlerBinary)
	}
	for _, fn := range functions {
		if files[fn+"/function.json"] != nil {
			continue
		}
		err := fmt.Errorf("package %s has no %s/function.json", path, fn)
		if fn == eventGridFunction {
			return "", &eventGridFunctionError{err}
		}
		return "", err
	}
	if eventGridFunction != "" {
		if err := checkEventGridTrigger(files[eventGridFunction+"/function.json"]); err != nil {
			return "", &eventGridFunctionError{
				fmt.Errorf("package %s: %s: %w", path, eventGridFunction, err)}
		}
	}
	return sum, nil
}

// checkEventGridTrigger verifies a function.json declares an eventGridTrigger binding, the
// only kind Event Grid accepts as an AzureFunction destination.
func checkEventGridTrigger(f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("open function.json: %w", err)
	}
	defer rc.Close()
	var fj struct {
		Bindings []struct {
			Type string `json:"type"`
		} `json:"bindings"`
	}
	if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&fj); err != nil {
		return fmt.Errorf("read function.json: %w", err)
	}
	for _, b := range fj.Bindings {
		if b.Type == "eventGridTrigger" {
			return nil
		}
	}
	return fmt.Errorf("function.json has no eventGridTrigger binding")
}

// fileSHA256 is the hex SHA-256 of a file: the code deployment's trigger, so a changed
// package (and only a changed package) is published again.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read package: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash package %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
