package main

// `kube-test-apiserver crd-cost FILE...`: for every CustomResourceDefinition in the YAML/JSON files,
// the estimated CEL cost of each x-kubernetes-validations rule as the API server computes it when
// the CRD is created, and the create-time validation errors of the CRD. No server is needed.
//
// What the server does (k8s.io/apiextensions-apiserver pkg/apis/apiextensions/validation,
// validateCustomResourceDefinitionValidation and ValidateCustomResourceDefinitionOpenAPISchema):
// it walks each openAPIV3Schema with a CELSchemaContext that tracks how many times a node can occur
// in one object (its cardinality: the product of the maxItems/maxProperties of the lists and maps
// above it). Every rule is compiled (pkg/apiserver/schema/cel.Compile) against the node's type;
// the compiler's cost estimate (MaxCost) times the cardinality (or, under an unbounded list or map,
// times the compiler's own worst case from the minimum serialized size of an element) must not
// exceed StaticEstimatedCostLimit, and the sum over the schema, messageExpressions included, must
// not exceed StaticEstimatedCRDCostLimit.
//
// The walk below re-traces that recursion with the exported pieces of the same code
// (RootCELContext, Child*Context, CELSchemaContext.TypeInfo, cel.Compile, TotalCost), because the
// server keeps the per-rule numbers to itself; the CRD itself is decoded, defaulted, converted
// and checked by the real create path (the registry strategy's PrepareForCreate and Validate, via
// rest.BeforeCreate), so "errors" is what `kubectl create` would print. The walk compiles rules
// even where the server skips them because the schema around them is invalid; such schemas
// always show up in "errors".
//
// Output: one JSON object per line, per CRD schema (a CRD whose versions share one schema has one,
// "version":"*"):
//
//	{"crd":"x.example.com","version":"*","schemaPath":"spec.validation.openAPIV3Schema",
//	 "totalCost":N,"totalLimit":100000000,"exceedsTotalLimit":false,"perCallLimit":1000000,
//	 "accepted":true,"errors":[],
//	 "rules":[{"path":"spec.items[*]","fieldPath":"spec.validation...x-kubernetes-validations[0].rule",
//	   "kind":"rule","rule":"...","estimatedCost":c,"cardinality":k,"cardinalityFrom":"schema",
//	   "cost":c*k,"limit":10000000,"exceedsLimit":false}, ...]}
//
// path: where the rule applies in the object ([*] = every item of a list or value of a map);
// fieldPath: where the server reports it; estimatedCost: the compiler's worst case for one
// evaluation; cost: what the server compares with limit (StaticEstimatedCostLimit) and adds to
// totalCost; kind messageExpression: a rule's messageExpression, added to the total as is.
//
// Exit status: 0 all CRDs would be accepted, 1 one would be refused, 2 bad input.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	extensionsapiserver "k8s.io/apiextensions-apiserver/pkg/apiserver"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresourcedefinition"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/environment"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	genericoptions "k8s.io/apiserver/pkg/server/options"
)

type crdCostReport struct {
	CRD               string     `json:"crd"`
	File              string     `json:"file"`
	Version           string     `json:"version"`
	SchemaPath        string     `json:"schemaPath"`
	TotalCost         uint64     `json:"totalCost"`
	TotalLimit        uint64     `json:"totalLimit"`
	ExceedsTotalLimit bool       `json:"exceedsTotalLimit"`
	PerCallLimit      uint64     `json:"perCallLimit"`
	Accepted          bool       `json:"accepted"`
	Errors            []string   `json:"errors"`
	Warnings          []string   `json:"warnings,omitempty"`
	Rules             []ruleCost `json:"rules"`
}

