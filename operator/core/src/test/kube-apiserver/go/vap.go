package main

// --vap-dir: the upstream ValidatingAdmissionPolicy admission plugin of k8s.io/apiserver
// (pkg/admission/plugin/policy/validating) in this server's admission chain, as kube-apiserver runs
// it: matching, paramKind/paramRef lookup, parameterNotFoundAction, failurePolicy,
// validationActions, matchConditions, variables, the CEL environment and cost limits, message
// expressions and the denial's wording are all the plugin's.
//
// What differs from kube-apiserver is where the policies come from. This server does not serve
// admissionregistration.k8s.io, and the plugin's manifest-based source (staticManifestsDir) cannot
// be used either: it refuses policies with paramKind and bindings with paramRef, which is what the
// chart's policy is. So the plugin's policy and binding informers are fed by a client-go fake
// clientset that mirrors the YAML/JSON files of --vap-dir (re-read every second; a file change
// shows up as an ordinary add/update/delete to the informers). Before loading, each object gets
// the defaults and the create-time validation kube-apiserver would apply (vapvalidation.go:
// re-implemented, k8s.io/kubernetes is not packaged); an invalid object is not loaded, as the API
// server would have refused it, and is listed in --vap-report.
//
// Everything else the plugin reads is real: Namespaces (namespaceSelector, namespaceObject) come
// from this server's own Namespace storage through a loopback informer, and params (the paramKind
// resources, e.g. EgressPolicy custom resources) through the plugin's own dynamic informer over the
// loopback client, exactly as in kube-apiserver.
//
// Directory format: any number of *.yaml, *.yml or *.json files, each with one or more documents
// (---) of kind ValidatingAdmissionPolicy or ValidatingAdmissionPolicyBinding
// (admissionregistration.k8s.io/v1), e.g. the output of `helm template`; other kinds are reported
// as problems and ignored. Policies take effect asynchronously, as in a cluster: after a file
// changes, wait for --vap-report to list the object, then for the plugin to act on it.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/klog/v2"
)

type vapConfig struct {
	dir, report   string
	loopback      *rest.Config
	kubeClient    kubernetes.Interface
	kubeInformers informers.SharedInformerFactory // this server's Namespaces, started by a post-start hook
	authorizer    authorizer.Authorizer
}

func newValidatingAdmissionPolicy(ctx context.Context, cfg vapConfig) (admission.Interface, error) {
	if st, err := os.Stat(cfg.dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("--vap-dir %s is not a directory", cfg.dir)
	}
	plugin, err := validating.NewPlugin(nil) // nil: no admission config file, no static manifests
	if err != nil {
		return nil, err
	}
	policies := fake.NewSimpleClientset()
	policyInformers := informers.NewSharedInformerFactory(policies, 0)
	dynamicClient, err := dynamic.NewForConfig(cfg.loopback)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg.loopback)
	if err != nil {
		return nil, err
	}
	// The plugin resolves paramKind (a CRD's kind) through this mapper. kube-apiserver resets its
	// discovery-based mapper every 30s; here CRDs come and go within a test, so reset more often.
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	go wait.Until(mapper.Reset, 2*time.Second, ctx.Done())

	plugin.SetExternalKubeInformerFactory(&vapInformerFactory{SharedInformerFactory: policyInformers, core: cfg.kubeInformers})
	plugin.SetExternalKubeClientSet(cfg.kubeClient) // live Namespace lookups when the informer misses one
	plugin.SetDynamicClient(dynamicClient)
	plugin.SetRESTMapper(mapper)
	plugin.SetAuthorizer(cfg.authorizer)
	plugin.SetDrainedNotification(ctx.Done())
	plugin.SetAPIServerID("kube-test-apiserver")
	// as kube-apiserver: access reviews are never subject to policies
	plugin.SetExcludedAdmissionResources([]schema.GroupResource{
		authorizationv1.SchemeGroupVersion.WithResource("selfsubjectaccessreviews").GroupResource(),
		authorizationv1.SchemeGroupVersion.WithResource("selfsubjectrulesreviews").GroupResource(),
	})
	if err := plugin.ValidateInitialization(); err != nil {
		return nil, err
	}

	loader := &vapDirLoader{dir: cfg.dir, report: cfg.report, client: policies}
	// Load once before serving, so that the policies are in force for the first request (the
	// plugin refuses requests until its informers have synced).
	loader.load(ctx)
	policyInformers.Start(ctx.Done())
	go wait.Until(func() { loader.load(ctx) }, time.Second, ctx.Done())
	return plugin, nil
}

