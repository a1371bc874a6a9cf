package main

// What kube-apiserver does to a ValidatingAdmissionPolicy or a ValidatingAdmissionPolicyBinding
// when it is created, re-implemented for --vap-dir because the code lives in k8s.io/kubernetes
// (pkg/apis/admissionregistration/v1/defaults.go and .../validation/validation.go), which Debian
// does not package. The defaults are complete. The validation covers what a chart author can get
// wrong: required fields, enumerations, selectors, and the compilation of every CEL expression with
// the same compilers, environments (NewExpressions, as for a create) and variable declarations as
// the API server. A policy that fails here would be refused by kube-apiserver too; the converse
// holds for the checks listed, not for every corner of the upstream validation.

import (
	"regexp"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"
)

// ---- defaults (SetDefaults_* of admissionregistration/v1) ----

func defaultMatchResources(m *admissionregistrationv1.MatchResources) {
	if m == nil {
		return
	}
	if m.MatchPolicy == nil {
		p := admissionregistrationv1.Equivalent
		m.MatchPolicy = &p
	}
	if m.NamespaceSelector == nil {
		m.NamespaceSelector = &metav1.LabelSelector{}
	}
	if m.ObjectSelector == nil {
		m.ObjectSelector = &metav1.LabelSelector{}
	}
	for _, rules := range [][]admissionregistrationv1.NamedRuleWithOperations{m.ResourceRules, m.ExcludeResourceRules} {
		for i := range rules {
			if rules[i].Scope == nil {
				s := admissionregistrationv1.AllScopes
				rules[i].Scope = &s
			}
		}
	}
}

func defaultPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
	if p.Spec.FailurePolicy == nil {
		f := admissionregistrationv1.Fail
		p.Spec.FailurePolicy = &f
	}
	defaultMatchResources(p.Spec.MatchConstraints)
}

func defaultBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
	defaultMatchResources(b.Spec.MatchResources)
	if b.Spec.ParamRef != nil && b.Spec.ParamRef.ParameterNotFoundAction == nil {
		a := admissionregistrationv1.DenyAction
		b.Spec.ParamRef.ParameterNotFoundAction = &a
	}
}

// ---- validation ----

// qualifiedName is kube's ValidateQualifiedName (a label key: [prefix/]name).
func qualifiedName(value string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range utilvalidation.IsQualifiedName(value) {
		errs = append(errs, field.Invalid(fld, value, msg))
	}
	return errs
}

