package main

// REST storage for the built-in resources an operator needs besides its CRDs: Namespaces, Events
// and Leases. Each one is an upstream genericregistry.Store (the same store kube-apiserver uses for
// every built-in resource) over etcd, so resourceVersion, optimistic concurrency (409 Conflict on a
// stale resourceVersion), generateName, list/watch with label and field selectors, the watch cache,
// dry-run, server-side apply, Table output and deletion preconditions are the upstream code. Only
// the strategies are ours, and they follow kube-apiserver's (k8s.io/kubernetes pkg/registry/...):
// same scoping, same AllowCreateOnUpdate/AllowUnconditionalUpdate, the same server-set fields, and
// the parts of validation that apimachinery can express without k8s.io/kubernetes.
//
// Not emulated (no controllers run in this server):
//   - Namespace deletion is a plain delete: the namespace disappears at once, without the
//     Terminating phase, and what was in it stays in etcd (kube's namespace controller would delete
//     it). Re-creating a namespace of the same name shows the old content again.
//   - No garbage collector: ownerReferences are stored but dependents are never deleted, and a
//     delete with propagationPolicy Foreground or Orphan leaves the object behind with the
//     foregroundDeletion/orphan finalizer (Background, the default of kubectl and fabric8, deletes).

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
)

// strategy is one resource's create/update/delete behaviour; the hooks left nil do nothing.
type strategy struct {
	runtime.ObjectTyper
	names.NameGenerator

	namespaced               bool
	allowCreateOnUpdate      bool
	allowUnconditionalUpdate bool
	gcPolicy                 rest.GarbageCollectionPolicy // "" = the store's default

	prepareForCreate func(obj runtime.Object)
	prepareForUpdate func(obj, old runtime.Object)
	validate         func(obj runtime.Object) field.ErrorList
	validateUpdate   func(obj, old runtime.Object) field.ErrorList
}

var (
	_ rest.RESTCreateStrategy = strategy{}
	_ rest.RESTUpdateStrategy = strategy{}
	_ rest.RESTDeleteStrategy = strategy{}
)

func (s strategy) NamespaceScoped() bool                                     { return s.namespaced }
func (s strategy) AllowCreateOnUpdate() bool                                 { return s.allowCreateOnUpdate }
func (s strategy) AllowUnconditionalUpdate() bool                            { return s.allowUnconditionalUpdate }
func (s strategy) Canonicalize(runtime.Object)                               {}
func (s strategy) WarningsOnCreate(context.Context, runtime.Object) []string { return nil }
func (s strategy) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}

func (s strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	if s.prepareForCreate != nil {
		s.prepareForCreate(obj)
	}
}

func (s strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	if s.prepareForUpdate != nil {
		s.prepareForUpdate(obj, old)
	}
}

func (s strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	if s.validate != nil {
		return s.validate(obj)
	}
	return nil
}

// ValidateUpdate always checks the metadata rules of an update (immutable name, namespace, uid,
// creationTimestamp...), as every kube-apiserver strategy does, then the resource's own rules.
func (s strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	newMeta, err1 := meta.Accessor(obj)
	oldMeta, err2 := meta.Accessor(old)
	if err1 != nil || err2 != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), fmt.Errorf("no metadata"))}
	}
	errs := apivalidation.ValidateObjectMetaAccessorUpdate(newMeta, oldMeta, field.NewPath("metadata"))
	if s.validateUpdate != nil {
		errs = append(errs, s.validateUpdate(obj, old)...)
	}
	return errs
}

// DefaultGarbageCollectionPolicy lets Events opt out of ownerReference-based deletion, as in kube.
func (s strategy) DefaultGarbageCollectionPolicy(context.Context) rest.GarbageCollectionPolicy {
	if s.gcPolicy != "" {
		return s.gcPolicy
	}
	return rest.DeleteDependents
}

