// Package deploy_test checks the Kubernetes manifests in this directory against the
// Dockerfile, the bot's configuration and Slack's connection limit.
package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/store/pgstore"
)

type labels map[string]string

type probe struct {
	TimeoutSeconds int `yaml:"timeoutSeconds"`
	HTTPGet        struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	EnvFrom []struct {
		SecretRef struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
}

type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Replicas *int `yaml:"replicas"`
		Selector struct {
			MatchLabels labels `yaml:"matchLabels"`
		} `yaml:"selector"`
		Strategy struct {
			Type          string `yaml:"type"`
			RollingUpdate struct {
				MaxUnavailable any `yaml:"maxUnavailable"`
				MaxSurge       any `yaml:"maxSurge"`
			} `yaml:"rollingUpdate"`
		} `yaml:"strategy"`
		Template struct {
			Metadata struct {
				Labels labels `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				SecurityContext struct {
					RunAsUser int `yaml:"runAsUser"`
				} `yaml:"securityContext"`
				Containers []container `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
		// PodDisruptionBudget
		MinAvailable   any `yaml:"minAvailable"`
		MaxUnavailable any `yaml:"maxUnavailable"`
		// Service
		ServiceSelector labels `yaml:"-"`
		Ports           []struct {
			Port       int `yaml:"port"`
			TargetPort any `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
	StringData map[string]string `yaml:"stringData"`
	raw        map[string]any
}

// load reads every document of every manifest, by kind.
func load(t *testing.T) map[string][]object {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	out := map[string][]object{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(false)
		for {
			var node yaml.Node
			if err := dec.Decode(&node); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var o object
			if err := node.Decode(&o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if err := node.Decode(&o.raw); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "Service" {
				spec, _ := o.raw["spec"].(map[string]any)
				sel, _ := spec["selector"].(map[string]any)
				o.Spec.ServiceSelector = labels{}
				for k, v := range sel {
					o.Spec.ServiceSelector[k], _ = v.(string)
				}
			}
			if o.Kind == "" || o.Metadata.Name == "" {
				t.Fatalf("%s: a document without kind or name", f)
			}
			out[o.Kind] = append(out[o.Kind], o)
		}
	}
	return out
}

func one(t *testing.T, objs map[string][]object, kind string) object {
	t.Helper()
	if len(objs[kind]) != 1 {
		t.Fatalf("%d %s objects, want 1", len(objs[kind]), kind)
	}
	return objs[kind][0]
}

func intOf(t *testing.T, v any, what string) int {
	t.Helper()
	switch x := v.(type) {
	case int:
		return x
	case string:
		t.Fatalf("%s is %q: give a number of pods, not a percentage, so the bound is exact", what, x)
	}
	t.Fatalf("%s is missing", what)
	return 0
}

// dockerfile returns the Dockerfile's text.
func dockerfile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestManifests(t *testing.T) {
	objs := load(t)
	dep := one(t, objs, "Deployment")
	pdb := one(t, objs, "PodDisruptionBudget")
	svc := one(t, objs, "Service")
	sec := one(t, objs, "Secret")
	df := dockerfile(t)

	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 3 {
		t.Fatalf("replicas %v, want 3", dep.Spec.Replicas)
	}
	replicas := *dep.Spec.Replicas
	podLabels := dep.Spec.Template.Metadata.Labels
	if len(dep.Spec.Selector.MatchLabels) == 0 || !subset(dep.Spec.Selector.MatchLabels, podLabels) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", dep.Spec.Selector.MatchLabels, podLabels)
	}
	if len(pdb.Spec.Selector.MatchLabels) == 0 || !subset(pdb.Spec.Selector.MatchLabels, podLabels) {
		t.Errorf("the PodDisruptionBudget's selector %v does not select the pods %v", pdb.Spec.Selector.MatchLabels, podLabels)
	}
	if len(svc.Spec.ServiceSelector) == 0 || !subset(svc.Spec.ServiceSelector, podLabels) {
		t.Errorf("the Service's selector %v does not select the pods %v", svc.Spec.ServiceSelector, podLabels)
	}
	// The budget lets one replica go at a time, never more.
	down := 0
	if pdb.Spec.MinAvailable != nil {
		down = replicas - intOf(t, pdb.Spec.MinAvailable, "minAvailable")
	} else {
		down = intOf(t, pdb.Spec.MaxUnavailable, "maxUnavailable")
	}
	if down != 1 {
		t.Errorf("the disruption budget lets %d replicas go at once, want 1", down)
	}

	// Rolling updates one at a time, within Slack's connections per app: every pod that can
	// run at once (replicas + surge, plus one still terminating) may hold two connections
	// while Slack refreshes one.
	st := dep.Spec.Strategy
	if st.Type != "RollingUpdate" || intOf(t, st.RollingUpdate.MaxUnavailable, "maxUnavailable") != 1 {
		t.Errorf("strategy %+v, want RollingUpdate with maxUnavailable 1", st)
	}
	surge := intOf(t, st.RollingUpdate.MaxSurge, "maxSurge")
	limit, _ := slackfake.RuleByID("too_many_websockets")
	if conns := (replicas + surge + 1) * 2; conns > limit.Max {
		t.Errorf("a rolling update can hold %d Socket Mode connections; Slack allows %d", conns, limit.Max)
	}

	if len(dep.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(dep.Spec.Template.Spec.Containers))
	}
	c := dep.Spec.Template.Spec.Containers[0]

	// The image and how it runs are the Dockerfile's.
	tag := regexp.MustCompile(`-t (\S+) \.\n`).FindStringSubmatch(df)
	if tag == nil || c.Image != tag[1] {
		t.Errorf("image %q, the Dockerfile builds %v", c.Image, tag)
	}
	if cmd := regexp.MustCompile(`(?m)^CMD \["(\w+)"\]`).FindStringSubmatch(df); cmd == nil || strings.Join(c.Args, " ") != cmd[1] {
		t.Errorf("args %v, the Dockerfile's CMD is %v", c.Args, cmd)
	}
	if user := regexp.MustCompile(`(?m)^USER (\d+):`).FindStringSubmatch(df); user == nil || strconv.Itoa(dep.Spec.Template.Spec.SecurityContext.RunAsUser) != user[1] {
		t.Errorf("runAsUser %d, the Dockerfile's USER is %v", dep.Spec.Template.Spec.SecurityContext.RunAsUser, user)
	}
	expose := regexp.MustCompile(`(?m)^EXPOSE (\d+)`).FindStringSubmatch(df)
	dfAddr := regexp.MustCompile(`FIREBREAK_HTTP_ADDR=(\S+)`).FindStringSubmatch(df)
	if expose == nil || dfAddr == nil {
		t.Fatal("the Dockerfile no longer EXPOSEs a port or sets FIREBREAK_HTTP_ADDR")
	}

	// The probes reach the port the bot listens on.
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	addr := env["FIREBREAK_HTTP_ADDR"]
	if addr == "" {
		addr = dfAddr[1]
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("FIREBREAK_HTTP_ADDR %q: %v", addr, err)
	}
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
		if strconv.Itoa(p.ContainerPort) != port || strconv.Itoa(p.ContainerPort) != expose[1] {
			t.Errorf("containerPort %d, FIREBREAK_HTTP_ADDR port %s, Dockerfile EXPOSE %s", p.ContainerPort, port, expose[1])
		}
	}
	resolve := func(v any) string {
		switch x := v.(type) {
		case int:
			return strconv.Itoa(x)
		case string:
			if n, ok := ports[x]; ok {
				return strconv.Itoa(n)
			}
			return "unknown port " + x
		}
		return "none"
	}
	for _, pr := range []struct {
		name string
		p    *probe
		path string
	}{{"readinessProbe", c.ReadinessProbe, "/readyz"}, {"livenessProbe", c.LivenessProbe, "/healthz"}} {
		if pr.p == nil {
			t.Errorf("no %s", pr.name)
			continue
		}
		if pr.p.HTTPGet.Path != pr.path || resolve(pr.p.HTTPGet.Port) != port {
			t.Errorf("%s GET %s on port %s, want %s on %s", pr.name, pr.p.HTTPGet.Path, resolve(pr.p.HTTPGet.Port), pr.path, port)
		}
	}
	// Kubernetes waits 1 s for a probe unless told otherwise; /readyz may
	// wait for the database's ping, so the readiness probe must wait longer.
	if r := c.ReadinessProbe; r != nil {
		wait := time.Second
		if r.TimeoutSeconds > 0 {
			wait = time.Duration(r.TimeoutSeconds) * time.Second
		}
		if wait <= pgstore.PingTimeout {
			t.Errorf("readinessProbe waits %v, but /readyz may take up to %v (pgstore.PingTimeout)", wait, pgstore.PingTimeout)
		}
	}
	if len(svc.Spec.Ports) != 1 || resolve(svc.Spec.Ports[0].TargetPort) != port {
		t.Errorf("the Service targets %+v, the bot listens on %s", svc.Spec.Ports, port)
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources %+v: request cpu and memory and limit memory", c.Resources)
	}

	// The configuration comes from the Secret, and with the Deployment's own variables it is
	// one the bot accepts, on PostgreSQL over TLS.
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef.Name != sec.Metadata.Name {
		t.Fatalf("envFrom %+v, want the Secret %s", c.EnvFrom, sec.Metadata.Name)
	}
	for k, v := range sec.StringData {
		env[k] = v
	}
	cfg, err := app.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the bot refuses the example configuration: %v", err)
	}
	if err := cfg.RequireTokens(); err != nil {
		t.Fatalf("the example configuration: %v", err)
	}
	u, err := url.Parse(env["FIREBREAK_DB"])
	if err != nil || u.Scheme != "postgres" {
		t.Fatalf("FIREBREAK_DB %q is not a postgres:// URL", env["FIREBREAK_DB"])
	}
	switch m := u.Query().Get("sslmode"); m {
	case "require", "verify-ca", "verify-full":
	default:
		t.Errorf("FIREBREAK_DB sslmode %q: managed PostgreSQL is reached over TLS (require, verify-ca or verify-full)", m)
	}
}

func subset(sel, of labels) bool {
	for k, v := range sel {
		if of[k] != v {
			return false
		}
	}
	return true
}