func errorStrings(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

var (
	celIdentifier = regexp.MustCompile(`^[_a-zA-Z][_a-zA-Z0-9]*$`)
	celReserved   = sets.New("true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
		"function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while")
	lineBreak = regexp.MustCompile(`[\n\r]+`)
	reasons   = sets.New(string(metav1.StatusReasonForbidden), string(metav1.StatusReasonInvalid),
		string(metav1.StatusReasonRequestEntityTooLarge), string(metav1.StatusReasonUnauthorized))
	operations = sets.New(string(admissionregistrationv1.OperationAll), string(admissionregistrationv1.Create),
		string(admissionregistrationv1.Update), string(admissionregistrationv1.Delete), string(admissionregistrationv1.Connect))
)

// celError words a compilation error as the API server's validation does.
func celError(fld *field.Path, expression string, err *apiservercel.Error) *field.Error {
	switch err.Type {
	case apiservercel.ErrorTypeRequired:
		return field.Required(fld, err.Detail)
	case apiservercel.ErrorTypeInvalid:
		return field.Invalid(fld, expression, err.Detail)
	default:
		return field.InternalError(fld, err)
	}
}

func validatePolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
	errs := apivalidation.ValidateObjectMeta(&p.ObjectMeta, false, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec, fld := &p.Spec, field.NewPath("spec")
	hasParams := spec.ParamKind != nil

	if fp := spec.FailurePolicy; fp == nil {
		errs = append(errs, field.Required(fld.Child("failurePolicy"), ""))
	} else if *fp != admissionregistrationv1.Fail && *fp != admissionregistrationv1.Ignore {
		errs = append(errs, field.NotSupported(fld.Child("failurePolicy"), *fp, []string{"Fail", "Ignore"}))
	}
	if hasParams {
		pk, pf := spec.ParamKind, fld.Child("paramKind")
		if gv, err := schema.ParseGroupVersion(pk.APIVersion); pk.APIVersion == "" {
			errs = append(errs, field.Required(pf.Child("apiVersion"), ""))
		} else if err != nil || gv.Version == "" {
			errs = append(errs, field.Invalid(pf.Child("apiVersion"), pk.APIVersion, "must be group/version or version"))
		} else if gv.Group != "" {
			for _, msg := range utilvalidation.IsDNS1123Subdomain(gv.Group) {
				errs = append(errs, field.Invalid(pf.Child("apiVersion"), gv.Group, msg))
			}
		}
		if pk.Kind == "" {
			errs = append(errs, field.Required(pf.Child("kind"), ""))
		}
	}
	if spec.MatchConstraints == nil {
		errs = append(errs, field.Required(fld.Child("matchConstraints"), ""))
	} else {
		errs = append(errs, validateMatchResources(spec.MatchConstraints, fld.Child("matchConstraints"))...)
		if len(spec.MatchConstraints.ResourceRules) == 0 { // they give the expressions their types
			errs = append(errs, field.Required(fld.Child("matchConstraints", "resourceRules"), ""))
		}
	}

	// matchConditions: the stateless compiler (they cannot use variables)
	stateless := plugincel.NewCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	if len(spec.MatchConditions) > 64 {
		errs = append(errs, field.TooMany(fld.Child("matchConditions"), len(spec.MatchConditions), 64))
	}
	conditionNames := sets.New[string]()
	for i, mc := range spec.MatchConditions {
		mf := fld.Child("matchConditions").Index(i)
		if mc.Name == "" {
			errs = append(errs, field.Required(mf.Child("name"), ""))
		} else {
			errs = append(errs, qualifiedName(mc.Name, mf.Child("name"))...)
			if conditionNames.Has(mc.Name) {
				errs = append(errs, field.Duplicate(mf.Child("name"), mc.Name))
			}
			conditionNames.Insert(mc.Name)
		}
		if strings.TrimSpace(mc.Expression) == "" {
			errs = append(errs, field.Required(mf.Child("expression"), ""))
			continue
		}
		r := stateless.CompileCELExpression(&matchconditions.MatchCondition{Expression: strings.TrimSpace(mc.Expression)},
			plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}, environment.NewExpressions)
		if r.Error != nil {
			errs = append(errs, celError(mf.Child("expression"), mc.Expression, r.Error))
		}
	}

	// variables, validations, auditAnnotations: the compositing compiler when there are variables
	var compiler plugincel.Compiler = stateless
	var composited *plugincel.CompositedCompiler
	if len(spec.Variables) > 0 {
		c, err := plugincel.NewCompositedCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
		if err != nil {
			return append(errs, field.InternalError(fld.Child("variables"), err))
		}
		compiler, composited = c, c
	}
	withAuthz := plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}
	for i, v := range spec.Variables {
		vf := fld.Child("variables").Index(i)
		if strings.TrimSpace(v.Name) == "" {
			errs = append(errs, field.Required(vf.Child("name"), "name is not specified"))
		} else if !celIdentifier.MatchString(v.Name) || celReserved.Has(v.Name) {
			errs = append(errs, field.Invalid(vf.Child("name"), v.Name, "name is not a valid CEL identifier"))
		}
		if strings.TrimSpace(v.Expression) == "" {
			errs = append(errs, field.Required(vf.Child("expression"), "expression is not specified"))
			continue
		}
		r := composited.CompileAndStoreVariable(&validating.Variable{Name: v.Name, Expression: v.Expression}, withAuthz, environment.NewExpressions)
		if r.Error != nil {
			errs = append(errs, celError(vf.Child("expression"), v.Expression, r.Error))
		}
	}
	if len(spec.Validations) == 0 && len(spec.AuditAnnotations) == 0 {
		errs = append(errs, field.Required(fld.Child("validations"), "validations or auditAnnotations must contain at least one item"))
	}
	for i, v := range spec.Validations {
		vf := fld.Child("validations").Index(i)
		if strings.TrimSpace(v.Expression) == "" {
			errs = append(errs, field.Required(vf.Child("expression"), "expression is not specified"))
		} else if r := compiler.CompileCELExpression(&validating.ValidationCondition{Expression: v.Expression}, withAuthz, environment.NewExpressions); r.Error != nil {
			errs = append(errs, celError(vf.Child("expression"), v.Expression, r.Error))
		}
		if len(v.MessageExpression) > 0 && strings.TrimSpace(v.MessageExpression) == "" {
			errs = append(errs, field.Invalid(vf.Child("messageExpression"), v.MessageExpression, "must be non-empty if specified"))
		} else if strings.TrimSpace(v.MessageExpression) != "" {
			// message expressions see params but not the authorizer
			r := compiler.CompileCELExpression(&validating.MessageExpressionCondition{MessageExpression: v.MessageExpression},
				plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: false}, environment.NewExpressions)
			if r.Error != nil {
				errs = append(errs, celError(vf.Child("messageExpression"), v.MessageExpression, r.Error))
			}
		}
		msg := strings.TrimSpace(v.Message)
		if len(v.Message) > 0 && msg == "" {
			errs = append(errs, field.Invalid(vf.Child("message"), v.Message, "message must be non-empty if specified"))
		} else if lineBreak.MatchString(msg) {
			errs = append(errs, field.Invalid(vf.Child("message"), v.Message, "message must not contain line breaks"))
		}
		if v.Reason != nil && !reasons.Has(string(*v.Reason)) {
			errs = append(errs, field.NotSupported(vf.Child("reason"), *v.Reason, sets.List(reasons)))
		}
	}
	keys := sets.New[string]()
	for i, a := range spec.AuditAnnotations {
		af := fld.Child("auditAnnotations").Index(i)
		errs = append(errs, qualifiedName(p.Name+"/"+a.Key, af.Child("key"))...)
		if keys.Has(a.Key) {
			errs = append(errs, field.Duplicate(af.Child("key"), a.Key))
		}
		keys.Insert(a.Key)
		if strings.TrimSpace(a.ValueExpression) == "" {
			errs = append(errs, field.Required(af.Child("valueExpression"), "valueExpression is not specified"))
		} else if r := compiler.CompileCELExpression(&validating.AuditAnnotationCondition{ValueExpression: strings.TrimSpace(a.ValueExpression)}, withAuthz, environment.NewExpressions); r.Error != nil {
			errs = append(errs, celError(af.Child("valueExpression"), a.ValueExpression, r.Error))
		}
	}
	return errs
}

func validateBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	errs := apivalidation.ValidateObjectMeta(&b.ObjectMeta, false, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec, fld := &b.Spec, field.NewPath("spec")
	if spec.PolicyName == "" {
		errs = append(errs, field.Required(fld.Child("policyName"), ""))
	} else {
		for _, msg := range apivalidation.NameIsDNSSubdomain(spec.PolicyName, false) {
			errs = append(errs, field.Invalid(fld.Child("policyName"), spec.PolicyName, msg))
		}
	}
	if pr := spec.ParamRef; pr != nil {
		pf := fld.Child("paramRef")
		if pr.Name != "" {
			for _, msg := range path.ValidatePathSegmentName(pr.Name, false) {
				errs = append(errs, field.Invalid(pf.Child("name"), pr.Name, msg))
			}
			if pr.Selector != nil {
				errs = append(errs, field.Forbidden(pf.Child("name"), "name and selector are mutually exclusive"))
			}
		}
		if pr.Selector != nil {
			errs = append(errs, metav1validation.ValidateLabelSelector(pr.Selector, metav1validation.LabelSelectorValidationOptions{}, pf.Child("selector"))...)
		}
		if pr.Name == "" && pr.Selector == nil {
			errs = append(errs, field.Required(pf, "one of name or selector must be specified"))
		}
		if a := pr.ParameterNotFoundAction; a == nil || *a == "" {
			errs = append(errs, field.Required(pf.Child("parameterNotFoundAction"), ""))
		} else if *a != admissionregistrationv1.DenyAction && *a != admissionregistrationv1.AllowAction {
			errs = append(errs, field.NotSupported(pf.Child("parameterNotFoundAction"), *a, []string{"Deny", "Allow"}))
		}
	}
	errs = append(errs, validateMatchResources(spec.MatchResources, fld.Child("matchResources"))...)
	af := fld.Child("validationActions")
	seen := sets.New[admissionregistrationv1.ValidationAction]()
	for i, a := range spec.ValidationActions {
		if a != admissionregistrationv1.Deny && a != admissionregistrationv1.Warn && a != admissionregistrationv1.Audit {
			errs = append(errs, field.NotSupported(af.Index(i), a, []string{"Audit", "Deny", "Warn"}))
		}
		if seen.Has(a) {
			errs = append(errs, field.Duplicate(af.Index(i), a))
		}
		seen.Insert(a)
	}
	if seen.Has(admissionregistrationv1.Deny) && seen.Has(admissionregistrationv1.Warn) {
		errs = append(errs, field.Invalid(af, spec.ValidationActions, "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"))
	}
	if seen.Len() == 0 {
		errs = append(errs, field.Required(af, "at least one validation action is required"))
	}
	return errs
}

