// kube-test-apiserver: a real Kubernetes API server for the test tier of cloudrun-egress-operator,
// built from upstream Kubernetes code (Debian's golang-k8s-* source packages) by ../setup.sh.
//
// It is the upstream k8s.io/apiextensions-apiserver run standalone (CRDs and custom resources with
// the real structural schemas, CEL x-kubernetes-validations and cost limits, defaulting, pruning,
// status subresource, Table output, OpenAPI v2/v3, watch, /metrics), plus, in the same
// GenericAPIServer, REST storage for what an operator needs from the core API:
//
//	/api/v1                          namespaces (cluster-scoped), events (namespaced)
//	/apis/coordination.k8s.io/v1     leases (namespaced)
//	/apis/authorization.k8s.io/v1    selfsubjectaccessreviews, selfsubjectrulesreviews (create-only)
//	/apis/authentication.k8s.io/v1   selfsubjectreviews (create-only: `kubectl auth whoami`)
//
// Admission: kube-apiserver's NamespaceLifecycle plugin (objects can only be created in existing
// namespaces; default, kube-system and kube-public cannot be deleted), and, with --vap-dir, the
// upstream ValidatingAdmissionPolicy plugin (see vap.go).
//
// Authentication: client certificates signed by --client-ca-file, and bearer tokens from
// --token-auth-file. Authorization: members of system:masters may do everything, nobody else
// anything (no RBAC). No controllers run besides the apiextensions ones: no namespace controller,
// no garbage collector (see registry.go).
//
// Subcommand (no server needed): `kube-test-apiserver crd-cost FILE...`, see crdcost.go.
package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/spf13/cobra"
	noopoteltrace "go.opentelemetry.io/otel/trace/noop"

	extensionsapiserver "k8s.io/apiextensions-apiserver/pkg/apiserver"
	"k8s.io/apiextensions-apiserver/pkg/cmd/server/options"
	generatedopenapi "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
	utilversion "k8s.io/apimachinery/pkg/version"
	"k8s.io/apiserver/pkg/admission"
	admissionmetrics "k8s.io/apiserver/pkg/admission/metrics"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	authngroup "k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	unionauthn "k8s.io/apiserver/pkg/authentication/request/union"
	"k8s.io/apiserver/pkg/authentication/token/tokenfile"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/util/openapi"
	"k8s.io/apiserver/pkg/util/webhook"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"
	"k8s.io/component-base/cli"
	"k8s.io/kube-openapi/pkg/common"
	netutils "k8s.io/utils/net"

	builtinopenapi "kubetestapiserver/generated/openapi"
)

// flags of our own, beside the upstream apiextensions-apiserver ones
type extraFlags struct {
	tokenAuthFile      string
	eventTTL           time.Duration
	namespaceLifecycle bool
	vapDir             string
	vapReport          string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "crd-cost" {
		os.Exit(crdCostCommand(os.Args[2:], os.Stdout, os.Stderr))
	}

	o := options.NewCustomResourceDefinitionsServerOptions(os.Stdout, os.Stderr)
	ro := o.RecommendedOptions
	// Standalone: no core API server to delegate authentication/authorization to, and no core API
	// server to take a kubeconfig from.
	ro.Authentication.RemoteKubeConfigFileOptional = true
	ro.Authentication.SkipInClusterLookup = true
	ro.Authorization.RemoteKubeConfigFileOptional = true
	ro.CoreAPI = nil
	ro.Admission = nil // the admission chain is assembled in run()
	ro.Features.EnablePriorityAndFairness = false
	var extra extraFlags

	cmd := &cobra.Command{
		Use:   "kube-test-apiserver",
		Short: "Standalone Kubernetes API server (CRDs, Namespaces, Events, Leases) for tests",
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return o.ServerRunOptions.ComponentGlobalsRegistry.Set()
		},
		RunE: func(c *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return run(c, o, extra)
		},
	}
	cmd.SetContext(genericapiserver.SetupSignalContext())
	fs := cmd.Flags()
	o.AddFlags(fs)
	fs.StringVar(&extra.tokenAuthFile, "token-auth-file", "", "CSV file of bearer tokens: token,user,uid,\"group1,group2\".")
	fs.DurationVar(&extra.eventTTL, "event-ttl", time.Hour, "How long Events are kept (kube-apiserver's --event-ttl).")
	fs.BoolVar(&extra.namespaceLifecycle, "namespace-lifecycle", true, "Run the NamespaceLifecycle admission plugin: refuse objects in namespaces that do not exist.")
	fs.StringVar(&extra.vapDir, "vap-dir", "", "Directory of YAML/JSON ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding objects, judged by the upstream ValidatingAdmissionPolicy plugin (re-read every second).")
	fs.StringVar(&extra.vapReport, "vap-report", "", "File written after each load of --vap-dir: what was loaded and what was refused, as JSON.")
	os.Exit(cli.Run(cmd))
}

