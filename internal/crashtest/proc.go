package crashtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Build compiles pkg (e.g. "./cmd/firebreak", relative to dir) into
// outDir and returns the binary's path. It uses the go command found on
// PATH, so the binary is built with the same toolchain as the test.
func Build(dir, pkg, outDir string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("crashtest: no go command on PATH: %w", err)
	}
	out := filepath.Join(outDir, filepath.Base(pkg))
	cmd := exec.Command(goBin, "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("crashtest: go build %s: %v\n%s", pkg, err, b)
	}
	return out, nil
}

// Proc is one run of the binary.
type Proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu  sync.Mutex
	log bytes.Buffer
}

// Start runs bin with args and exactly env (nothing is inherited, so a
// developer's SLACK_* variables cannot leak into a test).
func Start(bin string, env []string, args ...string) (*Proc, error) {
	p := &Proc{done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout = (*lockedWriter)(p)
	p.cmd.Stderr = (*lockedWriter)(p)
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

type lockedWriter Proc

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.Write(b)
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited and its pipes are drained.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Log returns everything the process wrote so far.
func (p *Proc) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// Kill sends SIGKILL and waits until the process is gone: no deferred
// function, no flush, no graceful close runs.
func (p *Proc) Kill() error {
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-p.done
	return nil
}

// Stop sends SIGTERM and waits up to grace for a clean exit, then kills.
// It returns the process's exit error (nil for a clean exit).
func (p *Proc) Stop(grace time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
		_ = p.Kill()
		return fmt.Errorf("crashtest: pid %d did not stop within %s and was killed", p.Pid(), grace)
	}
}

// FreeAddr returns a loopback address (host:port) that nothing listens on: a port
// the system handed out and that was closed again, for a process to listen on, or
// for a client to find unreachable.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}