// resourceSpec describes one stored resource.
type resourceSpec struct {
	gvr        schema.GroupVersionResource
	singular   string
	shortNames []string
	newFunc    func() runtime.Object
	newList    func() runtime.Object
	strategy   strategy
	// selectable returns the fields a fieldSelector may use beyond metadata.name/namespace.
	selectable func(obj runtime.Object) fields.Set
	ttl        time.Duration // Events expire, as with kube-apiserver's --event-ttl
	table      *tableSpec
}

// storeREST adds the discovery details kube-apiserver serves (short names) to a generic store.
type storeREST struct {
	*genericregistry.Store
	shortNames []string
}

func (r *storeREST) ShortNames() []string { return r.shortNames }

var _ rest.ShortNamesProvider = &storeREST{}

func newStore(spec resourceSpec, optsGetter generic.RESTOptionsGetter) (*storeREST, error) {
	gr := spec.gvr.GroupResource()
	namespaced := spec.strategy.namespaced
	getAttrs := func(obj runtime.Object) (labels.Set, fields.Set, error) {
		m, err := meta.Accessor(obj)
		if err != nil {
			return nil, nil, err
		}
		om := metav1.ObjectMeta{Name: m.GetName(), Namespace: m.GetNamespace()}
		set := generic.ObjectMetaFieldsSet(&om, namespaced)
		if spec.selectable != nil {
			set = generic.MergeFieldsSets(set, spec.selectable(obj))
		}
		return labels.Set(m.GetLabels()), set, nil
	}
	store := &genericregistry.Store{
		NewFunc:                   spec.newFunc,
		NewListFunc:               spec.newList,
		DefaultQualifiedResource:  gr,
		SingularQualifiedResource: schema.GroupResource{Group: gr.Group, Resource: spec.singular},
		CreateStrategy:            spec.strategy,
		UpdateStrategy:            spec.strategy,
		DeleteStrategy:            spec.strategy,
		TableConvertor:            rest.NewDefaultTableConvertor(gr),
	}
	if spec.table != nil {
		store.TableConvertor = spec.table
	}
	if spec.ttl > 0 {
		ttl := uint64(spec.ttl.Seconds())
		store.TTLFunc = func(runtime.Object, uint64, bool) (uint64, error) { return ttl, nil }
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: getAttrs}); err != nil {
		return nil, fmt.Errorf("%s: %w", gr, err)
	}
	return &storeREST{Store: store, shortNames: spec.shortNames}, nil
}

// ---- Namespaces ----

func namespaceSpec() resourceSpec {
	// kube-apiserver sets this label on every namespace (NamespaceDefaultLabelName feature, GA in
	// 1.22) so that namespaceSelectors can select by name; ValidatingAdmissionPolicy bindings do.
	setNameLabel := func(ns *corev1.Namespace) {
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels[corev1.LabelMetadataName] = ns.Name
	}
	return resourceSpec{
		gvr:        corev1.SchemeGroupVersion.WithResource("namespaces"),
		singular:   "namespace",
		shortNames: []string{"ns"},
		newFunc:    func() runtime.Object { return &corev1.Namespace{} },
		newList:    func() runtime.Object { return &corev1.NamespaceList{} },
		strategy: strategy{
			ObjectTyper: Scheme, NameGenerator: names.SimpleNameGenerator,
			namespaced: false, allowCreateOnUpdate: false, allowUnconditionalUpdate: true,
			prepareForCreate: func(obj runtime.Object) {
				ns := obj.(*corev1.Namespace)
				ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
				// kube adds its finalizer on create; nothing here acts on it (deletion is plain).
				hasKube := false
				for _, f := range ns.Spec.Finalizers {
					hasKube = hasKube || f == corev1.FinalizerKubernetes
				}
				if !hasKube {
					ns.Spec.Finalizers = append(ns.Spec.Finalizers, corev1.FinalizerKubernetes)
				}
				setNameLabel(ns)
			},
			prepareForUpdate: func(obj, old runtime.Object) {
				ns, oldNS := obj.(*corev1.Namespace), old.(*corev1.Namespace)
				// spec.finalizers and status are only written through subresources in kube
				ns.Spec.Finalizers = oldNS.Spec.Finalizers
				ns.Status = oldNS.Status
				setNameLabel(ns)
			},
			validate: func(obj runtime.Object) field.ErrorList {
				ns := obj.(*corev1.Namespace)
				return apivalidation.ValidateObjectMeta(&ns.ObjectMeta, false, apivalidation.ValidateNamespaceName, field.NewPath("metadata"))
			},
		},
		selectable: func(obj runtime.Object) fields.Set {
			ns := obj.(*corev1.Namespace)
			return fields.Set{"status.phase": string(ns.Status.Phase), "name": ns.Name}
		},
		table: &tableSpec{
			columns: []metav1.TableColumnDefinition{
				{Name: "Name", Type: "string", Format: "name"},
				{Name: "Status", Type: "string"},
				{Name: "Age", Type: "string"},
			},
			cells: func(obj runtime.Object) []interface{} {
				ns := obj.(*corev1.Namespace)
				return []interface{}{ns.Name, string(ns.Status.Phase), age(ns.CreationTimestamp)}
			},
		},
	}
}

