package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that notes failures instead of stopping.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; panic(r) }
func (r *recorder) Fatal(...any)          { r.failed = true; panic(r) }
func check(path string, got []byte, update bool) (failed bool) {
	r := &recorder{}
	defer func() {
		if p := recover(); p != nil && p != any(r) {
			panic(p)
		}
		failed = r.failed
	}()
	saved := *Update
	*Update = update
	defer func() { *Update = saved }()
	Check(r, path, got)
	return r.failed
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "testdata", "x.golden")
	if !check(path, []byte("a"), false) {
		t.Fatal("a missing file passed")
	}
	if check(path, []byte("a"), true) {
		t.Fatal("writing with update failed")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "a" {
		t.Fatalf("file holds %q %v", b, err)
	}
	if check(path, []byte("a"), false) {
		t.Fatal("the same text failed")
	}
	if !check(path, []byte("b"), false) {
		t.Fatal("a different text passed")
	}
}
