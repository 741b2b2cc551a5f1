package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/store"
	"github.com/firebreak-hq/firebreak/store/pgstore/pgtest"
)

// seedEverything writes a bbolt database holding one of each kind of
// record a migration must carry: incidents with events, Slack records,
// meta, outbox rows of both lanes, dedupe keys and an alert group.
func seedEverything(t *testing.T, path string) store.Counts {
	t.Helper()
	seedDB(t, path, 3)
	d, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	now := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	if err := d.SetMeta(2, "postmortem_issue", "https://example.invalid/issues/7"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.ApplyOnce("Ev0001", 1, func(inc incident.Incident) (incident.Result, error) {
		r, err := incident.Apply(inc, incident.Command{Kind: incident.CmdNote, Actor: "UBOB", Text: "page"}, now)
		r.Effects = append(r.Effects, incident.Effect{Kind: incident.EffPageTrigger, Text: "db"})
		return r, err
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.RecordAlert("alert-1", "am:db-down", func(open *incident.Incident, next uint64) (store.AlertDecision, error) {
		r, err := incident.DeclareFromAlert(next, incident.AlertDeclaration{
			Alert: incident.Alert{Source: "alertmanager", Group: "am:db-down", Status: incident.AlertFiring, Title: "db down"},
		}, now)
		return store.AlertDecision{Result: r, Create: true}, err
	}); err != nil {
		t.Fatal(err)
	}
	c, err := store.CountOf(d)
	if err != nil {
		t.Fatal(err)
	}
	if c.Pages != 1 || c.Meta != 1 || c.Dedupe != 2 || c.AlertGroups != 1 || c.Incidents != 4 {
		t.Fatalf("seed: %+v", c)
	}
	return c
}

// TestMigrateToPostgres copies a bbolt file into PostgreSQL, refuses to
// copy over it again without --force, and the copy is what the bot then
// reads, backs up and checks.
func TestMigrateToPostgres(t *testing.T) {
	dsn := pgtest.URL(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "fb.db")
	want := seedEverything(t, file)

	code, out, errs := cli(t, nil, "migrate", "--from", file, "--to", dsn)
	if code != 0 || !strings.Contains(out, "ok: counts match") {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errs)
	}
	if strings.Count(out, want.String()) != 2 {
		t.Fatalf("source and target counts should both read %q:\n%s", want, out)
	}

	code, _, errs = cli(t, nil, "migrate", "--from", file, "--to", dsn)
	if code == 0 || !strings.Contains(errs, "--force") {
		t.Fatalf("second migrate into a used database: exit %d, %s", code, errs)
	}
	if code, out, errs := cli(t, nil, "migrate", "--from", file, "--to", dsn, "--force"); code != 0 || strings.Count(out, want.String()) != 2 {
		t.Fatalf("migrate --force: exit %d\n%s%s", code, out, errs)
	}

	// The bot opens it through FIREBREAK_DB and continues the numbering.
	s, err := app.OpenStore(dsn, false, nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind() != "postgres" {
		t.Fatalf("OpenStore(%s) opened %s", dsn, s.Kind())
	}
	if v, err := s.Meta(2, "postmortem_issue"); err != nil || v == "" {
		t.Fatalf("meta after migrate: %q %v", v, err)
	}
	if n, err := s.AlertGroupIncident("am:db-down"); err != nil || n != 4 {
		t.Fatalf("alert group after migrate: %d %v", n, err)
	}
	if _, dup, err := s.ApplyOnce("Ev0001", 1, func(inc incident.Incident) (incident.Result, error) {
		t.Fatal("a redelivery of a migrated key was applied")
		return incident.Result{}, nil
	}); err != nil || !dup {
		t.Fatalf("dedupe key after migrate: dup %v %v", dup, err)
	}
	if n := declare(t, s, "after", time.Now()); n != 5 {
		t.Fatalf("first incident after migrate: INC-%d", n)
	}
	_ = s.Close()

	// backup of PostgreSQL: a bbolt file that verify-backup accepts.
	bak := filepath.Join(dir, "pg-backup.db")
	code, out, errs = cli(t, nil, "backup", "--db", dsn, "--out", bak)
	if code != 0 || !strings.Contains(out, "5 incidents") {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := cli(t, nil, "verify-backup", bak); code != 0 || !strings.Contains(out, "ok: schema") {
		t.Fatalf("verify-backup: exit %d\n%s%s", code, out, errs)
	}

	if code, out, errs := cli(t, nil, "postmortem", "preview", "INC-1", "--db", dsn); code != 0 || !strings.Contains(out, "incident 1") {
		t.Fatalf("postmortem preview on PostgreSQL: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := cli(t, nil, "postmortem", "preview", "INC-99", "--db", dsn); code == 0 || !strings.Contains(errs, "INC-99 is not in") {
		t.Fatalf("preview of a missing incident: exit %d, %s", code, errs)
	}

	ok, _, detail := dbWritable(dsn)
	if !ok || !strings.Contains(detail, "checks out") || !strings.Contains(detail, "5 incidents") {
		t.Fatalf("doctor: %v %s", ok, detail)
	}
	if strings.Contains(detail, "password") {
		t.Fatalf("doctor shows credentials: %s", detail)
	}
}

func TestMigrateRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"migrate"}, "needs --from FILE and --to"},
		{[]string{"migrate", "--from", "x.db", "--to", "/tmp/y.db"}, "not a postgres:// URL"},
		{[]string{"migrate", "--from", filepath.Join(t.TempDir(), "missing.db"), "--to", "postgres://u@127.0.0.1:1/x"}, "does not exist"},
	} {
		code, _, errs := cli(t, nil, tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestMigrateRefusesARunningBot: the source's lock says a bot still
// writes to it; nothing is copied.
func TestMigrateRefusesARunningBot(t *testing.T) {
	file := filepath.Join(t.TempDir(), "fb.db")
	seedDB(t, file, 1)
	held, err := store.Open(file, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	code, _, errs := cli(t, nil, "migrate", "--from", file, "--to", "postgres://u@127.0.0.1:1/x")
	if code == 0 || !strings.Contains(errs, "stop it before migrating") {
		t.Fatalf("migrate from a held file: exit %d, %s", code, errs)
	}
}

func TestDoctorPostgresUnreachable(t *testing.T) {
	ok, _, detail := dbWritable("postgres://firebreak:secret@127.0.0.1:1/none?connect_timeout=2")
	if ok || !strings.Contains(detail, "check FIREBREAK_DB") || strings.Contains(detail, "secret") {
		t.Fatalf("doctor on a closed port: %v %s", ok, detail)
	}
}

// TestRunPostgresUnreachable: run on a PostgreSQL that does not answer
// fails with a message that names the server but not the password.
func TestRunPostgresUnreachable(t *testing.T) {
	env := map[string]string{
		"SLACK_APP_TOKEN":     "xapp-1-test",
		"SLACK_BOT_TOKEN":     "xoxb-test",
		"FIREBREAK_DB":        "postgres://firebreak:s3cret@127.0.0.1:1/none?connect_timeout=2",
		"FIREBREAK_HTTP_ADDR": "127.0.0.1:0",
	}
	code, out, errs := cli(t, env, "run")
	if code == 0 || !strings.Contains(errs, "127.0.0.1:1") || strings.Contains(out+errs, "s3cret") {
		t.Fatalf("run on an unreachable database: exit %d\n%s%s", code, out, errs)
	}
}
