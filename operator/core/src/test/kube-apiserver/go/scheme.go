package main

// The scheme of the built-in (non-CRD) resources this server stores: core/v1 Namespaces and Events,
// coordination.k8s.io/v1 Leases, authentication.k8s.io/v1 and authorization.k8s.io/v1 self-subject reviews.
//
// Internal version. The generic registry and the REST handlers of k8s.io/apiserver convert every
// request body to the group's *internal* version (runtime.APIVersionInternal, "__internal") before
// it reaches the strategy and the storage, and convert back to v1 on the way out. kube-apiserver has
// real internal types for that (k8s.io/kubernetes/pkg/apis/core, .../coordination, ...), but
// k8s.io/kubernetes is not packaged in Debian, and writing internal copies plus conversions for a
// handful of types would be a lot of code that only restates v1. So the k8s.io/api v1 Go types are
// registered a second time under the internal version of their group. runtime.Scheme then finds,
// for every conversion between "v1" and "__internal", that the source and target Go types are the
// same and only re-labels the object's kind (Scheme.convertToVersion: "target wants to use the
// existing type, set kind and return"). The consequences, all harmless here:
//   - no v1 defaulting functions run (they live in k8s.io/kubernetes too); the strategies set the
//     few server-side fields that matter (Namespace status.phase, the metadata.name label);
//   - the OpenAPI namer is given client-go's scheme (external versions only), never this one, so
//     "__internal" never shows up as an x-kubernetes-group-version-kind;
//   - only one version is served per group, so there is nothing to convert between anyway.

import (
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
)

var (
	// Scheme holds the served types (v1 and the internal alias of each).
	Scheme = runtime.NewScheme()
	// Codecs serves and stores them.
	Codecs = serializer.NewCodecFactory(Scheme)
	// ParameterCodec decodes query parameters (list/watch/delete options) into v1 option types.
	ParameterCodec = runtime.NewParameterCodec(Scheme)
)

// internalOf is the internal version of a served group version.
func internalOf(gv schema.GroupVersion) schema.GroupVersion {
	return schema.GroupVersion{Group: gv.Group, Version: runtime.APIVersionInternal}
}

func init() {
	// The external versions, exactly as client-go knows them (this also registers the metav1
	// options, WatchEvent and Status for each group version).
	utilruntime.Must(corev1.AddToScheme(Scheme))
	utilruntime.Must(coordinationv1.AddToScheme(Scheme))
	utilruntime.Must(authenticationv1.AddToScheme(Scheme))
	utilruntime.Must(authorizationv1.AddToScheme(Scheme))

	// The same Go types as the internal versions (see the comment at the top of this file).
	Scheme.AddKnownTypes(internalOf(corev1.SchemeGroupVersion),
		&corev1.Namespace{}, &corev1.NamespaceList{}, &corev1.Event{}, &corev1.EventList{})
	Scheme.AddKnownTypes(internalOf(coordinationv1.SchemeGroupVersion),
		&coordinationv1.Lease{}, &coordinationv1.LeaseList{})
	Scheme.AddKnownTypes(internalOf(authenticationv1.SchemeGroupVersion), &authenticationv1.SelfSubjectReview{})
	Scheme.AddKnownTypes(internalOf(authorizationv1.SchemeGroupVersion),
		&authorizationv1.SelfSubjectAccessReview{}, &authorizationv1.SelfSubjectRulesReview{})

	// What the generic API server expects of any scheme it serves (kube-apiserver's legacyscheme
	// and apiextensions' scheme do the same).
	unversioned := schema.GroupVersion{Group: "", Version: "v1"}
	Scheme.AddUnversionedTypes(unversioned, &metav1.Status{}, &metav1.APIVersions{}, &metav1.APIGroupList{},
		&metav1.APIGroup{}, &metav1.APIResourceList{})

	// fieldSelectors: the request handler asks the scheme which field labels a kind accepts
	// (only metadata.name and metadata.namespace by default); these are kube's for these kinds
	// (k8s.io/kubernetes pkg/apis/core/v1/conversion.go). The store's AttrFunc provides the values.
	for kind, labels := range map[string][]string{
		"Event":     eventFieldLabels,
		"Namespace": {"status.phase", "name"},
	} {
		utilruntime.Must(Scheme.AddFieldLabelConversionFunc(corev1.SchemeGroupVersion.WithKind(kind), fieldLabels(labels...)))
	}

	utilruntime.Must(Scheme.SetVersionPriority(corev1.SchemeGroupVersion))
	utilruntime.Must(Scheme.SetVersionPriority(coordinationv1.SchemeGroupVersion))
	utilruntime.Must(Scheme.SetVersionPriority(authenticationv1.SchemeGroupVersion))
	utilruntime.Must(Scheme.SetVersionPriority(authorizationv1.SchemeGroupVersion))
}

var eventFieldLabels = []string{"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
	"involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
	"reason", "reportingComponent", "source", "type"}

// fieldLabels accepts metadata.name, metadata.namespace and the given labels, unchanged.
func fieldLabels(extra ...string) runtime.FieldLabelConversionFunc {
	return func(label, value string) (string, string, error) {
		if label == "metadata.name" || label == "metadata.namespace" {
			return label, value, nil
		}
		for _, l := range extra {
			if l == label {
				return label, value, nil
			}
		}
		return "", "", fmt.Errorf("field label not supported: %s", label)
	}
}

// storedResources are the resources kept in etcd, each stored as v1 and held in memory as the
// internal alias.
var storedResources = []schema.GroupVersionResource{
	corev1.SchemeGroupVersion.WithResource("namespaces"),
	corev1.SchemeGroupVersion.WithResource("events"),
	coordinationv1.SchemeGroupVersion.WithResource("leases"),
}

// newStorageFactory is kube-apiserver's way of storing built-in resources: a DefaultStorageFactory
// over this package's codecs. The etcd options' own storage codec belongs to apiextensions (it only
// knows CRD types), which is why the built-in resources need a factory of their own. Objects are
// stored as protobuf, as kube-apiserver stores built-in types, under the same --etcd-prefix as the
// CRDs and custom resources (so one prefix holds everything one server wrote).
func newStorageFactory(config storagebackend.Config) *serverstorage.DefaultStorageFactory {
	encoding := serverstorage.NewDefaultResourceEncodingConfig(Scheme)
	enabled := serverstorage.NewResourceConfig()
	for _, gvr := range storedResources {
		encoding.SetResourceEncoding(gvr.GroupResource(), gvr.GroupVersion(), internalOf(gvr.GroupVersion()))
		enabled.EnableVersions(gvr.GroupVersion())
	}
	return serverstorage.NewDefaultStorageFactory(config, runtime.ContentTypeProtobuf, Codecs, encoding, enabled, nil)
}
