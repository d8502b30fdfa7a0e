package main

// forPodman adapts the injector-patched pod to run under `podman kube play` on a machine without a cluster,
// changing only what needs a cluster, and saying so in the pod's annotations:
//   - daprd runs in standalone mode with the component files from a host folder (kubernetes mode needs the
//     Dapr operator and sentry); the injector's volumes, socket folder and security settings stay;
//   - the sentry token volume (a projected service-account token) and daprd's probes are dropped;
//   - "Azure" joins the pod: the managed-identity and Key Vault stand-ins and Azurite run beside keyless, which
//     gets the stand-ins' identity variables and their test CA (made in DIR/certs before the pod starts:
//     podman 4.3's kube play fails to remove a finished init container) (workload identity needs Entra ID,
//     which has no stand-in here).

import (
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
)

const identityHeader = "aks-pod-test-only-identity-header"

func hostDir(name, path string) corev1.Volume {
	t := corev1.HostPathDirectory
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path, Type: &t}}}
}

func user(uid int64) *corev1.SecurityContext {
	f := false
	return &corev1.SecurityContext{RunAsUser: &uid, RunAsGroup: &uid, AllowPrivilegeEscalation: &f}
}

func readOnly(sc *corev1.SecurityContext) *corev1.SecurityContext {
	t := true
	sc.ReadOnlyRootFilesystem = &t
	return sc
}

func forPodman(pod *corev1.Pod, dir, devImage, azuriteImage, queueConnection string) {
	pod.Annotations["keyless.test/adapted-for-podman"] = "true" // see local.go
	var volumes []corev1.Volume
	for _, v := range pod.Spec.Volumes {
		if v.Projected == nil {
			volumes = append(volumes, v)
		}
	}
	pod.Spec.Volumes = append(volumes,
		hostDir("components", filepath.Join(dir, "components")),
		hostDir("certs", filepath.Join(dir, "certs")),
		hostDir("azurite", filepath.Join(dir, "azurite")))

	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		switch c.Name {
		case "daprd":
			c.Args = []string{"--mode", "standalone", "--app-id", "queuereader", "--app-port", "3000",
				"--resources-path", "/components", "--dapr-http-port", "3500", "--dapr-grpc-port", "50001",
				"--dapr-listen-addresses", "127.0.0.1", "--log-level", "info"}
			c.LivenessProbe, c.ReadinessProbe = nil, nil
			var mounts []corev1.VolumeMount
			for _, m := range c.VolumeMounts {
				if m.Name != "dapr-identity-token" {
					mounts = append(mounts, m)
				}
			}
			c.VolumeMounts = append(mounts, corev1.VolumeMount{Name: "components", MountPath: "/components", ReadOnly: true})
		case "keyless":
			c.Env = append(c.Env,
				corev1.EnvVar{Name: "IDENTITY_ENDPOINT", Value: "http://127.0.0.1:42356/msi/token"},
				corev1.EnvVar{Name: "IDENTITY_HEADER", Value: identityHeader},
				corev1.EnvVar{Name: "NODE_EXTRA_CA_CERTS", Value: "/certs/ca.pem"})
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "certs", MountPath: "/certs", ReadOnly: true})
		}
	}
	certs := []corev1.VolumeMount{{Name: "certs", MountPath: "/certs"}}
	pod.Spec.Containers = append(pod.Spec.Containers,
		corev1.Container{
			Name: "standins", Image: devImage, SecurityContext: readOnly(user(10001)), VolumeMounts: certs,
			Args: []string{"dist/dev/standIns.js"},
			Env: []corev1.EnvVar{{Name: "STANDINS_TLS_DIR", Value: "/certs"}, {Name: "IDENTITY_HEADER", Value: identityHeader},
				{Name: "QUEUE_CONNECTION_STRING", Value: queueConnection}},
		},
		corev1.Container{
			Name: "azurite", Image: azuriteImage, SecurityContext: readOnly(user(10003)),
			VolumeMounts: []corev1.VolumeMount{{Name: "azurite", MountPath: "/data"}},
		})
}