func validateMatchResources(m *admissionregistrationv1.MatchResources, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if m == nil {
		return errs
	}
	if m.MatchPolicy == nil {
		errs = append(errs, field.Required(fld.Child("matchPolicy"), ""))
	} else if *m.MatchPolicy != admissionregistrationv1.Exact && *m.MatchPolicy != admissionregistrationv1.Equivalent {
		errs = append(errs, field.NotSupported(fld.Child("matchPolicy"), *m.MatchPolicy, []string{"Equivalent", "Exact"}))
	}
	for name, sel := range map[string]*metav1.LabelSelector{"namespaceSelector": m.NamespaceSelector, "objectSelector": m.ObjectSelector} {
		if sel == nil {
			errs = append(errs, field.Required(fld.Child(name), ""))
		} else {
			errs = append(errs, metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, fld.Child(name))...)
		}
	}
	for name, rules := range map[string][]admissionregistrationv1.NamedRuleWithOperations{"resourceRules": m.ResourceRules, "excludeResourceRules": m.ExcludeResourceRules} {
		for i, r := range rules {
			errs = append(errs, validateRule(&r, fld.Child(name).Index(i))...)
		}
	}
	return errs
}

func validateRule(r *admissionregistrationv1.NamedRuleWithOperations, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, name := range r.ResourceNames {
		for _, msg := range path.ValidatePathSegmentName(name, false) {
			errs = append(errs, field.Invalid(fld.Child("resourceNames").Index(i), name, msg))
		}
	}
	if len(r.Operations) == 0 {
		errs = append(errs, field.Required(fld.Child("operations"), ""))
	}
	for i, op := range r.Operations {
		if !operations.Has(string(op)) {
			errs = append(errs, field.NotSupported(fld.Child("operations").Index(i), op, sets.List(operations)))
		}
		if op == admissionregistrationv1.OperationAll && len(r.Operations) > 1 {
			errs = append(errs, field.Invalid(fld.Child("operations"), r.Operations, "if '*' is present, must not specify other operations"))
		}
	}
	for _, l := range []struct {
		name   string
		values []string
	}{{"apiGroups", r.APIGroups}, {"apiVersions", r.APIVersions}, {"resources", r.Resources}} {
		if len(l.values) == 0 {
			errs = append(errs, field.Required(fld.Child(l.name), ""))
		}
		for i, v := range l.values {
			if v == "" && l.name != "apiGroups" { // "" is the core group
				errs = append(errs, field.Required(fld.Child(l.name).Index(i), ""))
			}
		}
	}
	if r.Scope != nil {
		switch *r.Scope {
		case admissionregistrationv1.AllScopes, admissionregistrationv1.ClusterScope, admissionregistrationv1.NamespacedScope:
		default:
			errs = append(errs, field.NotSupported(fld.Child("scope"), *r.Scope, []string{"*", "Cluster", "Namespaced"}))
		}
	}
	return errs
}
