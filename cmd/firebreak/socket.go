package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The backup socket lets the CLI reach a running bot, which holds bbolt's
// exclusive lock on the database. The protocol is one request line and one
// answer line:
//
//	backup /absolute/path\n   →   /absolute/path (counts)\n
//	                          or  error <message>\n
const (
	// maxRequestLine bounds a request, newline included: a command word,
	// a space and a path no longer than Linux's PATH_MAX.
	maxRequestLine = len("backup ") + 4096 + 1
	// maxSocketPath is the longest Unix socket path every platform takes
	// (sockaddr_un.sun_path is 108 bytes on Linux, 104 on macOS, with the
	// terminating NUL).
	maxSocketPath = 103
)

// socketPath is where a running bot on db listens for backup requests:
// beside the database, so that file permissions guard both alike, or,
// when that path is too long for a Unix socket, in a private directory
// under the system's temporary directory, named after the database's
// absolute path so the CLI finds it the same way.
func socketPath(db string) string {
	abs, err := filepath.Abs(db)
	if err != nil {
		abs = db
	}
	if p := abs + ".sock"; len(p) <= maxSocketPath {
		return p
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(socketDir(), fmt.Sprintf("firebreak-%x.sock", sum[:8]))
}

// socketDir is the private directory for sockets whose natural place is
// too long a path.
func socketDir() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("firebreak-%d", os.Getuid()))
}

// prepareSocketDir makes sure the directory of socket exists and is
// private when it is the fallback directory: owned by this user, 0700 and
// not a link, so no one else can put a socket where the CLI will look.
func prepareSocketDir(socket string) error {
	dir := filepath.Dir(socket)
	if dir != socketDir() {
		return nil
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 || !ownedByMe(fi) {
		return fmt.Errorf("%s must be a directory owned by this user with mode 0700", dir)
	}
	return nil
}

// requestBackup asks the bot listening on socket to write a backup to out
// (absolute) and returns its one-line answer. ok is false when no bot
// listens there.
func requestBackup(socket, out string) (answer string, ok bool, err error) {
	conn, err := net.DialTimeout("unix", socket, 2*time.Second)
	if err != nil {
		return "", false, nil
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Minute))
	if _, err := fmt.Fprintf(conn, "backup %s\n", out); err != nil {
		return "", true, fmt.Errorf("the running firebreak did not take the backup request: %w", err)
	}
	line, err := bufio.NewReader(io.LimitReader(conn, 64<<10)).ReadString('\n')
	if err != nil {
		return "", true, fmt.Errorf("the running firebreak did not answer the backup request: %w", err)
	}
	line = strings.TrimSpace(line)
	if msg, isErr := strings.CutPrefix(line, "error "); isErr {
		return "", true, errors.New(msg)
	}
	return line, true, nil
}

// serveBackupConn answers one request read from rw: it reads at most
// maxRequestLine bytes, checks the request and calls backup with the
// absolute path asked for. It writes exactly one answer line.
func serveBackupConn(rw io.ReadWriter, backup func(out string) (string, error)) {
	line, err := readRequestLine(rw)
	if err == nil {
		var out string
		out, err = parseBackupRequest(line)
		if err == nil {
			var answer string
			if answer, err = backup(out); err == nil {
				fmt.Fprintf(rw, "%s\n", oneLine(answer))
				return
			}
		}
	}
	fmt.Fprintf(rw, "error %s\n", oneLine(err.Error()))
}

// readRequestLine reads one newline-terminated line of at most
// maxRequestLine bytes.
func readRequestLine(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, int64(maxRequestLine)), 512)
	line, err := br.ReadString('\n')
	switch {
	case err == nil:
		return strings.TrimSuffix(line, "\n"), nil
	case len(line) >= maxRequestLine:
		return "", fmt.Errorf("request longer than %d bytes", maxRequestLine)
	default:
		return "", errors.New("request not terminated by a newline")
	}
}

// parseBackupRequest accepts "backup /absolute/path" and returns the
// path, cleaned.
func parseBackupRequest(line string) (string, error) {
	line = strings.TrimSuffix(line, "\r")
	out, ok := strings.CutPrefix(line, "backup ")
	if !ok || !filepath.IsAbs(out) || strings.ContainsAny(out, "\x00\r\n") {
		return "", errors.New("expected: backup /absolute/path")
	}
	return filepath.Clean(out), nil
}

// oneLine keeps an answer on one line, so the client reads all of it.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	return string(bytes.ReplaceAll([]byte(s), []byte("\n"), []byte("; ")))
}