// ---- Events ----

func eventSpec(ttl time.Duration) resourceSpec {
	validate := func(obj runtime.Object) field.ErrorList {
		ev := obj.(*corev1.Event)
		errs := apivalidation.ValidateObjectMeta(&ev.ObjectMeta, true, path.ValidatePathSegmentName, field.NewPath("metadata"))
		// kube's legacy-event rule: an event about a namespaced object lives in that namespace
		if ev.InvolvedObject.Namespace != "" && ev.InvolvedObject.Namespace != ev.Namespace {
			errs = append(errs, field.Invalid(field.NewPath("involvedObject", "namespace"), ev.InvolvedObject.Namespace, "does not match event.namespace"))
		}
		if ev.Count < 0 {
			errs = append(errs, field.Invalid(field.NewPath("count"), ev.Count, "must be greater than or equal to 0"))
		}
		return errs
	}
	return resourceSpec{
		gvr:        corev1.SchemeGroupVersion.WithResource("events"),
		singular:   "event",
		shortNames: []string{"ev"},
		newFunc:    func() runtime.Object { return &corev1.Event{} },
		newList:    func() runtime.Object { return &corev1.EventList{} },
		strategy: strategy{
			ObjectTyper: Scheme, NameGenerator: names.SimpleNameGenerator,
			namespaced: true, allowCreateOnUpdate: true, allowUnconditionalUpdate: true,
			gcPolicy: rest.Unsupported,
			validate: validate,
			validateUpdate: func(obj, _ runtime.Object) field.ErrorList {
				return validate(obj)
			},
		},
		// kube-apiserver's EventToSelectableFields, so that `kubectl describe` finds the events
		selectable: func(obj runtime.Object) fields.Set {
			ev := obj.(*corev1.Event)
			return fields.Set{
				"involvedObject.kind":            ev.InvolvedObject.Kind,
				"involvedObject.namespace":       ev.InvolvedObject.Namespace,
				"involvedObject.name":            ev.InvolvedObject.Name,
				"involvedObject.uid":             string(ev.InvolvedObject.UID),
				"involvedObject.apiVersion":      ev.InvolvedObject.APIVersion,
				"involvedObject.resourceVersion": ev.InvolvedObject.ResourceVersion,
				"involvedObject.fieldPath":       ev.InvolvedObject.FieldPath,
				"reason":                         ev.Reason,
				"reportingComponent":             ev.ReportingController,
				"source":                         ev.Source.Component,
				"type":                           ev.Type,
			}
		},
		ttl: ttl,
		table: &tableSpec{
			columns: []metav1.TableColumnDefinition{
				{Name: "Last Seen", Type: "string"},
				{Name: "Type", Type: "string"},
				{Name: "Reason", Type: "string"},
				{Name: "Object", Type: "string"},
				{Name: "Message", Type: "string"},
				{Name: "Name", Type: "string", Format: "name", Priority: 1},
			},
			cells: func(obj runtime.Object) []interface{} {
				ev := obj.(*corev1.Event)
				last := ev.LastTimestamp
				if last.IsZero() {
					last = metav1.NewTime(ev.EventTime.Time)
				}
				object := ev.InvolvedObject.Name
				if ev.InvolvedObject.Kind != "" {
					object = fmt.Sprintf("%s/%s", lower(ev.InvolvedObject.Kind), ev.InvolvedObject.Name)
				}
				return []interface{}{age(last), ev.Type, ev.Reason, object, ev.Message, ev.Name}
			},
		},
	}
}

