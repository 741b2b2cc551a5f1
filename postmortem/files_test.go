package postmortem

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFilesPublish(t *testing.T) {
	inc, events := richIncident(t)
	want, err := Preview(inc, events, people, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		dir  func(t *testing.T) string
	}{
		{"existing dir", func(t *testing.T) string { return t.TempDir() }},
		{"dir created", func(t *testing.T) string { return filepath.Join(t.TempDir(), "a", "postmortems") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir(t)
			f := Files{Dir: dir}
			for i := 0; i < 2; i++ { // publishing again rewrites the same file
				url, err := f.Publish(context.Background(), inc, events, people)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, "INC-7.md")
				if url != "file://"+path {
					t.Errorf("url = %q, want file://%s", url, path)
				}
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != want {
					t.Error("the file is not what Preview prints")
				}
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("%d files in the directory, want only INC-7.md (no temp files left)", len(entries))
			}
		})
	}
}

func TestFilesPublishNotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	inc, events := richIncident(t)
	_, err := Files{Dir: file}.Publish(context.Background(), inc, events, people)
	var e *Error
	if !errors.As(err, &e) || !e.Permanent() || e.Fix == "" {
		t.Fatalf("got %v, want a permanent error saying what to fix", err)
	}
}
