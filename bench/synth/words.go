package main

import (
	"math/rand/v2"
	"strings"
)

// The vocabularies are plain lowercase words that are identifiers in Go,
// Python and every protobuf scope, and never the name of a method that
// generated code defines (reset, string, descriptor, ...).

var areas = []string{
	"billing", "storage", "network", "identity", "compute", "analytics", "media",
	"payments", "search", "logistics", "catalog", "messaging", "security",
	"inventory", "support", "telemetry", "scheduling", "ledger", "content",
	"routing", "recommend", "workflow", "archive", "directory",
}

// commonNames name the shared packages.
var commonNames = []string{"types", "rpc", "api", "longrunning", "money", "geo", "iam", "location", "policy", "expr"}

var nouns = []string{
	"account", "address", "agent", "alert", "allocation", "archive", "asset",
	"attachment", "audit", "backup", "balance", "batch", "binding", "blob",
	"bucket", "budget", "bundle", "cache", "campaign", "capacity", "card",
	"carrier", "catalog", "certificate", "channel", "charge", "checkpoint",
	"claim", "cluster", "comment", "commit", "condition", "connector",
	"consent", "contact", "container", "contract", "coupon", "credential",
	"cursor", "customer", "dataset", "deployment", "device", "discount",
	"disk", "document", "domain", "endpoint", "entitlement", "entry",
	"environment", "event", "export", "feature", "feed", "filter", "firewall",
	"folder", "forecast", "gateway", "grant", "group", "hook", "host", "image",
	"incident", "index", "instance", "invoice", "job", "journal",
	"key", "label", "lease", "ledger", "license", "limit", "listing",
	"location", "lock", "manifest", "member", "metric", "migration", "model",
	"monitor", "namespace", "node", "note", "notice", "offer", "operation",
	"order", "origin", "owner", "page", "parcel", "partition",
	"payment", "peer", "permit", "pipeline", "plan", "policy", "pool",
	"price", "product", "profile", "project", "promotion", "quota", "range",
	"rate", "receipt", "record", "refund", "region", "release", "replica",
	"report", "request", "reservation", "resource", "revision", "role",
	"route", "rule", "schedule", "schema", "secret", "segment", "sensor",
	"session", "setting", "shard", "shipment", "signal", "snapshot", "source",
	"space", "stage", "statement", "stream", "subnet", "subscription",
	"supplier", "table", "tag", "target", "task", "template", "tenant",
	"ticket", "token", "topic", "trace", "transfer", "trigger", "usage",
	"variant", "vault", "vendor", "version", "view", "volume", "voucher",
	"warehouse", "webhook", "window", "worker", "workload", "zone",
}

var qualifiers = []string{
	"active", "annual", "applied", "archived", "backup", "base", "billing",
	"cached", "current", "custom", "daily", "default", "derived", "desired",
	"effective", "external", "final", "global", "internal", "last", "linked",
	"local", "managed", "max", "min", "network", "next", "parent", "pending",
	"previous", "primary", "private", "public", "regional", "remote",
	"requested", "reserved", "root", "scheduled", "secondary", "shared",
	"source", "target", "total", "trusted", "upstream", "verified",
}

var enumSuffixes = []string{"State", "Type", "Kind", "Mode", "Level", "Status", "Tier", "Policy", "Phase", "Class"}

var enumWords = []string{
	"active", "inactive", "pending", "running", "stopped", "failed",
	"succeeded", "deleted", "suspended", "standard", "premium", "basic",
	"enabled", "disabled", "low", "medium", "high", "critical", "manual",
	"automatic", "internal", "external", "draft", "published", "retired",
	"creating", "updating", "deleting", "ready", "degraded", "unknown_state",
	"blocked", "queued", "archived", "expired", "primary", "secondary",
}

var commentWords = []string{
	"the", "a", "of", "for", "when", "is", "set", "by", "server", "client",
	"value", "output", "only", "required", "optional", "identifier", "unique",
	"within", "parent", "resource", "time", "last", "updated", "created",
	"used", "to", "and", "or", "this", "field", "must", "be", "empty",
	"returned", "list", "page", "results", "maximum", "number", "default",
	"zero", "means", "not", "specified", "format", "name", "display",
	"human", "readable", "immutable", "after", "creation", "ignored",
	"request", "response", "state", "current", "labels", "metadata",
}

var verbs = []string{"Get", "List", "Create", "Update", "Delete", "Batch", "Search", "Export", "Import", "Watch", "Cancel", "Restore", "Move", "Validate"}

// camel joins lowercase words (or snake_case pieces) into CamelCase.
func camel(words ...string) string {
	var b strings.Builder
	for _, w := range words {
		for _, p := range strings.Split(w, "_") {
			if p == "" {
				continue
			}
			b.WriteString(strings.ToUpper(p[:1]))
			b.WriteString(p[1:])
		}
	}
	return b.String()
}

// upperSnake turns CamelCase into UPPER_SNAKE_CASE.
func upperSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// lowerCamel is the default JSON name of a snake_case field name.
func lowerCamel(s string) string {
	c := camel(s)
	if c == "" {
		return c
	}
	return strings.ToLower(c[:1]) + c[1:]
}

func pick[T any](r *rand.Rand, xs []T) T {
	return xs[r.IntN(len(xs))]
}

// sentence makes a comment line of n words, capitalised, with a period.
func sentence(r *rand.Rand, n int) string {
	words := make([]string, n)
	for i := range words {
		words[i] = pick(r, commentWords)
	}
	s := strings.Join(words, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}
