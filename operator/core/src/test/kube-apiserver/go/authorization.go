package main

// The "self" reviews: authentication.k8s.io/v1 SelfSubjectReview and authorization.k8s.io/v1
// SelfSubjectAccessReview and SelfSubjectRulesReview. They are create-only virtual resources
// (nothing is stored). The authorization ones are answered by this server's own authorizer, the
// one that guards every request: k8s.io/apiserver's delegating authorizer without a remote webhook,
// under which members of system:masters may do anything and everybody else is denied (no opinion,
// then Forbidden). Clients ask these reviews before acting, e.g. JOSDK's leader election checks
// with a SelfSubjectRulesReview that it may get/create/update Leases, and `kubectl auth can-i`
// uses both.

import (
	"context"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// ---- SelfSubjectAccessReview ----

type selfSubjectAccessReviewREST struct {
	authorizer authorizer.Authorizer
}

var (
	_ rest.Creater              = &selfSubjectAccessReviewREST{}
	_ rest.Scoper               = &selfSubjectAccessReviewREST{}
	_ rest.SingularNameProvider = &selfSubjectAccessReviewREST{}
)

func (r *selfSubjectAccessReviewREST) New() runtime.Object {
	return &authorizationv1.SelfSubjectAccessReview{}
}
func (r *selfSubjectAccessReviewREST) Destroy()                {}
func (r *selfSubjectAccessReviewREST) NamespaceScoped() bool   { return false }
func (r *selfSubjectAccessReviewREST) GetSingularName() string { return "selfsubjectaccessreview" }

func (r *selfSubjectAccessReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.SelfSubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectAccessReview: %T", obj))
	}
	spec := field.NewPath("spec")
	ra, nra := review.Spec.ResourceAttributes, review.Spec.NonResourceAttributes
	// kube's ValidateSelfSubjectAccessReviewSpec
	if (ra == nil) == (nra == nil) {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("SelfSubjectAccessReview").GroupKind(), "",
			field.ErrorList{field.Invalid(spec.Child("resourceAttributes"), ra, "exactly one of nonResourceAttributes or resourceAttributes must be specified")})
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	attrs := authorizer.AttributesRecord{User: u}
	if ra != nil {
		attrs.ResourceRequest = true
		attrs.Verb, attrs.Namespace, attrs.Name = ra.Verb, ra.Namespace, ra.Name
		attrs.APIGroup, attrs.APIVersion, attrs.Resource, attrs.Subresource = ra.Group, ra.Version, ra.Resource, ra.Subresource
	} else {
		attrs.Verb, attrs.Path = nra.Verb, nra.Path
	}
	decision, reason, err := r.authorizer.Authorize(ctx, attrs)
	review.Status = authorizationv1.SubjectAccessReviewStatus{
		Allowed: decision == authorizer.DecisionAllow,
		Denied:  decision == authorizer.DecisionDeny,
		Reason:  reason,
	}
	if err != nil {
		review.Status.EvaluationError = err.Error()
	}
	return review, nil
}

// ---- SelfSubjectRulesReview ----

type selfSubjectRulesReviewREST struct {
	authorizer authorizer.Authorizer
}

var (
	_ rest.Creater              = &selfSubjectRulesReviewREST{}
	_ rest.Scoper               = &selfSubjectRulesReviewREST{}
	_ rest.SingularNameProvider = &selfSubjectRulesReviewREST{}
)

func (r *selfSubjectRulesReviewREST) New() runtime.Object {
	return &authorizationv1.SelfSubjectRulesReview{}
}
func (r *selfSubjectRulesReviewREST) Destroy()                {}
func (r *selfSubjectRulesReviewREST) NamespaceScoped() bool   { return false }
func (r *selfSubjectRulesReviewREST) GetSingularName() string { return "selfsubjectrulesreview" }

// Create lists what the requester may do in spec.namespace. The authorizer here has no rule
// tables to enumerate (no RBAC), so the rules are derived from a question it can answer: may this
// user do everything ("*" verb on "*" resources of "*" groups, and "*" on every non-resource URL)?
// That is what kube-apiserver answers for system:masters; for anybody else this server allows
// nothing, which is an empty, complete rule list.
func (r *selfSubjectRulesReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.SelfSubjectRulesReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectRulesReview: %T", obj))
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	status := authorizationv1.SubjectRulesReviewStatus{
		ResourceRules:    []authorizationv1.ResourceRule{},
		NonResourceRules: []authorizationv1.NonResourceRule{},
	}
	everything := authorizer.AttributesRecord{User: u, Verb: "*", Namespace: review.Spec.Namespace,
		APIGroup: "*", APIVersion: "*", Resource: "*", Subresource: "*", Name: "*", ResourceRequest: true}
	if d, _, err := r.authorizer.Authorize(ctx, everything); err != nil {
		status.Incomplete, status.EvaluationError = true, err.Error()
	} else if d == authorizer.DecisionAllow {
		status.ResourceRules = append(status.ResourceRules, authorizationv1.ResourceRule{
			Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}})
	}
	everyURL := authorizer.AttributesRecord{User: u, Verb: "*", Path: "*"}
	if d, _, err := r.authorizer.Authorize(ctx, everyURL); err != nil {
		status.Incomplete, status.EvaluationError = true, err.Error()
	} else if d == authorizer.DecisionAllow {
		status.NonResourceRules = append(status.NonResourceRules, authorizationv1.NonResourceRule{
			Verbs: []string{"*"}, NonResourceURLs: []string{"*"}})
	}
	review.Status = status
	return review, nil
}

// ---- authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`) ----

type selfSubjectReviewREST struct{}

var (
	_ rest.Creater              = &selfSubjectReviewREST{}
	_ rest.Scoper               = &selfSubjectReviewREST{}
	_ rest.SingularNameProvider = &selfSubjectReviewREST{}
)

func (r *selfSubjectReviewREST) New() runtime.Object     { return &authenticationv1.SelfSubjectReview{} }
func (r *selfSubjectReviewREST) Destroy()                {}
func (r *selfSubjectReviewREST) NamespaceScoped() bool   { return false }
func (r *selfSubjectReviewREST) GetSingularName() string { return "selfsubjectreview" }

// Create tells the requester who the server authenticated them as.
func (r *selfSubjectReviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authenticationv1.SelfSubjectReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectReview: %T", obj))
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	extra := map[string]authenticationv1.ExtraValue{}
	for k, v := range u.GetExtra() {
		extra[k] = v
	}
	review.Status.UserInfo = authenticationv1.UserInfo{Username: u.GetName(), UID: u.GetUID(), Groups: u.GetGroups(), Extra: extra}
	return review, nil
}