// ---- Leases ----

func leaseSpec() resourceSpec {
	validate := func(obj runtime.Object) field.ErrorList {
		l := obj.(*coordinationv1.Lease)
		errs := apivalidation.ValidateObjectMeta(&l.ObjectMeta, true, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
		spec := field.NewPath("spec")
		// kube's ValidateLeaseSpec
		if l.Spec.LeaseDurationSeconds != nil && *l.Spec.LeaseDurationSeconds <= 0 {
			errs = append(errs, field.Invalid(spec.Child("leaseDurationSeconds"), *l.Spec.LeaseDurationSeconds, "must be greater than 0"))
		}
		if l.Spec.LeaseTransitions != nil && *l.Spec.LeaseTransitions < 0 {
			errs = append(errs, field.Invalid(spec.Child("leaseTransitions"), *l.Spec.LeaseTransitions, "must be greater than or equal to 0"))
		}
		return errs
	}
	return resourceSpec{
		gvr:      coordinationv1.SchemeGroupVersion.WithResource("leases"),
		singular: "lease",
		newFunc:  func() runtime.Object { return &coordinationv1.Lease{} },
		newList:  func() runtime.Object { return &coordinationv1.LeaseList{} },
		strategy: strategy{
			ObjectTyper: Scheme, NameGenerator: names.SimpleNameGenerator,
			// as in kube: a PUT may create a Lease, and an update must carry a resourceVersion
			namespaced: true, allowCreateOnUpdate: true, allowUnconditionalUpdate: false,
			validate: validate,
			validateUpdate: func(obj, _ runtime.Object) field.ErrorList {
				return validate(obj)
			},
		},
		table: &tableSpec{
			columns: []metav1.TableColumnDefinition{
				{Name: "Name", Type: "string", Format: "name"},
				{Name: "Holder", Type: "string"},
				{Name: "Age", Type: "string"},
			},
			cells: func(obj runtime.Object) []interface{} {
				l := obj.(*coordinationv1.Lease)
				holder := ""
				if l.Spec.HolderIdentity != nil {
					holder = *l.Spec.HolderIdentity
				}
				return []interface{}{l.Name, holder, age(l.CreationTimestamp)}
			},
		},
	}
}

// ---- Table output (kubectl get) ----

// tableSpec renders a resource's columns the way kube-apiserver's printers do for these kinds.
type tableSpec struct {
	columns []metav1.TableColumnDefinition
	cells   func(obj runtime.Object) []interface{}
}

func (t *tableSpec) ConvertToTable(_ context.Context, object runtime.Object, _ runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{ColumnDefinitions: t.columns}
	add := func(obj runtime.Object) error {
		table.Rows = append(table.Rows, metav1.TableRow{Cells: t.cells(obj), Object: runtime.RawExtension{Object: obj}})
		return nil
	}
	if meta.IsListType(object) {
		if err := meta.EachListItem(object, add); err != nil {
			return nil, err
		}
	} else if err := add(object); err != nil {
		return nil, err
	}
	if l, err := meta.ListAccessor(object); err == nil {
		table.ResourceVersion = l.GetResourceVersion()
		table.Continue = l.GetContinue()
		table.RemainingItemCount = l.GetRemainingItemCount()
	} else if m, err := meta.CommonAccessor(object); err == nil {
		table.ResourceVersion = m.GetResourceVersion()
	}
	return table, nil
}

func age(t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(t.Time))
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
