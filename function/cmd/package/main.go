// Command package writes the deployable zip of the function app: host.json, every function
// folder (a folder holding a function.json) and the handler binary, marked executable.
//
//	go run ./cmd/package -dir . -out ../dist/function.zip
//
// It uses archive/zip rather than the zip tool, so it runs on any machine with Go, and it
// sets the Unix mode of each entry explicitly: without its exec bit the Functions host cannot
// start the handler.
package main

import (
	"archive/zip"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"
)

// binaryName is the handler executable, as host.json's defaultExecutablePath names it.
const binaryName = "handler"

// modTime is written on every entry, so that the same inputs give the same zip.
var modTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	dir := flag.String("dir", ".", "the function app folder (holding host.json)")
	out := flag.String("out", "function.zip", "the zip to write")
	flag.Parse()

	entries, err := build(*dir, *out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "package: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("package: wrote %s (%d entries)\n", *out, entries)
}

// build writes the zip of dir to out and returns the number of entries.
func build(dir, out string) (int, error) {
	files, err := collect(dir)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return 0, fmt.Errorf("create output folder: %w", err)
	}
	tmp := out + ".tmp"
	if err := writeZip(dir, tmp, files); err != nil {
		os.Remove(tmp)
		return 0, err
	}
	if err := os.Rename(tmp, out); err != nil {
		return 0, fmt.Errorf("move zip into place: %w", err)
	}
	return len(files), nil
}

// collect lists the slash-separated paths to pack: host.json, the handler, and every file of
// each top-level folder that holds a function.json.
func collect(dir string) ([]string, error) {
	files := []string{"host.json", binaryName}
	for _, f := range files {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			return nil, fmt.Errorf("%s is missing (run make build first for the handler): %w",
				f, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file", f)
		}
	}
	top, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	functions := 0
	for _, d := range top {
		if !d.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, d.Name(), "function.json")); err != nil {
			continue
		}
		functions++
		err := fs.WalkDir(os.DirFS(dir), d.Name(), func(p string, e fs.DirEntry, err error) error {
			if err != nil || !e.Type().IsRegular() {
				return err
			}
			files = append(files, p)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read function folder %s: %w", d.Name(), err)
		}
	}
	if functions == 0 {
		return nil, errors.New("no function folder (a folder holding function.json) in " + dir)
	}
	sort.Strings(files[2:])
	return files, nil
}

func writeZip(dir, out string, files []string) error {
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create zip: %w", err)
	}
	zw := zip.NewWriter(f)
	for _, name := range files {
		if err := addFile(zw, dir, name); err != nil {
			f.Close()
			return err
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("finish zip: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close zip: %w", err)
	}
	return nil
}

func addFile(zw *zip.Writer, dir, name string) error {
	src, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer src.Close()

	hdr := &zip.FileHeader{Name: path.Clean(name), Method: zip.Deflate, Modified: modTime}
	mode := fs.FileMode(0o644)
	if name == binaryName {
		mode = 0o755
	}
	hdr.SetMode(mode) // also marks the entry as made on Unix, so the mode is honoured
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return fmt.Errorf("add %s: %w", name, err)
	}
	if _, err := io.Copy(w, src); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
