package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// rw is a request to read and a buffer for the answer.
type rw struct {
	r *bytes.Reader
	w bytes.Buffer
}

func (c *rw) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *rw) Write(p []byte) (int, error) { return c.w.Write(p) }

// FuzzBackupSocket feeds arbitrary bytes to the backup socket's protocol:
// whatever arrives, the bot answers exactly one line, never reads past
// maxRequestLine bytes, and asks for a backup at most once, of a clean
// absolute path that the request named.
func FuzzBackupSocket(f *testing.F) {
	for _, s := range []string{
		"backup /tmp/b.db\n", "backup relative.db\n", "backup /tmp/b.db", "backup /a\r\n",
		"backup /x/../../etc/passwd\n", "\n", "", "restore /tmp/b.db\n", "backup /tmp/\x00b\n",
		"backup " + strings.Repeat("/a", 3000) + "\n", "backup /fails\n", "backup /multi\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, req []byte) {
		c := &rw{r: bytes.NewReader(req)}
		calls := 0
		serveBackupConn(c, func(out string) (string, error) {
			calls++
			if !filepath.IsAbs(out) || filepath.Clean(out) != out || strings.ContainsAny(out, "\x00\r\n") {
				t.Fatalf("backup asked for %q", out)
			}
			switch out {
			case "/fails":
				return "", errors.New("disk full\nsecond line")
			case "/multi":
				return "done\nand more", nil
			}
			return out + " (ok)", nil
		})
		if calls > 1 {
			t.Fatalf("%d backups for one request", calls)
		}
		if read := len(req) - c.r.Len(); read > maxRequestLine {
			t.Fatalf("read %d bytes of the request, limit %d", read, maxRequestLine)
		}
		ans := c.w.String()
		if !strings.HasSuffix(ans, "\n") || strings.Count(ans, "\n") != 1 {
			t.Fatalf("answer %q is not one line", ans)
		}
		if calls == 0 && !strings.HasPrefix(ans, "error ") {
			t.Fatalf("no backup taken but answered %q", ans)
		}
	})
}
