package intake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// FieldError is a malformed payload, naming the field at fault.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Sources of alerts, which are also the hook paths.
const (
	SourceAlertmanager = "alertmanager"
	SourceGrafana      = "grafana"
	SourceGeneric      = "generic"
)

// Delivery is one webhook request, read: its alerts and, for a group that
// resolved, one alert standing for the whole group.
type Delivery struct {
	Source string
	Group  string
	Alerts []incident.Alert
	// Keys are the dedupe keys, one per alert.
	Keys []string
}

// amPayload is the Alertmanager webhook, version 4
// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config);
// Grafana's webhook contact point sends the same shape plus title and
// message (https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/).
type amPayload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []amAlert         `json:"alerts"`
	Title             string            `json:"title"`
	Message           string            `json:"message"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

type genericPayload struct {
	DedupKey string            `json:"dedup_key"`
	Status   string            `json:"status"`
	Title    string            `json:"title"`
	Severity string            `json:"severity"`
	Labels   map[string]string `json:"labels"`
	URL      string            `json:"url"`
}

// maxAlerts bounds one delivery; Alertmanager sends a group's alerts in
// one request (max_alerts limits it on its side).
const maxAlerts = 5000

// Parse reads one webhook body of the given source.
func Parse(source string, body []byte) (Delivery, error) {
	switch source {
	case SourceAlertmanager, SourceGrafana:
		return parseAM(source, body)
	case SourceGeneric:
		return parseGeneric(body)
	}
	return Delivery{}, fmt.Errorf("unknown source %q", source)
}

func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			f := te.Field
			if f == "" {
				f = "body"
			}
			return fieldErr(f, "must be a JSON %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)
		}
		var pe *time.ParseError
		if errors.As(err, &pe) {
			return fieldErr("alerts[].startsAt", "must be an RFC 3339 time, not %q", pe.Value)
		}
		return fieldErr("body", "is not a JSON object: %v", err)
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "map", "struct":
		return "object"
	case "slice":
		return "array"
	case "string":
		return "string"
	}
	return k
}

func parseAM(source string, body []byte) (Delivery, error) {
	var p amPayload
	if err := decode(body, &p); err != nil {
		return Delivery{}, err
	}
	if source == SourceAlertmanager && p.Version != "" && p.Version != "4" {
		return Delivery{}, fieldErr("version", "must be \"4\" (Alertmanager webhook version 4), not %q", p.Version)
	}
	if strings.TrimSpace(p.GroupKey) == "" {
		return Delivery{}, fieldErr("groupKey", "is missing")
	}
	if p.Status != "firing" && p.Status != "resolved" {
		return Delivery{}, fieldErr("status", "must be \"firing\" or \"resolved\", not %q", p.Status)
	}
	if len(p.Alerts) == 0 {
		return Delivery{}, fieldErr("alerts", "is empty")
	}
	if len(p.Alerts) > maxAlerts {
		return Delivery{}, fieldErr("alerts", "has %d alerts; at most %d per request", len(p.Alerts), maxAlerts)
	}
	d := Delivery{Source: source, Group: groupID(source, p.GroupKey)}
	var latest time.Time
	for i, a := range p.Alerts {
		f := fmt.Sprintf("alerts[%d]", i)
		if a.Status != "firing" && a.Status != "resolved" {
			return Delivery{}, fieldErr(f+".status", "must be \"firing\" or \"resolved\", not %q", a.Status)
		}
		if len(a.Labels) == 0 {
			return Delivery{}, fieldErr(f+".labels", "is missing")
		}
		fp := a.Fingerprint
		if fp == "" {
			fp = hash(incident.LabelString(a.Labels))
		}
		title := alertTitle(a.Annotations, a.Labels, p.Title)
		d.Alerts = append(d.Alerts, incident.Alert{
			Source: source, Group: d.Group, Key: fp, Status: incident.AlertStatus(a.Status),
			Title: title, Labels: a.Labels, URL: a.GeneratorURL, StartsAt: a.StartsAt,
		})
		d.Keys = append(d.Keys, alertKey(source, p.GroupKey, fp, a.Status, a.StartsAt.UTC().Format(time.RFC3339Nano)))
		if a.EndsAt.After(latest) {
			latest = a.EndsAt
		}
	}
	if p.Status == "resolved" {
		title := p.Title
		if title == "" {
			title = alertTitle(p.CommonAnnotations, p.CommonLabels, d.Alerts[0].Title)
		}
		d.Alerts = append(d.Alerts, incident.Alert{Source: source, Group: d.Group, Status: incident.AlertResolved,
			Title: title, Labels: p.CommonLabels, GroupResolved: true})
		d.Keys = append(d.Keys, alertKey(source, p.GroupKey, "group-resolved", latest.UTC().Format(time.RFC3339Nano)))
	}
	return d, nil
}

func parseGeneric(body []byte) (Delivery, error) {
	var p genericPayload
	if err := decode(body, &p); err != nil {
		return Delivery{}, err
	}
	switch {
	case strings.TrimSpace(p.DedupKey) == "":
		return Delivery{}, fieldErr("dedup_key", "is missing")
	case p.Status != "firing" && p.Status != "resolved":
		return Delivery{}, fieldErr("status", "must be \"firing\" or \"resolved\", not %q", p.Status)
	case strings.TrimSpace(p.Title) == "":
		return Delivery{}, fieldErr("title", "is missing")
	}
	labels := map[string]string{}
	for k, v := range p.Labels {
		labels[k] = v
	}
	if p.Severity != "" {
		sev, err := incident.ParseSeverity(p.Severity)
		if err != nil {
			return Delivery{}, fieldErr("severity", "must be sev1–sev4, not %q", p.Severity)
		}
		labels["severity"] = string(sev)
	}
	g := groupID(SourceGeneric, p.DedupKey)
	a := incident.Alert{Source: SourceGeneric, Group: g, Key: hash(p.DedupKey), Status: incident.AlertStatus(p.Status),
		Title: p.Title, Labels: labels, URL: p.URL, GroupResolved: p.Status == "resolved"}
	// The same body again is a redelivery; a new body is a new event.
	return Delivery{Source: SourceGeneric, Group: g, Alerts: []incident.Alert{a}, Keys: []string{alertKey(SourceGeneric, string(body))}}, nil
}

func alertTitle(ann, labels map[string]string, fallback string) string {
	for _, k := range []string{"summary", "title", "description"} {
		if v := strings.TrimSpace(ann[k]); v != "" {
			return oneLine(v)
		}
	}
	if n := labels["alertname"]; n != "" {
		for _, k := range []string{"service", "job", "instance"} {
			if v := labels[k]; v != "" {
				return n + " on " + v
			}
		}
		return n
	}
	if strings.TrimSpace(fallback) != "" {
		return oneLine(fallback)
	}
	return "Alert"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

// groupID names a firing group in the store: bounded, whatever the
// length of Alertmanager's groupKey.
func groupID(source, key string) string { return source + ":" + hash(key) }

func alertKey(parts ...string) string { return "alert:" + hash(strings.Join(parts, "\x00")) }
