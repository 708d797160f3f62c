// Package deploy holds the Kubernetes manifests of the reference server;
// this test checks that they parse and agree with each other and with the
// server's flags (ports, drain timing, probes, metrics annotation).
package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"gopkg.in/yaml.v3"

	_ "github.com/protoctl/protoctl/gen/acme/inference/v1"
	_ "github.com/protoctl/protoctl/gen/acme/user/v1"
)

type container struct {
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	StartupProbe   *probe `yaml:"startupProbe"`
	Lifecycle      struct {
		PreStop struct {
			Exec struct {
				Command []string `yaml:"command"`
			} `yaml:"exec"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
	} `yaml:"resources"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath"`
	} `yaml:"volumeMounts"`
}

type volume struct {
	Name   string `yaml:"name"`
	Secret *struct {
		SecretName string `yaml:"secretName"`
	} `yaml:"secret"`
	ConfigMap *struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
}

type probe struct {
	GRPC *struct {
		Port int `yaml:"port"`
	} `yaml:"grpc"`
}

type deployment struct {
	Kind string `yaml:"kind"`
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec struct {
				TerminationGracePeriodSeconds int         `yaml:"terminationGracePeriodSeconds"`
				Containers                    []container `yaml:"containers"`
				Volumes                       []volume    `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type service struct {
	Kind string `yaml:"kind"`
	Spec struct {
		ClusterIP string            `yaml:"clusterIP"`
		Selector  map[string]string `yaml:"selector"`
		Ports     []struct {
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

func decode(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// flags returns the server's --name=value arguments.
func flags(args []string) map[string]string {
	out := map[string]string{}
	for _, a := range args {
		k, v, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		out[k] = v
	}
	return out
}

func atoi(t *testing.T, what, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %q is not a number", what, s)
	}
	return n
}

func TestManifestsAgree(t *testing.T) {
	t.Parallel()
	var d deployment
	var s service
	decodeLoose(t, "deployment.yaml", &d)
	decodeLoose(t, "service.yaml", &s)
	if d.Kind != "Deployment" || s.Kind != "Service" {
		t.Fatalf("kinds = %q, %q; want Deployment, Service", d.Kind, s.Kind)
	}
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(d.Spec.Template.Spec.Containers))
	}
	c := d.Spec.Template.Spec.Containers[0]
	f := flags(c.Args)
	_, grpcPort, _ := strings.Cut(f["listen"], ":")
	port := atoi(t, "--listen port", grpcPort)
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["grpc"] != port {
		t.Errorf("container port grpc = %d, --listen port = %d", ports["grpc"], port)
	}
	metrics := atoi(t, "--metrics-port", f["metrics-port"])
	if ports["metrics"] != metrics || d.Spec.Template.Metadata.Annotations["prometheus.io/port"] != strconv.Itoa(metrics) {
		t.Errorf("metrics port: flag %d, container %d, annotation %q", metrics, ports["metrics"], d.Spec.Template.Metadata.Annotations["prometheus.io/port"])
	}
	// The kubelet's gRPC probes speak plaintext: they go to the
	// plaintext health listener, not the mTLS port.
	_, healthPort, _ := strings.Cut(f["health-listen"], ":")
	health := atoi(t, "--health-listen port", healthPort)
	if ports["health"] != health || health == port {
		t.Errorf("container port health = %d, --health-listen port = %d, grpc port %d", ports["health"], health, port)
	}
	for name, p := range map[string]*probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		if p == nil || p.GRPC == nil || p.GRPC.Port != health {
			t.Errorf("%s probe must be a gRPC health probe on the health port %d", name, health)
		}
	}
	// Kubernetes must not kill the pod before the preStop sleep and the
	// server's drain are over.
	cmd := c.Lifecycle.PreStop.Exec.Command
	if len(cmd) != 2 || cmd[0] != "sleep" {
		t.Fatalf("preStop = %q, want [sleep N]", cmd)
	}
	need := atoi(t, "preStop sleep", cmd[1]) + atoi(t, "--grace", f["grace"])
	if got := d.Spec.Template.Spec.TerminationGracePeriodSeconds; got <= need {
		t.Errorf("terminationGracePeriodSeconds = %d, want more than preStop + --grace = %d", got, need)
	}
	if f["workers"] != c.Resources.Requests["cpu"] {
		t.Errorf("--workers = %s, cpu request = %s: one worker per requested core", f["workers"], c.Resources.Requests["cpu"])
	}
	if atoi(t, "--max-connection-age", f["max-connection-age"]) <= 0 {
		t.Error("--max-connection-age must be set so clients re-resolve DNS")
	}
	if s.Spec.ClusterIP != "None" {
		t.Errorf("service clusterIP = %q, want None (headless)", s.Spec.ClusterIP)
	}
	if len(s.Spec.Ports) != 1 || s.Spec.Ports[0].Port != port || s.Spec.Ports[0].TargetPort != "grpc" {
		t.Errorf("service ports = %+v, want %d -> grpc", s.Spec.Ports, port)
	}
	for k, v := range s.Spec.Selector {
		if d.Spec.Template.Metadata.Labels[k] != v || d.Spec.Selector.MatchLabels[k] != v {
			t.Errorf("service selector %s=%s does not select the pods", k, v)
		}
	}
}

// decodeLoose decodes only the fields the test names (manifests have more).
func decodeLoose(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestSecurity checks that the server serves mTLS and JWT auth from
// mounted Secrets and ConfigMaps (never subPath mounts, which would not
// see a renewed certificate or a rotated JWKS), and never plaintext.
func TestSecurity(t *testing.T) {
	t.Parallel()
	var d deployment
	decodeLoose(t, "deployment.yaml", &d)
	c := d.Spec.Template.Spec.Containers[0]
	f := flags(c.Args)
	if _, ok := f["plaintext"]; ok {
		t.Error("the deployment must not serve --plaintext")
	}
	volumes := map[string]volume{}
	for _, v := range d.Spec.Template.Spec.Volumes {
		volumes[v.Name] = v
	}
	// source returns the volume that a file path is mounted from.
	source := func(file string) (volume, bool) {
		for _, m := range c.VolumeMounts {
			if path.Dir(file) == m.MountPath {
				if m.SubPath != "" {
					t.Errorf("%s is mounted with subPath %s: updates would not reach the pod", file, m.SubPath)
				}
				v, ok := volumes[m.Name]
				return v, ok
			}
		}
		return volume{}, false
	}
	for _, flag := range []string{"tls-cert", "tls-key", "tls-client-ca"} {
		file, ok := f[flag]
		if !ok {
			t.Errorf("no --%s", flag)
			continue
		}
		if v, ok := source(file); !ok || v.Secret == nil {
			t.Errorf("--%s=%s is not a file of a mounted Secret", flag, file)
		}
	}
	var auth authConfig
	var cm configMap
	decodeLoose(t, "auth.yaml", &cm)
	if v, ok := source(f["auth-config"]); !ok || v.ConfigMap == nil || v.ConfigMap.Name != cm.Metadata.Name {
		t.Errorf("--auth-config=%s is not a file of the ConfigMap %s", f["auth-config"], cm.Metadata.Name)
	}
	data, ok := cm.Data[path.Base(f["auth-config"])]
	if !ok {
		t.Fatalf("auth.yaml has no %s", path.Base(f["auth-config"]))
	}
	dec := json.NewDecoder(strings.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&auth); err != nil {
		t.Fatalf("auth.yaml %s: %v", path.Base(f["auth-config"]), err)
	}
	if auth.Issuer == "" || auth.Audience == "" {
		t.Errorf("auth config: issuer %q, audience %q: both are required", auth.Issuer, auth.Audience)
	}
	if v, ok := source(auth.JWKS); !ok || v.ConfigMap == nil {
		t.Errorf("jwks %s is not a file of a mounted ConfigMap", auth.JWKS)
	}
	// Every scope and exemption names a service or method the server has.
	var keys []string
	for k := range auth.Scopes {
		keys = append(keys, k)
	}
	keys = append(keys, auth.Exempt...)
	for _, k := range keys {
		if err := knownMethod(k); err != nil {
			t.Errorf("auth config key %q: %v", k, err)
		}
	}
	if diff := cmp.Diff([]string{"/grpc.health.v1.Health/*", "/grpc.reflection.v1alpha.ServerReflection/*"}, auth.Exempt); diff != "" {
		t.Errorf("exempt (-want +got):\n%s", diff)
	}
}

type configMap struct {
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
}

// authConfig is the server's --auth-config file (docs/server.md).
type authConfig struct {
	JWKS          string              `json:"jwks"`
	Issuer        string              `json:"issuer"`
	Audience      string              `json:"audience"`
	LeewaySeconds float64             `json:"leeway_seconds"`
	MaxTokenBytes int                 `json:"max_token_bytes"`
	Exempt        []string            `json:"exempt"`
	Scopes        map[string][]string `json:"scopes"`
}

// knownMethod checks "/pkg.Service/Method" or "/pkg.Service/*" against the
// contract's services and the standard ones the server adds.
func knownMethod(key string) error {
	svc, method, ok := strings.Cut(strings.TrimPrefix(key, "/"), "/")
	if !ok || !strings.HasPrefix(key, "/") {
		return fmt.Errorf("want /package.Service/Method or /package.Service/*")
	}
	switch svc {
	case "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection":
		return nil
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return fmt.Errorf("no service %s in the contract", svc)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return fmt.Errorf("%s is not a service", svc)
	}
	if method != "*" && sd.Methods().ByName(protoreflect.Name(method)) == nil {
		return fmt.Errorf("service %s has no method %s", svc, method)
	}
	return nil
}

func TestManifestsParse(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"deployment.yaml", "service.yaml", "kustomization.yaml", "auth.yaml"} {
		var doc map[string]any
		decode(t, name, &doc)
		for _, key := range []string{"apiVersion", "kind"} {
			if _, ok := doc[key]; !ok {
				t.Errorf("%s: no %s", name, key)
			}
		}
	}
}
