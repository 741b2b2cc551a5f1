package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/githubfake"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/store"
)

// The helpers the command's tests share: running the CLI, databases to
// run it on, the product built as `firebreak run` builds it, and the fakes
// it talks to.

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// repoRoot is the repository's top directory, seen from this package.
var repoRoot = filepath.Join("..", "..")

// cli runs the firebreak command as main does, with env as the environment.
func cli(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// seedDB writes n incidents, each with a note, through the domain.
func seedDB(t *testing.T, path string, n int) {
	t.Helper()
	d, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	now := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	for range n {
		res, err := d.CreateWithSlack(store.SlackRecord{OriginChannel: "CGENERAL"}, func(k uint64) (incident.Result, error) {
			return incident.Declare(k, incident.Declaration{Title: fmt.Sprintf("incident %d", k), Declarer: "UALICE"}, now)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Apply(res.Incident.Number, func(inc incident.Incident) (incident.Result, error) {
			return incident.Apply(inc, incident.Command{Kind: incident.CmdNote, Actor: "UBOB", Text: "seen"}, now)
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// declare writes into d a new incident titled title, declared by alice
// at at, and returns its number.
func declare(t *testing.T, d interface {
	Create(func(uint64) (incident.Result, error)) (incident.Result, error)
}, title string, at time.Time) uint64 {
	t.Helper()
	res, err := d.Create(func(n uint64) (incident.Result, error) {
		return incident.Declare(n, incident.Declaration{Title: title, Declarer: slackfake.Alice}, at)
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Incident.Number
}

// seededDir is a new directory holding the database fb.db with n
// incidents (see seedDB).
func seededDir(t *testing.T, n int) (dir, db string) {
	t.Helper()
	dir = t.TempDir()
	db = filepath.Join(dir, "fb.db")
	seedDB(t, db, n)
	return dir, db
}

// pointOutside copies the database from to to with the first record of
// every leaf page holding INC-1 pointing 16 MiB past its page: bbolt, which
// trusts its element headers, would read outside its memory map.
func pointOutside(t *testing.T, from, to string) (pages []int) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	const ps = 4096
	found := false
	for off := 2 * ps; off+ps <= len(b); off += ps {
		if b[off+8]&0x02 != 0 && bytes.Contains(b[off:off+ps], []byte(`"title":"incident 1"`)) {
			binary.LittleEndian.PutUint32(b[off+16+4:], 1<<24) // element 0: pos
			found = true
			pages = append(pages, off/ps)
		}
	}
	if !found {
		t.Fatal("no leaf page holds INC-1")
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return pages
}

// newApp builds the product on db without connecting to Slack, as run
// does before it starts serving.
func newApp(t *testing.T, env map[string]string) *app.App {
	t.Helper()
	cfg, err := app.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg, app.Options{NoHTTP: true, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// backedUp makes a database of n incidents in a new directory and backs
// it up there with `firebreak backup`.
func backedUp(t *testing.T, n int) (dir, db, backup string) {
	t.Helper()
	dir, db = seededDir(t, n)
	backup = filepath.Join(dir, "backup.db")
	if code, _, errOut := cli(t, nil, "backup", "--db", db, "--out", backup); code != 0 {
		t.Fatal(errOut)
	}
	return dir, db, backup
}

// runningApp opens the database at db as `firebreak run` does and serves
// its socket (backup, postmortem preview) until stop is called.
func runningApp(t *testing.T, db string) (a *app.App, stop func()) {
	t.Helper()
	return runningAppWith(t, map[string]string{"FIREBREAK_DB": db})
}

// runningAppWith is runningApp configured by env, with the scheduled
// backups env asks for.
func runningAppWith(t *testing.T, env map[string]string) (a *app.App, stop func()) {
	t.Helper()
	a = newApp(t, env)
	stop, err := startBackups(context.Background(), a, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return a, stop
}

// writeFile writes content to the file at path, or fails the test.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeSlack is a fake Slack workspace, closed at cleanup.
func fakeSlack(t *testing.T, opts ...slackfake.Option) *slackfake.Server {
	t.Helper()
	fs, err := slackfake.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fs.Close() })
	return fs
}

// fakeGitHub is a fake GitHub holding the repository acme/ops, which the
// token ghp_doctor may write to; closed at cleanup.
func fakeGitHub(t *testing.T) *githubfake.Server {
	t.Helper()
	gh, err := githubfake.New("ghp_doctor")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gh.Close() })
	gh.AddRepo("acme", "ops")
	return gh
}