type ruleCost struct {
	Path            string `json:"path"`
	FieldPath       string `json:"fieldPath"`
	Kind            string `json:"kind"` // rule | messageExpression
	Rule            string `json:"rule"`
	MessageExpr     string `json:"messageExpression,omitempty"` // kind messageExpression: its expression
	EstimatedCost   uint64 `json:"estimatedCost"`
	Cardinality     uint64 `json:"cardinality"`
	CardinalityFrom string `json:"cardinalityFrom"` // schema (maxItems/maxProperties) | estimate (unbounded: from element size) | none (messageExpression)
	Cost            uint64 `json:"cost"`
	Limit           uint64 `json:"limit"`
	ExceedsLimit    bool   `json:"exceedsLimit"`
	CompileError    string `json:"compileError,omitempty"`
}

func crdCostCommand(files []string, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		fmt.Fprintln(stderr, "usage: kube-test-apiserver crd-cost CRD.yaml...")
		return 2
	}
	// the CEL environment version comes from the component's effective version, as in the server
	if err := genericoptions.NewServerRunOptions().ComponentGlobalsRegistry.Set(); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	rc := 0
	out := json.NewEncoder(stdout)
	out.SetEscapeHTML(false)
	for _, file := range files {
		crds, err := readCRDs(file)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			return 2
		}
		for _, crd := range crds {
			for _, report := range costReports(file, crd.crd, crd.decodeErrors) {
				if !report.Accepted {
					rc = 1
				}
				if err := out.Encode(report); err != nil {
					fmt.Fprintln(stderr, err)
					return 2
				}
			}
		}
	}
	return rc
}

// readCRDs decodes every CustomResourceDefinition of a file the way the server decodes a request
// body: v1 (or v1beta1) -> defaulted -> internal version. Like `kubectl create` (server-side
// fieldValidation=Strict), unknown or duplicate fields are errors; they are returned per CRD.
func readCRDs(file string) ([]decodedCRD, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	strict := serializer.NewCodecFactory(extensionsapiserver.Scheme, serializer.EnableStrict).UniversalDecoder()
	lenient := extensionsapiserver.Codecs.UniversalDecoder()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var crds []decodedCRD
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			return crds, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		var strictErrs []string
		obj, gvk, err := strict.Decode(doc, nil, nil)
		if err != nil && runtime.IsStrictDecodingError(err) {
			strictErrs = append(strictErrs, err.Error())
			obj, gvk, err = lenient.Decode(doc, nil, nil)
		}
		if err != nil {
			return nil, err
		}
		crd, ok := obj.(*apiextensions.CustomResourceDefinition)
		if !ok {
			return nil, fmt.Errorf("not a CustomResourceDefinition: %v", gvk)
		}
		crds = append(crds, decodedCRD{crd: crd, decodeErrors: strictErrs})
	}
}

type decodedCRD struct {
	crd          *apiextensions.CustomResourceDefinition
	decodeErrors []string
}

func stripComments(doc []byte) []byte {
	var keep [][]byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			keep = append(keep, line)
		}
	}
	return bytes.Join(keep, []byte("\n"))
}