// vapInformerFactory gives the plugin the policies and bindings of --vap-dir (the embedded
// factory, over the fake clientset) and this server's real Namespaces (core).
type vapInformerFactory struct {
	informers.SharedInformerFactory
	core informers.SharedInformerFactory
}

func (f *vapInformerFactory) Core() coreinformers.Interface { return f.core.Core() }

func (f *vapInformerFactory) Start(stopCh <-chan struct{}) {
	f.SharedInformerFactory.Start(stopCh)
	f.core.Start(stopCh)
}

func (f *vapInformerFactory) StartWithContext(ctx context.Context) {
	f.SharedInformerFactory.StartWithContext(ctx)
	f.core.StartWithContext(ctx)
}

func (f *vapInformerFactory) ForResource(gvr schema.GroupVersionResource) (informers.GenericInformer, error) {
	if gvr.Group == corev1.GroupName {
		return f.core.ForResource(gvr)
	}
	return f.SharedInformerFactory.ForResource(gvr)
}

// ---- the directory loader ----

// strict, like the API server with fieldValidation=Strict: unknown fields are an error
var vapDecoder = serializer.NewCodecFactory(clientgoscheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

type vapDirLoader struct {
	dir, report string
	client      *fake.Clientset

	mu       sync.Mutex
	digest   string // of the files last loaded
	revision int64  // resourceVersion given to changed objects: the plugin recompiles on change
}

type vapLoadReport struct {
	Time     string              `json:"time"`
	Digest   string              `json:"digest"`
	Loaded   []string            `json:"loaded"`            // "ValidatingAdmissionPolicy/name", ...
	Refused  map[string][]string `json:"refused,omitempty"` // object -> create-time validation errors
	Problems []string            `json:"problems,omitempty"`
}

type vapObject struct {
	file string
	obj  runtime.Object
}

func (l *vapDirLoader) load(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var files []string
	for _, pattern := range []string{"*.yaml", "*.yml", "*.json"} {
		m, _ := filepath.Glob(filepath.Join(l.dir, pattern))
		files = append(files, m...)
	}
	sort.Strings(files)
	objects, digest, problems := readVAPFiles(files)
	if digest == l.digest {
		return
	}
	l.digest = digest
	l.revision++
	rep := vapLoadReport{Time: time.Now().UTC().Format(time.RFC3339Nano), Digest: digest, Loaded: []string{},
		Refused: map[string][]string{}, Problems: problems}

	wantPolicies := map[string]*admissionregistrationv1.ValidatingAdmissionPolicy{}
	wantBindings := map[string]*admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
	for _, o := range objects {
		switch obj := o.obj.(type) {
		case *admissionregistrationv1.ValidatingAdmissionPolicy:
			defaultPolicy(obj)
			if errs := validatePolicy(obj); len(errs) > 0 {
				rep.Refused["ValidatingAdmissionPolicy/"+obj.Name] = errorStrings(errs)
				continue
			}
			if _, dup := wantPolicies[obj.Name]; dup {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: ValidatingAdmissionPolicy %s defined twice; the last one wins", o.file, obj.Name))
			}
			wantPolicies[obj.Name] = obj
		case *admissionregistrationv1.ValidatingAdmissionPolicyBinding:
			defaultBinding(obj)
			if errs := validateBinding(obj); len(errs) > 0 {
				rep.Refused["ValidatingAdmissionPolicyBinding/"+obj.Name] = errorStrings(errs)
				continue
			}
			if _, dup := wantBindings[obj.Name]; dup {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: ValidatingAdmissionPolicyBinding %s defined twice; the last one wins", o.file, obj.Name))
			}
			wantBindings[obj.Name] = obj
		default:
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %T ignored: only ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding belong in --vap-dir", o.file, o.obj))
		}
	}

	rv := strconv.FormatInt(l.revision, 10)
	policies := l.client.AdmissionregistrationV1().ValidatingAdmissionPolicies()
	bindings := l.client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings()
	if existing, err := policies.List(ctx, metav1.ListOptions{}); err == nil {
		for i := range existing.Items {
			old := &existing.Items[i]
			if want, ok := wantPolicies[old.Name]; !ok {
				_ = policies.Delete(ctx, old.Name, metav1.DeleteOptions{})
			} else if sameObject(&want.ObjectMeta, &old.ObjectMeta, want.Spec, old.Spec) {
				delete(wantPolicies, old.Name) // unchanged: keep its resourceVersion, no recompilation
				rep.Loaded = append(rep.Loaded, "ValidatingAdmissionPolicy/"+old.Name)
			}
		}
	}
	for name, p := range wantPolicies {
		p.ResourceVersion, p.Generation = rv, l.revision
		if err := upsert(func() error { _, err := policies.Create(ctx, p, metav1.CreateOptions{}); return err },
			func() error { _, err := policies.Update(ctx, p, metav1.UpdateOptions{}); return err }); err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("ValidatingAdmissionPolicy %s: %v", name, err))
			continue
		}
		rep.Loaded = append(rep.Loaded, "ValidatingAdmissionPolicy/"+name)
	}
	if existing, err := bindings.List(ctx, metav1.ListOptions{}); err == nil {
		for i := range existing.Items {
			old := &existing.Items[i]
			if want, ok := wantBindings[old.Name]; !ok {
				_ = bindings.Delete(ctx, old.Name, metav1.DeleteOptions{})
			} else if sameObject(&want.ObjectMeta, &old.ObjectMeta, want.Spec, old.Spec) {
				delete(wantBindings, old.Name)
				rep.Loaded = append(rep.Loaded, "ValidatingAdmissionPolicyBinding/"+old.Name)
			}
		}
	}
	for name, b := range wantBindings {
		b.ResourceVersion, b.Generation = rv, l.revision
		if err := upsert(func() error { _, err := bindings.Create(ctx, b, metav1.CreateOptions{}); return err },
			func() error { _, err := bindings.Update(ctx, b, metav1.UpdateOptions{}); return err }); err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("ValidatingAdmissionPolicyBinding %s: %v", name, err))
			continue
		}
		rep.Loaded = append(rep.Loaded, "ValidatingAdmissionPolicyBinding/"+name)
	}
	sort.Strings(rep.Loaded)
	klog.InfoS("loaded --vap-dir", "dir", l.dir, "loaded", rep.Loaded, "refused", rep.Refused, "problems", rep.Problems)
	if l.report != "" {
		data, _ := json.MarshalIndent(rep, "", "  ")
		tmp := l.report + ".tmp"
		// written whole then renamed, so that a reader never sees half a report
		if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err == nil {
			_ = os.Rename(tmp, l.report)
		}
	}
}

func upsert(create, update func() error) error {
	err := create()
	if apierrors.IsAlreadyExists(err) {
		return update()
	}
	return err
}

func sameObject(a, b *metav1.ObjectMeta, specA, specB interface{}) bool {
	return apiequality.Semantic.DeepEqual(a.Labels, b.Labels) && apiequality.Semantic.DeepEqual(a.Annotations, b.Annotations) &&
		apiequality.Semantic.DeepEqual(specA, specB)
}

// readVAPFiles decodes every document of the files; the digest covers names and contents, so a
// load is skipped when nothing changed.
func readVAPFiles(files []string) ([]vapObject, string, []string) {
	var objects []vapObject
	var problems []string
	h := sha256.New()
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", file, err))
			continue
		}
		fmt.Fprintf(h, "%s\x00%d\x00", file, len(data))
		h.Write(data)
		reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := reader.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", file, err))
				break
			}
			if len(bytes.TrimSpace(stripComments(doc))) == 0 {
				continue
			}
			obj, _, err := vapDecoder.Decode(doc, nil, nil)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", file, err))
				continue
			}
			objects = append(objects, vapObject{file: file, obj: obj})
		}
	}
	return objects, hex.EncodeToString(h.Sum(nil)), problems
}
