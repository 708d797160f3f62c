// Package deploy holds the Kubernetes manifests of the reference server;
// this test checks that they parse and agree with each other and with the
// server's flags (ports, drain timing, probes, metrics annotation).
package deploy

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
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
	for name, p := range map[string]*probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		if p == nil || p.GRPC == nil || p.GRPC.Port != port {
			t.Errorf("%s probe must be a gRPC health probe on port %d", name, port)
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

func TestManifestsParse(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"deployment.yaml", "service.yaml", "kustomization.yaml"} {
		var doc map[string]any
		decode(t, name, &doc)
		for _, key := range []string{"apiVersion", "kind"} {
			if _, ok := doc[key]; !ok {
				t.Errorf("%s: no %s", name, key)
			}
		}
	}
}
