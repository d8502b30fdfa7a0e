// Command patch runs Dapr's own sidecar-injector patch logic (github.com/dapr/dapr/pkg/injector/patcher,
// the code the dapr-sidecar-injector webhook runs) on the Deployment in deploy/aks/keyless.yaml, checks what
// keyless depends on, and prints the patched pod as YAML.
//
// Checks: the keyless container is a component container (named in dapr.io/pluggable-components), so it gets
// the shared socket volume and DAPR_COMPONENT_SOCKETS_FOLDER, and daprd gets the same folder in
// DAPR_COMPONENTS_SOCKETS_FOLDER; the app container gets neither.
//
// Usage: go run . [-podman DIR ...] <manifest.yaml> [daprd image]   (exit 1 with the reason when a check fails;
// -podman: see local.go)
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/dapr/dapr/pkg/injector/patcher"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

func deployment(manifest []byte) (*appsv1.Deployment, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	for {
		var d appsv1.Deployment
		if err := dec.Decode(&d); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("no Deployment in the manifest")
			}
			return nil, err
		}
		if d.Kind == "Deployment" {
			return &d, nil
		}
	}
}

func container(pod *corev1.Pod, name string) *corev1.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	return nil
}

func env(c *corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func mountAt(c *corev1.Container, volume string) (string, bool) {
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m.MountPath, true
		}
	}
	return "", false
}

// injectorConsts.ComponentsUDSVolumeName in dapr v1.18.3.
const socketVolume = "dapr-components-unix-domain-socket"

const daprdDefaultFolder = "/tmp/dapr-components-sockets"

func check(pod *corev1.Pod) error {
	keyless, daprd, app := container(pod, "keyless"), container(pod, "daprd"), container(pod, "app")
	if keyless == nil || daprd == nil || app == nil {
		return errors.New("the patched pod lacks one of the containers keyless, daprd, app")
	}
	folder, ok := env(keyless, "DAPR_COMPONENT_SOCKETS_FOLDER")
	if !ok {
		return errors.New("keyless did not get DAPR_COMPONENT_SOCKETS_FOLDER: is it named in dapr.io/pluggable-components?")
	}
	if at, ok := mountAt(keyless, socketVolume); !ok || at != folder {
		return fmt.Errorf("keyless did not get the socket volume %s at %s", socketVolume, folder)
	}
	// The injector gives daprd the singular variable too, but daprd reads only the plural one
	// (pkg/components/pluggable.SocketFolderEnvVar) and otherwise its default folder.
	daprdFolder, ok := env(daprd, "DAPR_COMPONENTS_SOCKETS_FOLDER")
	if !ok {
		daprdFolder = daprdDefaultFolder
	}
	if daprdFolder != folder {
		return fmt.Errorf("daprd looks in %q, keyless binds in %q: leave dapr.io/pluggable-components-sockets-folder unset", daprdFolder, folder)
	}
	if at, ok := mountAt(daprd, socketVolume); !ok || at != folder {
		return errors.New("daprd did not get the socket volume")
	}
	if _, ok := mountAt(app, socketVolume); ok {
		return errors.New("the app container got the socket volume; only keyless and daprd may share it")
	}
	if _, ok := env(app, "DAPR_COMPONENT_SOCKETS_FOLDER"); ok {
		return errors.New("the app container was treated as a component container")
	}
	return nil
}

func run() error {
	podmanDir := flag.String("podman", "", "also adapt the patched pod for podman kube play, with host folders under this one")
	devImage := flag.String("dev-image", "localhost/keyless-dev:dev", "stand-ins image (with -podman)")
	azuriteImage := flag.String("azurite-image", "mcr.microsoft.com/azure-storage/azurite:3.35.0", "Azurite image (with -podman)")
	queueConnection := flag.String("queue-connection", "", "the queue connection string the vault stand-in holds (with -podman)")
	flag.Parse()
	args := flag.Args()
	if len(args) < 1 {
		return errors.New("usage: patch [-podman DIR ...] <manifest.yaml> [daprd image]")
	}
	manifest, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	d, err := deployment(manifest)
	if err != nil {
		return err
	}
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: d.Spec.Template.ObjectMeta,
		Spec:       d.Spec.Template.Spec,
	}
	pod.Name = d.Name
	pod.Namespace = "default"
	image := "docker.io/daprio/daprd:1.18.3"
	if len(args) > 1 {
		image = args[1]
	}
	// What the injector service sets from its own configuration (Helm defaults of the Dapr extension).
	c := patcher.NewSidecarConfig(pod)
	c.Namespace = pod.Namespace
	c.SidecarImage = image
	c.ControlPlaneNamespace = "dapr-system"
	c.ControlPlaneTrustDomain = "cluster.local"
	c.KubeClusterDomain = "cluster.local"
	c.OperatorAddress = "dapr-api.dapr-system.svc.cluster.local:443"
	c.SentryAddress = "dapr-sentry.dapr-system.svc.cluster.local:443"
	c.MTLSEnabled = true
	c.RunAsNonRoot = true
	c.ReadOnlyRootFilesystem = true
	c.SidecarDropALLCapabilities = true
	c.Identity = "default:" + pod.Spec.ServiceAccountName
	c.SetFromPodAnnotations()
	patch, err := c.GetPatch()
	if err != nil {
		return fmt.Errorf("injector patch: %w", err)
	}
	if len(patch) == 0 {
		return errors.New("the injector made no patch: is dapr.io/enabled \"true\"?")
	}
	patched, err := patcher.PatchPod(pod, patch)
	if err != nil {
		return fmt.Errorf("applying the injector's patch: %w", err)
	}
	if err := check(patched); err != nil {
		return err
	}
	if *podmanDir != "" {
		forPodman(patched, *podmanDir, *devImage, *azuriteImage, *queueConnection)
	}
	out, err := yaml.Marshal(patched)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "patch:", err)
		os.Exit(1)
	}
}