func run(c *cobra.Command, o *options.CustomResourceDefinitionsServerOptions, extra extraFlags) error {
	ctx := c.Context()
	ro := o.RecommendedOptions
	if err := ro.SecureServing.MaybeDefaultWithSelfSignedCerts("localhost", nil, []net.IP{netutils.ParseIPSloppy("127.0.0.1")}); err != nil {
		return err
	}
	serverConfig := genericapiserver.NewRecommendedConfig(extensionsapiserver.Codecs)
	if err := o.ServerRunOptions.ApplyTo(&serverConfig.Config); err != nil {
		return err
	}
	if err := ro.ApplyTo(serverConfig); err != nil {
		return err
	}
	if err := o.APIEnablement.ApplyTo(&serverConfig.Config, extensionsapiserver.DefaultAPIResourceConfigSource(), extensionsapiserver.Scheme); err != nil {
		return err
	}
	if extra.tokenAuthFile != "" {
		tokens, err := tokenfile.NewCSV(extra.tokenAuthFile)
		if err != nil {
			return err
		}
		// like kube-apiserver, token users are also in system:authenticated
		tokenAuthn := authngroup.NewAuthenticatedGroupAdder(bearertoken.New(tokens))
		serverConfig.Authentication.Authenticator = unionauthn.New(tokenAuthn, serverConfig.Authentication.Authenticator)
	}
	// One OpenAPI document for the CRD API, the built-in types and (added at run time by the
	// apiextensions controllers) every CRD. Server-side apply needs the built-in types' models too.
	namer := openapinamer.NewDefinitionNamer(extensionsapiserver.Scheme, clientgoscheme.Scheme)
	defs := openapi.GetOpenAPIDefinitionsWithoutDisabledFeatures(openAPIDefinitions)
	serverConfig.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(defs, namer)
	serverConfig.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(defs, namer)

	// Admission plugins get the built-in resources through a privileged loopback client, as in
	// kube-apiserver; their informers start once the server serves (post-start hook below).
	loopback := serverConfig.LoopbackClientConfig
	kubeClient, err := kubernetes.NewForConfig(loopback)
	if err != nil {
		return err
	}
	kubeInformers := informers.NewSharedInformerFactory(kubeClient, 10*time.Minute)
	authz := serverConfig.Authorization.Authorizer
	var plugins []admission.Interface
	if extra.namespaceLifecycle {
		// kube-apiserver's immortal namespaces
		l, err := lifecycle.NewLifecycle(sets.New(metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic))
		if err != nil {
			return err
		}
		l.SetExternalKubeInformerFactory(kubeInformers)
		l.SetExternalKubeClientSet(kubeClient)
		if err := l.ValidateInitialization(); err != nil {
			return fmt.Errorf("NamespaceLifecycle: %w", err)
		}
		plugins = append(plugins, admissionmetrics.WithControllerMetrics(l, lifecycle.PluginName))
	}
	if extra.vapDir != "" {
		p, err := newValidatingAdmissionPolicy(ctx, vapConfig{
			dir: extra.vapDir, report: extra.vapReport, loopback: loopback,
			kubeClient: kubeClient, kubeInformers: kubeInformers, authorizer: authz,
		})
		if err != nil {
			return fmt.Errorf("ValidatingAdmissionPolicy: %w", err)
		}
		plugins = append(plugins, admissionmetrics.WithControllerMetrics(p, "ValidatingAdmissionPolicy"))
	}
	if len(plugins) > 0 {
		serverConfig.AdmissionControl = admissionmetrics.WithStepMetrics(admission.NewChainHandler(plugins...))
	}

	config := &extensionsapiserver.Config{
		GenericConfig: serverConfig,
		ExtraConfig: extensionsapiserver.ExtraConfig{
			CRDRESTOptionsGetter: options.NewCRDRESTOptionsGetter(*ro.Etcd, serverConfig.ResourceTransformers, serverConfig.StorageObjectCountTracker),
			ServiceResolver:      noServiceResolver{},
			AuthResolverWrapper:  webhook.NewDefaultAuthenticationInfoResolverWrapper(nil, nil, loopback, noopoteltrace.NewTracerProvider()),
		},
	}
	completed := config.Complete()
	// Complete() turns discovery off: upstream, kube-aggregator serves /apis in front of it.
	completed.GenericConfig.EnableDiscovery = true
	server, err := completed.New(genericapiserver.NewEmptyDelegate())
	if err != nil {
		return err
	}
	s := server.GenericAPIServer

	storageConfig := ro.Etcd.StorageConfig
	if storageConfig.StorageObjectCountTracker == nil {
		storageConfig.StorageObjectCountTracker = serverConfig.StorageObjectCountTracker
	}
	builtinStorage := ro.Etcd.CreateRESTOptionsGetter(newStorageFactory(storageConfig), serverConfig.ResourceTransformers)
	if err := installBuiltinAPIs(s, builtinStorage, authz, extra.eventTTL); err != nil {
		return err
	}
	if err := s.AddPostStartHook("start-kube-informers", func(hc genericapiserver.PostStartHookContext) error {
		kubeInformers.Start(hc.Done())
		return nil
	}); err != nil {
		return err
	}
	syncCRDGroupsIntoLegacyDiscovery(server)
	return s.PrepareRun().RunWithContext(ctx)
}