func costReports(file string, crd *apiextensions.CustomResourceDefinition, decodeErrors []string) []crdCostReport {
	errs, warnings := createErrors(crd)
	errs = append(append([]string{}, decodeErrors...), errs...)
	type schemaAt struct {
		version, path string
		schema        *apiextensions.JSONSchemaProps
	}
	// where the server validates schemas: spec.validation when all versions share one schema
	// (v1 -> internal conversion hoists it there), else each spec.versions[i].schema
	var schemas []schemaAt
	if crd.Spec.Validation != nil && crd.Spec.Validation.OpenAPIV3Schema != nil {
		schemas = append(schemas, schemaAt{"*", "spec.validation.openAPIV3Schema", crd.Spec.Validation.OpenAPIV3Schema})
	}
	for i, v := range crd.Spec.Versions {
		if v.Schema != nil && v.Schema.OpenAPIV3Schema != nil {
			schemas = append(schemas, schemaAt{v.Name, fmt.Sprintf("spec.versions[%d].schema.openAPIV3Schema", i), v.Schema.OpenAPIV3Schema})
		}
	}
	var reports []crdCostReport
	for _, s := range schemas {
		r := crdCostReport{
			CRD: crd.Name, File: file, Version: s.version, SchemaPath: s.path,
			TotalLimit: validation.StaticEstimatedCRDCostLimit, PerCallLimit: celconfig.PerCallLimit,
			Accepted: len(errs) == 0, Errors: errs, Warnings: warnings, Rules: []ruleCost{},
		}
		w := costWalker{envSet: environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion())}
		root := validation.RootCELContext(s.schema)
		// as the server: CEL rules are only compiled when the schema is structural and valid
		if ss, err := structuralschema.NewStructural(s.schema); err != nil {
			r.Errors = appendMissing(r.Errors, "CEL rules not compiled, schema is not structural: "+err.Error())
		} else if verrs := structuralschema.ValidateStructural(field.NewPath(s.path), ss); len(verrs) > 0 {
			r.Errors = appendMissing(r.Errors, "CEL rules not compiled: "+verrs.ToAggregate().Error())
		} else {
			w.walk(s.schema, field.NewPath(s.path), "", root)
		}
		r.TotalCost = root.TotalCost.Total
		r.ExceedsTotalLimit = r.TotalCost > validation.StaticEstimatedCRDCostLimit
		sort.SliceStable(w.rules, func(i, j int) bool { return w.rules[i].FieldPath < w.rules[j].FieldPath })
		r.Rules = append(r.Rules, w.rules...)
		reports = append(reports, r)
	}
	if len(reports) == 0 {
		reports = append(reports, crdCostReport{CRD: crd.Name, File: file, Version: "*", TotalLimit: validation.StaticEstimatedCRDCostLimit,
			PerCallLimit: celconfig.PerCallLimit, Accepted: len(errs) == 0, Errors: errs, Warnings: warnings, Rules: []ruleCost{}})
	}
	return reports
}

func appendMissing(list []string, s string) []string {
	for _, e := range list {
		if e == s {
			return list
		}
	}
	return append(list, s)
}

// createErrors runs the server's create path for a CRD (system metadata filled, then the
// registry strategy's PrepareForCreate, Validate, metadata validation and warnings) and returns
// its field errors as the API server words them, and its warnings.
func createErrors(crd *apiextensions.CustomResourceDefinition) ([]string, []string) {
	obj := crd.DeepCopy()
	rest.FillObjectMetaSystemFields(obj)
	ctx := genericapirequest.WithNamespace(context.Background(), "")
	strategy := customresourcedefinition.NewStrategy(extensionsapiserver.Scheme)
	errs := []string{}
	if err := rest.BeforeCreate(strategy, ctx, obj); err != nil {
		var status *apierrors.StatusError
		if se, ok := err.(*apierrors.StatusError); ok && se.ErrStatus.Details != nil && len(se.ErrStatus.Details.Causes) > 0 {
			status = se
		}
		if status == nil {
			errs = append(errs, err.Error())
		} else {
			for _, c := range status.ErrStatus.Details.Causes {
				errs = append(errs, fmt.Sprintf("%s: %s", c.Field, c.Message))
			}
		}
	}
	return errs, strategy.WarningsOnCreate(ctx, obj)
}

type costWalker struct {
	envSet *environment.EnvSet
	rules  []ruleCost
}

