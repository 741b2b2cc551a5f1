package storetest

import (
	"reflect"
	"testing"

	"github.com/firebreak-hq/firebreak/store"
)

// testHomeViewers: the App Home viewer set is a set (adding twice is one
// member), refuses what is not a user ID, passes Check, and — where a
// second process can open the same storage — is seen by that process.
func testHomeViewers(t *testing.T, b Backend, s store.Store) {
	if got, err := s.HomeViewers(); err != nil || len(got) != 0 {
		t.Fatalf("HomeViewers of a new store = %v, %v; want none", got, err)
	}
	for _, u := range []string{"U2", "U1", "U2"} {
		if err := s.AddHomeViewer(u); err != nil {
			t.Fatalf("AddHomeViewer(%s): %v", u, err)
		}
	}
	if err := s.AddHomeViewer("not a user"); err == nil {
		t.Fatal("AddHomeViewer accepted a value that is not a user ID")
	}
	want := []string{"U1", "U2"}
	if got, err := s.HomeViewers(); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("HomeViewers = %v, %v; want %v", got, err, want)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("Check with home viewers: %v", err)
	}
	if b.Second != nil {
		other := b.Second(t, s)
		if err := other.AddHomeViewer("U3"); err != nil {
			t.Fatalf("second process AddHomeViewer: %v", err)
		}
		want = append(want, "U3")
		if got, err := s.HomeViewers(); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("HomeViewers after the second process added U3 = %v, %v; want %v", got, err, want)
		}
	}
}
