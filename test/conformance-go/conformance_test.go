// Dapr's own conformance suites (components-contrib tests/conformance, the version daprd 1.18.3 pins),
// run against keyless's socket through daprd's own pluggable adapters: daprd's discovery finds the
// socket by gRPC reflection and registers state.keyless and secretstores.keyless, and each store is
// created from daprd's registry, as daprd does for a component YAML. scripts/conformance-go.sh starts
// keyless and its backends, writes the profiles to the file named by KEYLESS_CONFORMANCE_CONFIG, runs
// this package and judges the result.
package conformance

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dapr/components-contrib/secretstores"
	"github.com/dapr/components-contrib/state"
	confsecretstores "github.com/dapr/components-contrib/tests/conformance/secretstores"
	confstate "github.com/dapr/components-contrib/tests/conformance/state"
	"github.com/dapr/dapr/pkg/components/pluggable"
	daprsecretstores "github.com/dapr/dapr/pkg/components/secretstores"
	daprstate "github.com/dapr/dapr/pkg/components/state"
)

type config struct {
	Socket       string               `json:"socket"`
	State        []stateProfile       `json:"state"`
	SecretStores []secretStoreProfile `json:"secretstores"`
}

type stateProfile struct {
	Name       string            `json:"name"`
	Instance   string            `json:"instance"`
	Properties map[string]string `json:"properties"`
	Operations []string          `json:"operations"`
	BadEtag    string            `json:"badEtag"`
	// "rpc": BulkSet/BulkDelete are one RPC each, as daprd sends them. "per-item": one RPC per item.
	Bulk string `json:"bulk"`
}

type secretStoreProfile struct {
	Name       string            `json:"name"`
	Instance   string            `json:"instance"`
	Properties map[string]string `json:"properties"`
}

var discovery struct {
	once sync.Once
	err  error
}

// loadConfig reads the profiles and, once per process, runs daprd's discovery on keyless's socket folder.
func loadConfig(t *testing.T) config {
	t.Helper()
	path := os.Getenv("KEYLESS_CONFORMANCE_CONFIG")
	if path == "" {
		t.Fatal("KEYLESS_CONFORMANCE_CONFIG is not set: run this suite with scripts/conformance-go.sh")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	var c config
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	discovery.once.Do(func() {
		if discovery.err = os.Setenv(pluggable.SocketFolderEnvVar, filepath.Dir(c.Socket)); discovery.err == nil {
			discovery.err = pluggable.Discover(context.Background())
		}
	})
	if discovery.err != nil {
		t.Fatalf("daprd's pluggable component discovery failed: %v", discovery.err)
	}
	return c
}

// componentName is what daprd registers the socket's services under: the file name without extension.
func (c config) componentName() string {
	base := filepath.Base(c.Socket)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

func TestStateConformance(t *testing.T) {
	c := loadConfig(t)
	for _, p := range c.State {
		t.Run(p.Name, func(t *testing.T) {
			store := newStateStore(t, c, p)
			t.Cleanup(func() { _ = store.Close() })
			tc, err := confstate.NewTestConfig(p.Name, p.Operations, map[string]any{"badEtag": p.BadEtag})
			if err != nil {
				t.Fatal(err)
			}
			confstate.ConformanceTests(t, p.Properties, store, tc)
		})
	}
}

func TestSecretStoreConformance(t *testing.T) {
	c := loadConfig(t)
	for _, p := range c.SecretStores {
		t.Run(p.Name, func(t *testing.T) {
			created, err := daprsecretstores.DefaultRegistry.Create("secretstores."+c.componentName(), "v1", "")
			if err != nil {
				t.Fatal(err)
			}
			store := &namedSecretStore{created, p.Instance}
			t.Cleanup(func() { _ = store.Close() })
			confsecretstores.ConformanceTests(t, p.Properties, store, confsecretstores.NewTestConfig(p.Name, nil))
		})
	}
}

// The methods daprd's state adapter has; the suite probes optional interfaces (TransactionalStore,
// KeysLiker, DeleteWithPrefix...) by type assertion, so the wrappers below expose exactly this set.
type stateAdapter interface {
	state.Store
	state.TransactionalStore
	state.TransactionalStoreMultiMaxSize
	state.Querier
}

func newStateStore(t *testing.T, c config, p stateProfile) stateAdapter {
	created, err := daprstate.DefaultRegistry.Create("state."+c.componentName(), "v1", "")
	if err != nil {
		t.Fatal(err)
	}
	adapter, ok := created.(stateAdapter)
	if !ok {
		t.Fatalf("daprd's state adapter no longer has the methods this harness exposes: %T", created)
	}
	named := &namedStateStore{adapter, p.Instance}
	if p.Bulk == "per-item" {
		return &perItemBulkStore{named}
	}
	return named
}

// namedStateStore gives the adapter its component instance name: daprd dials with the YAML's
// metadata.name (sent as x-component-instance), while the suite's Init passes properties only.
type namedStateStore struct {
	stateAdapter
	instance string
}

func (s *namedStateStore) Init(ctx context.Context, md state.Metadata) error {
	md.Name = s.instance
	return s.stateAdapter.Init(ctx, md)
}

// perItemBulkStore sends every BulkSet/BulkDelete item as its own one-item RPC and joins the per-item
// errors with components-contrib's own helper. The adapter receives one gRPC status per call, so a
// per-key error (what the etag case asserts after a bulk write with one stale etag) needs one call per
// key; this profile lets the rest of that case run against keyless's bulk RPCs.
type perItemBulkStore struct {
	*namedStateStore
}

func (s *perItemBulkStore) BulkSet(ctx context.Context, reqs []state.SetRequest, opts state.BulkStoreOpts) error {
	return state.DoBulkSetDelete(ctx, reqs, func(ctx context.Context, r *state.SetRequest) error {
		return s.namedStateStore.BulkSet(ctx, []state.SetRequest{*r}, opts)
	}, opts)
}

func (s *perItemBulkStore) BulkDelete(ctx context.Context, reqs []state.DeleteRequest, opts state.BulkStoreOpts) error {
	return state.DoBulkSetDelete(ctx, reqs, func(ctx context.Context, r *state.DeleteRequest) error {
		return s.namedStateStore.BulkDelete(ctx, []state.DeleteRequest{*r}, opts)
	}, opts)
}

type namedSecretStore struct {
	secretstores.SecretStore
	instance string
}

func (s *namedSecretStore) Init(ctx context.Context, md secretstores.Metadata) error {
	md.Name = s.instance
	return s.SecretStore.Init(ctx, md)
}