// walk follows ValidateCustomResourceDefinitionOpenAPISchema's recursion: CEL contexts flow into
// additionalProperties, properties and items only (not/allOf/anyOf/oneOf get none).
func (w *costWalker) walk(s *apiextensions.JSONSchemaProps, fldPath *field.Path, dataPath string, ctx *validation.CELSchemaContext) {
	if s == nil {
		return
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		w.walk(s.AdditionalProperties.Schema, fldPath.Child("additionalProperties"), dataPath+"[*]",
			ctx.ChildAdditionalPropertiesContext(s.AdditionalProperties.Schema))
	}
	for name := range s.Properties {
		prop := s.Properties[name]
		child := name
		if dataPath != "" {
			child = dataPath + "." + name
		}
		w.walk(&prop, fldPath.Child("properties").Key(name), child, ctx.ChildPropertyContext(&prop, name))
	}
	if s.Items != nil {
		if s.Items.Schema != nil {
			w.walk(s.Items.Schema, fldPath.Child("items"), dataPath+"[*]", ctx.ChildItemsContext(s.Items.Schema))
		}
		for i := range s.Items.JSONSchemas {
			item := s.Items.JSONSchemas[i]
			w.walk(&item, fldPath.Child("items").Index(i), dataPath+"[*]", ctx.ChildItemsContext(&item))
		}
	}
	if len(s.XValidations) == 0 || ctx == nil {
		return
	}
	where := dataPath
	if where == "" {
		where = "(root)"
	}
	typeInfo, err := ctx.TypeInfo()
	if err != nil || typeInfo == nil {
		w.rules = append(w.rules, ruleCost{Path: where, FieldPath: fldPath.Child("x-kubernetes-validations").String(), Kind: "rule",
			CompileError: fmt.Sprintf("no CEL type information: %v", err)})
		return
	}
	results, err := cel.Compile(typeInfo.Schema, typeInfo.DeclType, celconfig.PerCallLimit, w.envSet, cel.NewExpressionsEnvLoader())
	if err != nil {
		w.rules = append(w.rules, ruleCost{Path: where, FieldPath: fldPath.Child("x-kubernetes-validations").String(), Kind: "rule",
			CompileError: err.Error()})
		return
	}
	for i, cr := range results {
		at := fldPath.Child("x-kubernetes-validations").Index(i)
		rc := ruleCost{Path: where, FieldPath: at.Child("rule").String(), Kind: "rule", Rule: s.XValidations[i].Rule,
			EstimatedCost: cr.MaxCost, Limit: validation.StaticEstimatedCostLimit}
		// validation.getExpressionCost: the schema's cardinality when bounded, else the compiler's
		if ctx.MaxCardinality != nil {
			rc.Cardinality, rc.CardinalityFrom = *ctx.MaxCardinality, "schema"
		} else {
			rc.Cardinality, rc.CardinalityFrom = cr.MaxCardinality, "estimate"
		}
		rc.Cost = multiplyCapped(cr.MaxCost, rc.Cardinality)
		rc.ExceedsLimit = rc.Cost > validation.StaticEstimatedCostLimit
		if cr.Error != nil {
			rc.CompileError = cr.Error.Detail
		}
		ctx.TotalCost.ObserveExpressionCost(at.Child("rule"), rc.Cost)
		w.rules = append(w.rules, rc)

		if cr.MessageExpression != nil || cr.MessageExpressionError != nil {
			mc := ruleCost{Path: where, FieldPath: at.Child("messageExpression").String(), Kind: "messageExpression",
				Rule: s.XValidations[i].Rule, MessageExpr: s.XValidations[i].MessageExpression, EstimatedCost: cr.MessageExpressionMaxCost,
				Cardinality: 1, CardinalityFrom: "none", Cost: cr.MessageExpressionMaxCost, Limit: validation.StaticEstimatedCostLimit}
			mc.ExceedsLimit = mc.Cost > validation.StaticEstimatedCostLimit
			if cr.MessageExpressionError != nil {
				mc.CompileError = cr.MessageExpressionError.Detail
			} else {
				// the server adds messageExpression costs uncapped by cardinality
				ctx.TotalCost.ObserveExpressionCost(at.Child("messageExpression"), mc.Cost)
			}
			w.rules = append(w.rules, mc)
		}
	}
}

// multiplyCapped is the server's multiplyWithOverflowGuard.
func multiplyCapped(base, cardinality uint64) uint64 {
	if base == 0 {
		return 0
	}
	if math.MaxUint/base < cardinality {
		return math.MaxUint
	}
	return base * cardinality
}
