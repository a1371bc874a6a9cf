package main

// Installs the built-in API groups into the apiextensions server's GenericAPIServer, after the
// apiextensions server installed its own group and its CRD handler. kube-apiserver runs three
// servers in a chain (aggregator -> apiextensions -> core); here one GenericAPIServer serves both
// the CRDs and the few built-in resources, which keeps one discovery document (/api, /apis,
// aggregated discovery) and one OpenAPI document for all of them without an aggregator.
// Installed groups are go-restful routes; the CRD handler only sees /apis/... paths no route claims.

import (
	"context"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
)

// systemNamespaces are created at start-up if missing, as kube-apiserver's bootstrap controller does.
var systemNamespaces = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease}

func installBuiltinAPIs(s *genericapiserver.GenericAPIServer, optsGetter generic.RESTOptionsGetter, authz authorizer.Authorizer, eventTTL time.Duration) error {
	stores := map[string]*storeREST{}
	for _, spec := range []resourceSpec{namespaceSpec(), eventSpec(eventTTL), leaseSpec()} {
		store, err := newStore(spec, optsGetter)
		if err != nil {
			return err
		}
		stores[spec.gvr.Resource] = store
	}

	core := genericapiserver.NewDefaultAPIGroupInfo(corev1.GroupName, Scheme, ParameterCodec, Codecs)
	core.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"namespaces": stores["namespaces"],
		"events":     stores["events"],
	}
	if err := s.InstallLegacyAPIGroup(genericapiserver.DefaultLegacyAPIPrefix, &core); err != nil {
		return fmt.Errorf("installing /api/v1: %w", err)
	}

	coordination := genericapiserver.NewDefaultAPIGroupInfo(coordinationv1.GroupName, Scheme, ParameterCodec, Codecs)
	coordination.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{"leases": stores["leases"]}

	authorization := genericapiserver.NewDefaultAPIGroupInfo(authorizationv1.GroupName, Scheme, ParameterCodec, Codecs)
	authorization.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"selfsubjectaccessreviews": &selfSubjectAccessReviewREST{authorizer: authz},
		"selfsubjectrulesreviews":  &selfSubjectRulesReviewREST{authorizer: authz},
	}
	authentication := genericapiserver.NewDefaultAPIGroupInfo(authenticationv1.GroupName, Scheme, ParameterCodec, Codecs)
	authentication.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{"selfsubjectreviews": &selfSubjectReviewREST{}}
	if err := s.InstallAPIGroups(&coordination, &authentication, &authorization); err != nil {
		return fmt.Errorf("installing coordination.k8s.io, authentication.k8s.io and authorization.k8s.io: %w", err)
	}

	// /readyz includes every post-start hook, so the server is not ready before these exist.
	return s.AddPostStartHook("create-system-namespaces", func(hc genericapiserver.PostStartHookContext) error {
		client, err := kubernetes.NewForConfig(hc.LoopbackClientConfig)
		if err != nil {
			return err
		}
		return wait.PollUntilContextCancel(hc, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			for _, name := range systemNamespaces {
				_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
				if err != nil && !apierrors.IsAlreadyExists(err) {
					klog.V(2).InfoS("creating system namespace, will retry", "namespace", name, "err", err)
					return false, nil
				}
			}
			return true, nil
		})
	})
}