func openAPIDefinitions(ref common.ReferenceCallback) map[string]common.OpenAPIDefinition {
	defs := generatedopenapi.GetOpenAPIDefinitions(ref) // CRD API, meta/v1, autoscaling/v1 Scale
	for name, def := range builtinopenapi.GetOpenAPIDefinitions(ref) {
		defs[name] = def // core/v1, coordination/v1, authentication/v1, authorization/v1, meta (generated by setup.sh)
	}
	return defs
}

// noServiceResolver: conversion webhooks given as a Service cannot be reached (no Services here);
// webhooks given by URL work.
type noServiceResolver struct{}

func (noServiceResolver) ResolveEndpoint(namespace, name string, _ int32) (*url.URL, error) {
	return nil, fmt.Errorf("webhook service %s/%s: this test API server has no Services; give the webhook a url", namespace, name)
}

// syncCRDGroupsIntoLegacyDiscovery lists CRD groups in the unaggregated /apis group list. The
// apiextensions server only feeds the aggregated discovery document (upstream, kube-aggregator
// builds the legacy list), but clients still read the legacy one: fabric8's API-group checks and
// older kubectl versions.
func syncCRDGroupsIntoLegacyDiscovery(server *extensionsapiserver.CustomResourceDefinitions) {
	lister := server.Informers.Apiextensions().V1().CustomResourceDefinitions().Lister()
	groups := server.GenericAPIServer.DiscoveryGroupManager
	var mu sync.Mutex
	added := map[string]bool{} // groups this function added (never the built-in ones)
	resync := func() {
		mu.Lock()
		defer mu.Unlock()
		crds, err := lister.List(labels.Everything())
		if err != nil {
			return
		}
		served := map[string]sets.Set[string]{}
		for _, crd := range crds {
			for _, v := range crd.Spec.Versions {
				if v.Served {
					if served[crd.Spec.Group] == nil {
						served[crd.Spec.Group] = sets.New[string]()
					}
					served[crd.Spec.Group].Insert(v.Name)
				}
			}
		}
		for g := range added {
			if served[g] == nil {
				groups.RemoveGroup(g)
				delete(added, g)
			}
		}
		for g, versions := range served {
			names := sets.List(versions)
			// preferred first, by Kubernetes version ordering (v1 > v1beta2 > v1alpha1)
			sort.Slice(names, func(i, j int) bool { return utilversion.CompareKubeAwareVersionStrings(names[i], names[j]) > 0 })
			group := metav1.APIGroup{Name: g}
			for _, v := range names {
				group.Versions = append(group.Versions, metav1.GroupVersionForDiscovery{GroupVersion: g + "/" + v, Version: v})
			}
			group.PreferredVersion = group.Versions[0]
			groups.AddGroup(group)
			added[g] = true
		}
	}
	_, _ = server.Informers.Apiextensions().V1().CustomResourceDefinitions().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(interface{}) { resync() },
		UpdateFunc: func(interface{}, interface{}) { resync() },
		DeleteFunc: func(interface{}) { resync() },
	})
}
